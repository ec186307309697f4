"""Hidden checks for exercises/source/10_training.md (instructor only).

``python tools/grade.py exercises/source/10_training.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: the printed shares of ``z`` at each datum are the weights' shares 3/4, 3/4, 1/2, 1/2, 0
  (the visible check compares ``out`` entrywise; this one checks the student's ``share``);
* task 2: the Monte Carlo estimate ``mc`` agrees with ``value`` within four standard errors, and
  ``se`` is the standard error of 100,000 draws (not the standard deviation);
* task 4: the shares are means over the marked signals only, so they differ: ``share_one`` is
  larger than ``share_both``.
"""

from __future__ import annotations

import torch

from tk_lessons import checks
from tk_lessons.checks import CheckError


def task1_shares(ns):
    """The shares of z in the minimiser's outputs: l / (k + l) per datum."""
    (share,) = checks.defined(ns, "share")
    checks.close("the shares of z at the five data", torch.as_tensor(share, dtype=torch.float64),
                 torch.tensor([0.75, 0.75, 0.5, 0.5, 0.0], dtype=torch.float64), rtol=0, atol=1e-3)


def task2_monte_carlo(ns):
    """mc within 4 se of value; se about the standard deviation over sqrt(100000)."""
    value, mc, se = checks.defined(ns, "value", "mc", "se")
    value, mc, se = float(value), float(mc), float(se)
    if not 0 < se < 0.05 * abs(value):
        raise CheckError(f"se = {se:.4g}: the standard error of the mean of 100,000 draws is the standard "
                         "deviation divided by sqrt(100000)")
    if abs(mc - value) > 4 * se:
        raise CheckError(f"mc = {mc:.6g} is more than four standard errors from your value {value:.6g}: "
                         "one of the two is wrong")
    checks.close("mc against value", mc, value, rtol=0, atol=4 * se)


def task4_order(ns):
    """share_one > share_both (the network that saw only p + z draws more of z)."""
    share_both, share_one = checks.defined(ns, "share_both", "share_one")
    if not float(share_one) > float(share_both):
        raise CheckError("share_one should be larger than share_both: pairs_one saw only p + z")
