r"""Projection onto the kernel N(A): the part of an image that the data cannot see (Chapter 1).

Two images that differ by an element of the kernel :math:`\mathcal{N}(A) = \{z : Az = 0\}`
give the same data, so no reconstruction method can tell them apart. :func:`project` computes
the orthogonal projection onto the kernel and :func:`component` its ridge-regularised version
(the paper's construction for CT). Inner products are real, :math:`\mathrm{Re}\langle u, v\rangle`,
so real- and complex-valued spaces are handled alike; the iteration runs in double precision.
"""

from __future__ import annotations

import warnings
from typing import Callable

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator
from ..solvers.krylov import KrylovState, cg
from ._common import cast_like, check_batch, check_tol, double

__all__ = ["component", "project"]


def _kernel_part(A: LinearOperator, v: torch.Tensor, ridge: float, tol: float, n_iter: int,
                 what: str) -> torch.Tensor:
    """``s = v - A^H w`` with ``(A A^H + ridge I) w = A v``, by conjugate residuals, in double precision.

    The conjugate-residual method (:func:`tk_lessons.solvers.krylov.cg` with ``method="cr"``)
    makes ``||b - M w||`` decrease at every step, ``M = A A^H + ridge I``; for ``ridge = 0``
    that residual is ``||A s||``, the quantity we want small. The solver carries ``A^H w``
    along (``image=True``), so each step costs one ``A`` and one ``A^H``. Each sample stops
    once ``||b - M w|| <= tol * max(||A v||, sigma * ||s||)``, where ``sigma <= ||A||`` is
    estimated on the fly from ``||A^H r|| / ||r||``; the second term stops the iteration at
    rounding level when ``v`` is (numerically) in the kernel already. A ``RuntimeWarning``
    reports samples that ran out of iterations. The result is cast back to ``v``'s precision.
    """
    v64 = double(v)
    sigma2 = torch.zeros(v.shape[0], dtype=torch.float64, device=v.device)  # running estimate of ||A||^2
    residual = torch.zeros_like(sigma2)             # relative residual at the last check

    def converged(state: KrylovState) -> torch.Tensor:
        nonlocal sigma2, residual
        rr = state.rr
        sigma2 = torch.maximum(sigma2, _batch.sqnorm(state.r_image) / torch.where(rr > 0, rr, 1.0))
        scale = torch.maximum(state.b_norm, sigma2.sqrt() * _batch.norm(v64 - state.x_image))
        residual = rr.sqrt() / torch.where(scale > 0, scale, 1.0)
        return rr.sqrt() <= tol * scale

    def apply(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        Ah_w = A.adjoint(w)
        return A(Ah_w) + ridge * w, Ah_w            # (M w, A^H w)

    _, Ah_w = cg(apply, A(v64), n_iter=n_iter, method="cr", image=True, stop=converged)
    if bool((residual > tol).any()):
        warnings.warn(f"{what}: conjugate residuals stopped after n_iter={n_iter} iterations at "
                      f"relative residual {float(residual.max()):.1e} > tol={tol:.0e}",
                      RuntimeWarning, stacklevel=6)
    return cast_like(v64 - Ah_w, v)


class _SelfAdjoint(torch.autograd.Function):
    """Apply a self-adjoint linear map ``fn``; its gradient is ``fn`` again.

    Saves backpropagating through every iteration: since ``P = P^H``, the
    vector-Jacobian product of ``z -> P z`` is ``g -> P g``.
    """

    @staticmethod
    def forward(ctx, z: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        ctx.fn = fn
        ctx.real_input = not z.is_complex()
        return fn(z)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        g = _SelfAdjoint.apply(grad, ctx.fn)
        # a real input of a complex-valued map gets the real part (the real-space adjoint)
        return (g.real if ctx.real_input and g.is_complex() else g), None


# ---------------------------------------------------------------------------------------
# projection onto the kernel
# ---------------------------------------------------------------------------------------
def project(A: LinearOperator, z: torch.Tensor, *, tol: float = 1e-8, n_iter: int = 500,
            method: str = "auto") -> torch.Tensor:
    """Orthogonal projection of ``z`` onto the kernel ``N(A)``.

    The kernel part of ``z`` is ``P z = z - A^H w`` with ``w`` solving the normal
    equations ``A A^H w = A z``; then ``A(P z) = 0`` and ``z - P z`` lies in the row space.

    * Operators that declare ``orthonormal_rows = True`` (``A A^H = I``: subsampled
      Fourier and Hadamard, inpainting) get the exact formula ``P z = z - A^H A z``,
      accurate to rounding in ``z``'s precision.
    * Any other operator is handled iteratively: the normal equations are solved by
      batched conjugate residuals (a variant of conjugate gradients whose residual
      ``||A(P z)||`` never increases), in double precision, and the result is cast back to
      ``z``'s precision. Each sample stops once
      ``||A(P z)|| <= tol * max(||A z||, ||A|| ||P z||)`` (``||A||`` is estimated from below
      on the fly): the data of ``P z`` are a ``tol`` fraction of those of ``z``, or ``P z``
      is in the kernel to relative level ``tol``. The distance to the exact projection is
      then at most ``||A(P z)|| / sigma_min``, with ``sigma_min`` the smallest *nonzero*
      singular value of ``A``. A ``RuntimeWarning`` reports a run that hits ``n_iter``.

      Ill-conditioned operators converge slowly: a 16 x 16 Radon transform with 8 angles
      needs about 800 iterations for ``tol=1e-8`` (pass ``n_iter=2000``). When the singular values decay
      continuously to zero (a 64 x 64 Radon transform with 30 angles has singular values
      at every scale down to 1e-10), the kernel itself is numerically ill-defined and the
      residual stalls near 1e-4; use ``component(A, d, ridge=r)`` there, as the paper did.
      Likewise an injective but ill-conditioned ``A`` (``Blur``) has ``N(A) = {0}``; its
      directions of small gain are described by :func:`approximate`.

    The result is differentiable in ``z``: ``P`` is self-adjoint, so its gradient is ``P``.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    z : torch.Tensor, shape ``(B, *A.domain_shape)``
        Images to project (real, or complex for a complex-domain operator).
    tol : float
        Relative residual at which the iteration stops, in (0, 1) (unused by the exact formula).
    n_iter : int
        Most iterations.
    method : {"auto", "cg"}
        ``"auto"`` uses the exact formula when ``A`` declares orthonormal rows; ``"cg"``
        always iterates (to compare the two).

    Returns
    -------
    torch.Tensor, shape ``(B, *A.domain_shape)``
        ``P z``, in ``z``'s precision; complex whenever ``A^H`` returns complex images
        (``SubsampledFourier``, even for real ``z``).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 1.0]], dtype=torch.float64))
    >>> kernel.project(A, torch.tensor([[2.0, 0.0]], dtype=torch.float64))
    tensor([[ 1., -1.]], dtype=torch.float64)
    """
    _validate.operator("A", A)
    check_batch("z", z, A.domain_shape, A.domain_complex)
    tol, n_iter = check_tol(tol, n_iter)
    _validate.choice("method", method, ("auto", "cg"))

    if method == "auto" and A.orthonormal_rows:
        return z - A.adjoint(A(z))  # exact because A A^H = I

    def apply_P(v: torch.Tensor) -> torch.Tensor:
        return _kernel_part(A, v, 0.0, tol, n_iter, "kernel.project")

    return _SelfAdjoint.apply(z, apply_P)


def component(A: LinearOperator, d: torch.Tensor, *, ridge: float | None = None, tol: float = 1e-8,
              n_iter: int = 500) -> torch.Tensor:
    """The part of a detail ``d`` that the data cannot see: its kernel component.

    * ``ridge=None``: the exact kernel component ``project(A, d)``.
    * ``ridge=r > 0``: the ridge-regularised version used for CT in the paper
      (``hallucination_radon``): the visible part is the ridge regression
      ``x_perp = (A^H A + r I)^{-1} A^H A d`` and the returned kernel part is
      ``d_N = d - x_perp``. Each singular direction of ``A`` with singular value ``sigma``
      is kept with weight ``r / (sigma^2 + r)``: the invisible (``sigma = 0``) directions
      fully, directions with ``sigma^2 >> r`` hardly. ``d_N`` is only approximately in the
      kernel: ``||A d_N|| <= (sqrt(r) / 2) ||d||``. ``r`` is absolute, so compare it with
      ``A.norm() ** 2``; as ``r -> 0``, ``d_N`` tends to ``project(A, d)``.
      Computed through the equal form ``x_perp = A^H (A A^H + r I)^{-1} A d``, by the same
      conjugate residuals as :func:`project` (now on ``A A^H + r I``, whose condition
      number is at most ``1 + ||A||^2 / r``) and the same stopping rule, the residual being
      that of the ridge system.

    Differentiable in ``d`` (the map is self-adjoint, so its gradient is itself).

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    d : torch.Tensor, shape ``(B, *A.domain_shape)``
        Details, e.g. a text or a "tumour" image.
    ridge : float or None
        ``None`` for the exact kernel component, or the ridge parameter ``r > 0``.
    tol : float
        Relative residual at which the iteration stops, in (0, 1).
    n_iter : int
        Most iterations.

    Returns
    -------
    torch.Tensor, shape ``(B, *A.domain_shape)``
        The kernel component of ``d``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> kernel.component(A, torch.tensor([[1.0, 1.0]], dtype=torch.float64), ridge=1.0)
    tensor([[0.5000, 1.0000]], dtype=torch.float64)
    """
    _validate.operator("A", A)
    check_batch("d", d, A.domain_shape, A.domain_complex)
    if ridge is None:
        return project(A, d, tol=tol, n_iter=n_iter)
    ridge = _validate.positive("ridge", ridge)
    tol, n_iter = check_tol(tol, n_iter)

    def apply_ridge(v: torch.Tensor) -> torch.Tensor:
        return _kernel_part(A, v, ridge, tol, n_iter, "kernel.component")

    return _SelfAdjoint.apply(d, apply_ridge)


