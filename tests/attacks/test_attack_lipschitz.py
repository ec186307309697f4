"""Lipschitz estimates against linear reconstructors, whose local Lipschitz constant is ||R|| everywhere."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tk_lessons import sampling
from tk_lessons.attacks import jacobian_norm, lipschitz_lower_bound, local_lipschitz
from tk_lessons.operators import GaussianMatrix, MatrixOperator, SubsampledFourier

pytestmark = pytest.mark.usefixtures("one_thread")   # tests/conftest.py


def gen(seed):
    return torch.Generator().manual_seed(seed)


def fourier_adjoint():
    """R = A^H for a subsampled Fourier A (complex data, complex images): ||R|| = 1."""
    A = SubsampledFourier(sampling.uniform((12, 12), 0.3, seed=0)).to(torch.float64)
    y = A(torch.rand(2, 1, 12, 12, generator=gen(1), dtype=torch.float64))
    return A.H, y, 1.0


def tikhonov_matrix():
    """R = (A^T A + lam I)^{-1} A^T as an explicit matrix, for a Gaussian A (12 x 20)."""
    M = GaussianMatrix(12, 20, seed=1).matrix.double()
    R = torch.linalg.solve(M.T @ M + 0.05 * torch.eye(20, dtype=torch.float64), M.T)
    y = torch.randn(3, 12, generator=gen(2), dtype=torch.float64)
    return MatrixOperator(R), y, float(np.linalg.norm(R.numpy(), 2))


def random_matrix():
    """A dense random 15 x 10 matrix: its top two singular values are close (0.93), a harder case."""
    M = torch.randn(15, 10, generator=gen(3), dtype=torch.float64)
    y = torch.randn(3, 10, generator=gen(4), dtype=torch.float64)
    return MatrixOperator(M), y, float(np.linalg.norm(M.numpy(), 2))


CASES = {"fourier_adjoint": fourier_adjoint, "tikhonov": tikhonov_matrix, "random": random_matrix}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("sphere", [True, False])
def test_lower_bound_approaches_the_norm_and_never_exceeds_it(case, sphere):
    R, y, norm_R = CASES[case]()
    res = lipschitz_lower_bound(R, y, 0.1, n_iter=100, seed=0, sphere=sphere)
    assert torch.all(res.ratio >= norm_R * (1 - 1e-3)), (res.ratio, norm_R)
    # every ratio ever evaluated is a lower bound (float64 rounding aside)
    assert float(res.history["ratio"].max()) <= norm_R * (1 + 1e-12)
    assert torch.all(res.norm_e <= 0.1 * (1 + 1e-12))
    if sphere:
        assert torch.allclose(res.norm_e, torch.full_like(res.norm_e, 0.1), rtol=1e-12)
    # the reported ratio is the one of the returned perturbation
    assert torch.allclose(res.ratio, local_lipschitz(R, y, res.e), rtol=1e-12)


def test_lower_bound_does_not_depend_on_y_or_eps_for_a_linear_map():
    R, y, norm_R = random_matrix()
    small = lipschitz_lower_bound(R, y, 1e-4, n_iter=100, seed=0).ratio
    large = lipschitz_lower_bound(R, 100 * y, 10.0, n_iter=100, seed=0).ratio
    assert torch.allclose(small, large, rtol=1e-6)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("method", ["func", "autograd"])
def test_jacobian_norm_equals_the_operator_norm(case, method):
    R, y, norm_R = CASES[case]()
    sigma = jacobian_norm(R, y, n_iter=400, tol=1e-13, method=method)
    assert sigma.shape == (y.shape[0],)
    assert torch.allclose(sigma, torch.full_like(sigma, norm_R), rtol=1e-6), (sigma, norm_R)
    assert float(sigma.max()) <= norm_R * (1 + 1e-12)


def test_jacobian_norm_of_a_nonlinear_map_matches_the_dense_jacobian():
    W = torch.randn(6, 5, generator=gen(5), dtype=torch.float64)
    recon = lambda y: torch.tanh(y @ W.T)                                     # noqa: E731
    y = torch.randn(2, 5, generator=gen(6), dtype=torch.float64)
    expected = [torch.linalg.matrix_norm(torch.autograd.functional.jacobian(recon, y[b:b + 1]).reshape(6, 5), 2)
                for b in range(2)]
    for method in ("func", "autograd"):
        sigma = jacobian_norm(recon, y, n_iter=300, tol=1e-13, method=method)
        assert torch.allclose(sigma, torch.stack(expected), rtol=1e-6)
    # the ratio of a small perturbation tends to the Jacobian norm from below
    bound = lipschitz_lower_bound(recon, y, 1e-6, n_iter=100, seed=0).ratio
    assert torch.allclose(bound, torch.stack(expected), rtol=1e-4)


def test_jacobian_norm_works_without_forward_mode():
    class NoForwardMode(torch.autograd.Function):
        """Doubling, with a backward only: torch.func.jvp cannot differentiate it forward."""

        @staticmethod
        def forward(ctx, t):
            return 2 * t

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    y = torch.randn(2, 4, dtype=torch.float64)
    with pytest.raises(RuntimeError):
        jacobian_norm(NoForwardMode.apply, y, method="func")
    assert torch.allclose(jacobian_norm(NoForwardMode.apply, y), torch.full((2,), 2.0, dtype=torch.float64))


def test_local_lipschitz_known_values():
    M = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))
    y = torch.zeros(2, 2, dtype=torch.float64)
    e = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    assert torch.equal(local_lipschitz(MatrixOperator(M), y, e), torch.tensor([3.0, 1.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="e must be nonzero"):
        local_lipschitz(MatrixOperator(M), y, torch.zeros_like(y))
