"""The checks of Chapter 11 (tk_lessons.checks.optimal_training): right answers pass, and each
typical wrong answer is rejected with a message that names the case and never the reference."""

from __future__ import annotations

import itertools

import pytest
import torch

from tk_lessons import checks
from tk_lessons.checks import CheckError

torch.set_num_threads(1)


def forced_error(A, X, train):
    same = torch.cdist(A(X), A(X)) < 1e-9
    return max(float(torch.cdist(X[j:j + 1], X[same[j]]).max()) for j in train)


def forced_error_loops(A, X, train):
    """Independent reference by loops over fibres, without cdist."""
    data = A(X)
    worst = 0.0
    for j in train:
        for i in range(len(X)):
            if (data[i] - data[j]).norm() < 1e-9:
                worst = max(worst, float((X[i] - X[j]).norm()))
    return worst


def best_and_worst(A, X):
    """Brute force over every training set (4^5 of them)."""
    data = A(X)
    groups: list[list[int]] = []
    for i in range(len(X)):
        for g in groups:
            if (data[i] - data[g[0]]).norm() < 1e-9:
                g.append(i)
                break
        else:
            groups.append([i])
    values = [forced_error_loops(A, X, list(t)) for t in itertools.product(*groups)]
    return min(values), max(values)


def jump_worst_case(recon, t):
    height = torch.where(t <= 0, 1.0, -1.0).to(torch.float64)
    return float((recon(t) - torch.cat([t, height], dim=1)).norm(dim=1).max())


def jump_bound(recon, t):
    out = recon(torch.tensor([[0.0], [t]], dtype=torch.float64))
    return 1 - float((out[1] - out[0]).norm()) / 2


@pytest.mark.parametrize("seed", [0, 7])
def test_right_answers_pass(seed, capsys):
    checks.forced_error_function(forced_error, seed=seed)
    checks.forced_error_function(forced_error_loops, seed=seed)
    checks.training_set_range(best_and_worst, seed=seed)
    checks.jump_worst_case_function(jump_worst_case)
    checks.jump_bound_function(jump_bound)
    assert capsys.readouterr().out.count("correct") == 5


@pytest.mark.parametrize("wrong, match", [
    (lambda A, X, train: forced_error(A, X, train) / 2, "too small"),
    (lambda A, X, train: float(torch.cdist(X, X).max()), "too large"),     # ignores data
    (lambda A, X, train: forced_error(A, X, train[:1]), "too small"),     # one fibre only
])
def test_wrong_forced_errors_rejected(wrong, match):
    with pytest.raises(CheckError, match=match) as info:
        checks.forced_error_function(wrong)
    assert "e_T of training set" in str(info.value)


def test_wrong_ranges_rejected():
    def min_of_radii(A, X):            # the optimum over all maps, not over interpolants
        low, high = best_and_worst(A, X)
        return low / 2, high
    with pytest.raises(CheckError, match="smallest e_T"):
        checks.training_set_range(min_of_radii)
    with pytest.raises(CheckError, match="largest e_T"):
        checks.training_set_range(lambda A, X: (best_and_worst(A, X)[0], 0.0))
    with pytest.raises(CheckError, match="pair"):
        checks.training_set_range(lambda A, X: 1.0)


def test_wrong_jump_answers_rejected():
    def wrong_side(recon, t):          # (t, 1) also at t = 0+: the jump on the wrong side
        height = torch.where(t < 1e-3, 1.0, -1.0).to(torch.float64)
        return float((recon(t) - torch.cat([t, height], dim=1)).norm(dim=1).max())
    with pytest.raises(CheckError, match="worst case of"):
        checks.jump_worst_case_function(wrong_side)
    with pytest.raises(CheckError, match="bound for"):
        checks.jump_bound_function(lambda recon, t: 1.0)     # the uncorrected bound
    with pytest.raises(CheckError, match="bound for"):
        checks.jump_bound_function(lambda recon, t: 1 - jump_bound(recon, t))
