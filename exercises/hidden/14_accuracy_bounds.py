"""Hidden checks for exercises/source/14_accuracy_bounds.md (instructor only).

``python tools/grade.py exercises/source/14_accuracy_bounds.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: the truth ``x_clean`` lies in the student's range (it is in the feasible set), and the
  range is that of the sample;
* task 2: ``score`` on another seed, and on a batch of three images of another size;
* task 3: ``x_rec`` is ``net(A(x_clean))``, ``s`` the score of it for the student's range
  (checked in task 1), the bound holds, and the rates agree with that reference score at the
  student's threshold and at 0.2;
* task 4: the toy kernel-size estimates and the exact value, and the estimates rise.
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


def task3_reconstruction_score_rates(ns):
    """x_rec is the network's reconstruction, s its score from the student's range, and the
    rates at the student's threshold and at 0.2 are those of that reference score."""
    s, x_rec, x_clean, mask, net, A, low, high, hit, false_alarm, threshold = checks.defined(
        ns, "s", "x_rec", "x_clean", "mask", "net", "A", "low", "high", "hit", "false_alarm",
        "threshold")
    with torch.no_grad():
        reference_rec = net(A(x_clean))
    checks.close("x_rec (the network's reconstruction net(A(x_clean)))", x_rec, reference_rec,
                 rtol=1e-4, atol=1e-5)
    reference = kernel.PixelRange(low, high, torch.arange(1)).score(reference_rec)
    checks.close("s (the score of x_rec for the range low, high)", s, reference, rtol=1e-4,
                 atol=1e-5)
    if bool(((reference_rec - x_clean).abs() > reference + 1e-5).any()):
        raise CheckError("the network's pixel error exceeds the score somewhere: with the truth "
                         "in the feasible set the score bounds the error (Task 5)")
    checks.detection_at(reference, mask, threshold, hit, false_alarm)
    flagged = reference > 0.2
    checks.detection_at(reference, mask, 0.2, float(flagged[mask].float().mean()),
                        float(flagged[~mask].float().mean()))


def task4_kernel_sizes(ns):
    """The estimates for the student's sizes, a fresh check at n = 500, and exact."""
    X_toy, m, estimates, exact = checks.defined(ns, "X_toy", "m", "estimates", "exact")
    if not isinstance(estimates, dict) or sorted(estimates) != [10, 100, 1000]:
        raise CheckError("estimates must be a dict with the keys 10, 100 and 1000")
    checks.toy_kernel_sizes(X_toy, m, estimates, exact)
    values = [estimates[n] for n in (10, 100, 1000)]
    if not all(a <= b + 1e-12 for a, b in zip(values, values[1:])) or values[-1] > exact:
        raise CheckError("the estimates of nested samples must rise and stay below exact")
