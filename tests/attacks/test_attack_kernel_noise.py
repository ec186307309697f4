"""Kernel pairs (false positives/negatives) and random-noise / ball failure rates, with known answers."""

from __future__ import annotations

import pytest
import torch

from tk_lessons import kernel, sampling
from tk_lessons.attacks import ball_test, false_positive_negative, kernel_pair, random_noise_test
from tk_lessons.operators import GaussianMatrix, MatrixOperator, SubsampledFourier

pytestmark = pytest.mark.usefixtures("one_thread")   # tests/conftest.py


def gen(seed):
    return torch.Generator().manual_seed(seed)


def memoriser(A, X, temperature):
    """Psi(y) = softmax-weighted average of the training images, weights exp(-||y - A x_j||^2 / 2T)."""
    Y = A(X)

    def recon(y):
        d2 = (y[:, None] - Y[None]).abs().square().sum(-1)                    # (B, K)
        weights = torch.softmax(-d2 / (2 * temperature), dim=1)
        out = torch.einsum("bk,kn->bn", weights.to(X.dtype), X.flatten(1))
        return out.reshape(y.shape[0], *X.shape[1:])

    return recon


def relu_network(m, shape, seed=0):
    """A random two-layer ReLU network from data of length m to images of ``shape``."""
    n = torch.Size(shape).numel()
    W1 = torch.randn(32, 2 * m, generator=gen(seed), dtype=torch.float64)
    W2 = torch.randn(n, 32, generator=gen(seed + 1), dtype=torch.float64)

    def recon(y):
        y = torch.view_as_real(y).flatten(1) if y.is_complex() else torch.cat([y, y.square()], dim=1)
        return (torch.relu(y @ W1.T) @ W2.T).reshape(y.shape[0], *shape)

    return recon


# ---------------------------------------------------------------------------------------
# kernel pairs
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["fourier", "gaussian"])
def test_every_reconstructor_is_blind_to_the_kernel(op):
    if op == "fourier":
        A = SubsampledFourier(sampling.uniform((8, 8), 0.3, seed=0)).to(torch.float64)
    else:
        A = MatrixOperator(GaussianMatrix(20, 64, seed=0, domain_shape=(1, 8, 8)).matrix.double(), (1, 8, 8))
    x = torch.rand(3, 1, 8, 8, generator=gen(1), dtype=torch.float64)
    anything = torch.randn(3, 1, 8, 8, generator=gen(2), dtype=torch.float64)
    z = kernel.project(A, anything, tol=1e-14, n_iter=2000)    # iterative for the Gaussian matrix: to rounding
    assert float(z.norm()) > 0.5 * float(anything.norm())             # a large change of the image...
    m = A.range_shape[0]
    X = torch.rand(4, 1, 8, 8, generator=gen(3), dtype=torch.float64)
    for recon in (A.H, memoriser(A, X, 0.1), relu_network(m, (1, 8, 8))):
        clean, moved = recon(A(x)), recon(A(x + z))
        assert float((moved - clean).abs().max()) <= 1e-9 * max(1.0, float(clean.abs().max()))   # ...invisible
    pair = kernel_pair(A, x, anything)                              # the default tolerance, 1e-8
    assert float(pair.e1.abs().max()) <= 1e-7 * float(A(anything).abs().max())
    assert torch.allclose(pair.x_prime, x + z, atol=1e-6)
    assert torch.equal(pair.e2, -pair.e1)


def test_false_positive_and_negative_of_a_memoriser_on_an_almost_invisible_detail():
    A = MatrixOperator(GaussianMatrix(20, 64, seed=0, domain_shape=(1, 8, 8)).matrix.double(), (1, 8, 8))
    x = torch.rand(1, 1, 8, 8, generator=gen(1), dtype=torch.float64)
    detail = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    detail[..., 2:5, 3:6] = 1.0                                      # a small square "tumour"
    pair = kernel_pair(A, x, detail, ridge=0.1)
    assert float(pair.relative_perturbation) < 0.2                   # the data barely change...
    assert float(pair.z.norm()) > 0.5 * float(detail.norm())        # ...the image does
    # a network that memorised both images reconstructs each from the other's data plus e1 / e2
    recon = memoriser(A, torch.cat([x, pair.x_prime]), float(pair.e1.norm()) ** 2 / 100)
    out = false_positive_negative(recon, pair)
    assert float(out.fp_to_x_prime) < 1e-3 and float(out.fn_to_x) < 1e-3
    assert float(out.fp_to_x) > 0.1 and float(out.fn_to_x_prime) > 0.1
    expected = float(pair.z.norm() / pair.e1.norm())                 # ||x' - x|| / ||A (x' - x)||
    assert float(out.lipschitz_ratio) == pytest.approx(expected, rel=1e-3)
    # the zero-filled adjoint cannot see the kernel part: no false positive
    blind = false_positive_negative(A.H, pair)
    assert float(blind.fp_to_x_prime) > 0.3
    assert "fp_to_x_prime" in repr(out) and len(out.summary().splitlines()) == 3


def test_kernel_pair_with_the_detail_itself_and_a_scale():
    A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 1e-3]], dtype=torch.float64))
    x = torch.zeros(2, 2, dtype=torch.float64)
    pair = kernel_pair(A, x, torch.tensor([[0.0, 1.0]], dtype=torch.float64), project=False, scale=2.0)
    assert torch.equal(pair.z, torch.tensor([[0.0, 2.0], [0.0, 2.0]], dtype=torch.float64))
    assert torch.allclose(pair.e1, torch.tensor([[0.0, 2e-3]] * 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="ridge is used only with project=True"):
        kernel_pair(A, x, x, project=False, ridge=1.0)
    with pytest.raises(ValueError, match="detail must have shape"):
        kernel_pair(A, x, torch.zeros(3, 2, dtype=torch.float64))


# ---------------------------------------------------------------------------------------
# random noise and balls
# ---------------------------------------------------------------------------------------
def test_random_noise_on_the_identity_has_exactly_the_relative_size():
    y = torch.randn(2, 30, generator=gen(0), dtype=torch.float64)
    res = random_noise_test(lambda t: t, y, y, [0.1, 2.0], trials=7, threshold=0.05, seed=0)
    expected = torch.tensor([0.1, 2.0], dtype=torch.float64)[:, None] / y.norm(dim=1)
    assert res.errors.shape == (2, 7, 2) and res.eps.shape == (2, 2)
    assert torch.allclose(res.errors, expected[:, None].expand(2, 7, 2), rtol=1e-12)
    assert torch.equal(res.failure_rate, (expected > 0.05).double())
    assert torch.allclose(res.worst_noise.flatten(2).norm(dim=2), res.eps, rtol=1e-12)
    rel = random_noise_test(lambda t: t, y, y, 0.03, relative=True, trials=3, seed=0)
    assert torch.allclose(rel.errors, torch.full_like(rel.errors, 0.03), rtol=1e-12)
    assert torch.equal(rel.clean_error, torch.zeros(2, dtype=torch.float64))


def test_complex_noise_has_the_requested_norm_and_seed_reproduces_it():
    y = torch.randn(1, 10, generator=gen(0), dtype=torch.complex128)
    a = random_noise_test(lambda t: t, y, None, 0.5, trials=4, seed=3)
    b = random_noise_test(lambda t: t, y, None, 0.5, trials=4, seed=3)
    c = random_noise_test(lambda t: t, y, None, 0.5, trials=4, seed=4)
    assert torch.equal(a.worst_noise, b.worst_noise) and not torch.equal(a.worst_noise, c.worst_noise)
    assert float(a.worst_noise.abs().square().sum().sqrt()) == pytest.approx(0.5, rel=1e-12)
    assert a.worst_noise.imag.abs().max() > 0


def test_ball_test_known_answers():
    y = torch.zeros(1, 20, dtype=torch.float64)
    y[0, 1] = 1.0
    e_adv = torch.zeros_like(y)
    e_adv[0, 0] = 0.5
    identity = lambda t: t                                                    # noqa: E731
    res = ball_test(identity, y, e_adv, y, [0.0, 0.1], trials=10, threshold=0.3, seed=0)
    # rho = 0: the error is ||e_adv|| / ||y|| = 0.5 for every draw; rho = 0.1: within 0.5 +- 0.1
    assert torch.allclose(res.errors[0], torch.full((10, 1), 0.5, dtype=torch.float64))
    assert torch.all((res.errors[1] >= 0.4 - 1e-12) & (res.errors[1] <= 0.6 + 1e-12))
    assert torch.equal(res.failure_rate, torch.ones(2, 1, dtype=torch.float64))
    assert float(res.clean_error) == pytest.approx(0.5)
    # relative radii: rho = 0.5 ||e_adv||
    rel = ball_test(identity, y, e_adv, y, [0.5], relative=True, trials=3, seed=0)
    assert torch.allclose(rel.eps, torch.tensor([[0.25]], dtype=torch.float64))


def test_ball_test_at_a_decision_boundary_fails_half_the_time():
    # Psi jumps when the first coordinate crosses 0.5; e_adv puts y exactly on the jump, so a
    # random point of any small sphere around it fails with probability 1/2 (not a rare event)
    x = torch.ones(1, 16, dtype=torch.float64)

    def recon(t):
        return x + 10.0 * (t[:, :1] >= 0.5).double()

    y = torch.zeros(1, 16, dtype=torch.float64)
    e_adv = torch.zeros_like(y)
    e_adv[0, 0] = 0.5
    res = ball_test(recon, y, e_adv, x, [1e-3, 0.1], trials=400, threshold=1.0, seed=0)
    assert torch.all((res.failure_rate > 0.43) & (res.failure_rate < 0.57))
    # common random numbers: the same directions for both radii, so the same draws fail
    assert torch.equal(res.errors[0] > 1, res.errors[1] > 1)
    noise = random_noise_test(recon, y, x, 0.1, trials=50, threshold=1.0, seed=0)
    assert float(noise.failure_rate) == 0.0                          # far from the jump nothing fails
    assert "ball_test" in res.summary() and "NoiseTest(" in repr(res)
