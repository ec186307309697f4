"""Conjugate gradients and conjugate residuals (``solvers.cg``) against dense NumPy solutions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tk_lessons import kernel
from tk_lessons.operators import GaussianMatrix, MatrixOperator
from tk_lessons.solvers import KrylovState, cg


def rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def spd(n: int, seed: int, complex_: bool = False) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if complex_ else 0)
    return torch.from_numpy(G @ G.conj().T + 0.1 * np.eye(n))


@pytest.mark.parametrize("method", ["cg", "cr"])
def test_batched_per_item_convergence(method):
    S = spd(12, 4)
    b = torch.from_numpy(np.random.default_rng(4).standard_normal((3, 12)))
    b[1] = 0.0                                               # an item that is solved at once
    b[2] = b[2] * 1e6                                        # tolerance is relative per item
    calls = []
    x, info = cg(lambda v: v @ S.T, b, n_iter=100, tol=1e-12, method=method,
                 callback=lambda v: calls.append(1), return_info=True)
    expected = np.linalg.solve(S.numpy(), b.numpy().T).T
    assert rel(x[0], expected[0]) < 1e-8 and rel(x[2], expected[2]) < 1e-8
    assert torch.all(x[1] == 0)
    assert len(calls) == info.n_iter < 100               # stopped early once every item converged
    assert info.extra["converged"] == [1.0, 1.0, 1.0]
    r = (b - x @ S.T).norm(dim=1)                            # the residual fell from ||b|| to 1e-12 ||b||
    assert float(r[0]) < 1e-10 * float(b[0].norm())


@pytest.mark.parametrize("method", ["cg", "cr"])
def test_complex_hermitian_systems_in_float64(method):
    S = spd(10, 1, complex_=True)
    b = torch.from_numpy(np.random.default_rng(1).standard_normal((2, 10)) + 0j)
    x = cg(lambda v: v @ S.T, b, n_iter=200, tol=1e-13, method=method)
    assert x.dtype == torch.complex128
    assert rel(x, np.linalg.solve(S.numpy(), b.numpy().T).T) < 1e-9


def test_warm_start():
    S = spd(8, 5)
    b = torch.from_numpy(np.random.default_rng(5).standard_normal((1, 8)))
    x_star = torch.linalg.solve(S, b.T).T
    x = cg(lambda v: v @ S.T, b, x_init=x_star + 1e-3, n_iter=50)
    assert rel(x, x_star) < 1e-8


def test_conjugate_residuals_never_increase_the_residual():
    S = spd(40, 2) ** 2                                      # elementwise square: still symmetric, ill-conditioned
    S = S @ S.T
    b = torch.from_numpy(np.random.default_rng(2).standard_normal((1, 40)))
    _, info = cg(lambda v: v @ S.T, b, n_iter=30, tol=0.0, method="cr", return_info=True)
    assert np.all(np.diff(info.residual) <= 1e-12 * info.residual[0])
    assert info.extra["converged"] == [0.0]                  # tol = 0 is never met


def test_singular_consistent_system_gives_the_minimum_norm_solution():
    M = torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64)
    G = M.T @ M                                              # rank 1
    b = torch.tensor([[2.0, 2.0, 0.0]], dtype=torch.float64)  # in the range of G
    x = cg(lambda v: v @ G.T, b, n_iter=10)
    assert torch.allclose(x, torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64))


def test_carried_image_and_stop_rule_give_the_kernel_projection():
    """The kernel projection's iteration: conjugate residuals on A A^* w = A v, carrying A^* w."""
    A = GaussianMatrix(20, 64, seed=0, domain_shape=(1, 8, 8))
    v = torch.randn(3, *A.domain_shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    tol = 1e-8
    seen = []

    def stop(state: KrylovState) -> torch.Tensor:
        seen.append(state.iteration)
        s = v - state.x_image                                # carried along: A^* w
        scale = torch.maximum(state.b_norm, A.norm() * s.flatten(1).norm(dim=1))
        return state.rr.sqrt() <= tol * scale

    def apply(w):
        Ah = A.adjoint(w)
        return A(Ah), Ah

    (w, Ah_w), info = cg(apply, A(v), n_iter=2000, method="cr", image=True, stop=stop, return_info=True)
    assert torch.allclose(Ah_w, A.adjoint(w), atol=1e-10)    # the carried image is A^* of the solution
    P = v - Ah_w
    assert float(A(P).norm()) < 1e-6 * float(A(v).norm())
    assert seen == list(range(info.n_iter + 1))
    M = A.to_dense().numpy()
    dense = v.flatten(1).numpy() @ (np.eye(64) - np.linalg.pinv(M) @ M).T     # I - A^+ A
    assert rel(P.flatten(1), dense) < 1e-7
    assert torch.allclose(P, kernel.project(A, v), atol=1e-7)


def test_image_needs_pairs_and_is_returned_even_without_steps():
    G = GaussianMatrix(4, 6, seed=0)
    b = torch.zeros(1, 4, dtype=torch.float64)
    x, image = cg(lambda w: (G(G.H(w)), G.H(w)), b, image=True)      # b = 0: no step at all
    assert torch.equal(x, b) and image.shape == (1, 6) and not image.any()
    with pytest.raises(TypeError, match="pair"):
        cg(lambda w: G(G.H(w)), torch.ones(1, 4, dtype=torch.float64), image=True)


def test_bad_input():
    A = MatrixOperator(torch.eye(3))
    with pytest.raises(ValueError, match="x_init"):
        cg(lambda v: v, torch.ones(2, 3), x_init=torch.ones(2, 4))
    with pytest.raises(TypeError, match="apply"):
        cg(torch.eye(3), torch.ones(1, 3))
    with pytest.raises(ValueError, match="method"):
        cg(A, torch.ones(1, 3), method="gmres")
    with pytest.raises(ValueError, match="n_iter"):
        cg(A, torch.ones(1, 3), n_iter=0)
    with pytest.raises(TypeError, match="image"):
        cg(A, torch.ones(1, 3), image="yes")
