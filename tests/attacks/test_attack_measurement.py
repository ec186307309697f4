"""measurement_attack: the ball constraint, known maxima of linear maps, warm starts, gradients, seeds."""

from __future__ import annotations

import pytest
import torch

from tk_lessons import sampling
from tk_lessons.attacks import measurement_attack
from tk_lessons.operators import MatrixOperator, SubsampledFourier

pytestmark = pytest.mark.usefixtures("one_thread")   # tests/conftest.py


def gen(seed):
    return torch.Generator().manual_seed(seed)


def linear():
    M = torch.randn(15, 10, generator=gen(3), dtype=torch.float64)
    y0 = torch.randn(3, 10, generator=gen(4), dtype=torch.float64)
    return MatrixOperator(M), y0, float(torch.linalg.matrix_norm(M, 2))


def fourier():
    """Complex packed Fourier data and a smooth nonlinear reconstructor of the zero-filled image."""
    A = SubsampledFourier(sampling.uniform((8, 8), 0.4, seed=0)).to(torch.float64)
    x = torch.rand(2, 1, 8, 8, generator=gen(1), dtype=torch.float64)
    recon = lambda y: torch.tanh(3 * A.H(y).real) + A.H(y).imag ** 2          # noqa: E731
    return A, recon, x


@pytest.mark.parametrize("optimizer", ["adam", "pgd"])
@pytest.mark.parametrize("relative", [False, True])
def test_perturbation_stays_in_the_ball_for_complex_data(optimizer, relative):
    A, recon, x = fourier()
    y0 = A(x)
    eps = 0.05 if relative else 0.2
    res = measurement_attack(recon, y0, x, eps, relative=relative, n_iter=20, restarts=2, seed=0, optimizer=optimizer)
    radius = eps * y0.abs().square().sum(1).sqrt() if relative else torch.full((2,), eps, dtype=torch.float64)
    assert torch.allclose(res.eps, radius)
    assert res.e.dtype == y0.dtype and res.e.shape == y0.shape
    assert torch.all((res.y_adv - y0).abs().square().sum(1).sqrt() <= radius * (1 + 1e-6))
    assert torch.all(res.candidates.abs().square().sum(-1).sqrt() <= radius * (1 + 1e-6))
    assert res.candidates.shape == (2, *y0.shape)
    assert res.history["error"].shape == (2, 21, 2)
    # the best iterate is returned: its error is the largest in the history
    assert torch.allclose(res.history["error"].amax(dim=(0, 1)), (res.x_adv - x).flatten(1).norm(dim=1))
    assert torch.all(res.error > res.error_rec)


def test_pgd_finds_the_worst_case_of_a_linear_map():
    # max over ||e|| <= eta of ||R(y0 + e) - R y0|| = ||R e|| is ||R|| eta
    R, y0, norm_R = linear()
    res = measurement_attack(R, y0, None, 0.5, n_iter=100, lr=1.0, optimizer="pgd", seed=0)
    assert torch.all(res.norm_diff >= 0.5 * norm_R * (1 - 1e-3))
    assert torch.all(res.norm_diff <= 0.5 * norm_R * (1 + 1e-12))
    assert torch.allclose(res.ratio, torch.full((3,), norm_R, dtype=torch.float64), rtol=1e-3)


def test_adam_gets_close_to_the_worst_case_of_a_linear_map_and_never_beyond():
    R, y0, norm_R = linear()
    res = measurement_attack(R, y0, None, 0.5, n_iter=100, restarts=3, seed=0)
    assert torch.all(res.norm_diff >= 0.8 * 0.5 * norm_R)
    assert torch.all(res.norm_diff <= 0.5 * norm_R * (1 + 1e-12))
    # with a ground truth, the error is at most the clean error plus ||R|| eta
    x0 = torch.zeros(3, 15, dtype=torch.float64)
    res = measurement_attack(R, y0, x0, 0.5, n_iter=30, seed=0)
    clean = R(y0).norm(dim=1)
    assert torch.all((res.x_adv - x0).norm(dim=1) <= clean + 0.5 * norm_R * (1 + 1e-12))


def test_a_descending_loop_warm_starts_from_the_worst_of_the_level_above():
    A, recon, x = fourier()
    y0 = A(x)
    stream = torch.Generator().manual_seed(0)               # one stream of random starts for all levels
    results, previous = {}, None
    for eps in (0.2, 0.1, 0.05):
        previous = measurement_attack(recon, y0, x, eps, n_iter=5, restarts=2, keep_init=1, seed=stream,
                                      warm_start=previous)
        results[eps] = previous
    for eps, r in results.items():
        assert round(float(r.eps[0]), 12) == eps
        assert torch.all(r.norm_e <= eps * (1 + 1e-6))
    # level 0.1 starts (restart 0) from the best of level 0.2, projected onto the smaller ball
    above, level = results[0.2], results[0.1]
    start = above.candidates[0]
    start = start * torch.clamp(0.1 / start.abs().square().sum(1).sqrt(), max=1)[:, None]
    first_error = (recon(y0 + start) - x).flatten(1).norm(dim=1)
    assert torch.allclose(level.history["error"][0, 0], first_error, rtol=1e-10)
    # with keep_init = restarts every start is inherited, so the seed no longer matters
    again = measurement_attack(recon, y0, x, 0.1, n_iter=5, restarts=2, keep_init=2, seed=1, warm_start=above)
    other = measurement_attack(recon, y0, x, 0.1, n_iter=5, restarts=2, keep_init=2, seed=2, warm_start=above)
    assert torch.equal(again.e, other.e)


def test_a_list_of_radii_is_refused_with_advice():
    A, recon, x = fourier()
    with pytest.raises(TypeError, match="loop from the largest down, passing warm_start="):
        measurement_attack(recon, A(x), x, [0.2, 0.1], n_iter=5)


def test_pgd_finds_the_maximum_of_a_complex_linear_map():
    # e -> A^H(w * e) on complex data, as a real-linear map of the (re, im) pairs, has the
    # singular values |w_k|: the worst e of norm eps moves the output by eps * max |w_k|.
    # Only a correct gradient on the real pairs climbs to it.
    A, _, x = fourier()
    y = A(x)
    w = torch.linspace(0.2, 2.0, y.shape[1], dtype=torch.float64) * torch.exp(1j * torch.arange(y.shape[1]))
    recon = lambda v: A.H(v * w)                                              # noqa: E731
    res = measurement_attack(recon, y, None, 0.3, n_iter=150, lr=1.0, optimizer="pgd", seed=0)
    top = 0.3 * float(w.abs().max())
    assert torch.all(res.norm_diff <= top * (1 + 1e-9))
    assert torch.all(res.norm_diff >= 0.999 * top)


def test_same_seed_same_perturbation():
    A, recon, x = fourier()
    kw = dict(n_iter=5, restarts=2)
    a = measurement_attack(recon, A(x), x, 0.1, seed=1, **kw)
    b = measurement_attack(recon, A(x), x, 0.1, seed=1, **kw)
    c = measurement_attack(recon, A(x), x, 0.1, seed=2, **kw)
    assert torch.equal(a.e, b.e) and a.seed == 1
    assert not torch.equal(a.e, c.e)


def test_network_parameters_get_no_gradients():
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 6)).double()
    y0 = torch.randn(2, 6, generator=gen(0), dtype=torch.float64)
    measurement_attack(net, y0, None, 0.1, n_iter=3, seed=0)
    assert all(p.grad is None for p in net.parameters())


def test_written_out_adam_is_torch_adam():
    # one restart on y = 0 with recon = sin, replayed with torch.optim.Adam: the attack works on
    # w = e * sqrt(n) / eps in the ball ||w|| <= sqrt(n), starts at 3 g (g Gaussian from the
    # seed) projected, scales the gradient to RMS 1 per sample and ascends err^2
    c = torch.randn(2, 5, generator=gen(0), dtype=torch.float64)
    y, eps, n = torch.zeros(2, 5, dtype=torch.float64), 0.7, 5
    res = measurement_attack(torch.sin, y, c, eps, n_iter=15, lr=0.2, seed=7)

    def project(w):
        return w * torch.clamp(n ** 0.5 / w.norm(dim=1, keepdim=True), max=1.0)

    w = project(3 * torch.randn(2, 5, generator=gen(7), dtype=torch.float64)).requires_grad_(True)
    opt = torch.optim.Adam([w], lr=0.2, eps=1e-5)
    expected = []
    for _ in range(15):
        err2 = (torch.sin(w * eps / n ** 0.5) - c).square().sum(1)
        expected.append(err2.detach().sqrt())
        (g,) = torch.autograd.grad(err2.sum(), w)
        w.grad = -g / (g.norm(dim=1, keepdim=True) / n ** 0.5)              # minimise -err^2
        opt.step()
        with torch.no_grad():
            w.copy_(project(w))
    expected.append((torch.sin(w.detach() * eps / n ** 0.5) - c).norm(dim=1))
    assert torch.allclose(res.history["error"][0], torch.stack(expected), rtol=1e-12)
