"""Hidden checks for exercises/source/01_kernel.md (instructor only).

``python tools/grade.py exercises/source/01_kernel.md SUBMISSIONS --hidden --out ...`` runs
each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: ``P`` with the notebook's ``A`` rebound to other sampling patterns (other rates
  and seeds), so a projector built from a fixed matrix or a fixed mask fails;
* task 2: ``z`` and ``x2`` against an independent oracle: ``A2 z = 0`` to rounding, ``z`` is
  real, ``x2 - x = z`` and ``detail - z`` lies in the row space (``P z = z``);
* task 3: ``n_small`` against the singular values of the dense blur matrix (an SVD, not the
  transfer function), and ``z_blur`` a real image of shape ``(1, 1, 32, 32)``;
* task 4: ``psi`` is data consistent on other images: ``A2 psi(A2 w) = A2 w`` for random
  ``w`` (a map that returns ``x2`` whatever the data passes the visible check, not this).
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

from tk_lessons import checks, operators, sampling
from tk_lessons.checks import CheckError


@contextmanager
def rebound(ns, **values):
    saved = {name: ns[name] for name in values if name in ns}
    ns.update(values)
    try:
        yield
    finally:
        for name in values:
            ns.pop(name, None)
        ns.update(saved)


def task1_other_patterns(ns):
    """P projects onto the kernel of A for two other sampling patterns of a 16 x 16 image."""
    (P,) = checks.defined(ns, "P")
    for rate, seed in ((0.5, 7), (0.2, 11)):
        other = operators.SubsampledFourier(sampling.multilevel(16, rate, seed=seed))
        with rebound(ns, A=other, m=other.m):
            try:
                checks.projector(P, (1, 1, 16, 16), onto_kernel_of=other)
            except CheckError as err:
                raise CheckError(f"pattern with rate {rate}, seed {seed}: {err}") from None


def task2_oracle(ns):
    """z is the real kernel part of the detail, and x2 = x + z."""
    A2, detail, z, x, x2 = checks.defined(ns, "A2", "detail", "z", "x", "x2")
    if not isinstance(z, torch.Tensor) or z.is_complex():
        raise CheckError("z must be a real tensor")
    ratio = float(A2(z).abs().norm() / max(float(z.norm()), 1e-300))
    if not ratio < 1e-10:
        raise CheckError(f"||A2 z|| / ||z|| = {ratio:.2e}: z is not in the kernel of A2")
    rest = detail.double() - z.double()
    seen = A2.H(A2(rest)).real
    checks.close("detail - z lies in the row space of A2", seen, rest, rtol=1e-8, atol=1e-10)
    checks.close("x2 - x", x2 - x, z, rtol=1e-10, atol=1e-12)


def task3_dense_svd(ns):
    """n_small counts the singular values <= tau of the dense blur matrix."""
    B, tau, n_small, z_blur = checks.defined(ns, "B", "tau", "n_small", "z_blur")
    dense = B.to_dense(torch.float64)
    count = int((torch.linalg.svdvals(dense) <= tau).sum())
    if isinstance(n_small, bool) or int(n_small) != n_small or int(n_small) != count:
        raise CheckError(f"n_small = {n_small}, but the SVD of the blur matrix has {count} "
                         f"singular values <= {tau}")
    if not isinstance(z_blur, torch.Tensor) or z_blur.is_complex() \
            or tuple(z_blur.shape) != (1, 1, 32, 32):
        raise CheckError("z_blur must be a real tensor of shape (1, 1, 32, 32)")


def task4_data_consistent(ns):
    """psi(A2 w) has the data of w, for random images w."""
    A2, psi, x = checks.defined(ns, "A2", "psi", "x")
    gen = torch.Generator().manual_seed(5)
    for _ in range(2):
        w = torch.rand(x.shape, generator=gen, dtype=torch.float64)
        out = psi(A2(w))
        checks.close("A2(psi(A2 w)) for a random image w", A2(out), A2(w),
                     rtol=1e-8, atol=1e-10)
