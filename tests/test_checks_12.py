"""tk_lessons.checks.ill_conditioned and tk_lessons.kernel.approximate_sizes (Chapter 12).

The references are computed here by dense linear algebra and brute force over pairs, independently
of the package: right answers pass, wrong ones (the usual mistakes) fail with a useful message.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from tk_lessons import checks, kernel
from tk_lessons.checks import CheckError
from tk_lessons.operators import Blur, MatrixOperator

F64 = torch.float64


@pytest.fixture
def dense():
    """A 6 x 8 matrix with known singular values (1 .. 1e-4), and a class of 7 vectors."""
    g = torch.Generator().manual_seed(0)
    U, _ = torch.linalg.qr(torch.randn(6, 6, generator=g, dtype=F64))
    V, _ = torch.linalg.qr(torch.randn(8, 8, generator=g, dtype=F64))
    s = torch.tensor([1.0, 0.5, 0.1, 0.03, 1e-3, 1e-4], dtype=F64)
    M = U @ torch.diag(s) @ V[:, :6].T
    X = torch.randn(4, 8, generator=g, dtype=F64)
    # two pairs whose difference is mostly along the small directions (and the kernel)
    X = torch.cat([X, X[:1] + 2.0 * V[:, 5] + 0.5 * V[:, 6], X[1:2] + 1.0 * V[:, 4]])
    X = torch.cat([X, X[2:3] + 0.3 * V[:, 0]])
    return MatrixOperator(M), M, X, s, V


def brute(M, X, tau):
    best = 0.0
    for i, j in itertools.combinations(range(len(X)), 2):
        d = X[i] - X[j]
        if torch.linalg.norm(M @ d) <= tau * torch.linalg.norm(d) + 1e-12:
            best = max(best, float(torch.linalg.norm(d)))
    return best


@pytest.mark.parametrize("tau", [0.0, 1e-3, 0.05, 0.3, 1.0])
def test_level_kernel_size_against_brute_force(dense, tau):
    A, M, X, _, _ = dense
    out = kernel.level_kernel_size(A, X, tau)
    assert out.value == pytest.approx(brute(M, X, tau), rel=1e-9, abs=1e-12)
    if out.pair is not None:
        i, j = out.pair
        d = X[i] - X[j]
        assert float(torch.linalg.norm(d)) == pytest.approx(out.value)
        assert out.data_distance <= tau * out.value * (1 + 1e-9)


def test_level_kernel_size_grows_with_tau_and_rejects_bad_input(dense):
    A, _, X, _, _ = dense
    values = [kernel.level_kernel_size(A, X, t).value for t in (0.0, 1e-3, 1e-2, 0.1, 1.0)]
    assert values == sorted(values) and values[-1] > values[0]
    with pytest.raises(ValueError, match="tau"):
        kernel.level_kernel_size(A, X, -1.0)
    with pytest.raises(ValueError, match="at least two"):
        kernel.level_kernel_size(A, X[:1], 0.1)


@pytest.mark.parametrize("L", [0.0, 1.0, 30.0, 1e4])
def test_tradeoff_bound_and_lipschitz_against_brute_force(dense, L):
    A, M, X, _, _ = dense
    pairs = [(float(torch.linalg.norm(X[i] - X[j])), float(torch.linalg.norm(M @ (X[i] - X[j]))))
             for i, j in itertools.combinations(range(len(X)), 2)]
    floor = max(0.0, max(0.5 * (d - L * e) for d, e in pairs))
    assert kernel.tradeoff_bound(A, X, L) == pytest.approx(floor, rel=1e-9, abs=1e-12)
    delta = 0.1
    expected = max(0.0, max((d - 2 * delta) / e for d, e in pairs))
    assert kernel.tradeoff_lipschitz(A, X, delta) == pytest.approx(expected, rel=1e-9)


def test_tradeoff_holds_for_dense_tikhonov_and_fails_without_the_half(dense):
    A, M, X, s, _ = dense
    without_half = []
    for lam in (1e-8, 1e-6, 1e-4, 1e-2, 1.0):
        R = torch.linalg.solve(M.T @ M + lam * torch.eye(8, dtype=F64), M.T)
        L_exact = float(torch.linalg.matrix_norm(R, ord=2))
        assert float(kernel.tikhonov_gains(s, lam).max()) == pytest.approx(L_exact, rel=1e-8)
        delta = float(torch.linalg.norm(X @ M.T @ R.T - X, dim=1).max())
        assert delta >= kernel.tradeoff_bound(A, X, L_exact) - 1e-12
        without_half.append(delta >= 2 * kernel.tradeoff_bound(A, X, L_exact) - 1e-12)
    assert not all(without_half)          # the claim without the factor 1/2 is refuted


def test_span_fraction_against_dense_svd(dense):
    A, M, _, s, V = dense
    approx = kernel.approximate(A, 0.05)
    # V_0.05 = span of the singular vectors with sigma <= 0.05 and the kernel (columns 3..7 of V)
    basis = V[:, 3:]
    g = torch.Generator().manual_seed(3)
    v = torch.randn(5, 8, generator=g, dtype=F64)
    expected = torch.linalg.norm(v @ basis, dim=1) / torch.linalg.norm(v, dim=1)
    assert torch.allclose(kernel.span_fraction(approx, v), expected, atol=1e-10)
    with pytest.raises(ValueError, match="nonzero"):
        kernel.span_fraction(approx, torch.zeros(1, 8, dtype=F64))
    with pytest.raises(TypeError, match="ApproximateKernel"):
        kernel.span_fraction(basis, v)


def test_tikhonov_gains_of_a_blur_match_its_dense_matrix():
    B = Blur(8, sigma=1.0)
    dense = B(torch.eye(64, dtype=F64).reshape(64, 1, 8, 8)).reshape(64, 64).T
    s = torch.linalg.svdvals(dense)
    for lam in (1e-6, 1e-2):
        R = torch.linalg.solve(dense.T @ dense + lam * torch.eye(64, dtype=F64), dense.T)
        assert float(kernel.tikhonov_gains(s, lam).max()) == pytest.approx(
            float(torch.linalg.matrix_norm(R, ord=2)), rel=1e-6)
    with pytest.raises(ValueError, match=">= 0"):
        kernel.tikhonov_gains(torch.tensor([-1.0]), 0.1)


# ------------------------------------------------------------------------------------------
# the checks
# ------------------------------------------------------------------------------------------
def test_level_kernel_size_check(dense, capsys):
    A, M, X, _, _ = dense
    checks.level_kernel_size_value(brute(M, X, 0.05), A, X, 0.05)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="too large") as err:     # every pair counted
        checks.level_kernel_size_value(brute(M, X, 10.0), A, X, 0.05)
    assert f"{brute(M, X, 0.05):.4f}" not in str(err.value)       # no reference printed


def test_tikhonov_lipschitz_check(dense, capsys):
    _, _, _, s, _ = dense
    lam = 1e-3
    checks.tikhonov_lipschitz(float((s / (s**2 + lam)).max()), s, lam)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="1 / sigma_min"):
        checks.tikhonov_lipschitz(float(1 / s.min()), s, lam)


def test_approximate_share_check(dense, capsys):
    A, _, _, _, V = dense
    v = (V[:, 0] + V[:, 5])[None]
    checks.approximate_share(2 ** -0.5, A, v, 0.05)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="squared"):
        checks.approximate_share(0.5, A, v, 0.05)                  # the squared share
    with pytest.raises(CheckError, match="one number per sample"):
        checks.approximate_share([0.5, 0.5], A, v, 0.05)


def test_tradeoff_floor_check(dense, capsys):
    A, _, X, _, _ = dense
    floor = kernel.tradeoff_bound(A, X, 3.0)
    checks.tradeoff_floor(floor, A, X, 3.0)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="Half of the largest"):
        checks.tradeoff_floor(2 * floor, A, X, 3.0)                 # without the factor 1/2
