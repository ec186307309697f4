"""What every check shares: the error it raises and the conversions of the student's answers.

Private to :mod:`tk_lessons.checks`: the topic modules import these helpers; exercises and
instructors use the checks themselves. A failure raises :class:`CheckError` with a message that
says what is wrong and what was expected; a pass prints one line ending in ``correct``.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["CheckError", "agree", "as_number", "as_tensor", "ok"]


class CheckError(AssertionError):
    """Raised when an exercise answer fails a check; the message explains why.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> issubclass(checks.CheckError, AssertionError)
    True
    """


# Shown and pickled under its public home, tk_lessons.checks.CheckError.
CheckError.__module__ = "tk_lessons.checks"


def ok(name: str) -> None:
    """Print the confirmation of a passed check.

    Examples
    --------
    >>> ok("adjoint")
    ✔ adjoint: correct
    """
    print(f"\u2714 {name}: correct")


def as_tensor(name: str, value: object) -> torch.Tensor:
    """``value`` as a tensor (numbers and arrays in double precision), or a CheckError.

    A placeholder (``...`` or ``None``) is reported as "no answer yet".

    Examples
    --------
    >>> as_tensor("x", [1.5, 2.0]).dtype
    torch.float64
    >>> as_tensor("x", ...)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: x: no answer yet (got Ellipsis); replace the placeholder with your code
    """
    if value is Ellipsis or value is None:
        raise CheckError(f"{name}: no answer yet (got {value!r}); replace the placeholder with your code")
    if not isinstance(value, torch.Tensor):
        try:
            array = np.asarray(value)
            if array.dtype.kind == "f":                 # keep double precision: torch would round to float32
                array = array.astype(np.float64)
            elif array.dtype.kind == "c":
                array = array.astype(np.complex128)
            value = torch.as_tensor(array)
        except (TypeError, ValueError, RuntimeError) as err:
            raise CheckError(f"{name}: expected a tensor or a number, got {type(value).__name__}") from err
    return value


def as_number(name: str, value: object) -> float:
    """One finite real number from ``value`` (a float, an int or a one-element tensor), or a CheckError.

    Examples
    --------
    >>> import torch
    >>> as_number("L", torch.tensor([2.5]))
    2.5
    >>> as_number("L", [1.0, 2.0])
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L: expected one number, got a tensor of shape (2,)
    """
    v = as_tensor(name, value)
    if v.numel() != 1:
        raise CheckError(f"{name}: expected one number, got a tensor of shape {tuple(v.shape)}")
    if v.is_complex():
        if float(v.imag.abs()) > 1e-12 * max(1.0, float(v.real.abs())):
            raise CheckError(f"{name}: expected a real number, got the complex value {complex(v.item()):.4g}")
        v = v.real
    number = float(v)
    if number != number or number in (float("inf"), float("-inf")):
        raise CheckError(f"{name}: expected a finite number, got {number}")
    return number


def agree(name: str, value: object, reference: object, *, rtol: float, atol: float = 0.0,
          hint: str = "") -> None:
    """Compare ``value`` with a reference that a check computed itself, without printing it.

    A failure says how the answer is wrong (shape, too large, too small, which entry) but never
    states the reference, so the message cannot be pasted back as the answer. ``hint`` says what
    to look at.

    Examples
    --------
    >>> agree("L", 1.0, 1.0 + 1e-9, rtol=1e-6)
    >>> agree("L", 2.0, 1.0, rtol=1e-6, hint="divide by ||e||")
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L: got 2, which is too large. Divide by ||e||
    """
    v = as_tensor(name, value)
    e = as_tensor("reference", reference).detach()
    if v.numel() == 1 and e.numel() == 1:
        v, e = v.reshape(()), e.reshape(())
    if v.shape != e.shape:
        raise CheckError(f"{name}: expected shape {tuple(e.shape)}, got {tuple(v.shape)}")
    v = v.detach().to(torch.complex128 if (v.is_complex() or e.is_complex()) else torch.float64)
    e = e.to(v.dtype).to(v.device)
    finite = torch.isfinite(e) if not e.is_complex() else torch.isfinite(torch.view_as_real(e)).all(-1)
    deviation = (v - e).abs()
    allowed = atol + rtol * e.abs()
    bad = ~((v == e) | (finite & (deviation <= allowed)))       # NaN in v is always wrong
    if not bool(bad.any()):
        return
    tail = f". {hint[:1].upper()}{hint[1:]}" if hint else ""
    if v.numel() == 1:
        if v.is_complex():
            raise CheckError(f"{name}: got {complex(v):.6g}, which is wrong{tail}")
        side = "too large" if float(v) > float(e) else "too small"
        raise CheckError(f"{name}: got {float(v):.6g}, which is {side}{tail}")
    index = int(bad.flatten().nonzero()[0])
    raise CheckError(f"{name}: {int(bad.sum())} of {v.numel()} entries are wrong, the first at "
                     f"flat index {index}{tail}")
