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
