"""What the kernel tools share: the checks of a batch and of a tolerance, and double precision.

Iterative work is done in double precision and the result is cast back to the input's
precision (:func:`double`, :func:`cast_like`).
"""

from __future__ import annotations

import torch

from .. import _validate

__all__ = ["cast_like", "check_batch", "check_tol", "double", "flat_rows", "pairwise_distances"]


def check_batch(name: str, t: object, shape: tuple[int, ...], complex_: bool) -> torch.Tensor:
    """Raise unless ``t`` is a non-empty batch of shape ``(B, *shape)`` of a supported dtype."""
    _validate.tensor(name, t)
    if t.ndim != len(shape) + 1 or tuple(t.shape[1:]) != shape:
        raise ValueError(f"{name} must have shape (B, {', '.join(map(str, shape))}), got {tuple(t.shape)}")
    if t.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one element (B >= 1), got an empty batch {tuple(t.shape)}")
    if not (t.is_floating_point() or t.is_complex()):
        raise TypeError(f"{name} must be a floating-point or complex tensor, got dtype {t.dtype}")
    if t.is_complex() and not complex_:
        raise TypeError(f"{name} must be real for this operator (a real-valued space), got dtype {t.dtype}")
    return t


def check_tol(tol: object, n_iter: object) -> tuple[float, int]:
    """``(tol, n_iter)`` checked: a relative tolerance in (0, 1) and a number of iterations >= 1."""
    tol = _validate.positive("tol", tol)
    if tol >= 1:
        raise ValueError(f"tol must be a relative tolerance in (0, 1), got {tol!r}")
    return tol, _validate.positive_int("n_iter", n_iter)


def double(t: torch.Tensor) -> torch.Tensor:
    """``t`` in double precision (complex128 for a complex tensor)."""
    return t.to(torch.complex128 if t.is_complex() else torch.float64)


def cast_like(out: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Return ``out`` in ``v``'s precision (complex if ``out`` is complex, e.g. a Fourier adjoint)."""
    if out.is_complex() and not v.is_complex():
        return out.to(torch.complex128 if v.dtype == torch.float64 else torch.complex64)
    return out.to(v.dtype)


def flat_rows(t: torch.Tensor) -> torch.Tensor:
    """Rows of float64 reals, one per sample (a complex entry counts as two reals)."""
    t = t.detach().reshape(t.shape[0], -1)
    if t.is_complex():
        t = torch.view_as_real(t.to(torch.complex128)).reshape(t.shape[0], -1)
    return t.to(torch.float64)


def pairwise_distances(A, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All ``||x_i - x_j||`` and ``||A x_i - A x_j||`` of a finite class ``X`` (float64, CPU)."""
    _validate.operator("A", A)
    _validate.tensor("X", X)
    if X.ndim < 2 or X.shape[0] < 2:
        raise ValueError(f"X must be a batch of at least two images, got shape {tuple(X.shape)}")
    with torch.no_grad():
        U, V = flat_rows(X).cpu(), flat_rows(A(X)).cpu()
    return torch.cdist(U, U), torch.cdist(V, V)
