"""The checks of Chapter 14 (tk_lessons.checks.accuracy_bounds): right answers pass, wrong ones
fail with a message that says what is wrong and does not print the reference."""

from __future__ import annotations

import pytest
import torch

import tk_lessons as tk
from tk_lessons.checks import CheckError
from tk_lessons.operators import MatrixOperator


def _problem():
    A = MatrixOperator(torch.tensor([[1.0, 0.0, 0.0]]))
    X = torch.tensor([[0.0, 0.0, 1.0], [0.0, 2.0, -1.0], [0.0, 1.0, 0.5], [5.0, 9.0, 9.0]])
    return A, X, torch.tensor([[0.0]])


def test_pixel_range_values(capsys):
    A, X, y = _problem()
    tk.checks.pixel_range_values(A, X, y, 0.0, torch.tensor([[0.0, 0.0, -1.0]]),
                                 torch.tensor([[0.0, 2.0, 1.0]]))
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="high: 3 of 3 entries are wrong"):   # all of X
        tk.checks.pixel_range_values(A, X, y, 0.0, torch.tensor([[0.0, 0.0, -1.0]]),
                                     X.amax(0, keepdim=True))
    with pytest.raises(CheckError, match="low: expected shape"):
        tk.checks.pixel_range_values(A, X, y, 0.0, torch.zeros(3), torch.zeros(1, 3))


def _good(x_rec, low, high):
    return (high - low) + (low - x_rec).clamp(min=0) + (x_rec - high).clamp(min=0)


def test_score_function(capsys):
    tk.checks.score_function(_good)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="score inside the range"):
        tk.checks.score_function(lambda x_rec, low, high: _good(x_rec, low, high) + 0.1)
    with pytest.raises(CheckError, match="Outside the range add"):
        tk.checks.score_function(lambda x_rec, low, high: high - low)
    with pytest.raises(CheckError, match="score inside the range"):      # signed distance
        tk.checks.score_function(lambda x_rec, low, high: (high - low) + (low - x_rec)
                                 + (x_rec - high).clamp(min=0))


def test_detection_at(capsys):
    s = torch.tensor([0.9, 0.2, 0.6, 0.0, 0.7])
    m = torch.tensor([True, True, False, False, False])
    tk.checks.detection_at(s, m, 0.5, 0.5, 2 / 3)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="hit: got 0.4, which is too small") as err:
        tk.checks.detection_at(s, m, 0.5, 0.4, 2 / 3)                # divided by all pixels
    assert "0.5" not in str(err.value)
    with pytest.raises(CheckError, match="false_alarm: got 0.4, which is too small"):
        tk.checks.detection_at(s, m, 0.5, 0.5, 0.4)
    with pytest.raises(CheckError, match="a share of pixels"):
        tk.checks.detection_at(s, m, 0.5, 50, 2 / 3)


def _toy(n=300, N=5, m=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, N, generator=g, dtype=torch.float64)
    X[:, :m] = torch.randint(0, 2, (n, m), generator=g).double()   # few distinct data
    return X, m


def test_toy_kernel_sizes(capsys):
    X, m = _toy()
    # independent reference: brute force over all pairs with equal data
    def brute(n):
        best = 0.0
        for i in range(n):
            for j in range(n):
                if torch.equal(X[i, :m], X[j, :m]):
                    best = max(best, float((X[i] - X[j]).norm()))
        return best
    est = {n: brute(n) for n in (10, 60)}
    assert est[10] <= est[60] < 3 ** 0.5
    tk.checks.toy_kernel_sizes(X, m, est, 3 ** 0.5)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="estimates\\[60\\]"):       # all pairs, data ignored
        tk.checks.toy_kernel_sizes(X, m, {60: float(torch.cdist(X[:60], X[:60]).max())},
                                   3 ** 0.5)
    with pytest.raises(CheckError, match="exact"):                   # forgot the square root
        tk.checks.toy_kernel_sizes(X, m, est, 3.0)
    with pytest.raises(CheckError, match="dict"):
        tk.checks.toy_kernel_sizes(X, m, [est[10]], 3 ** 0.5)
