"""The checks of Chapter 5 (tk_lessons.checks.kernel_sizes): right answers pass, and each
typical wrong answer is rejected with a message that names the case and never the reference."""

from __future__ import annotations

import math

import pytest
import torch

from tk_lessons import checks, kernel
from tk_lessons.checks import CheckError

torch.set_num_threads(1)


def kernel_size_of(A, X, eta):
    gap = torch.cdist(A(X), A(X))
    return float(torch.cdist(X, X)[gap <= 2 * eta + 1e-9].max())


def worst_case_error(recon, A, X):
    return float((recon(A(X)) - X).flatten(1).norm(dim=1).max())


def centre_of_three(P):
    a, b, c = P
    for u, v, w in ((a, b, c), (b, c, a), (c, a, b)):
        if float((u - w) @ (v - w)) <= 0:
            return (u + v) / 2
    # circumcentre: solve 2 (b - a) . o = |b|^2 - |a|^2, 2 (c - a) . o = |c|^2 - |a|^2
    M = 2 * torch.stack([b - a, c - a])
    rhs = torch.stack([b @ b - a @ a, c @ c - a @ a])
    return torch.linalg.solve(M, rhs)


def average_kernel_size(A, X, p):
    same = torch.cdist(A(X), A(X)) <= 1e-9
    D = torch.cdist(X, X) ** p
    per_image = [D[s][:, s].mean() for s in same]
    return float(torch.stack(per_image).mean() ** (1 / p))


@pytest.mark.parametrize("seed", [0, 3])
def test_right_answers_pass(seed, capsys):
    checks.kernel_size_function(kernel_size_of, seed=seed)
    checks.worst_case_error_function(worst_case_error, seed=seed)
    checks.chebyshev_three(centre_of_three, seed=seed)
    checks.average_kernel_size_function(average_kernel_size, seed=seed)
    assert capsys.readouterr().out.count("correct") == 4


def _class(seed):
    """The class the checks build (same recipe), to test that noise matters on it."""
    from tk_lessons.operators import MatrixOperator

    g = torch.Generator().manual_seed(1000 + seed)
    M = torch.randn(2, 4, generator=g, dtype=torch.float64)
    basis = torch.linalg.svd(M).Vh[2:]
    base = 3 * torch.randn(4, 4, generator=g, dtype=torch.float64)
    copies = [base + torch.randn(4, 2, generator=g, dtype=torch.float64) @ basis
              for _ in range(2)]
    return MatrixOperator(M), torch.cat([base] + copies)


@pytest.mark.parametrize("seed", [0, 11, 12])
def test_noise_class_has_pairs_that_only_noise_joins(seed):
    A, X = _class(seed)
    gaps = torch.cdist(A(X), A(X))
    eta = 0.6 * float(gaps[gaps > 1e-6].min())
    assert kernel.kernel_size(A, X, eta).worst > kernel.kernel_size(A, X).worst
    # the factor-2 slip is caught: with threshold eta no new pair joins
    assert kernel.kernel_size(A, X, eta / 2).worst == kernel.kernel_size(A, X).worst


@pytest.mark.parametrize("check, wrong, message", [
    # the factor-2 slip: pairs with ||A(x - x')|| <= eta
    (checks.kernel_size_function,
     lambda A, X, eta: kernel_size_of(A, X, eta / 2), "kernel size with noise"),
    # the diameter of the whole class, ignoring the data
    (checks.kernel_size_function,
     lambda A, X, eta: float(torch.cdist(X, X).max()), "without noise"),
    # the mean error instead of the worst
    (checks.worst_case_error_function,
     lambda recon, A, X: float((recon(A(X)) - X).norm(dim=1).mean()), "worst-case error"),
    # the centroid instead of the Chebyshev centre
    (checks.chebyshev_three, lambda P: P.mean(dim=0), "centre of an acute triangle"),
    # always the circumcentre: wrong for the obtuse triangle
    (checks.chebyshev_three,
     lambda P: centre_of_three(P) if float(((P[1] - P[0]) @ (P[2] - P[0]))) > 10 else
     torch.linalg.solve(2 * torch.stack([P[1] - P[0], P[2] - P[0]]),
                        torch.stack([P[1] @ P[1] - P[0] @ P[0], P[2] @ P[2] - P[0] @ P[0]])),
     "obtuse"),
    # pairs i != j only
    (checks.average_kernel_size_function,
     lambda A, X, p: average_kernel_size(A, X, p) * 1.1, "average kernel size for p = 1"),
    (checks.average_kernel_size_function, lambda A, X, p: ..., "no answer yet"),
])
def test_wrong_answers_are_rejected(check, wrong, message):
    with pytest.raises(CheckError, match=message) as info:
        check(wrong)
    assert "correct" not in str(info.value)


def test_messages_do_not_state_the_reference():
    A, X = _class(0)
    reference = kernel.kernel_size(A, X).worst
    with pytest.raises(CheckError) as info:
        checks.kernel_size_function(lambda A, X, eta: 0.0)
    assert f"{reference:.4g}" not in str(info.value) and "too small" in str(info.value)
    assert not math.isnan(reference)
