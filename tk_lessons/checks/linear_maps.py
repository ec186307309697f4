"""Checks for the linear algebra of the kernel (Chapter 1 and its warm-up): adjoints,
co-isometries, orthogonal projectors, kernel vectors and components, dimensions, traces,
singular values, and maps that are exact on an image.

Each check computes its reference itself, from the operator or from the student's own map, so
the visible check cell holds no expression that a student could paste as the answer, and no
failure message states the expected value (it says too large or too small, and why).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from .. import _batch, _validate, device, kernel
from ..operators import LinearOperator
from ._core import CheckError, as_number, as_tensor, ok

__all__ = ["adjoint", "approximate_kernel", "coisometry", "exact_on", "in_kernel", "kernel_dimension",
           "kernel_part", "projector", "reconstruction_error", "same_data", "singular_value_count",
           "trace"]

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


def same_data(forward: Callable, x: torch.Tensor, x2: object, *, min_distance: float = 0.0,
              real: bool = False, rtol: float = 1e-10) -> None:
    r"""Check that ``x2`` has the measurements of ``x`` but differs from it.

    Requires :math:`\|Ax_2 - Ax\| \le \mathrm{rtol}\,\|Ax\|` (or :math:`\le \mathrm{rtol}\,\|x\|`
    when :math:`Ax = 0`), :math:`\|x_2 - x\| \ge` ``min_distance`` and :math:`x_2 \ne x`; with
    ``real=True`` also a real ``x2``. On success it prints the relative distance
    :math:`\|x_2 - x\| / \|x\|`.

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
    >>> from tk_lessons import checks
    >>> keep = lambda v: v[:2]
    >>> x = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64)
    >>> checks.same_data(keep, x, x + torch.tensor([0.0, 0.0, 1.0]), min_distance=0.5)
    ✔ same data, ||x2 - x|| / ||x|| = 0.333: correct
    >>> checks.same_data(keep, x, x + 1, min_distance=0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: x2: A(x2) differs from A(x) by 0.63 (relative)...
    """
    x = as_tensor("x", x)
    x2 = as_tensor("x2", x2)
    if x2.shape != x.shape:
        raise CheckError(f"x2: expected the shape of x, {tuple(x.shape)}; got {tuple(x2.shape)}")
    if real and x2.is_complex():
        raise CheckError("x2 must be a real image: take the real part of the kernel component "
                         "(its imaginary part is rounding error when the pattern is symmetric)")
    wide = torch.complex128 if (x.is_complex() or x2.is_complex()) else torch.float64
    x, x2 = x.to(wide), x2.to(wide)
    ax = as_tensor("A(x)", forward(x))
    ax2 = as_tensor("A(x2)", forward(x2))
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
    ok(f"same data, ||x2 - x|| / ||x|| = {distance / max(float(x.norm()), 1e-300):.3f}")


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


def in_kernel(forward: Callable, z: object, *, rtol: float = 1e-8) -> None:
    r"""Check that ``z`` is a nonzero vector in the kernel: :math:`\|Az\| \le \mathrm{rtol}\,\|z\|`.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> keep = lambda x: x[:2]
    >>> checks.in_kernel(keep, torch.tensor([0.0, 0.0, 1.0]))
    ✔ z lies in the kernel: correct
    >>> checks.in_kernel(keep, torch.zeros(3))
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: z: the zero vector lies in every kernel; find a nonzero one
    """
    z = as_tensor("z", z)
    nz = float(z.norm())
    if nz == 0.0:
        raise CheckError("z: the zero vector lies in every kernel; find a nonzero one")
    residual = float(as_tensor("forward(z)", forward(z)).norm())
    if not residual <= rtol * nz:
        raise CheckError(f"z: ||A z|| / ||z|| = {residual / nz:.2e}, but a kernel vector needs ||A z|| = 0")
    ok("z lies in the kernel")


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


def kernel_part(A: LinearOperator, detail: torch.Tensor, z: object, *, rtol: float = 1e-8) -> None:
    r"""Check that ``z`` is the orthogonal projection of ``detail`` onto the kernel of ``A``.

    Two conditions characterise :math:`z = P_{\mathcal{N}(A)} d` (``d`` the detail): ``z`` lies in
    the kernel (:math:`Az = 0`) and the rest :math:`d - z` has no kernel part left (it is
    orthogonal to :math:`\mathcal{N}(A)`). The second
    is tested with :func:`tk_lessons.kernel.project`, so this check works for every operator
    of the course; the message says which condition fails.

    Parameters
    ----------
    A : tk_lessons.operators.LinearOperator
        The forward operator.
    detail : torch.Tensor, shape ``(B, *A.domain_shape)``
        The detail that was projected.
    z : torch.Tensor, same shape as ``detail``
        The student's kernel part (real or complex).
    rtol : float
        Relative tolerance for both conditions.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import Inpainting
    >>> A = Inpainting(torch.tensor([True, False, True]))
    >>> d = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.float64)
    >>> checks.kernel_part(A, d, torch.tensor([[[0.0, 2.0, 0.0]]], dtype=torch.float64))
    ✔ kernel part of the detail: correct
    """
    _validate.operator("A", A)
    d = as_tensor("detail", detail)
    z = as_tensor("z", z)
    if z.shape != d.shape:
        raise CheckError(f"z: expected the shape of the detail, {tuple(d.shape)}; got {tuple(z.shape)}")
    if not (z.is_floating_point() or z.is_complex()):
        raise CheckError(f"z: expected a floating-point tensor, got dtype {z.dtype}")
    if not bool(torch.isfinite(_batch.flat_real(z)).all()):
        raise CheckError("z contains NaN or inf")
    wide = torch.complex128 if (z.is_complex() or d.is_complex()) else torch.float64
    z, d = z.to(wide), d.to(wide)
    scale = float(d.norm())
    if z.is_complex() and not A.domain_complex:
        raise CheckError(f"z: expected a real image for {type(A).__name__} (a real-valued space), got a complex one")
    z_norm = float(z.norm())
    if z_norm > 0:
        gain = float(A(z).norm()) / z_norm
        if gain > rtol * A.norm():
            raise CheckError(
                f"z is not in the kernel: ||A z|| / ||z|| = {gain:.2e}, but A z must vanish. "
                "Remove from the detail everything the operator measures (z = d - A^* A d when A A^* = I)")
    rest = d - z
    leftover = float(kernel.project(A, rest, tol=min(rtol, 1e-8)).norm())
    if leftover > rtol * max(scale, 1e-300):
        if z_norm == 0:
            raise CheckError("z is zero, but the detail has a kernel part of relative size "
                             f"{leftover / scale:.2e}: project the detail, do not discard it")
        raise CheckError(
            f"z lies in the kernel but is not the orthogonal projection of the detail: the rest d - z "
            f"still has a kernel part of relative size {leftover / scale:.2e}. The projection keeps all "
            "of the detail's kernel part (did you rescale z, or drop part of it?)")
    ok("kernel part of the detail")


def approximate_kernel(forward: Callable, z: object, tau: float, *, rtol: float = 1e-9,
                       unit_norm: bool = False) -> None:
    r"""Check that ``z`` is a nonzero real image in the approximate kernel:
    :math:`\|Az\| \le \tau\|z\|`.

    Parameters
    ----------
    forward : callable
        ``z -> A z``.
    z : torch.Tensor
        The candidate, real and nonzero.
    tau : float
        The gain threshold, ``> 0``.
    rtol : float
        Relative rounding allowance above ``tau``.
    unit_norm : bool
        Also require :math:`\|z\| = 1` (up to ``1e-6``).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> checks.approximate_kernel(lambda v: 1e-3 * v, torch.ones(4, dtype=torch.float64), 1e-2)
    ✔ z lies in the approximate kernel: correct
    """
    z = as_tensor("z", z)
    tau = as_number("tau", tau)
    if z.is_complex():
        raise CheckError("z: expected a real image, got a complex tensor (take a real combination, e.g. the real part)")
    if not z.is_floating_point():
        raise CheckError(f"z: expected a floating-point tensor, got dtype {z.dtype}")
    z = z.to(torch.float64)
    z_norm = float(z.norm())
    if not z_norm > 0 or z_norm != z_norm:
        raise CheckError("z: the zero image is trivially invisible; find a nonzero one")
    if unit_norm and not abs(z_norm - 1.0) <= 1e-6:
        raise CheckError(f"z: ||z|| = {z_norm:.6g}, but the task asks for an image of norm 1: "
                         "divide z by its norm")
    gain = float(as_tensor("A z", forward(z)).norm()) / z_norm
    if not gain <= tau * (1 + rtol):
        raise CheckError(
            f"z: ||A z|| / ||z|| = {gain:.3e} is above tau = {tau:.3e}, so the operator still sees z. "
            "Keep only directions with singular value <= tau (for a blur: the highest frequencies)")
    ok("z lies in the approximate kernel")
