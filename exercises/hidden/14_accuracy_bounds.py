"""Hidden checks for exercises/source/14_accuracy_bounds.md (instructor only).

``python tools/grade.py exercises/source/14_accuracy_bounds.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: the truth ``x_clean`` lies in the student's range (it is in the feasible set), and the
  range is that of the sample;
* task 2: ``score`` on another seed, and on a batch of three images of another size;
* task 3: the student's score bounds the network's pixel error everywhere, and the rates agree
  at a second threshold computed from the student's own ``s``.
"""

from __future__ import annotations

import torch

from tk_lessons import checks, kernel
from tk_lessons.checks import CheckError


def task1_truth_in_range(ns):
    """x_clean lies in [low, high], and [low, high] is the range of the sample's feasible set."""
    low, high, x_clean, A, X, y, eta = checks.defined(ns, "low", "high", "x_clean", "A", "X", "y",
                                                      "eta")
    if not isinstance(low, torch.Tensor) or low.shape != x_clean.shape:
        raise CheckError(f"low must be a tensor of shape {tuple(x_clean.shape)}")
    if bool((x_clean < low - 1e-6).any() or (x_clean > high + 1e-6).any()):
        raise CheckError("x_clean is in the feasible set, so it must lie between low and high")
    checks.pixel_range_values(A, X, y, eta, low, high)


def task2_other_batches(ns):
    """score on seed 5, and on three 4 x 9 images with ranges of width zero."""
    (score,) = checks.defined(ns, "score")
    checks.score_function(score, seed=5)
    g = torch.Generator().manual_seed(12)
    low = torch.rand(3, 1, 4, 9, generator=g)
    x_rec = 2 * torch.rand(3, 1, 4, 9, generator=g) - 0.5
    ref = kernel.PixelRange(low, low, torch.arange(1)).score(x_rec)
    checks.close("score with low == high", score(x_rec, low, low), ref, rtol=1e-5, atol=1e-6)


def task3_bound_and_second_threshold(ns):
    """error <= s everywhere, and the rates at threshold 0.2 from the student's s."""
    s, x_rec, x_clean, mask = checks.defined(ns, "s", "x_rec", "x_clean", "mask")
    if bool(((x_rec - x_clean).abs() > s + 1e-5).any()):
        raise CheckError("the network's pixel error exceeds your score somewhere: with the truth in "
                         "the feasible set the score bounds the error (Task 4)")
    flagged = s > 0.2
    checks.detection_at(s, mask, 0.2, float(flagged[mask].float().mean()),
                        float(flagged[~mask].float().mean()))
