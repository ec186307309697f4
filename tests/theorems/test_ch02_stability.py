"""Chapter 2, checked on concrete instances independently of the chapter's own cells.

* prop-linear-lipschitz: a linear map has L^eps(B, y) = ||B|| for every y and eps.
* prop-tikhonov-norm: ||(A^*A + lam I)^{-1} A^*|| = max_i s_i / (s_i^2 + lam) <= 1 / (2 sqrt(lam)),
  and 1 / (1 + lam) when A A^* = I.
* lem-attack-lower-bound: every ratio an attack evaluates is a lower bound on L^eps.
* prop-soft-threshold-lipschitz: L^eps(soft_tau, y) = min(1, (eps - d)_+ / eps), d = tau - ||y||_inf.
* prop-data-fit: ||A (Psi(y1) - Psi(y2))||^2 <= Re <y1 - y2, A (Psi(y1) - Psi(y2))> for
  data fit + convex penalty (Tikhonov, l1 by FISTA, TV by ADMM), and Pythagoras when A A^* = I.

Exact values come from dense matrices and their SVDs (torch.linalg), never from the
operator's own ``norm()`` or ``singular_values()``.
"""

from __future__ import annotations

import functools

import pytest
import torch

from tk_lessons import sampling, solvers
from tk_lessons.attacks import jacobian_norm, lipschitz_lower_bound, local_lipschitz
from tk_lessons.operators import Blur, MatrixOperator, SubsampledFourier

F64 = torch.float64


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # tiny problems: a second thread only adds synchronisation (and stalls on a busy machine)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def spectral_norm(M: torch.Tensor) -> float:
    return float(torch.linalg.svdvals(M)[0])


def dense_map(recon, shape, dtype=F64) -> torch.Tensor:
    """The matrix of a linear map recon: columns recon(e_j), applied to the whole basis as one batch."""
    n = int(torch.tensor(shape).prod())
    basis = torch.eye(n, dtype=dtype).reshape(n, *shape)
    return recon(basis).reshape(n, -1).T


# -- Proposition: linear maps --------------------------------------------------------------------
def _random_matrix():
    M = torch.randn(30, 20, generator=gen(0), dtype=F64)
    return (lambda y: y @ M.T), M, (20,)


def _zero_filling():
    A = SubsampledFourier(sampling.uniform((8, 8), 0.4, seed=1)).to(F64)
    return A.H, dense_map(A.H, (A.m,), torch.complex128), (A.m,)


def _blur_inverse():
    B = Blur(12, sigma=0.8).to(F64)

    def inverse(v):
        return torch.fft.ifft2(torch.fft.fft2(v) / B.transfer).real

    return inverse, torch.linalg.inv(B.to_dense(F64)), (1, 12, 12)


LINEAR = {"random matrix": _random_matrix, "zero filling": _zero_filling, "blur inverse": _blur_inverse}


@pytest.mark.parametrize("case", LINEAR)
def test_linear_map_constant_is_the_operator_norm_for_every_y_and_eps(case):
    recon, matrix, shape = LINEAR[case]()
    exact = spectral_norm(matrix)
    complex_data = matrix.is_complex()
    dtype = torch.complex128 if complex_data else F64
    points = [torch.zeros(1, *shape, dtype=dtype), 5 * torch.randn(1, *shape, generator=gen(2), dtype=dtype)]
    for y in points:
        for eps in (1e-3, 1.0, 30.0):
            res = lipschitz_lower_bound(recon, y, eps, steps=150, seed=0)
            assert float(res.history["ratio"].max()) <= exact * (1 + 1e-10), (case, eps)
            assert float(res.ratio) >= 0.995 * exact, (case, eps, float(res.ratio), exact)
            # the supremum is attained at y + eps v, v a top right singular vector
            v = torch.linalg.svd(matrix).Vh[0].conj().reshape(1, *shape)
            v = v if complex_data else v.real
            attained = float(local_lipschitz(recon, y, eps * v))
            assert attained == pytest.approx(exact, rel=1e-9)
    assert float(jacobian_norm(recon, points[1], n_iter=300, tol=1e-12)) == pytest.approx(exact, rel=1e-3)


def test_zero_filling_is_an_isometry_on_the_data():
    recon, matrix, shape = _zero_filling()
    assert spectral_norm(matrix) == pytest.approx(1.0, abs=1e-12)
    e = torch.randn(4, *shape, generator=gen(3), dtype=torch.complex128)
    ratios = local_lipschitz(recon, torch.zeros_like(e), e)
    assert torch.allclose(ratios, torch.ones(4, dtype=F64), atol=1e-12)


# -- Proposition: Tikhonov -----------------------------------------------------------------------
@pytest.mark.parametrize("lam", [1e-1, 1e-2, 1e-4, 1e-7])
def test_tikhonov_norm_is_the_filter_maximum_for_a_blur(lam):
    B = Blur(12, sigma=1.0).to(F64)
    s = torch.linalg.svdvals(B.to_dense(F64))                      # independent of B.transfer
    tik = functools.partial(solvers.tikhonov, B, lam=lam)
    exact = spectral_norm(dense_map(tik, (1, 12, 12)))
    formula = float((s / (s**2 + lam)).max())
    assert exact == pytest.approx(formula, rel=1e-9)
    assert exact <= 1 / (2 * lam**0.5) * (1 + 1e-12)
    res = lipschitz_lower_bound(tik, B(torch.rand(1, 1, 12, 12, generator=gen(4), dtype=F64)), 0.01,
                                steps=200, seed=0)
    assert float(res.history["ratio"].max()) <= exact * (1 + 1e-10)
    assert float(res.ratio) >= 0.99 * exact


def test_tikhonov_bound_is_attained_exactly_when_a_singular_value_is_sqrt_lam():
    M = torch.randn(8, 12, generator=gen(5), dtype=F64)
    s = torch.linalg.svdvals(M)
    for lam in (float(s[0]) ** 2, float(s[3]) ** 2, float(s[-1]) ** 2):
        R = torch.linalg.solve(M.T @ M + lam * torch.eye(12, dtype=F64), M.T)
        assert spectral_norm(R) == pytest.approx(1 / (2 * lam**0.5), rel=1e-10)
    lam = 4 * float(s[0]) ** 2                                     # sqrt(lam) above every singular value
    R = torch.linalg.solve(M.T @ M + lam * torch.eye(12, dtype=F64), M.T)
    assert spectral_norm(R) == pytest.approx(float((s / (s**2 + lam)).max()), rel=1e-10)
    assert spectral_norm(R) < 0.9 / (2 * lam**0.5)


@pytest.mark.parametrize("lam", [0.01, 0.1, 1.0, 3.0])
def test_tikhonov_with_orthonormal_rows_has_norm_one_over_one_plus_lam(lam):
    A = SubsampledFourier(sampling.variable_density((8, 8), 0.3, seed=0)).to(F64)
    tik = functools.partial(solvers.tikhonov, A, lam=lam)
    matrix = dense_map(tik, (A.m,), torch.complex128)
    assert spectral_norm(matrix) == pytest.approx(1 / (1 + lam), rel=1e-12)


# -- Lemma: attacks give lower bounds; Proposition: soft thresholding ----------------------------
def soft_exact(y: torch.Tensor, tau: float, eps: float) -> float:
    d = tau - float(y.abs().max())
    return min(1.0, max(eps - d, 0.0) / eps)


@pytest.mark.parametrize("scale", [0.5, 0.8, 1.0, 1.3])
@pytest.mark.parametrize("eps", [0.1, 0.3, 1.0, 2.5])
def test_soft_threshold_local_constant(scale, eps):
    tau = 1.0
    soft = functools.partial(solvers.soft_threshold, t=tau)
    y = torch.randn(1, 40, generator=gen(6), dtype=F64)
    y = scale * y / y.abs().max()                                  # ||y||_inf = scale, d = 1 - scale
    exact = soft_exact(y, tau, eps)
    # the formula is attained by putting the whole perturbation on the largest entry
    j = int(y.abs().argmax())
    e = torch.zeros_like(y)
    e[0, j] = eps * torch.sign(y[0, j])
    assert float(local_lipschitz(soft, y, e)) == pytest.approx(exact, abs=1e-12)
    # and never exceeded: random perturbations of every size up to eps, and the attack
    sizes = eps * torch.rand(500, 1, generator=gen(7), dtype=F64)
    directions = torch.randn(500, 40, generator=gen(8), dtype=F64)
    directions = directions * (torch.rand(500, 40, generator=gen(9)) < 0.1)   # sparse ones cross the threshold
    directions[directions.norm(dim=1) == 0, 0] = 1.0
    es = sizes * directions / directions.norm(dim=1, keepdim=True)
    ratios = local_lipschitz(soft, y.expand(500, -1), es)
    assert float(ratios.max()) <= exact + 1e-12
    res = lipschitz_lower_bound(soft, y, eps, steps=40, restarts=2, seed=0)
    assert float(res.history["ratio"].max()) <= exact + 1e-12
    assert float(res.norm_pert) <= eps * (1 + 1e-12)


@pytest.mark.parametrize("eps", [0.1, 0.3, 1.0])
def test_attack_finds_the_soft_threshold_constant_in_one_dimension(eps):
    y = torch.tensor([[-0.8]], dtype=F64)
    soft = functools.partial(solvers.soft_threshold, t=1.0)
    res = lipschitz_lower_bound(soft, y, eps, steps=50, restarts=3, seed=0)
    assert float(res.ratio) == pytest.approx(soft_exact(y, 1.0, eps), abs=1e-9)


def test_attack_can_miss_the_constant_where_the_map_is_flat():
    """A flat region hides the worst case: the estimate is a valid but useless lower bound."""
    y = torch.randn(1, 100, generator=gen(0), dtype=F64)
    y = 0.8 * y / y.abs().max()
    soft = functools.partial(solvers.soft_threshold, t=1.0)
    res = lipschitz_lower_bound(soft, y, 0.3, steps=50, restarts=3, seed=0)
    assert float(res.ratio) == 0.0 < soft_exact(y, 1.0, 0.3)


def test_reported_ratio_is_an_honest_evaluation_for_a_nonlinear_reconstruction():
    A = SubsampledFourier(sampling.multilevel(16, 0.3, seed=0)).to(F64)
    x = torch.zeros(1, 1, 16, 16, dtype=F64)
    x[..., 4:12, 5:11] = 1.0
    y = A(x)
    recon = functools.partial(solvers.tv, A, lam=1e-2, n_iter=60)
    eps = 0.05 * float(y.norm())
    res = lipschitz_lower_bound(recon, y, eps, steps=6, seed=0)
    assert float(res.norm_pert) <= eps * (1 + 1e-12)
    recomputed = float((recon(y + res.perturbation) - recon(y)).norm() / res.perturbation.norm())
    assert float(res.ratio) == pytest.approx(recomputed, rel=1e-9)
    assert float(res.ratio) == pytest.approx(float(res.history["ratio"].max()), rel=1e-9)
    # TV's reconstruction changes more than its data fit: the excess lives in the kernel
    assert float(res.ratio) > 1.0


# -- Proposition: the data fit of a variational method is nonexpansive ---------------------------
def _pairs(y: torch.Tensor, seed: int, scales=(1e-3, 1e-1, 1.0)) -> list[tuple[torch.Tensor, torch.Tensor]]:
    out = []
    for k, scale in enumerate(scales):
        d = torch.randn(y.shape, generator=gen(seed + k), dtype=y.dtype)
        out.append((y, y + scale * float(y.norm()) * d / d.norm()))
    return out


def _check_data_fit(A, recon, y1, y2, tol):
    x1, x2 = recon(y1), recon(y2)
    dy, fit = y1 - y2, A(x1) - A(x2)
    lhs = float(fit.norm()) ** 2
    rhs = float((dy.conj() * fit).real.sum())
    assert lhs <= rhs + tol * float(dy.norm()) ** 2, (lhs, rhs)
    assert float(fit.norm()) <= float(dy.norm()) * (1 + tol)
    return x1 - x2, fit


def test_data_fit_of_l1_solved_by_fista_is_nonexpansive():
    M = torch.randn(20, 40, generator=gen(10), dtype=F64) / 20**0.5
    A = MatrixOperator(M)
    x = torch.zeros(1, 40, dtype=F64)
    x[0, [3, 17, 30]] = torch.tensor([1.0, -0.5, 2.0], dtype=F64)
    recon = functools.partial(solvers.fista, A, lam=0.05, n_iter=4000)
    for y1, y2 in _pairs(A(x), seed=11):
        _check_data_fit(A, recon, y1, y2, tol=1e-7)


def test_data_fit_of_tikhonov_is_nonexpansive():
    M = torch.randn(15, 25, generator=gen(12), dtype=F64)
    A = MatrixOperator(M)
    recon = functools.partial(solvers.tikhonov, A, lam=0.3, n_iter=500, tol=1e-14)
    y = torch.randn(1, 15, generator=gen(13), dtype=F64)
    for y1, y2 in _pairs(y, seed=14):
        _check_data_fit(A, recon, y1, y2, tol=1e-9)


def test_data_fit_of_tv_is_nonexpansive_and_the_excess_lies_in_the_kernel():
    A = SubsampledFourier(sampling.multilevel(16, 0.3, seed=0)).to(F64)
    x = torch.zeros(1, 1, 16, 16, dtype=F64)
    x[..., 3:13, 4:12] = 0.6
    x[..., 6:9, 6:9] = 1.0
    recon = functools.partial(solvers.tv, A, lam=5e-3, n_iter=3000)
    for y1, y2 in _pairs(A(x), seed=15):
        dx, fit = _check_data_fit(A, recon, y1, y2, tol=1e-4)
        # A A^* = I: ||dx||^2 = ||A dx||^2 + ||P_N dx||^2 (Pythagoras), with P_N = I - A^* A
        kernel_part = dx - A.H(A(dx))
        assert float(dx.norm()) ** 2 == pytest.approx(float(fit.norm()) ** 2 + float(kernel_part.norm()) ** 2,
                                                      rel=1e-10)
