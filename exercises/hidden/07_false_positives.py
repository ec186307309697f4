"""Hidden checks for exercises/source/07_false_positives.md (instructor only).

``python tools/grade.py exercises/source/07_false_positives.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 2: ``delta`` and ``delta_prime`` are the errors on ``x`` and on ``x_prime`` in that order
  (the visible check sees only their sum, through ``L_bound``);
* task 3: ``line_map`` on a batch of another size (the visible check uses four data);
* task 4: ``e_best`` lies on the sphere of radius ``eta``, as the search returns it.
"""

from __future__ import annotations

import torch

from tk_lessons import checks
from tk_lessons.attacks import LineTikhonov
from tk_lessons.checks import CheckError


def task2_errors(ns):
    """delta = ||net(A x) - x|| and delta_prime = ||net(A x') - x'||."""
    net, A, x, x_prime, delta, delta_prime = checks.defined(ns, "net", "A", "x", "x_prime", "delta",
                                                            "delta_prime")
    with torch.no_grad():
        checks.close("delta, the error on x", delta, (net(A(x)) - x).norm().item(), rtol=1e-4)
        checks.close("delta_prime, the error on x_prime", delta_prime,
                     (net(A(x_prime)) - x_prime).norm().item(), rtol=1e-4)


def task3_other_batch(ns):
    """line_map on a batch of 7 data, against Tikhonov on the line."""
    line_map, A, x, z, lam = checks.defined(ns, "line_map", "A", "x", "z", "lam")
    g = torch.Generator().manual_seed(3)
    y = A(x)
    noise = torch.complex(torch.randn((7, *y.shape[1:]), generator=g),
                          torch.randn((7, *y.shape[1:]), generator=g)).to(y.dtype)
    batch = y + 0.05 * noise
    try:
        got = line_map(batch)
    except Exception as err:          # noqa: BLE001 - any failure on another batch size is the finding
        raise CheckError(f"line_map fails on a batch of 7 data: {type(err).__name__}: {err}") from err
    with torch.no_grad():
        checks.close("line_map on a batch of 7 data", got, LineTikhonov(A, x, z, lam)(batch), rtol=1e-4,
                     atol=1e-6)


def task4_on_the_sphere(ns):
    """e_best has norm eta (the search stays on the sphere)."""
    e_best, y, eta = checks.defined(ns, "e_best", "y", "eta")
    if not isinstance(e_best, torch.Tensor) or tuple(e_best.shape) != tuple(y.shape):
        raise CheckError(f"e_best must be a tensor of the shape of y, {tuple(y.shape)}")
    checks.close("||e_best||", e_best.abs().norm().item(), eta, rtol=1e-4)
