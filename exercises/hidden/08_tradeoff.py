"""Hidden checks for exercises/source/08_tradeoff.md (instructor only).

``python tools/grade.py exercises/source/08_tradeoff.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: ``interpolant`` at other values of ``delta`` and on a batch of random data (the
  visible check uses one ``delta``), against the package's ``kernel.cliff_interpolant``;
* task 2: ``sigma`` holds the singular values of the real view of ``A`` (the visible check
  takes them as given);
* task 4: ``L_needed`` is 0 exactly when ``delta_tv >= d / 2``.
"""

from __future__ import annotations

import torch

from tk_lessons import checks, kernel
from tk_lessons.checks import CheckError


def task1_other_deltas(ns):
    """interpolant(y, delta) for delta in {0, d/4} on a batch of 5 random data."""
    interpolant, A, x0, x1, d = checks.defined(ns, "interpolant", "A", "x0", "x1", "d")
    g = torch.Generator().manual_seed(4)
    y = A(x0)
    batch = y + 0.1 * torch.complex(torch.randn((5, *y.shape[1:]), generator=g, dtype=torch.float64),
                                    torch.randn((5, *y.shape[1:]), generator=g, dtype=torch.float64)).to(y.dtype)
    for delta in (0.0, d / 4):
        reference = kernel.cliff_interpolant(A, x0, x1, delta)
        try:
            got = torch.as_tensor(interpolant(batch, delta)).double()
        except Exception as err:          # noqa: BLE001 - any failure on another batch is the finding
            raise CheckError(f"interpolant fails on a batch of 5 data with delta = {delta:.4g}: "
                             f"{type(err).__name__}: {err}") from err
        checks.close(f"interpolant on 5 data, delta = {delta:.4g}", got.reshape(5, -1),
                     reference(batch).double().reshape(5, -1), rtol=1e-6, atol=1e-9)


def task2_singular_values(ns):
    """sigma: the 128 singular values of the real view of A, in any order."""
    sigma, A = checks.defined(ns, "sigma", "A")
    eye = torch.eye(256, dtype=torch.float64).reshape(256, 1, 256)
    M = torch.view_as_real(A(eye)).reshape(256, -1).T
    reference = torch.linalg.svdvals(M)
    got = torch.as_tensor(sigma).double().reshape(-1)
    if got.numel() != reference.numel():
        raise CheckError(f"sigma must hold {reference.numel()} singular values, got {got.numel()}")
    checks.close("the singular values of the real view of A", got.sort(descending=True).values,
                 reference, rtol=1e-6, atol=1e-9)


def task4_zero_when_flat(ns):
    """L_needed is 0 when delta_tv >= d / 2 and (d - 2 delta_tv) / eta otherwise."""
    L_needed, delta_tv, d, eta = checks.defined(ns, "L_needed", "delta_tv", "d", "eta")
    expected = max(0.0, (d - 2 * delta_tv) / eta)
    checks.close("L_needed from your delta_tv", L_needed, expected, rtol=1e-6, atol=1e-12)
