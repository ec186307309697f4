"""Checks of a student's reconstruction map ``psi`` (Chapter 1): that it is exact on a given
image, and its error on an image.

Each check computes its reference from the student's own map, so the visible check cell holds
no expression that a student could paste as the answer, and no failure message states the
expected value.
"""

from __future__ import annotations

from typing import Callable

import torch

from ._core import CheckError, as_number, as_tensor, ok

__all__ = ["exact_on", "reconstruction_error"]


def exact_on(name: str, recon: Callable, forward: Callable, x: torch.Tensor, *,
             atol: float = 1e-12) -> None:
    """Check that the reconstruction map ``recon`` recovers ``x`` from its data: ``recon(A x) = x``.

    The exercises call the map ``psi``, and the messages do too.

    Parameters
    ----------
    name : str
        What is checked, for the messages.
    recon, forward : callable
        The student's map ``psi`` and ``x -> A x``.
    x : torch.Tensor
        The image ``recon`` must be exact on.
    atol : float
        Largest allowed deviation of an entry.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> x = torch.tensor([3.0, 4.0], dtype=torch.float64)
    >>> checks.exact_on("psi(A x) = x", lambda y: torch.cat([y, x[1:]]), lambda v: v[:1], x)
    ✔ psi(A x) = x: correct
    >>> zero_fill = lambda y: torch.cat([y, 0 * y])
    >>> checks.exact_on("psi(A x) = x", zero_fill, lambda v: v[:1], x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: psi(A x) = x: psi(A x) differs from x by up to 4 ...
    """
    x = as_tensor("x", x)
    out = as_tensor("psi(A x)", recon(forward(x)))
    if out.shape != x.shape:
        raise CheckError(f"{name}: psi returns shape {tuple(out.shape)}, but the image has shape "
                         f"{tuple(x.shape)}")
    if out.is_complex() and not x.is_complex():
        raise CheckError(f"{name}: psi returns a complex image for a real x; return a real image")
    wide = torch.complex128 if x.is_complex() else torch.float64
    worst = float((out.to(wide) - x.to(wide)).abs().max())
    if not worst <= atol:
        raise CheckError(f"{name}: psi(A x) differs from x by up to {worst:.2g} in an entry; zero "
                         "filling recovers only the visible part, add what the data cannot see")
    ok(name)


def reconstruction_error(name: str, recon: Callable, forward: Callable, x: torch.Tensor,
                         value: object, *, rtol: float = 1e-8) -> None:
    """Check ``value`` against ``||recon(forward(x)) - x||``, the error of the student's map on ``x``.

    The exercises call the map ``psi``, and the messages do too.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> x = torch.tensor([3.0, 4.0], dtype=torch.float64)
    >>> zero = lambda y: torch.zeros(2, dtype=torch.float64)
    >>> checks.reconstruction_error("error on x", zero, lambda v: v[:1], x, 5.0)
    ✔ error on x: correct
    >>> checks.reconstruction_error("error on x", zero, lambda v: v[:1], x, 4.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: error on x: got 4, which is too small for your map psi: compute ||psi(A x) - x|| with the psi you wrote
    """
    got = as_number(name, value)
    x = as_tensor("x", x)
    out = as_tensor("psi(y)", recon(forward(x)))
    if out.shape != x.shape:
        raise CheckError(f"{name}: psi returns shape {tuple(out.shape)}, but the image has shape {tuple(x.shape)}")
    expected = float((out - x).norm())
    if not abs(got - expected) <= rtol * max(expected, 1e-300):
        side = "too large" if got > expected else "too small"
        raise CheckError(f"{name}: got {got:.6g}, which is {side} for your map psi: compute "
                         "||psi(A x) - x|| with the psi you wrote")
    ok(name)
