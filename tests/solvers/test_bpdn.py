"""Quadratically constrained basis pursuit against cvxpy: objective, feasibility, convergence."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import torch

from tk_lessons.data import shepp_logan
from tk_lessons.operators import GaussianMatrix, Gradient, Radon, SubsampledFourier, Wavelet
from tk_lessons.sampling import variable_density
from tk_lessons.solvers import SolverInfo, bpdn

N = 16
NOISE = 0.02


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Tiny problems: starting threads costs more than it saves (and test machines are shared).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def noisy_problem(A, seed=0):
    """Data ``y = A x + e`` with ``||e|| = NOISE ||A x||`` and ``eta = ||e||``."""
    x = shepp_logan(N).double()
    y0 = A(x)
    gen = torch.Generator().manual_seed(seed)
    e = torch.randn(y0.shape, dtype=y0.dtype, generator=gen)
    eta = NOISE * float(y0.norm())
    return y0 + eta * e / e.norm(), eta


def dense(W) -> np.ndarray:
    return np.eye(N * N) if W is None else W.to_dense().numpy()


def cvxpy_bpdn(A, y, eta, W, real):
    x = cp.Variable(N * N, complex=not real)
    problem = cp.Problem(cp.Minimize(cp.norm1(dense(W) @ x)),
                         [cp.norm(A.to_dense().numpy() @ x - y.reshape(-1).numpy(), 2) <= eta])
    problem.solve(solver="CLARABEL")
    return problem.value, x.value


def l1(W, x) -> float:
    return float(np.abs(dense(W) @ x.reshape(-1).numpy()).sum())


def residual(A, y, x) -> float:
    return float(np.linalg.norm(A.to_dense().numpy() @ x.reshape(-1).numpy() - y.reshape(-1).numpy()))


@pytest.fixture(scope="module")
def fourier():
    A = SubsampledFourier(variable_density((N, N), 0.35, seed=1))
    return (A, *noisy_problem(A))


@pytest.mark.parametrize("wavelet", [False, True], ids=["pixels", "haar"])
@pytest.mark.parametrize("real", [False, True], ids=["complex", "real"])
def test_fourier_matches_cvxpy(fourier, wavelet, real):
    A, y, eta = fourier
    W = Wavelet(N, "haar") if wavelet else None
    reference, _ = cvxpy_bpdn(A, y, eta, W, real)
    x = bpdn(A, y, eta, W, n_iter=1000, real=real)
    assert x.is_complex() == (not real)
    gap = (l1(W, x) - reference) / reference
    print(f"\nBPDN {'haar' if wavelet else 'pixels'} real={real}: relative gap to cvxpy {gap:+.2e}")
    assert abs(gap) <= 1e-3
    assert residual(A, y, x) <= eta * (1 + 1e-3)


@pytest.mark.parametrize("name", ["gaussian", "radon", "gradient"])
def test_other_problems_match_cvxpy(name):
    if name == "gaussian":
        A = GaussianMatrix(100, N * N, seed=4, domain_shape=(1, N, N)).double()
    else:
        A = Radon(N, 10).double() if name == "radon" else SubsampledFourier(variable_density((N, N), 0.35, seed=1))
    W = Gradient(N) if name == "gradient" else None     # a non-orthonormal W: the analysis form
    y, eta = noisy_problem(A)
    real = name != "gradient"
    reference, _ = cvxpy_bpdn(A, y, eta, W, real)
    x, info = bpdn(A, y, eta, W, n_iter=2000, real=real, return_info=True)
    gap = (l1(W, x) - reference) / reference
    print(f"\nBPDN {name}: relative gap to cvxpy {gap:+.2e}")
    assert abs(gap) <= 1e-3
    assert residual(A, y, x) <= eta * (1 + 1e-3)
    assert isinstance(info, SolverInfo) and info.n_iter == 2000
    assert info.objective[-1] == pytest.approx(l1(W, x), rel=1e-9)
    assert info.residual[-1] == pytest.approx(residual(A, y, x), rel=1e-9)
    assert info.extra["infeasibility"][-1] <= 1e-3 * eta


def test_distance_to_cvxpy_solution_decreases(fourier):
    A, y, eta = fourier
    _, x_ref = cvxpy_bpdn(A, y, eta, None, real=True)
    distances, violations = [], []
    for n_iter in (100, 400, 1600):
        x = bpdn(A, y, eta, n_iter=n_iter, real=True)
        distances.append(np.linalg.norm(x.reshape(-1).numpy() - x_ref) / np.linalg.norm(x_ref))
        violations.append(max(residual(A, y, x) - eta, 0.0))
    assert distances[0] > distances[1] > distances[2]
    assert distances[2] < 1e-3 and violations[2] < 1e-4 * eta


def test_scale_invariance(fourier):
    # (y, eta) -> (s y, s eta) scales the solution; the default steps keep the iterates exactly scaled
    A, y, eta = fourier
    x = bpdn(A, y, eta, n_iter=100)
    xs = bpdn(A, 1000 * y, 1000 * eta, n_iter=100)
    torch.testing.assert_close(xs, 1000 * x, rtol=1e-8, atol=1e-10)


def test_batch_with_per_item_eta(fourier):
    A, y, eta = fourier
    y2 = torch.cat([y, 2 * y.flip(1)])
    etas = torch.tensor([eta, 3 * eta], dtype=torch.float64)
    step = dict(sigma=2.0, tau=0.5)   # fixed steps: the default ratio uses the batch mean of ||x0||
    batch, info = bpdn(A, y2, etas, n_iter=100, return_info=True, **step)
    single = torch.cat([bpdn(A, y2[i:i + 1], float(etas[i]), n_iter=100, **step) for i in range(2)])
    torch.testing.assert_close(batch, single, rtol=1e-10, atol=1e-12)
    assert info.n_iter == 100


def test_gradients_through_unrolled_iterations_are_finite(fourier):
    A, y, eta = fourier
    y = y.clone().requires_grad_(True)
    for W in (None, Wavelet(N, "haar"), Gradient(N)):
        x = bpdn(A, y, eta, W, n_iter=20)
        (x.abs() ** 2).sum().backward()
        assert y.grad is not None and torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0
        y.grad = None


def test_gradcheck_small():
    A = GaussianMatrix(6, 12, seed=0).double()
    gen = torch.Generator().manual_seed(3)
    y = torch.randn(1, 6, dtype=torch.float64, generator=gen).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda y: bpdn(A, y, 0.1, n_iter=10, sigma=1.0), (y,))


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(eta=0.0), ValueError, "eta must be finite and > 0.*small eta"),
    (dict(eta=-1.0), ValueError, "eta"),
    (dict(eta=float("nan")), ValueError, "eta"),
    (dict(eta=torch.tensor([0.1, 0.2, 0.3])), ValueError, "eta"),
    (dict(eta=torch.tensor([0.0])), ValueError, "eta"),
    (dict(eta="0.1"), TypeError, "eta"),
    (dict(n_iter=0), ValueError, "n_iter"),
    (dict(W=Wavelet(8, "haar")), ValueError, "W must act on"),
    (dict(W=torch.eye(3)), TypeError, "W must be"),
    (dict(tau=1.0, sigma=2.0), ValueError, "tau"),
    (dict(sigma=-1.0), ValueError, "sigma"),
    (dict(real=1), TypeError, "real"),
    (dict(x_init=torch.zeros(2, 1, N, N)), ValueError, "x_init"),
])
def test_bad_input(fourier, kwargs, exc, match):
    A, y, eta = fourier
    args = dict(eta=eta) | kwargs
    with pytest.raises(exc, match=match):
        bpdn(A, y, **args)


def test_bad_y_shape(fourier):
    A, y, eta = fourier
    with pytest.raises(ValueError, match="y must have shape"):
        bpdn(A, y[:, 1:], eta)


@pytest.mark.cuda
def test_cuda_matches_cpu(fourier):
    A, y, eta = fourier
    W = Wavelet(N, "haar")
    x_cpu = bpdn(A, y, eta, W, n_iter=30)
    x_gpu = bpdn(A.to("cuda"), y.to("cuda"), eta, W.to("cuda"), n_iter=30)
    torch.testing.assert_close(x_gpu.cpu(), x_cpu, rtol=1e-8, atol=1e-10)
