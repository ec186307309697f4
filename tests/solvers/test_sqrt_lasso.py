"""Square-root LASSO (plain Chambolle–Pock) against cvxpy, plus its KKT conditions and level weights."""

import math

import cvxpy as cp
import numpy as np
import pytest
import torch

from tk_lessons import sampling
from tk_lessons.operators import GaussianMatrix, Identity, SubsampledFourier, Wavelet
from tk_lessons.solvers import level_weights, sqrt_lasso

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")   # tests/conftest.py


def noisy(A, x, level, seed):
    """``A x`` plus complex/real Gaussian noise of norm ``level * ||A x||``."""
    y = A(x)
    g = torch.Generator().manual_seed(seed)
    e = torch.randn(y.shape, generator=g, dtype=y.dtype)
    return y + level * y.norm() * e / e.norm()


def problem(case):
    """(A, y, W, weights, lam, real, x_true) for a named test case."""
    g = torch.Generator().manual_seed(1)
    if case.startswith("pixel") and case.endswith("1d"):
        complex_ = "complex" in case
        A = GaussianMatrix(40, 64, seed=2, complex=complex_)
        x = torch.zeros(1, 64, dtype=torch.complex128 if complex_ else F64)
        x[0, torch.randperm(64, generator=g)[:6]] = torch.randn(6, generator=g, dtype=x.dtype)
        weights = 0.5 + torch.rand(64, generator=g, dtype=F64)  # generic positive weights
        return A, noisy(A, x, 0.05, 3), None, weights, 0.05, not complex_, x
    # 16 x 16 Fourier (40 % variable density) with a piecewise-constant image
    A = SubsampledFourier(sampling.variable_density((16, 16), 0.4, seed=1))
    x = torch.zeros(1, 1, 16, 16, dtype=F64)
    x[..., 3:12, 4:10] = 1.0
    x[..., 6:9, 5:13] += 0.5
    if case.startswith("haar"):
        W = Wavelet(16, "haar", levels=2)
        weights = level_weights(W, [2, 6, 24], dtype=F64)
        return A, noisy(A, x, 0.05, 4), W, weights, 0.02, case.endswith("real"), x
    return A, noisy(A, x, 0.05, 4), None, None, 0.02, False, x


def cvxpy_optimum(A, y, W, weights, lam, real):
    """min_x ||A x - y||_2 + lam ||w * (W x)||_1 with dense matrices (W x = x without W)."""
    Ad = A.to_dense(torch.complex128).numpy()
    n = Ad.shape[1]
    Wd = np.eye(n) if W is None else W.to_dense(F64).numpy()
    w = np.ones(n) if weights is None else np.broadcast_to(weights.numpy().ravel(), (n,))
    x = cp.Variable(n, complex=not real)
    obj = cp.norm(Ad @ x - y.numpy().ravel(), 2) + lam * cp.norm1(cp.multiply(w, Wd @ x))
    prob = cp.Problem(cp.Minimize(obj))
    prob.solve(solver="CLARABEL")
    return prob.value, (Ad, Wd, w)


def objective_np(x, y, mats, lam):
    Ad, Wd, w = mats
    x = x.detach().numpy().ravel()
    return np.linalg.norm(Ad @ x - y.numpy().ravel()) + lam * np.sum(w * np.abs(Wd @ x))


CASES = ["pixel-real-1d", "pixel-complex-1d", "pixel-complex-2d", "haar-real", "haar-complex"]


@pytest.mark.parametrize("case", CASES)
def test_objective_matches_cvxpy(case):
    A, y, W, weights, lam, real, x_true = problem(case)
    best, mats = cvxpy_optimum(A, y, W, weights, lam, real)
    n_iter = 4000 if case.endswith("1d") else 600  # Gaussian matrices: slower O(1/k) phase, cheap steps
    x, info = sqrt_lasso(A, y, lam, W, weights=weights, n_iter=n_iter, real=real, return_info=True)
    ours = objective_np(x, y, mats, lam)
    gap = (ours - best) / best
    print(f"{case}: cvxpy {best:.6f}, ours {ours:.6f}, relative gap {gap:.1e}")
    assert abs(gap) <= 1e-3
    # a non-trivial solution (x = 0 would give ||y||) and the recorded objective is the real one
    assert ours < 0.9 * float(y.norm())
    assert info.n_iter == n_iter and len(info.objective) == n_iter
    assert info.objective[-1] == pytest.approx(ours, rel=1e-9)
    assert x.is_complex() == (not real)


def test_kkt_and_complex_phase_identity():
    """A = I: the minimiser is x = soft(y, t) with t = lam ||x - y|| (KKT), phases kept."""
    g = torch.Generator().manual_seed(0)
    y = torch.randn(1, 12, generator=g, dtype=torch.complex128) * torch.linspace(0.2, 3, 12, dtype=F64)
    lam = 0.3  # below 1 / sqrt(12) the minimiser is y itself (the norm is an exact penalty)
    x = sqrt_lasso(Identity((12,), complex=True), y, lam, n_iter=2000)
    t = lam * float((x - y).norm())
    kept = x.abs() > 1e-9
    assert 0 < int(kept.sum()) < 12
    # modulus-based shrinkage: same phase as y, modulus reduced by the common threshold t
    torch.testing.assert_close(x[kept] / x[kept].abs(), y[kept] / y[kept].abs(), atol=1e-8, rtol=0)
    torch.testing.assert_close(y[kept].abs() - x[kept].abs(), torch.full_like(x[kept].abs(), t), atol=1e-7, rtol=0)
    assert bool((y[~kept].abs() <= t + 1e-7).all())


def test_batch_items_are_independent():
    A, y, W, weights, lam, real, _ = problem("haar-complex")
    y2 = torch.cat([y, 0.3 * y.flip(-1)])
    both = sqrt_lasso(A, y2, lam, W, weights=weights, n_iter=40)
    for i in range(2):
        alone = sqrt_lasso(A, y2[i:i + 1], lam, W, weights=weights, n_iter=40)
        torch.testing.assert_close(both[i:i + 1], alone, atol=1e-10, rtol=1e-10)


def test_scale_invariance_of_default_steps():
    """The problem is 1-homogeneous in y; the default steps make the iterates scale too."""
    A, y, W, weights, lam, real, _ = problem("haar-real")
    x1 = sqrt_lasso(A, y, lam, W, weights=weights, n_iter=50, real=True)
    x2 = sqrt_lasso(A, 100 * y, lam, W, weights=weights, n_iter=50, real=True)
    torch.testing.assert_close(x2 / 100, x1, atol=1e-10, rtol=1e-8)


def test_gradcheck():
    A = SubsampledFourier(sampling.variable_density((8, 8), 0.5, seed=0))
    W = Wavelet(8, "haar", levels=1)
    y = A(torch.rand(1, 1, 8, 8, dtype=F64, generator=torch.Generator().manual_seed(0)))
    y = y.detach().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: sqrt_lasso(A, v, 0.05, W, n_iter=4, real=True), (y,))


def test_level_weights_values():
    W = Wavelet(8, "haar", levels=2)
    w = level_weights(W, [1, 3, 12], dtype=F64)
    expected = torch.full((1, 8, 8), math.sqrt(16 / 12), dtype=F64)   # finest details
    expected[:, :4, :4] = math.sqrt(16 / 3)                            # level-1 details
    expected[:, :2, :2] = 4.0                                          # approximation
    torch.testing.assert_close(w, expected)
    # 1-D, FIRENET's sparsities for 3 levels
    w1 = level_weights(Wavelet((16,), "haar", levels=3), [4, 12, 48, 50])
    s = 4 + 12 + 48 + 50
    ref = torch.tensor([math.sqrt(s / 4)] * 2 + [math.sqrt(s / 12)] * 2 + [math.sqrt(s / 48)] * 4
                       + [math.sqrt(s / 50)] * 8, dtype=w1.dtype).reshape(1, 16)
    torch.testing.assert_close(w1, ref)


# -- bad input ---------------------------------------------------------------------------------------

@pytest.fixture
def small():
    A = SubsampledFourier(sampling.variable_density((8, 8), 0.5, seed=0))
    return A, A(torch.rand(1, 1, 8, 8, dtype=F64)), Wavelet(8, "haar", levels=1)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(lam=-0.1), ValueError, "lam"),
    (dict(n_iter=0), ValueError, "n_iter"),
    (dict(tau=2.0, sigma=2.0), ValueError, "tau"),
    (dict(tau=-1.0), ValueError, "tau"),
    (dict(weights=torch.ones(1, 4, 4, dtype=F64)), ValueError, "weights"),
    (dict(weights=-torch.ones(1, 8, 8, dtype=F64)), ValueError, "weights"),
    (dict(weights=torch.ones(1, 8, 8, dtype=torch.complex128)), TypeError, "weights"),
    (dict(W=Wavelet(16, "haar")), ValueError, "W"),
    (dict(W=2.0 * Wavelet(8, "haar")), ValueError, "W"),          # not orthonormal
    (dict(W="haar"), TypeError, "W"),
    (dict(x_init=torch.zeros(1, 1, 8, 8, dtype=torch.complex128), real=True), ValueError, "x_init"),
    (dict(x_init=torch.zeros(2, 1, 8, 8)), ValueError, "x_init"),
    (dict(real="yes"), TypeError, "real"),
])
def test_bad_input(small, kwargs, error, match):
    A, y, W = small
    args = dict(lam=0.1, W=W)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        sqrt_lasso(A, y, **args)


def test_bad_measurements(small):
    A, y, W = small
    with pytest.raises(ValueError, match="y"):
        sqrt_lasso(A, y[:, :-1], 0.1, W)


@pytest.mark.parametrize("W, sparsities, error, match", [
    (Wavelet(8, "haar", levels=2), [1, 2], ValueError, "sparsities"),
    (Wavelet(8, "haar", levels=2), [1, 0, 2], ValueError, "sparsities"),
    (Identity((1, 8, 8)), [1, 2, 3], TypeError, "W"),
])
def test_level_weights_bad_input(W, sparsities, error, match):
    with pytest.raises(error, match=match):
        level_weights(W, sparsities)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    A, y, W, weights, lam, real, _ = problem("haar-complex")
    cpu = sqrt_lasso(A, y, lam, W, weights=weights, n_iter=50)
    gpu = sqrt_lasso(A.to("cuda"), y.cuda(), lam, W.to("cuda"), weights=weights, n_iter=50)
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-10, rtol=1e-8)
