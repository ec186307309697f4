"""TV reconstruction (ADMM with the FFT solve, and primal-dual) against cvxpy and the zero-filling baseline."""

from __future__ import annotations

import time

import cvxpy as cp
import numpy as np
import pytest
import torch

from tk_lessons.data import shepp_logan
from tk_lessons.metrics import psnr
from tk_lessons.operators import Blur, GaussianMatrix, Inpainting, Radon, SubsampledFourier
from tk_lessons.sampling import variable_density
from tk_lessons.solvers import SolverInfo, tv

N = 16
LAM = 0.02


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Tiny problems: starting threads costs more than it saves (and test machines are shared).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def periodic_differences(n: int) -> np.ndarray:
    """Dense anisotropic periodic forward differences of an n x n image (rows: vertical, then horizontal)."""
    eye = np.eye(n)
    d = np.roll(eye, 1, axis=1) - eye                     # (d v)_i = v_{i+1} - v_i, periodic
    return np.vstack([np.kron(d, eye), np.kron(eye, d)])


def tv_objective(A, y, x, lam) -> float:
    """1/2 ||A x - y||^2 + lam ||D x||_1 computed with dense numpy matrices (independent of the solver)."""
    Ad, xf = A.to_dense().numpy(), x.reshape(-1).numpy()
    r = Ad @ xf - y.reshape(-1).numpy()
    return 0.5 * float(np.vdot(r, r).real) + lam * float(np.abs(periodic_differences(N) @ xf).sum())


def cvxpy_tv(A, y, lam, real: bool) -> tuple[float, np.ndarray]:
    x = cp.Variable(N * N, complex=not real)
    objective = 0.5 * cp.sum_squares(A.to_dense().numpy() @ x - y.reshape(-1).numpy()) \
        + lam * cp.norm1(periodic_differences(N) @ x)
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver="CLARABEL")
    return problem.value, x.value


def noisy_data(A, seed=0, level=0.02):
    x = shepp_logan(N).double()
    y = A(x)
    gen = torch.Generator().manual_seed(seed)
    e = torch.randn(y.shape, dtype=y.dtype, generator=gen)
    return y + level * e / e.norm() * y.norm()


@pytest.fixture(scope="module")
def fourier():
    A = SubsampledFourier(variable_density((N, N), 0.3, seed=1))
    return A, noisy_data(A)


@pytest.fixture(scope="module")
def cvxpy_fourier(fourier):
    A, y = fourier
    return {real: cvxpy_tv(A, y, LAM, real) for real in (True, False)}


@pytest.mark.parametrize("real", [True, False])
@pytest.mark.parametrize("method, n_iter", [("admm", 400), ("pd", 1500)])
def test_fourier_objective_matches_cvxpy(fourier, cvxpy_fourier, method, n_iter, real):
    A, y = fourier
    reference, _ = cvxpy_fourier[real]
    x = tv(A, y, LAM, method=method, n_iter=n_iter, real=real)
    assert x.is_complex() == (not real)
    gap = (tv_objective(A, y, x, LAM) - reference) / reference
    print(f"\nTV {method} real={real}: relative gap to cvxpy {gap:+.2e}")
    assert abs(gap) <= 1e-3


def test_admm_and_pd_agree(fourier):
    A, y = fourier
    x_admm = tv(A, y, LAM, method="admm", n_iter=1500, real=True)
    x_pd = tv(A, y, LAM, method="pd", n_iter=4000, real=True)
    assert float((x_admm - x_pd).norm() / x_admm.norm()) < 1e-3


@pytest.mark.parametrize("name", ["gaussian", "radon", "blur"])
def test_other_operators_match_cvxpy(name):
    A = {"gaussian": lambda: GaussianMatrix(120, N * N, seed=3, domain_shape=(1, N, N)),
         "radon": lambda: Radon(N, 8),
         "blur": lambda: Blur(N, sigma=1.0)}[name]()
    A = A.double() if name != "gaussian" else A
    y = noisy_data(A).to(torch.float64)
    reference, _ = cvxpy_tv(A.double() if name == "gaussian" else A, y, LAM, real=True)
    x, info = tv(A, y, LAM, n_iter=2000 if name != "blur" else 1000, return_info=True, real=True)
    assert x.dtype == torch.float64
    gap = (tv_objective(A, y, x, LAM) - reference) / reference
    print(f"\nTV {name}: relative gap to cvxpy {gap:+.2e}")
    assert abs(gap) <= 1e-3
    # the recorded history matches the final objective
    assert info.n_iter == len(info.objective) == len(info.residual)
    assert info.objective[-1] == pytest.approx(tv_objective(A, y, x, LAM), rel=1e-9)


def test_blur_pd_agrees_with_admm():
    A = Blur(N, sigma=1.0).double()
    y = noisy_data(A)
    x_admm = tv(A, y, LAM, method="admm", n_iter=1500, real=True)
    x_pd = tv(A, y, LAM, method="pd", n_iter=4000, real=True)
    assert float((x_admm - x_pd).norm() / x_admm.norm()) < 1e-3


@pytest.mark.parametrize("real", [True, False])
def test_signals_1d_admm_and_pd_agree(real):
    t = torch.linspace(0, 1, 64, dtype=torch.float64)
    x = ((t > 0.3).double() - 0.5 * (t > 0.7).double()).reshape(1, 1, 64)
    A = SubsampledFourier(variable_density(64, 0.4, seed=0))
    y = A(x)
    x_admm = tv(A, y, LAM, method="admm", n_iter=1500, real=real)
    x_pd = tv(A, y, LAM, method="pd", n_iter=3000, real=real)
    assert x_admm.shape == (1, 1, 64)
    assert float((x_admm - x_pd).norm() / x_admm.norm()) < 1e-4


def test_batch_items_are_independent(fourier):
    A, y = fourier
    y2 = torch.cat([y, 0.5 * y.flip(1)])
    for method in ("admm", "pd"):
        batch, info = tv(A, y2, LAM, method=method, n_iter=50, return_info=True, real=True)
        single = torch.cat([tv(A, y2[i:i + 1], LAM, method=method, n_iter=50, real=True) for i in range(2)])
        torch.testing.assert_close(batch, single, rtol=1e-10, atol=1e-12)
        assert isinstance(info, SolverInfo) and info.n_iter == 50


def test_lam_zero_fourier_gives_least_squares(fourier):
    # lam = 0: ADMM converges to a data-consistent x (A x = y; unsampled frequencies keep x0's)
    A, y = fourier
    x = tv(A, y, 0.0, method="admm", n_iter=150, real=False, x_init=torch.zeros(1, 1, N, N, dtype=torch.complex128))
    torch.testing.assert_close(A(x), y, rtol=0, atol=1e-10)


def test_dc_unsampled_is_handled():
    mask = variable_density((N, N), 0.4, seed=2)
    mask[N // 2, N // 2] = False                          # drop the zero frequency
    A = SubsampledFourier(mask)
    y = noisy_data(A)
    x = tv(A, y, LAM, n_iter=50, real=True)
    assert torch.isfinite(x).all()
    assert abs(float(x.mean())) < 1e-10                     # the zero-mean minimiser


def test_psnr_gain_over_zero_filling():
    start = time.perf_counter()
    x = shepp_logan(128)
    A = SubsampledFourier(variable_density((128, 128), 0.25, seed=0))
    y = A(x)
    zero_filled = A.H(y).abs()                             # modulus of the zero-filled image
    x_tv = tv(A, y, 1e-3, n_iter=200, real=True)                      # auto -> ADMM, paper's lam and rho
    psnr_zf = float(psnr(zero_filled, x, data_range=1.0))
    psnr_tv = float(psnr(x_tv, x, data_range=1.0))
    print(f"\nPSNR zero filling {psnr_zf:.2f} dB, TV {psnr_tv:.2f} dB")
    assert psnr_tv >= psnr_zf + 10
    assert time.perf_counter() - start < 15


@pytest.mark.parametrize("method", ["admm", "pd"])
def test_gradients_through_unrolled_iterations_are_finite(fourier, method):
    A, y = fourier
    y = y.clone().requires_grad_(True)
    x = tv(A, y, LAM, method=method, n_iter=20, real=True)
    (x**2).sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0


def test_gradcheck_pd():
    A = GaussianMatrix(10, 16, seed=0, domain_shape=(1, 4, 4)).double()
    gen = torch.Generator().manual_seed(1)
    y = torch.randn(1, 10, dtype=torch.float64, generator=gen).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda y: tv(A, y, 0.05, method="pd", n_iter=15, real=True), (y,))


def test_gradcheck_admm_blur():
    A = Blur(4, sigma=0.7).double()
    gen = torch.Generator().manual_seed(2)
    y = torch.rand(1, 1, 4, 4, dtype=torch.float64, generator=gen).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda y: tv(A, y, 0.05, method="admm", n_iter=15, real=True), (y,))


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(lam=-0.1), ValueError, "lam"),
    (dict(method="cg"), ValueError, "method"),
    (dict(n_iter=0), ValueError, "n_iter"),
    (dict(rho=0.0), ValueError, "rho"),
    (dict(rho=-1.0), ValueError, "rho"),
    (dict(real="yes"), TypeError, "real"),
])
def test_bad_parameters(fourier, kwargs, exc, match):
    A, y = fourier
    args = dict(lam=LAM, real=True) | kwargs
    with pytest.raises(exc, match=match):
        tv(A, y, **args)


def test_bad_operator_and_shapes(fourier):
    A, y = fourier
    with pytest.raises(ValueError, match="method='admm'"):
        tv(Inpainting(torch.ones(N, N, dtype=torch.bool)), torch.zeros(1, N * N), LAM, method="admm")
    with pytest.raises(ValueError, match="y must have shape"):
        tv(A, y[:, :-1], LAM, real=True)
    with pytest.raises(ValueError, match="x_init must have shape"):
        tv(A, y, LAM, x_init=torch.zeros(1, 1, N, N + 1), real=True)
    with pytest.raises(ValueError, match="x_init must be real"):
        tv(A, y, LAM, x_init=torch.zeros(1, 1, N, N, dtype=torch.complex128), real=True)
    with pytest.raises(ValueError, match="A must act on images"):
        tv(GaussianMatrix(5, 6, domain_shape=(2, 3)), torch.zeros(1, 5), LAM)


@pytest.mark.cuda
@pytest.mark.parametrize("method", ["admm", "pd"])
def test_cuda_matches_cpu(fourier, method):
    A, y = fourier
    x_cpu = tv(A, y, LAM, method=method, n_iter=30, real=True)
    x_gpu = tv(A.to("cuda"), y.to("cuda"), LAM, method=method, n_iter=30, real=True)
    torch.testing.assert_close(x_gpu.cpu(), x_cpu, rtol=1e-8, atol=1e-10)

