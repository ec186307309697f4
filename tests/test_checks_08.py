"""tk_lessons.checks.tradeoff and tk_lessons.kernel.cliff (Chapter 8).

The references are computed here by brute force over pairs and dense linear algebra,
independently of the package: right answers pass, wrong ones (the usual mistakes) fail with a
useful message, and bad input is refused with a message naming the parameter.
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from tk_lessons import checks, kernel
from tk_lessons.checks import CheckError
from tk_lessons.operators import MatrixOperator

F64 = torch.float64


@pytest.fixture
def dense():
    """A 4 x 6 matrix and a class of 6 vectors with two near-kernel pairs."""
    g = torch.Generator().manual_seed(0)
    M = torch.randn(4, 6, generator=g, dtype=F64)
    _, _, Vh = torch.linalg.svd(M)
    X = torch.randn(3, 6, generator=g, dtype=F64)
    X = torch.cat([X, X[:1] + 2.0 * Vh[-1] + 0.05 * Vh[0], X[1:2] + 1.0 * Vh[-2] + 0.02 * Vh[1]])
    X = torch.cat([X, X[2:3] + 0.4 * Vh[0]])
    return MatrixOperator(M), M, X


def brute(M, X, L=0.0, eta=None, radii=None):
    """kersize_eta (L None) or the noisy trade-off bound, over all ordered pairs."""
    best = 0.0
    for i, j in itertools.product(range(len(X)), repeat=2):
        D = float(torch.linalg.norm(X[i] - X[j]))
        E = float(torch.linalg.norm(M @ (X[i] - X[j])))
        if eta is not None and E > eta:
            continue
        r = 0.0 if radii is None else float(radii[i] + radii[j])
        gap = max(0.0, E - r)
        if math.isinf(L):
            value = D if gap <= 1e-12 else 0.0
        else:
            value = D - L * gap
        best = max(best, value)
    return best


@pytest.mark.parametrize("eta", [0.0, 0.05, 0.2, 1.0, 10.0])
def test_near_kernel_size_against_brute_force(dense, eta):
    A, M, X = dense
    expected = max(float(torch.linalg.norm(X[i] - X[j])) for i, j in itertools.product(range(len(X)), repeat=2)
                   if float(torch.linalg.norm(M @ (X[i] - X[j]))) <= eta)
    assert kernel.near_kernel_size(A, X, eta) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("L", [0.0, 0.5, 3.0, 40.0, math.inf])
@pytest.mark.parametrize("noise", [0.0, 0.01, "per-image"])
def test_noisy_tradeoff_bound_against_brute_force(dense, L, noise):
    A, M, X = dense
    radii = torch.linspace(0.0, 0.05, len(X), dtype=F64) if noise == "per-image" else torch.full((len(X),), noise)
    arg = radii if noise == "per-image" else noise
    got = kernel.noisy_tradeoff_bound(A, X, L, eps=arg)
    assert got == pytest.approx(brute(M, X, L, radii=radii) / 2, rel=1e-9, abs=1e-12)
    if noise == 0.0 and not math.isinf(L):
        assert got == pytest.approx(kernel.tradeoff_bound(A, X, L), abs=1e-12)


def test_noisy_tradeoff_bound_local_and_monotone(dense):
    A, M, X = dense
    for L in (0.5, 5.0):
        assert kernel.noisy_tradeoff_bound(A, X, L, eta=0.2) == pytest.approx(brute(M, X, L, eta=0.2) / 2)
    values = [kernel.noisy_tradeoff_bound(A, X, L) for L in (0.0, 1.0, 10.0, 100.0)]
    assert values == sorted(values, reverse=True)
    noisy = [kernel.noisy_tradeoff_bound(A, X, 5.0, eps=r) for r in (0.0, 0.01, 0.1)]
    assert noisy == sorted(noisy)                 # noise only makes it worse


def test_bad_input_is_refused(dense):
    A, _, X = dense
    with pytest.raises(ValueError, match="eta"):
        kernel.near_kernel_size(A, X, -1.0)
    with pytest.raises(ValueError, match="L must be >= 0"):
        kernel.noisy_tradeoff_bound(A, X, -1.0)
    with pytest.raises(ValueError, match="one radius per image"):
        kernel.noisy_tradeoff_bound(A, X, 1.0, eps=torch.ones(3))
    with pytest.raises(ValueError, match="same data"):
        kernel.cliff_interpolant(MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=F64)),
                                 torch.zeros(2, dtype=F64), torch.tensor([0.0, 1.0], dtype=F64), 0.1)
    with pytest.raises(ValueError, match="distance"):
        kernel.cliff_error(0.0, 1.0, 1.0)


@pytest.mark.parametrize("frac", [0.0, 0.1, 0.3, 0.49])
def test_cliff_interpolant_on_the_boundary(dense, frac):
    A, M, X = dense
    x0, x1 = X[0], X[3]
    d = float(torch.linalg.norm(x1 - x0))
    eta = float(torch.linalg.norm(M @ (x1 - x0)))
    Psi = kernel.cliff_interpolant(A, x0, x1, frac * d)
    out = Psi(torch.stack([M @ x0, M @ x1]))
    assert torch.linalg.norm(out[0] - x0).item() == pytest.approx(frac * d, abs=1e-10)
    assert torch.linalg.norm(out[1] - x1).item() == pytest.approx(frac * d, abs=1e-10)
    J = torch.autograd.functional.jacobian(lambda y: Psi(y[None])[0], M @ x0)
    assert torch.linalg.matrix_norm(J, ord=2).item() == pytest.approx((d - 2 * frac * d) / eta, rel=1e-9)
    assert Psi.lipschitz == pytest.approx((d - 2 * frac * d) / eta)
    assert frac * d == pytest.approx(kernel.cliff_error(d, eta, Psi.lipschitz), abs=1e-9)


def test_cliff_midpoint_beyond_half(dense):
    A, M, X = dense
    Psi = kernel.cliff_interpolant(A, X[0], X[3], 10.0)
    out = Psi(torch.stack([M @ X[0], M @ X[3], torch.zeros(4, dtype=F64)]))
    assert torch.allclose(out, ((X[0] + X[3]) / 2).expand(3, -1))
    assert Psi.lipschitz == 0.0


# ------------------------------------------------------------------------------------------
# the checks
# ------------------------------------------------------------------------------------------
def test_cliff_interpolant_check(dense):
    A, M, X = dense
    x0, x1 = X[:1], X[3:4]
    d = float(torch.linalg.norm(x1 - x0))
    checks.cliff_interpolant_function(kernel.cliff_interpolant(A, x0, x1, 0.2 * d), A, x0, x1, 0.2 * d)
    # the delta = 0 interpolant has the wrong error
    with pytest.raises(CheckError, match="error at x0"):
        checks.cliff_interpolant_function(kernel.cliff_interpolant(A, x0, x1, 0.0), A, x0, x1, 0.2 * d)
    # right errors, but a component along another data direction: too large a constant
    right = kernel.cliff_interpolant(A, x0, x1, 0.2 * d)
    y0 = M @ x0[0]
    other = torch.linalg.svd(M).U[:, -1]
    other = other - (other @ (M @ (x1 - x0)[0])) * (M @ (x1 - x0)[0]) / float(torch.linalg.norm(M @ (x1 - x0)[0]))**2

    def leaky(y):
        return right(y) + 5.0 * ((y - y0) @ other)[:, None] * (x1 - x0)
    with pytest.raises(CheckError, match="Lipschitz constant"):
        checks.cliff_interpolant_function(leaky, A, x0, x1, 0.2 * d)
    with pytest.raises(CheckError, match="delta must be in"):
        checks.cliff_interpolant_function(right, A, x0, x1, d)
    with pytest.raises(CheckError, match="function"):
        checks.cliff_interpolant_function(3.0, A, x0, x1, 0.1)


def test_near_kernel_size_and_curve_checks(dense):
    A, M, X = dense
    expected = max(float(torch.linalg.norm(X[i] - X[j])) for i, j in itertools.combinations(range(len(X)), 2)
                   if float(torch.linalg.norm(M @ (X[i] - X[j]))) <= 0.2)
    checks.near_kernel_size_value(expected, A, X, 0.2)
    with pytest.raises(CheckError, match="too large"):
        checks.near_kernel_size_value(kernel.near_kernel_size(A, X, 100.0) + 1.0, A, X, 0.2)
    Ls = [0.0, 1.0, 5.0]
    right = [brute(M, X, L) / 2 for L in Ls]
    checks.tradeoff_curve_values(right, A, X, Ls)
    with pytest.raises(CheckError, match="entries are wrong"):
        checks.tradeoff_curve_values([2 * v for v in right], A, X, Ls)       # forgot the 1/2
    with pytest.raises(CheckError, match="expected shape"):
        checks.tradeoff_curve_values(right[:2], A, X, Ls)


def test_cliff_placement_check(dense):
    A, M, X = dense
    x0, x1 = X[:1], X[3:4]
    d = float(torch.linalg.norm(x1 - x0))
    eta = float(torch.linalg.norm(M @ (x1 - x0)[0]))

    def shrink(y):                                   # a linear map, 0.5 times the pseudo-inverse
        return 0.5 * y @ torch.linalg.pinv(M).T
    out = shrink(torch.stack([M @ x0[0], M @ x1[0]]))
    delta = max(float(torch.linalg.norm(out[0] - x0[0])), float(torch.linalg.norm(out[1] - x1[0])))
    ratio = float(torch.linalg.norm(out[1] - out[0])) / eta
    needed = max(0.0, (d - 2 * delta) / eta)
    checks.cliff_placement(delta, needed, ratio, shrink, A, x0, x1)
    with pytest.raises(CheckError, match="least Lipschitz"):
        checks.cliff_placement(delta, (d - 2 * delta) / eta - 1.0, ratio, shrink, A, x0, x1)
    with pytest.raises(CheckError, match="ratio"):
        checks.cliff_placement(delta, needed, ratio * d, shrink, A, x0, x1)   # divided by d, not eta
    with pytest.raises(CheckError, match="worst-case error"):
        checks.cliff_placement(delta / 2, needed, ratio, shrink, A, x0, x1)
