"""Checks that every exercise can use: a value against an expected one, a lower bound, and the
names a hidden check needs from a notebook.

:func:`close` and :func:`at_least` take the expected value from the caller, so they belong in
hidden checks (or in a chapter's own tests), never in a visible check cell, where the expected
value would be the answer in plain sight.
"""

from __future__ import annotations

import torch

from ._core import CheckError, as_number, as_tensor, ok

__all__ = ["at_least", "close", "defined"]


def close(name: str, value: object, expected: object, *, rtol: float = 1e-6,
          atol: float = 1e-9) -> None:
    """Check that ``value`` equals ``expected`` up to ``rtol``/``atol`` (same shape).

    Parameters
    ----------
    name : str
        What is checked, for the messages.
    value : tensor, array or number
        The answer.
    expected : tensor, array or number
        The expected value, same shape as ``value``.
    rtol, atol : float
        Allowed deviation: ``max |value - expected| <= atol + rtol max |expected|``.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.close("kernel dimension", 3, 3)
    ✔ kernel dimension: correct
    >>> checks.close("kernel dimension", 3, 4)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: kernel dimension: expected 4, got 3
    """
    v = as_tensor(name, value)
    e = as_tensor("expected", expected)
    if v.shape != e.shape:
        raise CheckError(f"{name}: expected shape {tuple(e.shape)}, got {tuple(v.shape)}")
    v = v.to(torch.complex128) if (v.is_complex() or e.is_complex()) else v.to(torch.float64)
    e = e.to(v.dtype).to(v.device)
    err = (v - e).abs().max().item() if v.numel() else 0.0
    tol = atol + rtol * (e.abs().max().item() if e.numel() else 0.0)
    if not err <= tol:
        if v.numel() == 1:
            raise CheckError(f"{name}: expected {e.item():.6g}, got {v.item():.6g}")
        raise CheckError(f"{name}: largest deviation from the expected values is {err:.3g} (allowed {tol:.3g})")
    ok(name)


def at_least(name: str, value: object, bound: object, *, hint: str = "") -> None:
    """Check that the number ``value`` is at least ``bound``; ``hint`` is added to the message.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.at_least("error growth", 3.2, 2.0)
    ✔ error growth: correct
    """
    v = as_number(name, value)
    b = as_number("bound", bound)
    if not v >= b:
        raise CheckError(f"{name}: expected at least {b:.4g}, got {v:.4g}" + (f". {hint}" if hint else ""))
    ok(name)


def defined(namespace: dict, *names: str) -> list:
    """The values of ``names`` in a notebook's namespace; a clear error for any not defined.

    Hidden checks call this on the student's ``globals()`` before testing what they find.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.defined({"A": 1, "P": 2}, "P", "A")
    [2, 1]
    >>> checks.defined({"A": 1}, "A", "P", "psi")
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: P, psi: not defined; run the cells of the task that define them
    """
    if not isinstance(namespace, dict):
        raise TypeError(f"namespace must be a dict (a notebook's globals()), "
                        f"got {type(namespace).__name__}")
    missing = [name for name in names if name not in namespace]
    if missing:
        raise CheckError(f"{', '.join(missing)}: not defined; run the cells of the task that "
                         "define them")
    return [namespace[name] for name in names]
