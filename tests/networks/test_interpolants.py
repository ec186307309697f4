"""tk_lessons.networks.interpolants: the tiny MLP and full-batch interpolation (Chapter 11)."""

from __future__ import annotations

import pytest
import torch

from tk_lessons import networks, sampling
from tk_lessons.operators import MatrixOperator, SubsampledFourier


def _line() -> MatrixOperator:
    return MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))


def test_mlp_shapes_and_layer_count():
    A = SubsampledFourier(sampling.lowpass(16, 0.25)).to(torch.float64)
    net = networks.MLP(A, hidden=5, layers=3, seed=0)
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [lin.in_features for lin in linears] == [8, 5, 5, 5]    # 4 complex rows -> 8
    assert linears[-1].out_features == 16
    y = A(torch.rand(2, 1, 16, dtype=torch.float64))
    assert net(y).shape == (2, 1, 16) and net(y).dtype == torch.float64


def test_mlp_is_seeded_and_leaves_the_global_generator_alone():
    torch.manual_seed(3)
    before = torch.rand(1)
    torch.manual_seed(3)
    a = networks.MLP(_line(), hidden=4, seed=7)
    after = torch.rand(1)
    b = networks.MLP(_line(), hidden=4, seed=7)
    c = networks.MLP(_line(), hidden=4, seed=8)
    assert torch.equal(before, after)
    y = torch.linspace(-1, 1, 5, dtype=torch.float64)[:, None]
    assert torch.equal(a(y), b(y)) and not torch.equal(a(y), c(y))


def test_fit_interpolant_reports_the_max_training_error():
    A = _line()
    x = torch.tensor([[-1.0, 1.0], [-0.2, 1.0], [0.3, -1.0], [1.0, -1.0]],
                     dtype=torch.float64)
    net = networks.MLP(A, hidden=16, layers=2, seed=0)
    reported = networks.fit_interpolant(net, A, x, n_iter=1500, lr=1e-2)
    with torch.no_grad():
        independent = max(torch.dist(net(A(x[i:i + 1]))[0], x[i]).item() for i in range(4))
    assert reported == pytest.approx(independent, rel=1e-9, abs=1e-15)
    assert reported < 1e-3
    assert not net.training


def test_fit_interpolant_cannot_fit_two_images_with_the_same_data():
    """Two images with equal data: the best any map can do is the midpoint, error 1."""
    A = _line()
    x = torch.tensor([[0.0, 1.0], [0.0, -1.0]], dtype=torch.float64)
    net = networks.MLP(A, hidden=8, seed=0)
    assert networks.fit_interpolant(net, A, x, n_iter=800, lr=1e-2) >= 1 - 1e-9


@pytest.mark.parametrize("kwargs, match", [
    (dict(hidden=0), "hidden"), (dict(layers=1.5), "layers")])
def test_mlp_rejects_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        networks.MLP(_line(), **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_iter=0), "n_iter"), (dict(lr=0.0), "lr")])
def test_fit_interpolant_rejects_bad_settings(kwargs, match):
    A = _line()
    with pytest.raises(ValueError, match=match):
        networks.fit_interpolant(networks.MLP(A), A, torch.zeros(2, 2, dtype=torch.float64),
                                 **kwargs)


def test_fit_interpolant_rejects_wrong_image_shape():
    A = _line()
    with pytest.raises(ValueError, match="x must be"):
        networks.fit_interpolant(networks.MLP(A), A, torch.zeros(2, 3))


def test_written_out_adam_matches_torch_optim():
    """fit_interpolant's update and step schedule are torch.optim.Adam + MultiStepLR's."""
    A = _line()
    x = torch.tensor([[-1.0, 1.0], [-0.2, 1.0], [0.3, -1.0]], dtype=torch.float64)
    ours = networks.MLP(A, hidden=6, layers=2, seed=4)
    ref = networks.MLP(A, hidden=6, layers=2, seed=4)
    networks.fit_interpolant(ours, A, x, n_iter=40, lr=1e-2)
    optimiser = torch.optim.Adam(ref.parameters(), lr=1e-2)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimiser, [20, 30, 36], gamma=0.5)
    y = A(x)
    for _ in range(40):
        optimiser.zero_grad()
        (((ref(y) - x) ** 2).sum() / len(x)).backward()
        optimiser.step()
        schedule.step()
    for p, q in zip(ours.parameters(), ref.parameters()):
        assert torch.allclose(p, q, rtol=1e-10, atol=1e-12)
