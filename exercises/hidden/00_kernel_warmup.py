"""Hidden checks for exercises/source/00_kernel_warmup.md (instructor only).

``python tools/grade.py exercises/source/00_kernel_warmup.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel, with ``ns``
the notebook's globals. They test what the visible checks cannot see:

* task 1 and 2: ``A``, ``A_adj`` and ``P`` at other sizes (``N = 48, 100``; other ``K``),
  with the notebook's globals ``N``, ``keep`` and ``m`` rebound for the call, so code that
  hard-codes 64 or 17 fails; the values of ``A`` against ``torch.fft`` on random signals;
* task 3: ``x2`` and ``kernel_dimension`` have the right type and shape, and the kernel
  dimension of the other sizes follows from the student's ``A`` the same way.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

from tk_lessons import checks
from tk_lessons.checks import CheckError

SIZES = ((48, 5), (100, 12))


@contextmanager
def size(ns, n, k):
    """Rebind the notebook's N, K, freq, keep and m to another size for the student's code."""
    freq = torch.fft.fftfreq(n) * n
    keep = freq.abs() <= k
    values = {"N": n, "K": k, "freq": freq, "keep": keep, "m": int(keep.sum())}
    saved = {name: ns[name] for name in values if name in ns}
    ns.update(values)
    try:
        yield keep
    finally:
        for name in values:
            ns.pop(name, None)
        ns.update(saved)


def task1_other_sizes(ns):
    """A and A_adj are adjoint and A is the kept unitary DFT, for N = 48 and 100."""
    A, A_adj = checks.defined(ns, "A", "A_adj")
    gen = torch.Generator().manual_seed(18)
    for n, k in SIZES:
        with size(ns, n, k) as keep:
            x = torch.randn(n, dtype=torch.complex128, generator=gen)
            try:
                checks.adjoint(A, A_adj, (n,))
                checks.close(f"A(x) for N = {n}", A(x), torch.fft.fft(x, norm="ortho")[keep])
            except CheckError as err:
                raise CheckError(f"N = {n}, K = {k}: {err}") from None


def task2_other_sizes(ns):
    """P is the orthogonal projector onto the kernel of A for N = 48 and 100."""
    A, P = checks.defined(ns, "A", "P")
    for n, k in SIZES:
        with size(ns, n, k):
            try:
                checks.projector(P, (n,), onto_kernel_of=A)
            except CheckError as err:
                raise CheckError(f"N = {n}, K = {k}: {err}") from None


def task3_answers(ns):
    """x2 is a real-or-complex signal of shape (N,); kernel_dimension is an int N - m."""
    x, x2, dim, A = checks.defined(ns, "x", "x2", "kernel_dimension", "A")
    if not isinstance(x2, torch.Tensor) or tuple(x2.shape) != tuple(x.shape):
        raise CheckError(f"x2 must be a tensor of the shape of x, {tuple(x.shape)}")
    if not torch.isfinite(torch.view_as_real(x2.to(torch.complex128))).all():
        raise CheckError("x2 contains NaN or inf")
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise CheckError(f"kernel_dimension must be an int, got {type(dim).__name__}")
    checks.kernel_dimension(A, (ns["N"],), dim)
