"""Checks of the vectors a student finds in a kernel (Chapter 1 and its warm-up): a kernel
vector, the kernel part of a detail, an image with the same data as another, and an image in the
approximate kernel of an ill-conditioned operator.

Each check computes its reference itself, from the operator or from the student's own map, so
the visible check cell holds no expression that a student could paste as the answer, and no
failure message states the expected value (it says which condition fails, and why).
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import _batch, _validate, kernel
from ..operators import LinearOperator
from ._core import CheckError, as_number, as_tensor, ok

__all__ = ["approximate_kernel", "in_kernel", "kernel_part", "same_data"]


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
