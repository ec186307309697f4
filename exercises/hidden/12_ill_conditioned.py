"""Hidden checks for exercises/source/12_ill_conditioned.md (instructor only).

``python tools/grade.py exercises/source/12_ill_conditioned.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: ``pair`` attains ``kappa`` and its difference lies in the approximate kernel (the
  visible check sees only the number);
* task 3: ``share_in`` on another batch (the visible check uses one change).
"""

from __future__ import annotations

import torch

from tk_lessons import checks, kernel
from tk_lessons.checks import CheckError


def task1_pair(ns):
    """pair = (i, j), i < j, with ||x_i - x_j|| = kappa and ||A(x_i - x_j)|| <= tau ||x_i - x_j||."""
    pair, kappa, A, X, tau = checks.defined(ns, "pair", "kappa", "A", "X", "tau")
    if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(k, int) for k in pair)):
        raise CheckError(f"pair must be a tuple of two ints (i, j), got {pair!r}")
    i, j = pair
    if not 0 <= i < j < len(X):
        raise CheckError(f"pair must have 0 <= i < j < {len(X)}, got {pair!r}")
    with torch.no_grad():
        d = X[i] - X[j]
        if A(d[None]).norm().item() > tau * d.norm().item() * (1 + 1e-9):
            raise CheckError(f"the difference of the pair {pair} is not in the approximate kernel: "
                             "||A(x_i - x_j)|| > tau ||x_i - x_j||")
        checks.close("the distance of the pair", d.norm().item(), kappa, rtol=1e-5)


def task3_other_batch(ns):
    """share_in on a batch of three random images, against the package's span_fraction."""
    share_in, approx = checks.defined(ns, "share_in", "approx")
    g = torch.Generator().manual_seed(5)
    v = torch.randn(3, 1, 32, 32, generator=g)
    try:
        got = share_in(v)
    except Exception as err:          # noqa: BLE001 - any failure on another batch is the finding
        raise CheckError(f"share_in fails on a batch of 3 images: {type(err).__name__}: {err}") from err
    checks.close("share_in on a batch of 3 images", torch.as_tensor(got).reshape(-1).double(),
                 kernel.span_fraction(approx, v), rtol=1e-5)
