"""A forward operator that the package has never seen, written here with only ``_forward``,
``_adjoint`` and its shapes, goes through every solver, every kernel tool and an attack.

The operator is a weighted, row-subsampled 2-D DCT-II: ``A x = g ⊙ (C X C^T)[mask]`` on
8 x 8 images (24 of the 64 coefficients, each with its own gain ``g`` in ``[0.5, 1.5]``, like
a sensor with uneven channels). It declares nothing (no ``orthonormal_rows``, ``isometry`` or
``gram_symbol``), so every tool must take its generic path. At this size a dense NumPy or
CVXPY solution is the oracle: the tests check optimality and agreement with it, not only that
the code runs.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
import pytest
import torch

import tk_lessons as tk
from tk_lessons.operators import Gradient, LinearOperator, Wavelet, dot_test

N = 8
M_ROWS = 24
F64 = torch.float64


def dct_matrix(n: int) -> torch.Tensor:
    """The orthonormal DCT-II matrix ``C[k, j] = c_k cos(pi (2j + 1) k / (2n))``."""
    k = torch.arange(n, dtype=F64)[:, None]
    j = torch.arange(n, dtype=F64)[None, :]
    C = torch.cos(math.pi * (2 * j + 1) * k / (2 * n)) * math.sqrt(2 / n)
    C[0] /= math.sqrt(2)
    return C


class WeightedSubsampledDCT(LinearOperator):
    """``x -> g ⊙ (C X C^T)[mask]``: real images ``(B, 1, n, n)`` to ``(B, m)``."""

    def __init__(self, n: int, m: int, seed: int = 0) -> None:
        super().__init__((1, n, n), (m,))
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer("C", dct_matrix(n))
        self.register_buffer("index", torch.randperm(n * n, generator=gen)[:m].sort().values)
        self.register_buffer("gain", 0.5 + torch.rand(m, generator=gen, dtype=F64))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        C = self.C.to(x.dtype)
        coeffs = (C @ x[:, 0] @ C.T).reshape(x.shape[0], -1)
        return coeffs[:, self.index] * self.gain.to(x.dtype)

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        C = self.C.to(y.dtype)
        coeffs = torch.zeros(y.shape[0], self.C.shape[0] ** 2, dtype=y.dtype, device=y.device)
        coeffs[:, self.index] = y * self.gain.to(y.dtype)
        n = self.C.shape[0]
        return (C.T @ coeffs.reshape(-1, n, n) @ C)[:, None]


@pytest.fixture(scope="module")
def problem():
    A = WeightedSubsampledDCT(N, M_ROWS)
    M = A.to_dense().numpy()                                 # (24, 64)
    x = torch.zeros(2, 1, N, N, dtype=F64)
    x[0, 0, 2:6, 3:5] = 1.0                                  # a block: sparse gradient
    x[1, 0, 1:4, 1:7] = 0.5
    x[1, 0, 5, 2] = 1.0
    gen = torch.Generator().manual_seed(1)
    e = torch.randn(2, M_ROWS, dtype=F64, generator=gen)
    y = A(x) + 0.01 * e
    return A, M, x, y


def flat(t: torch.Tensor) -> np.ndarray:
    return t.detach().reshape(t.shape[0], -1).numpy()


def test_the_operator_is_a_real_operator(problem):
    A, M, x, y = problem
    assert dot_test(A) < 1e-12
    assert np.allclose(flat(A(x)), flat(x) @ M.T)
    assert not A.orthonormal_rows and not A.isometry and A.gram_symbol() is None
    s = np.linalg.svd(M, compute_uv=False)
    assert np.allclose(np.sort(s), np.sort(A.gain.numpy()))  # singular values are the gains
    assert math.isclose(A.norm(), float(s.max()), rel_tol=1e-6)


# -- least squares ---------------------------------------------------------------------------

def test_pinv_is_the_dense_pseudo_inverse(problem):
    A, M, x, y = problem
    x_rec = tk.solvers.pinv(A, y, n_iter=200)
    assert np.allclose(flat(x_rec), y.numpy() @ np.linalg.pinv(M).T, atol=1e-10)


def test_tikhonov_solves_the_normal_equations(problem):
    A, M, x, y = problem
    lam = 0.05
    x_rec = tk.solvers.tikhonov(A, y, lam, n_iter=200)
    expected = np.linalg.solve(M.T @ M + lam * np.eye(N * N), M.T @ y.numpy().T).T
    assert np.allclose(flat(x_rec), expected, atol=1e-10)
    with pytest.raises(ValueError, match="closed"):          # it declared no closed form
        tk.solvers.tikhonov(A, y, lam, method="closed")


# -- l1: optimality conditions and CVXPY -------------------------------------------------------

def lasso_kkt_violation(B: np.ndarray, y: np.ndarray, c: np.ndarray, lam: float) -> float:
    """Largest violation of ``0 in B^T (B c - y) + lam d||c||_1``, relative to ``lam``."""
    g = B.T @ (B @ c - y)
    on = np.abs(c) > 1e-8
    bad_on = np.abs(g[on] + lam * np.sign(c[on])) if on.any() else np.zeros(1)
    bad_off = np.maximum(np.abs(g[~on]) - lam, 0.0)
    return float(max(bad_on.max(), bad_off.max(initial=0.0)) / lam)


@pytest.mark.parametrize("solver", ["fista", "ista"])
def test_pixel_lasso_meets_its_optimality_conditions(problem, solver):
    A, M, x, y = problem
    lam = 0.02
    kwargs = dict(adaptive_restart=True) if solver == "fista" else {}
    x_rec = getattr(tk.solvers, solver)(A, y, lam, n_iter=20000 if solver == "ista" else 3000, **kwargs)
    for i in range(2):
        assert lasso_kkt_violation(M, y[i].numpy(), flat(x_rec)[i], lam) < 1e-5


def test_wavelet_synthesis_lasso_meets_its_optimality_conditions(problem):
    A, M, x, y = problem
    W = Wavelet(N, "haar")
    lam = 0.02
    x_rec = tk.solvers.fista(A, y, lam, W, n_iter=3000, adaptive_restart=True)
    Wd = W.to_dense(F64).numpy().real
    B = M @ Wd.T                                             # the operator on the coefficients
    for i in range(2):
        assert lasso_kkt_violation(B, y[i].numpy(), Wd @ flat(x_rec)[i], lam) < 1e-5


def test_fista_refuses_a_transform_that_is_not_an_isometry(problem):
    A, M, x, y = problem
    with pytest.raises(ValueError, match="isometry"):
        tk.solvers.fista(A, y, 0.02, 2.0 * Wavelet(N, "haar"))


def test_bpdn_matches_cvxpy(problem):
    A, M, x, y = problem
    eta = 0.05
    x_rec = tk.solvers.bpdn(A, y, eta, n_iter=20000)
    for i in range(2):
        c = cp.Variable(N * N)
        best = cp.Problem(cp.Minimize(cp.norm1(c)), [cp.norm(M @ c - y[i].numpy()) <= eta])
        best.solve(solver="CLARABEL")
        ours = flat(x_rec)[i]
        assert np.linalg.norm(M @ ours - y[i].numpy()) <= eta * (1 + 1e-3)
        assert np.abs(ours).sum() <= best.value * (1 + 1e-3)


def sqrt_lasso_optimum(M: np.ndarray, y: np.ndarray, lam: float) -> float:
    c = cp.Variable(M.shape[1])
    best = cp.Problem(cp.Minimize(lam * cp.norm1(c) + cp.norm(M @ c - y)))
    best.solve(solver="CLARABEL")
    return best.value


def sqrt_lasso_objective(M: np.ndarray, y: np.ndarray, c: np.ndarray, lam: float) -> float:
    return lam * np.abs(c).sum() + np.linalg.norm(M @ c - y)


@pytest.mark.parametrize("solver", ["sqrt_lasso", "firenet"])
def test_square_root_lasso_reaches_the_cvxpy_optimum(problem, solver):
    A, M, x, y = problem
    lam = 0.05
    if solver == "sqrt_lasso":
        x_rec = tk.solvers.sqrt_lasso(A, y, lam, n_iter=20000)
    else:
        x_rec = tk.solvers.firenet(A, y, lam, n_outer=40, n_inner=100)
    # FIRENET's schedule does not adapt to the problem: it gets close, then its steps freeze
    rtol = 1e-4 if solver == "sqrt_lasso" else 1e-3
    for i in range(2):
        best = sqrt_lasso_optimum(M, y[i].numpy(), lam)
        assert sqrt_lasso_objective(M, y[i].numpy(), flat(x_rec)[i], lam) <= best * (1 + rtol)


def test_tv_matches_cvxpy(problem):
    A, M, x, y = problem
    lam = 0.01
    x_rec = tk.solvers.tv(A, y, lam, n_iter=20000, real=True)   # no Fourier symbol: primal-dual
    D = Gradient(N).to_dense(F64).numpy().real
    for i in range(2):
        v = cp.Variable(N * N)
        best = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(M @ v - y[i].numpy()) + lam * cp.norm1(D @ v)))
        best.solve(solver="CLARABEL")
        ours = flat(x_rec)[i]
        value = 0.5 * np.linalg.norm(M @ ours - y[i].numpy()) ** 2 + lam * np.abs(D @ ours).sum()
        assert value <= best.value * (1 + 1e-4)
    with pytest.raises(ValueError, match="gram_symbol"):
        tk.solvers.tv(A, y, lam, method="admm")


# -- kernel tools ------------------------------------------------------------------------------

def test_project_is_the_orthogonal_projector_onto_the_kernel(problem):
    A, M, x, y = problem
    z = torch.randn(3, 1, N, N, dtype=F64, generator=torch.Generator().manual_seed(2))
    Pz = tk.kernel.project(A, z)
    assert float(A(Pz).norm()) < 1e-7 * float(A(z).norm())
    projector = np.eye(N * N) - np.linalg.pinv(M) @ M
    assert np.allclose(flat(Pz), flat(z) @ projector.T, atol=1e-7)
    assert torch.allclose(tk.kernel.project(A, Pz), Pz, atol=1e-7)    # idempotent


def test_ridge_component_is_the_dense_formula(problem):
    A, M, x, y = problem
    d = torch.randn(2, 1, N, N, dtype=F64, generator=torch.Generator().manual_seed(3))
    r = 0.1
    d_N = tk.kernel.component(A, d, ridge=r)
    visible = np.linalg.solve(M.T @ M + r * np.eye(N * N), M.T @ M @ flat(d).T).T
    assert np.allclose(flat(d_N), flat(d) - visible, atol=1e-7)


def test_approximate_kernel_is_spanned_by_the_small_singular_vectors(problem):
    A, M, x, y = problem
    approx = tk.kernel.approximate(A, 0.6)
    s = np.linalg.svd(M, compute_uv=False)
    expected = N * N - M_ROWS + int((s <= 0.6).sum())        # the kernel and the gains <= 0.6
    V = approx.basis.numpy()
    assert V.shape == (N * N, expected)
    assert np.allclose(V.T @ V, np.eye(expected), atol=1e-10)
    assert np.all(np.linalg.norm(M @ V, axis=0) <= 0.6 + 1e-10)


def test_kernel_size_and_feasible_sets_see_the_kernel(problem):
    A, M, x, y = problem
    z = tk.kernel.project(A, torch.randn(1, 1, N, N, dtype=F64, generator=torch.Generator().manual_seed(4)))
    X = torch.cat([x, x[:1] + z])                            # x_0 and x_0 + z give the same data
    sets = tk.kernel.feasible_sets(A, X, A(X), eta=0.0, rtol=1e-6)
    assert [s.tolist() for s in sets] == [[0, 2], [1], [0, 2]]
    sizes = tk.kernel.kernel_size(A, X, rtol=1e-6)
    assert math.isclose(sizes.worst, float(z.norm()), rel_tol=1e-9)
    assert set(sizes.worst_pair) == {0, 2}


# -- an attack -----------------------------------------------------------------------------------

def test_measurement_attack_on_the_pseudo_inverse_finds_the_smallest_gain(problem):
    A, M, x, y = problem
    eps = 0.1

    def recon(v):
        return tk.solvers.pinv(A, v, n_iter=100)

    # maximise ||A^+(y + e) - A^+ y|| = ||A^+ e||: A^+ is linear with norm 1 / (smallest gain),
    # so no perturbation of norm eps does more than eps / min(g), and the top one does exactly that
    x_rec = recon(y[:1])
    result = tk.attacks.measurement_attack(recon, y[:1], x_rec, eps, n_iter=100, optimizer="pgd", seed=0)
    growth = float((result.x_adv - x_rec).norm())
    assert float(result.e.norm()) <= eps * (1 + 1e-6)
    bound = eps / float(A.gain.min())
    assert bound * (1 - 1e-2) <= growth <= bound * (1 + 1e-6)
