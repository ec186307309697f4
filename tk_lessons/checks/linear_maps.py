"""Checks of linear maps (Chapter 1 and its warm-up): adjoints, co-isometries, orthogonal
projectors, and the numbers read off a map's matrix: the dimension of its kernel, its trace and
how many of its singular values are small.

Each check computes its reference itself, from the operator or from the student's own map, so
the visible check cell holds no expression that a student could paste as the answer, and no
failure message states the expected value (it says too large or too small, and why).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from .. import _validate, device
from ..operators import LinearOperator
from ._core import CheckError, as_number, as_tensor, ok

__all__ = ["adjoint", "coisometry", "kernel_dimension", "projector", "singular_value_count", "trace"]

# Largest number of unknowns for which a check forms the matrix of a map column by column.
MAX_UNKNOWNS = 4096


def _integer(name: str, value: object) -> int:
    """``value`` as an int (a dimension or a count), or a CheckError."""
    number = as_number(name, value)
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
    columns = [as_tensor("the map applied to a basis vector", forward(e)).reshape(-1) for e in basis]
    return torch.stack(columns, dim=1).to(torch.complex128)


def adjoint(forward: Callable, adjoint: Callable, x_shape: Sequence[int], *,
            complex_domain: bool = True, seed: int = 0, rtol: float = 1e-10) -> None:
    r"""Check that ``adjoint`` is the adjoint of ``forward``:
    :math:`\langle Ax, y\rangle = \langle x, A^*y\rangle`.

    Tried on one random ``x`` and one random ``y`` in double precision; a wrong conjugation or
    normalisation of a transform shows as a relative gap far above rounding.

    Parameters
    ----------
    forward, adjoint : callable
        ``x -> A x`` and ``y -> A^* y``.
    x_shape : sequence of int
        Shape of one input of ``forward``; the data shape is taken from ``forward``.
    complex_domain : bool
        Draw a complex ``x`` (the default) or a real one.
    seed : int
        Seed of the random ``x`` and ``y``.
    rtol : float
        Allowed relative gap between the two inner products.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> keep = lambda x: x[:2]
    >>> pad = lambda y: torch.cat([y, torch.zeros(3, dtype=y.dtype)])
    >>> checks.adjoint(keep, pad, (5,))
    ✔ adjoint: correct
    >>> checks.adjoint(keep, lambda y: 2 * pad(y), (5,))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: adjoint: <A x, y> and <x, A^* y> differ by ...
    """
    dtype = torch.complex128 if complex_domain else torch.float64
    x = device.randn(*x_shape, seed=seed, dtype=dtype)
    ax = as_tensor("forward(x)", forward(x))
    y = device.randn(*ax.shape, seed=seed + 1, dtype=ax.dtype)
    aty = as_tensor("adjoint(y)", adjoint(y))
    if aty.shape != x.shape:
        raise CheckError(f"adjoint: adjoint(y) must have the shape of x, {tuple(x.shape)}; got {tuple(aty.shape)}")
    lhs = torch.sum(ax.conj() * y) if ax.is_complex() else torch.sum(ax * y)
    rhs = torch.sum(x.conj() * aty.to(x.dtype)) if x.is_complex() else torch.sum(x * aty)
    gap = abs(complex(lhs) - complex(rhs)) / max(float(ax.norm() * y.norm()), 1e-300)
    if not gap <= rtol:
        raise CheckError(f"adjoint: <A x, y> and <x, A^* y> differ by {gap:.2e} (relative); "
                         "check conjugation and the normalisation of your transform")
    ok("adjoint")


def coisometry(forward: Callable, adjoint: Callable, x_shape: Sequence[int], *, seed: int = 0,
               rtol: float = 1e-10) -> None:
    """Check :math:`AA^* = I`: ``forward(adjoint(y)) = y`` for random complex data ``y``.

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
    >>> from tk_lessons import checks
    >>> keep = lambda x: x[:2]
    >>> pad = lambda y: torch.cat([y, torch.zeros(3, dtype=y.dtype)])
    >>> checks.coisometry(keep, pad, (5,))
    ✔ A A^* = I: correct
    >>> checks.coisometry(keep, lambda y: 2 * pad(y), (5,))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: A A^* = I: A(A^*(y)) differs from y by 1 (relative)...
    """
    x = torch.zeros(*x_shape, dtype=torch.complex128)
    data_shape = as_tensor("forward(x)", forward(x)).shape
    y = device.randn(*data_shape, seed=seed, dtype=torch.complex128)
    out = as_tensor("A(A^*(y))", forward(adjoint(y)))
    if out.shape != y.shape:
        raise CheckError(f"A A^* = I: A(A^*(y)) has shape {tuple(out.shape)}, the data have shape "
                         f"{tuple(y.shape)}")
    gap = float((out.to(torch.complex128) - y).norm() / y.norm())
    if not gap <= rtol:
        raise CheckError(f"A A^* = I: A(A^*(y)) differs from y by {gap:.2g} (relative) for random data "
                         "y; the adjoint must put the data back where A took them from, with the "
                         "normalisation of the transform")
    ok("A A^* = I")


def projector(apply: Callable, x_shape: Sequence[int], *, onto_kernel_of: Callable | None = None,
              seed: int = 0, rtol: float = 1e-10) -> None:
    """Check that ``apply`` is an orthogonal projector (:math:`P^2 = P`, :math:`P^* = P`),
    optionally onto the kernel of a map.

    Parameters
    ----------
    apply : callable
        ``x -> P x``.
    x_shape : sequence of int
        Shape of one input of ``apply``.
    onto_kernel_of : callable, optional
        ``x -> A x``: also require :math:`APx = 0`.
    seed : int
        Seed of the random test vectors (complex, double precision).
    rtol : float
        Allowed relative deviation of each condition.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> keep = lambda x: x[:2]
    >>> drop_first_two = lambda x: torch.cat([torch.zeros_like(x[:2]), x[2:]])
    >>> checks.projector(drop_first_two, (5,), onto_kernel_of=keep)
    ✔ orthogonal projector: correct
    >>> checks.projector(lambda x: 0.5 * x, (5,))
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: projector: P(P(x)) differs from P(x): your map is not idempotent
    """
    x = device.randn(*x_shape, seed=seed, dtype=torch.complex128)
    w = device.randn(*x_shape, seed=seed + 1, dtype=torch.complex128)
    px = as_tensor("P(x)", apply(x)).to(torch.complex128)
    scale = float(x.norm())
    if float((apply(px) - px).norm()) > rtol * scale:
        raise CheckError("projector: P(P(x)) differs from P(x): your map is not idempotent")
    pw = apply(w).to(torch.complex128)
    if abs(complex(torch.sum(px.conj() * w) - torch.sum(x.conj() * pw))) > rtol * scale * float(w.norm()):
        raise CheckError("projector: <P x, w> differs from <x, P w>: the projection is not orthogonal")
    if onto_kernel_of is not None and float(as_tensor("A(P x)", onto_kernel_of(px)).norm()) > rtol * scale:
        raise CheckError("projector: A(P(x)) is not zero, so P does not map into the kernel of A")
    ok("orthogonal projector")


def kernel_dimension(forward: Callable, x_shape: Sequence[int], value: object, *,
                     complex_domain: bool = True) -> None:
    r"""Check ``value`` against :math:`\dim\mathcal{N}(A) = N - \operatorname{rank} A`, the rank taken
    from the matrix of ``A``.

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
    >>> from tk_lessons import checks
    >>> keep_first_two = lambda x: x[:2]
    >>> checks.kernel_dimension(keep_first_two, (5,), 3)
    ✔ dim N(A): correct
    >>> checks.kernel_dimension(keep_first_two, (5,), 2)
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
    ok("dim N(A)")


def trace(name: str, apply: Callable, x_shape: Sequence[int], value: object, *,
          complex_domain: bool = True, rtol: float = 1e-10) -> None:
    """Check ``value`` against the trace of the linear map ``apply``, computed on the basis.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> drop_first = lambda x: torch.cat([torch.zeros_like(x[:1]), x[1:]])
    >>> checks.trace("trace of P", drop_first, (4,), 3.0)
    ✔ trace of P: correct
    >>> checks.trace("trace of P", drop_first, (4,), 4.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: trace of P: got 4, which is too large: the trace is the sum of the diagonal of the matrix of the map, <e_j, P e_j> summed over the basis
    """
    got = as_number(name, value)
    expected = float(_matrix(apply, x_shape, complex_domain).diagonal().real.sum())
    if not abs(got - expected) <= rtol * max(abs(expected), 1.0):
        side = "too large" if got > expected else "too small"
        raise CheckError(f"{name}: got {got:.10g}, which is {side}: the trace is the sum of the "
                         "diagonal of the matrix of the map, <e_j, P e_j> summed over the basis")
    ok(name)


def singular_value_count(A: LinearOperator, tau: float, value: object) -> None:
    r"""Check ``value`` against the number of singular values of ``A`` that are at most ``tau``.

    Counts the :math:`N` singular values of ``A`` (:math:`\sigma_i = 0` for :math:`i > m`) from
    the SVD of its dense matrix, ``A.to_dense()``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.diag(torch.tensor([1.0, 1e-3, 1e-6], dtype=torch.float64)))
    >>> checks.singular_value_count(A, 1e-2, 2)
    ✔ number of singular values <= tau: correct
    >>> checks.singular_value_count(A, 1e-2, 1)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: number of singular values <= tau: got 1 of the 3 singular values, which is too few (count sigma_i = 0 for i > m as well)
    """
    _validate.operator("A", A)
    got = _integer("number of singular values <= tau", value)
    tau = as_number("tau", tau)
    M = A.to_dense()
    s = torch.linalg.svdvals(M.to(torch.complex128 if M.is_complex() else torch.float64))
    n = M.shape[1]
    expected = int((s <= tau).sum()) + (n - s.numel())          # sigma_i = 0 for i > m
    if got != expected:
        side = "too many" if got > expected else "too few"
        raise CheckError(f"number of singular values <= tau: got {got} of the {n} singular values, "
                         f"which is {side} (count sigma_i = 0 for i > m as well)")
    ok("number of singular values <= tau")
