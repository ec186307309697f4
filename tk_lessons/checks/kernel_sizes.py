r"""Checks of kernel sizes, worst-case errors and Chebyshev centres (Chapter 5).

Each check calls the student's function on small classes it builds itself (a random matrix
with a two-dimensional kernel, images and copies of them plus kernel elements) and compares
with :mod:`tk_lessons.kernel`, so the visible check cell shows no answer; ``seed`` picks other
classes, which the hidden checks use. Failure messages say which case failed and how (too
large, too small), never the reference value.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import kernel
from ..operators import MatrixOperator
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["average_kernel_size_function", "chebyshev_three", "kernel_size_function",
           "worst_case_error_function"]


def _class(seed: int) -> tuple[MatrixOperator, torch.Tensor]:
    """A 2 x 4 matrix and 12 points: 4 base points and two copies of each plus kernel elements."""
    g = torch.Generator().manual_seed(1000 + int(seed))
    M = torch.randn(2, 4, generator=g, dtype=torch.float64)
    basis = torch.linalg.svd(M).Vh[2:]                     # the kernel, two directions
    base = 3 * torch.randn(4, 4, generator=g, dtype=torch.float64)
    copies = [base + torch.randn(4, 2, generator=g, dtype=torch.float64) @ basis
              for _ in range(2)]
    return MatrixOperator(M), torch.cat([base] + copies)


def _eta(A: MatrixOperator, X: torch.Tensor) -> float:
    """A noise level at which some pairs with different data become feasible."""
    data = A(X)
    gaps = torch.cdist(data, data)
    positive = gaps[gaps > 1e-6]
    return float(positive.min()) * 0.6


def kernel_size_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(A, X, eta)``: the worst-case kernel size of a finite class with noise ``eta``.

    Two cases on a class built from ``seed``: ``eta = 0`` and an ``eta`` at which pairs with
    different data become feasible (:math:`\lVert A(x - x')\rVert \le 2\eta`).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> def kernel_size_of(A, X, eta):
    ...     data_gap = torch.cdist(A(X), A(X))
    ...     return float(torch.cdist(X, X)[data_gap <= 2 * eta + 1e-9].max())
    >>> checks.kernel_size_function(kernel_size_of)
    ✔ kernel size with and without noise: correct
    """
    A, X = _class(seed)
    for eta, case in ((0.0, "without noise"), (_eta(A, X), "with noise eta > 0")):
        value = as_number(f"kernel size {case}", fn(A, X, eta))
        agree(f"kernel size {case}", value, kernel.kernel_size(A, X, eta).worst, rtol=1e-6,
              hint="pairs x, x' count when ||A(x - x')|| <= 2 eta; take the largest "
                   "||x - x'|| over them")
    ok("kernel size with and without noise")


def worst_case_error_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(recon, A, X)``: :math:`\max_i \lVert \mathrm{recon}(A x_i) - x_i \rVert`.

    Tried with two maps on a class built from ``seed``: the least-norm solution
    :math:`A^\dagger y` and a constant map.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> def worst_case_error(recon, A, X):
    ...     return float((recon(A(X)) - X).flatten(1).norm(dim=1).max())
    >>> checks.worst_case_error_function(worst_case_error)
    ✔ worst-case error of a map: correct
    """
    A, X = _class(seed)
    pinv = torch.linalg.pinv(A.matrix)
    maps = {"the least-norm map": lambda y: y @ pinv.T,
            "a constant map": lambda y: torch.ones(len(y), X.shape[1], dtype=X.dtype)}
    for name, recon in maps.items():
        value = as_number(f"worst-case error of {name}", fn(recon, A, X))
        reference = kernel.map_error(recon(A(X)), X).worst
        agree(f"worst-case error of {name}", value, reference, rtol=1e-6,
              hint="apply the map to the data A x_i of every image and take the largest "
                   "||recon(A x_i) - x_i||")
    ok("worst-case error of a map")


def chebyshev_three(fn: Callable, *, seed: int = 0) -> None:
    """Check ``fn(P)``: the Chebyshev centre of three points ``P`` of shape ``(3, 2)``.

    Tried on an acute, a right and an obtuse triangle and on random ones (from ``seed``); the
    reference is :func:`tk_lessons.kernel.chebyshev_centre`.

    Examples
    --------
    >>> from tk_lessons import checks, kernel
    >>> def centre_of_three(P):
    ...     return kernel.chebyshev_centre(P)[0]
    >>> checks.chebyshev_three(centre_of_three)
    ✔ Chebyshev centre of three points: correct
    """
    g = torch.Generator().manual_seed(2000 + int(seed))
    triangles = {
        "an acute triangle": [[0.0, 0.0], [2.0, 0.0], [0.8, 1.5]],
        "a right triangle": [[0.0, 0.0], [2.0, 0.0], [0.0, 1.0]],
        "an obtuse triangle": [[0.0, 0.0], [2.0, 0.0], [1.0, 0.5]],
    }
    cases = {name: torch.tensor(P, dtype=torch.float64) for name, P in triangles.items()}
    for k in range(3):
        cases[f"random triangle {k + 1}"] = torch.randn(3, 2, generator=g, dtype=torch.float64)
    for name, P in cases.items():
        centre = as_tensor(f"centre of {name}", fn(P.clone()))
        reference, _ = kernel.chebyshev_centre(P)
        if centre.numel() != 2:
            raise CheckError(f"centre of {name}: expected a point with 2 coordinates, got "
                             f"shape {tuple(centre.shape)}")
        agree(f"centre of {name}", centre.reshape(2).real, reference, rtol=1e-5, atol=1e-6,
              hint="if an angle is 90 degrees or more the centre is the midpoint of the "
                   "longest side; otherwise it is the circumcentre")
    ok("Chebyshev centre of three points")


def average_kernel_size_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(A, X, p)``: the noiseless :math:`p`-average kernel size of a finite class.

    For ``p = 1`` and ``p = 2`` on a class built from ``seed``; the reference is
    ``tk_lessons.kernel.kernel_size(A, X, p=p).average``.

    Examples
    --------
    >>> from tk_lessons import checks, kernel
    >>> checks.average_kernel_size_function(lambda A, X, p: kernel.kernel_size(A, X, p=p).average)
    ✔ average kernel size: correct
    """
    A, X = _class(seed)
    for p in (1.0, 2.0):
        value = as_number(f"average kernel size for p = {p:g}", fn(A, X, p))
        agree(f"average kernel size for p = {p:g}", value,
              kernel.kernel_size(A, X, p=p).average, rtol=1e-6,
              hint="average over every image x_k of the mean of ||x_i - x_j||^p over all "
                   "pairs i, j of its feasible set (including i = j), then take the p-th root")
    ok("average kernel size")
