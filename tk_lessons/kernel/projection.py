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
from ._common import cast_like, check_batch, check_tol, double

__all__ = ["component", "project"]


def _conjugate_residuals(A: LinearOperator, v: torch.Tensor, *, ridge: float = 0.0, tol: float = 1e-8,
                         n_iter: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """``s = v - A^H w`` with ``(A A^H + ridge I) w = A v``, by batched conjugate residuals.

    The conjugate-residual method (CG's sibling for self-adjoint systems ``M w = b``, here
    ``M = A A^H + ridge I``) makes ``||b - M w||`` decrease at every step; for ``ridge = 0``
    that residual is ``||A s||``, the quantity we want small. It updates ``s`` directly, so
    ``w`` is never stored, and costs one ``A`` and one ``A^H`` per step. Each sample has its
    own step sizes and stops once ``||b - M w|| <= tol * max(||A v||, sigma * ||s||)``, where
    ``sigma <= ||A||`` is estimated on the fly; the second term stops the iteration at
    rounding level when ``v`` is (numerically) in the kernel already. Real inner products
    ``Re <u, v>`` let the same code serve real and complex spaces.

    Returns ``s`` and, per sample, the relative residual ``||b - M w|| / max(||A v||, sigma ||s||)``
    at which it stopped (above ``tol`` only for a sample that ran out of iterations).
    """
    r = A(v)                                        # residual b - M w, with w = 0
    b_norm = _batch.inner(r, r).sqrt()
    s = v.clone()
    Ah_r = A.adjoint(r)
    M_r = A(Ah_r) + ridge * r
    p, Ah_p, M_p = r, Ah_r, M_r                     # search direction, A^H p and M p
    r_Mr = _batch.inner(r, M_r)
    sigma2 = torch.zeros_like(b_norm)               # running estimate of ||A||^2 (never above it)
    for it in range(n_iter + 1):
        rr = _batch.inner(r, r)
        sigma2 = torch.maximum(sigma2, _batch.inner(Ah_r, Ah_r) / torch.where(rr > 0, rr, 1.0))
        scale = torch.maximum(b_norm, sigma2.sqrt() * _batch.inner(s, s).sqrt())
        active = rr.sqrt() > tol * scale
        if it == n_iter or not bool(active.any()):
            break
        Mp_Mp = _batch.inner(M_p, M_p)
        # converged samples take no step, so the batch can keep going without them
        alpha = torch.where(active & (Mp_Mp > 0), r_Mr / torch.where(Mp_Mp > 0, Mp_Mp, 1.0), 0.0)
        s = s - _batch.expand(alpha, s) * Ah_p
        r = r - _batch.expand(alpha, r) * M_p
        Ah_r = A.adjoint(r)
        M_r = A(Ah_r) + ridge * r
        r_Mr_new = _batch.inner(r, M_r)
        beta = torch.where(active & (r_Mr > 0), r_Mr_new / torch.where(r_Mr > 0, r_Mr, 1.0), 0.0)
        p = r + _batch.expand(beta, p) * p
        Ah_p = Ah_r + _batch.expand(beta, Ah_p) * Ah_p
        M_p = M_r + _batch.expand(beta, M_p) * M_p
        r_Mr = r_Mr_new
    return s, rr.sqrt() / torch.where(scale > 0, scale, 1.0)


def _kernel_part(A: LinearOperator, v: torch.Tensor, ridge: float, tol: float, n_iter: int,
                 what: str) -> torch.Tensor:
    """The iteration in double precision, cast back to ``v``'s; warns when it ran out of iterations."""
    s, residual = _conjugate_residuals(A, double(v), ridge=ridge, tol=tol, n_iter=n_iter)
    if bool((residual > tol).any()):
        warnings.warn(f"{what}: conjugate residuals stopped after n_iter={n_iter} iterations at "
                      f"relative residual {float(residual.max()):.1e} > tol={tol:.0e}",
                      RuntimeWarning, stacklevel=6)
    return cast_like(s, v)


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
    z : torch.Tensor, shape (B, *A.domain_shape)
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
    torch.Tensor, shape (B, *A.domain_shape)
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
    d : torch.Tensor, shape (B, *A.domain_shape)
        Details, e.g. a text or a "tumour" image.
    ridge : float or None
        ``None`` for the exact kernel component, or the ridge parameter ``r > 0``.
    tol : float
        Relative residual at which the iteration stops, in (0, 1).
    n_iter : int
        Most iterations.

    Returns
    -------
    torch.Tensor, shape (B, *A.domain_shape)
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


