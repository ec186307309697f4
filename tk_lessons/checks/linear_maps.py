"""Checks for the kernel exercises (Chapter 1 and its warm-up) whose references stay hidden.

Each check computes its reference itself, from the operator or from the student's own map, so
the visible check cell holds no expression that a student could paste as the answer, and no
failure message states the expected value (it says too large or too small, and why). Like
:mod:`tk_lessons.checks`, each passes with a short confirmation or raises
:class:`~tk_lessons.checks.CheckError` saying what is wrong and what was expected.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from . import device as _device
from .checks import CheckError, _as_tensor, _number, _ok

__all__ = ["coisometry", "same_data", "exact_on", "kernel_dimension", "trace",
           "singular_value_count", "reconstruction_error"]

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
    tk_lessons.checks.CheckError: dim N(A): got 2, which is too small. Rank-nullity: dim N(A) = N - rank A, with N = 5 unknowns; take the rank from the matrix of A (its columns are A applied to the basis vectors)
    """
    got = _integer("dim N(A)", value)
    M = _matrix(forward, x_shape, complex_domain)
    n, rank = M.shape[1], int(torch.linalg.matrix_rank(M))
    if got != n - rank:
        side = "too large" if got > n - rank else "too small"
        raise CheckError(f"dim N(A): got {got}, which is {side}. Rank-nullity: dim N(A) = N - rank A, "
                         f"with N = {n} unknowns; take the rank from the matrix of A (its columns "
                         "are A applied to the basis vectors)")
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
    tk_lessons.checks.CheckError: trace of P: got 4, which is too large: the trace is the sum of the diagonal of the matrix of the map, <e_j, P e_j> summed over the basis
    """
    got = _number(name, value)
    expected = float(_matrix(apply, x_shape, complex_domain).diagonal().real.sum())
    if not abs(got - expected) <= rtol * max(abs(expected), 1.0):
        side = "too large" if got > expected else "too small"
        raise CheckError(f"{name}: got {got:.10g}, which is {side}: the trace is the sum of the "
                         "diagonal of the matrix of the map, <e_j, P e_j> summed over the basis")
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
    tk_lessons.checks.CheckError: number of singular values <= tau: got 1 of the 3 singular values, which is too few (count sigma_i = 0 for i > m as well)
    """
    got = _integer("number of singular values <= tau", value)
    tau = _number("tau", tau)
    M = A.to_dense()
    s = torch.linalg.svdvals(M.to(torch.complex128 if M.is_complex() else torch.float64))
    n = M.shape[1]
    expected = int((s <= tau).sum()) + (n - s.numel())          # sigma_i = 0 for i > m
    if got != expected:
        side = "too many" if got > expected else "too few"
        raise CheckError(f"number of singular values <= tau: got {got} of the {n} singular values, "
                         f"which is {side} (count sigma_i = 0 for i > m as well)")
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
    >>> checks_kernel.reconstruction_error("error on x", zero, lambda v: v[:1], x, 4.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: error on x: got 4, which is too small for your map psi: compute ||psi(A x) - x|| with the psi you wrote
    """
    got = _number(name, value)
    x = _as_tensor("x", x)
    out = _as_tensor("psi(y)", psi(forward(x)))
    if out.shape != x.shape:
        raise CheckError(f"{name}: psi returns shape {tuple(out.shape)}, but the image has shape {tuple(x.shape)}")
    expected = float((out - x).norm())
    if not abs(got - expected) <= rtol * max(expected, 1e-300):
        side = "too large" if got > expected else "too small"
        raise CheckError(f"{name}: got {got:.6g}, which is {side} for your map psi: compute "
                         "||psi(A x) - x|| with the psi you wrote")
    _ok(name)


def coisometry(forward: Callable, adjoint: Callable, x_shape: Sequence[int], *, seed: int = 0,
               rtol: float = 1e-10) -> None:
    """Check ``A A^* = I``: ``forward(adjoint(y)) = y`` for random complex data ``y``.

    Parameters
    ----------
    forward, adjoint : callable
        ``x -> A x`` and ``y -> A^* y``.
    x_shape : sequence of int
        Shape of one input of ``forward``; the data shape is taken from ``forward``.
    seed : int
        Seed of the random data.
    rtol : float
        Allowed relative deviation.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_kernel
    >>> keep = lambda x: x[:2]
    >>> pad = lambda y: torch.cat([y, torch.zeros(3, dtype=y.dtype)])
    >>> checks_kernel.coisometry(keep, pad, (5,))
    ✔ A A^* = I: correct
    >>> checks_kernel.coisometry(keep, lambda y: 2 * pad(y), (5,))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: A A^* = I: A(A^*(y)) differs from y by 1 (relative)...
    """
    x = torch.zeros(*x_shape, dtype=torch.complex128)
    data_shape = _as_tensor("forward(x)", forward(x)).shape
    y = _device.randn(*data_shape, seed=seed, dtype=torch.complex128)
    out = _as_tensor("A(A^*(y))", forward(adjoint(y)))
    if out.shape != y.shape:
        raise CheckError(f"A A^* = I: A(A^*(y)) has shape {tuple(out.shape)}, the data have shape "
                         f"{tuple(y.shape)}")
    gap = float((out.to(torch.complex128) - y).norm() / y.norm())
    if not gap <= rtol:
        raise CheckError(f"A A^* = I: A(A^*(y)) differs from y by {gap:.2g} (relative) for random data "
                         "y; the adjoint must put the data back where A took them from, with the "
                         "normalisation of the transform")
    _ok("A A^* = I")


def same_data(forward: Callable, x, x2, *, min_distance: float = 0.0, real: bool = False,
              rtol: float = 1e-10) -> None:
    """Check that ``x2`` has the measurements of ``x`` but differs from it.

    Requires ``||A x2 - A x|| <= rtol ||A x||`` (or ``<= rtol ||x||`` when ``A x = 0``),
    ``||x2 - x|| >= min_distance`` and ``x2 != x``; with ``real=True`` also a real ``x2``.
    On success it prints the relative distance ``||x2 - x|| / ||x||``.

    Parameters
    ----------
    forward : callable
        ``x -> A x``.
    x, x2 : torch.Tensor
        The given image and the student's image, same shape.
    min_distance : float
        Smallest allowed ``||x2 - x||``.
    real : bool
        Whether ``x2`` must be a real tensor.
    rtol : float
        Allowed relative difference of the data.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_kernel
    >>> keep = lambda v: v[:2]
    >>> x = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64)
    >>> checks_kernel.same_data(keep, x, x + torch.tensor([0.0, 0.0, 1.0]), min_distance=0.5)
    ✔ same data, ||x2 - x|| / ||x|| = 0.333: correct
    >>> checks_kernel.same_data(keep, x, x + 1, min_distance=0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: x2: A(x2) differs from A(x) by 0.63 (relative)...
    """
    x = _as_tensor("x", x)
    x2 = _as_tensor("x2", x2)
    if x2.shape != x.shape:
        raise CheckError(f"x2: expected the shape of x, {tuple(x.shape)}; got {tuple(x2.shape)}")
    if real and x2.is_complex():
        raise CheckError("x2 must be a real image: take the real part of the kernel component "
                         "(its imaginary part is rounding error when the pattern is symmetric)")
    wide = torch.complex128 if (x.is_complex() or x2.is_complex()) else torch.float64
    x, x2 = x.to(wide), x2.to(wide)
    ax = _as_tensor("A(x)", forward(x))
    ax2 = _as_tensor("A(x2)", forward(x2))
    scale = float(ax.norm()) or float(x.norm()) or 1.0
    gap = float((ax2.to(torch.complex128) - ax.to(torch.complex128)).norm()) / scale
    if not gap <= rtol:
        raise CheckError(f"x2: A(x2) differs from A(x) by {gap:.2g} (relative), but the two images "
                         "must have the same measurements: change x only by a vector of the kernel")
    distance = float((x2 - x).norm())
    if distance == 0.0:
        raise CheckError("x2 equals x; add a nonzero kernel vector")
    if distance < min_distance:
        raise CheckError(f"x2: ||x2 - x|| = {distance:.4g}, but the task asks for at least "
                         f"{min_distance:g}: scale the kernel vector you add")
    _ok(f"same data, ||x2 - x|| / ||x|| = {distance / max(float(x.norm()), 1e-300):.3f}")


def exact_on(name: str, psi: Callable, forward: Callable, x, *, atol: float = 1e-12) -> None:
    """Check that the reconstruction map ``psi`` recovers ``x`` from its data: ``psi(A x) = x``.

    Parameters
    ----------
    name : str
        What is checked, for the messages.
    psi, forward : callable
        The student's map and ``x -> A x``.
    x : torch.Tensor
        The image ``psi`` must be exact on.
    atol : float
        Largest allowed deviation of an entry.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_kernel
    >>> x = torch.tensor([3.0, 4.0], dtype=torch.float64)
    >>> checks_kernel.exact_on("psi(A x) = x", lambda y: torch.cat([y, x[1:]]), lambda v: v[:1], x)
    ✔ psi(A x) = x: correct
    >>> zero_fill = lambda y: torch.cat([y, 0 * y])
    >>> checks_kernel.exact_on("psi(A x) = x", zero_fill, lambda v: v[:1], x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: psi(A x) = x: psi(A x) differs from x by up to 4 ...
    """
    x = _as_tensor("x", x)
    out = _as_tensor("psi(A x)", psi(forward(x)))
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
    _ok(name)
