"""Pseudo-inverse and Tikhonov against dense NumPy references (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tk_lessons import sampling
from tk_lessons.operators import Blur, MatrixOperator, SubsampledFourier
from tk_lessons.solvers import pinv, tikhonov


def rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def dense_problem(m: int, n: int, complex_: bool, seed: int = 0, batch: int = 2):
    """A random matrix (m, n), its operator, and a batch of measurements (not in the range)."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((m, n))
    Y = rng.standard_normal((batch, m))
    if complex_:
        M = M + 1j * rng.standard_normal((m, n))
        Y = Y + 1j * rng.standard_normal((batch, m))
    return M, MatrixOperator(torch.from_numpy(M)), Y, torch.from_numpy(Y)


SHAPES = [(30, 60), (60, 30)]          # under- and overdetermined


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("m,n", SHAPES)
def test_pinv_matches_numpy(m, n, complex_):
    M, A, Y, y = dense_problem(m, n, complex_)
    x = pinv(A, y, n_iter=300).numpy()
    assert x.dtype == (np.complex128 if complex_ else np.float64)
    expected = Y @ np.linalg.pinv(M).T                       # each row: pinv(M) @ y
    assert rel(x, expected) < 1e-6
    for i in range(Y.shape[0]):                             # lstsq returns the minimum-norm solution
        assert rel(x[i], np.linalg.lstsq(M, Y[i], rcond=None)[0]) < 1e-6


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("m,n", SHAPES)
def test_tikhonov_matches_numpy(m, n, complex_):
    M, A, Y, y = dense_problem(m, n, complex_, seed=1)
    lam = 0.3
    x = tikhonov(A, y, lam, n_iter=300).numpy()
    normal = M.conj().T @ M + lam * np.eye(n)
    expected = np.linalg.solve(normal, M.conj().T @ Y.T).T
    assert rel(x, expected) < 1e-6


def test_underdetermined_pinv_is_minimum_norm():
    # pinv must pick the solution orthogonal to the kernel, not just any solution of A x = y
    M, A, Y, y = dense_problem(20, 50, False, seed=2)
    x = pinv(A, y, n_iter=300).numpy()
    assert np.abs(x @ M.T - Y).max() < 1e-8                  # consistent: A x = y
    _, _, Vh = np.linalg.svd(M)
    kernel = Vh[20:]                                         # rows spanning ker(M)
    assert np.abs(x @ kernel.T).max() < 1e-8


def test_cgls_residual_and_tikhonov_objective_decrease():
    M, A, Y, y = dense_problem(60, 30, True, seed=3)
    _, info = pinv(A, y, n_iter=40, tol=0.0, return_info=True)
    r = np.array(info.residual)
    assert info.n_iter == len(r) >= 20
    # CG on the normal equations minimises ||Ax - y|| over growing Krylov spaces
    assert np.all(np.diff(r) <= 1e-12 * r[0])
    assert r[-1] < r[0]
    _, info = tikhonov(A, y, 0.5, n_iter=40, tol=0.0, return_info=True)
    f = np.array(info.objective)
    # CG minimises the quadratic (here the Tikhonov objective) over growing Krylov spaces
    assert np.all(np.diff(f) <= 1e-12 * f[0])


# -- closed forms -------------------------------------------------------------------------

def fourier_operator(n: int = 8) -> SubsampledFourier:
    return SubsampledFourier(sampling.variable_density((n, n), 0.4, seed=1))


@pytest.mark.parametrize("operator", ["fourier", "blur"])
def test_tikhonov_closed_forms(operator):
    A = fourier_operator() if operator == "fourier" else Blur(8, sigma=1.2)
    gen = torch.Generator().manual_seed(0)
    x_true = torch.rand(2, 1, 8, 8, generator=gen, dtype=torch.float64)
    y = A(x_true) + 0.01 * torch.randn(A(x_true).shape, generator=gen, dtype=A(x_true).dtype)
    lam = 0.05
    closed = tikhonov(A, y, lam, method="closed")
    iterative = tikhonov(A, y, lam, method="cg", n_iter=500)
    assert closed.dtype == iterative.dtype
    # dense reference: (M^H M + lam I) x = M^H y
    M = A.to_dense(torch.complex128 if operator == "fourier" else torch.float64).numpy()
    Y = y.reshape(2, -1).numpy()
    expected = np.linalg.solve(M.conj().T @ M + lam * np.eye(64), M.conj().T @ Y.T).T
    assert rel(closed.reshape(2, -1).numpy(), expected) < 1e-10
    assert rel(iterative.reshape(2, -1).numpy(), expected) < 1e-6
    assert torch.equal(tikhonov(A, y, lam), closed)                 # auto picks the closed form


def test_fourier_pinv_is_the_adjoint():
    A = fourier_operator()
    y = A(torch.rand(1, 1, 8, 8, dtype=torch.float64))
    x, info = pinv(A, y, return_info=True)
    assert torch.equal(x, A.H(y)) and info.n_iter == 0 and len(info.objective) == 1
    expected = np.linalg.pinv(A.to_dense(torch.complex128).numpy()) @ y[0].numpy()
    assert rel(x.reshape(-1).numpy(), expected) < 1e-10


def test_tikhonov_lam_zero_is_pinv():
    M, A, Y, y = dense_problem(20, 40, False, seed=6)
    assert torch.allclose(tikhonov(A, y, 0.0, n_iter=300), pinv(A, y, n_iter=300))


def test_tikhonov_is_differentiable():
    M, A, Y, y = dense_problem(6, 4, False, seed=7, batch=1)
    y = y.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: tikhonov(A, v, 0.2, n_iter=20, tol=0.0), (y,))


# -- bad input ----------------------------------------------------------------------------

def test_bad_input():
    M, A, Y, y = dense_problem(6, 4, False)
    with pytest.raises(ValueError, match="lam"):
        tikhonov(A, y, -1.0)
    with pytest.raises(ValueError, match="n_iter"):
        pinv(A, y, n_iter=0)
    with pytest.raises(ValueError, match="y must have shape"):
        pinv(A, y[:, :5])
    with pytest.raises(TypeError, match="A must be"):
        pinv(M, y)
    with pytest.raises(ValueError, match="method"):
        tikhonov(A, y, 0.1, method="direct")
    with pytest.raises(ValueError, match="closed"):
        tikhonov(A, y, 0.1, method="closed")                # a dense matrix has no closed form here
    with pytest.raises(ValueError, match="tol"):
        pinv(A, y, tol=-1e-3)
