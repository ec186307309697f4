"""Checks for the kernel exercises (Chapter 1 and its warm-up) whose references stay hidden.

Each check computes its reference itself, from the operator or from the student's own map, so
the visible check cell holds no expression that a student could paste as the answer. Like
:mod:`tk_lessons.checks`, each passes with a short confirmation or raises
:class:`~tk_lessons.checks.CheckError` saying what is wrong and what was expected.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from .checks import CheckError, _as_tensor, _number, _ok

__all__ = ["kernel_dimension", "trace", "singular_value_count", "reconstruction_error"]

# Largest number of unknowns for which a check forms the matrix of a map column by column.
MAX_UNKNOWNS = 4096


def _integer(name: str, value) -> int:
    number = _number(name, value)
    if number != round(number):
        raise CheckError(f"{name}: expected a whole number (a dimension or a count), got {number!r}")
    return int(round(number))


def _matrix(forward: Callable, x_shape: Sequence[int], complex_domain: bool) -> torch.Tensor:
    """The matrix of a linear map, column j = forward(e_j), in complex double precision."""
    n = math.prod(x_shape)
    if n > MAX_UNKNOWNS:
        raise ValueError(f"x_shape {tuple(x_shape)} has {n} entries; at most {MAX_UNKNOWNS} are supported")
    dtype = torch.complex128 if complex_domain else torch.float64
    basis = torch.eye(n, dtype=dtype).reshape(n, *x_shape)
    columns = [_as_tensor("the map applied to a basis vector", forward(e)).reshape(-1) for e in basis]
    return torch.stack(columns, dim=1).to(torch.complex128)


def kernel_dimension(forward: Callable, x_shape: Sequence[int], value, *,
                     complex_domain: bool = True) -> None:
    """Check ``value`` against ``dim N(A) = N - rank A``, the rank taken from the matrix of ``A``.

    Parameters
    ----------
    forward : callable
        ``x -> A x`` for ``x`` of shape ``x_shape``.
    x_shape : sequence of int
        Shape of one input (with a batch axis of size 1 if ``forward`` wants one).
    value : int
        The student's dimension.
    complex_domain : bool
        Whether the kernel is taken over the complex numbers (the default) or the reals.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_kernel
    >>> keep_first_two = lambda x: x[:2]
    >>> checks_kernel.kernel_dimension(keep_first_two, (5,), 3)
    ✔ dim N(A): correct
    >>> checks_kernel.kernel_dimension(keep_first_two, (5,), 2)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: dim N(A): got 2, expected 3 = N - rank A = 5 - 2 (rank-nullity)
    """
    got = _integer("dim N(A)", value)
    M = _matrix(forward, x_shape, complex_domain)
    n, rank = M.shape[1], int(torch.linalg.matrix_rank(M))
    if got != n - rank:
        raise CheckError(f"dim N(A): got {got}, expected {n - rank} = N - rank A = {n} - {rank} (rank-nullity)")
    _ok("dim N(A)")


def trace(name: str, apply: Callable, x_shape: Sequence[int], value, *,
          complex_domain: bool = True, rtol: float = 1e-10) -> None:
    """Check ``value`` against the trace of the linear map ``apply``, computed on the basis.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_kernel
    >>> drop_first = lambda x: torch.cat([torch.zeros_like(x[:1]), x[1:]])
    >>> checks_kernel.trace("trace of P", drop_first, (4,), 3.0)
    ✔ trace of P: correct
    >>> checks_kernel.trace("trace of P", drop_first, (4,), 4.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: trace of P: got 4, but the trace of the map (the sum of the diagonal of its matrix) is 3
    """
    got = _number(name, value)
    expected = float(_matrix(apply, x_shape, complex_domain).diagonal().real.sum())
    if not abs(got - expected) <= rtol * max(abs(expected), 1.0):
        raise CheckError(f"{name}: got {got:.10g}, but the trace of the map (the sum of the diagonal "
                         f"of its matrix) is {expected:.10g}")
    _ok(name)


def singular_value_count(A, tau: float, value) -> None:
    """Check ``value`` against the number of singular values of ``A`` that are at most ``tau``.

    Counts the ``N`` singular values of ``A`` (``sigma_i = 0`` for ``i > m``) from the SVD of its
    dense matrix, ``A.to_dense()``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.diag(torch.tensor([1.0, 1e-3, 1e-6], dtype=torch.float64)))
    >>> checks_kernel.singular_value_count(A, 1e-2, 2)
    ✔ number of singular values <= tau: correct
    >>> checks_kernel.singular_value_count(A, 1e-2, 1)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: number of singular values <= tau: got 1, expected 2 of the 3 singular values
    """
    got = _integer("number of singular values <= tau", value)
    tau = _number("tau", tau)
    M = A.to_dense()
    s = torch.linalg.svdvals(M.to(torch.complex128 if M.is_complex() else torch.float64))
    n = M.shape[1]
    expected = int((s <= tau).sum()) + (n - s.numel())          # sigma_i = 0 for i > m
    if got != expected:
        raise CheckError(f"number of singular values <= tau: got {got}, expected {expected} of the "
                         f"{n} singular values")
    _ok("number of singular values <= tau")


def reconstruction_error(name: str, psi: Callable, forward: Callable, x, value, *,
                         rtol: float = 1e-8) -> None:
    """Check ``value`` against ``||psi(forward(x)) - x||``, the error of the map ``psi`` on ``x``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_kernel
    >>> x = torch.tensor([3.0, 4.0], dtype=torch.float64)
    >>> zero = lambda y: torch.zeros(2, dtype=torch.float64)
    >>> checks_kernel.reconstruction_error("error on x", zero, lambda v: v[:1], x, 5.0)
    ✔ error on x: correct
    """
    got = _number(name, value)
    x = _as_tensor("x", x)
    out = _as_tensor("psi(y)", psi(forward(x)))
    if out.shape != x.shape:
        raise CheckError(f"{name}: psi returns shape {tuple(out.shape)}, but the image has shape {tuple(x.shape)}")
    expected = float((out - x).norm())
    if not abs(got - expected) <= rtol * max(expected, 1e-300):
        raise CheckError(f"{name}: got {got:.6g}, but your map psi has error ||psi(A x) - x|| = "
                         f"{expected:.6g} on x")
    _ok(name)
