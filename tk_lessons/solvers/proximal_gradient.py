"""Sparse recovery by proximal gradient descent: ISTA and its accelerated version FISTA.

Both minimise the LASSO in synthesis form, for each item of the batch,

    F(c) = ½ ||A W^H c - y||² + lam ||w ⊙ c||_1,

over coefficients ``c`` (wavelet coefficients when ``W`` is an orthonormal
:class:`~tk_lessons.operators.Wavelet`, the pixels themselves when ``W`` is None), and
return the image ``x = W^H c``. For orthonormal ``W`` this is the same as minimising
``½ ||A x - y||² + lam ||w ⊙ W x||_1`` over images ``x``. One iteration is a gradient step on
the smooth data term followed by the proximal map of the ℓ1 term (soft thresholding):

    c_next = soft(c - s W A^H (A W^H c - y), s lam w),      s = 1 / ||A||²  by default.

For complex coefficients ``|c_i|`` is the modulus, and soft thresholding shrinks the
modulus and keeps the phase.
"""

from __future__ import annotations

import warnings

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator
from ._common import SolverInfo, check_problem, check_x_init, record
from ._lasso_steps import check_weights
from .prox import soft_threshold

__all__ = ["ista", "fista"]


def _proximal_gradient(A: LinearOperator, y: torch.Tensor, lam: float, W: LinearOperator | None,
                       x_init: torch.Tensor | None, n_iter: int, step: float | None, accelerate: bool,
                       adaptive_restart: bool, real: bool, weights: torch.Tensor | None, progress: bool,
                       return_info: bool) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    """ISTA (``accelerate=False``) or FISTA; the public functions document the parameters."""
    name = "fista" if accelerate else "ista"
    # -- checks --------------------------------------------------------------------------
    check_problem(A, y)
    lam = _validate.positive("lam", lam, allow_zero=True)
    n_iter = _validate.positive_int("n_iter", n_iter)
    if _validate.operator_or_none("W", W) is not None:
        if W.domain_shape != A.domain_shape:
            raise ValueError(f"W must act on A's domain {A.domain_shape}, got a W with domain {W.domain_shape}")
        if not W.isometry:
            # x = W^H c must reach every image and W^H W x = x; otherwise the synthesis problem
            # over c is not the l1-analysis problem in x that the docstring promises
            raise ValueError(f"W must be an isometry (W^H W = I, W.isometry, e.g. a Wavelet) for {name}'s "
                             f"synthesis form, got {type(W).__name__}; for analysis sparsity ||W x||_1 "
                             f"with another W use bpdn(A, y, eta, W) (or tv for the gradient)")
    check_x_init(A, x_init, y.shape[0])
    for flag, value in (("adaptive_restart", adaptive_restart), ("real", real), ("progress", progress),
                        ("return_info", return_info)):
        _validate.flag(flag, value)
    # Lipschitz constant of the gradient: ||A W^H||² <= ||A||² ||W||² (= ||A||² for orthonormal W)
    lipschitz = A.norm() ** 2 * (1.0 if W is None else W.norm() ** 2)
    if step is None:
        step = 1.0 / lipschitz
    else:
        step = _validate.positive("step", step)
        if step * lipschitz > 2:
            raise ValueError(f"step must be < 2 / ||A||^2 = {2 / lipschitz:.4g} for {name} to converge, "
                             f"got step={step:.4g}")
        if accelerate and step * lipschitz > 1 + 1e-9:
            warnings.warn(f"step={step:.4g} exceeds 1 / ||A||^2 = {1 / lipschitz:.4g}: FISTA may not converge",
                          stacklevel=3)

    analysis = (lambda x: x) if W is None else W           # image -> coefficients
    synthesis = (lambda c: c) if W is None else W.H        # coefficients -> image

    def gradient(c: torch.Tensor) -> torch.Tensor:
        """Gradient of ½||A W^H c - y||²: W A^H (A W^H c - y) (its real part for real images)."""
        g = A.adjoint(A(synthesis(c)) - y)
        return analysis(g.real if real else g)

    # -- start: c0 = W x_init, in the dtype of A^H y (complex for Fourier), real if asked -
    like = A.adjoint(y)
    if real and like.is_complex():
        like = like.real
    c = analysis(torch.zeros_like(like) if x_init is None
                 else (x_init.real if real and x_init.is_complex() else x_init))
    c = c.to(torch.promote_types(c.dtype, like.dtype))
    w = 1.0 if weights is None else check_weights(weights, c)
    threshold = step * lam * w

    info = SolverInfo() if return_info else None
    # FISTA's extrapolated point z and its t_k: one number for the batch, one per item with restarts
    z = c
    t = torch.ones(c.shape[0], device=c.device, dtype=like.real.dtype) if adaptive_restart else 1.0
    for _ in _batch.progress_range(n_iter, progress, desc=name):
        c_next = soft_threshold(torch.add(z, gradient(z), alpha=-step), threshold)   # z - step * grad
        if accelerate:
            t_next = (1 + (1 + 4 * t**2) ** 0.5) / 2
            momentum = (t - 1) / t_next
            if adaptive_restart:
                # O'Donoghue & Candès: restart (t = 1, no momentum) where the step went uphill
                uphill = _batch.inner(z - c_next, c_next - c) > 0
                t_next = torch.where(uphill, 1.0, t_next)
                momentum = _batch.expand(torch.where(uphill, 0.0, momentum), c_next)
                z = c_next + momentum * (c_next - c)
            else:
                z = torch.lerp(c, c_next, 1 + momentum)   # = c_next + momentum (c_next - c), one pass
            t = t_next
        else:
            z = c_next
        c = c_next
        if info is not None:
            residual = A(synthesis(c)) - y
            l1 = _batch.total(w * c.abs())
            record(info, 0.5 * _batch.sqnorm(residual) + lam * l1, residual)
    x = synthesis(c)
    return (x, info) if return_info else x


def fista(A: LinearOperator, y: torch.Tensor, lam: float, W: LinearOperator | None = None, *,
          x_init: torch.Tensor | None = None, n_iter: int = 200, step: float | None = None,
          adaptive_restart: bool = False,
          real: bool = False, weights: torch.Tensor | None = None, progress: bool = False,
          return_info: bool = False) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    r"""ℓ1-regularised reconstruction by FISTA (Beck & Teboulle, 2009).

    Minimises, for each item of the batch,

    .. math::

        \tfrac12 \lVert A W^H c - y \rVert^2 + \lambda \sum_i w_i |c_i|

    over coefficients :math:`c` and returns the image :math:`x = W^H c`. FISTA is proximal
    gradient descent plus momentum:

    .. math::

        c_{k+1} &= \operatorname{soft}\bigl(z_k - s W A^H (A W^H z_k - y),\ s \lambda w\bigr), \\
        t_{k+1} &= \bigl(1 + \sqrt{1 + 4 t_k^2}\bigr) / 2, \\
        z_{k+1} &= c_{k+1} + \frac{t_k - 1}{t_{k+1}} (c_{k+1} - c_k)

    with :math:`t_0 = 1`, :math:`z_0 = c_0 = W x_{\mathrm{init}}`; the objective gap decays like
    :math:`O(1/k^2)`.

    Parameters
    ----------
    A : LinearOperator
        Forward operator.
    y : torch.Tensor, shape ``(B, *A.range_shape)``
        Measurements.
    lam : float >= 0
        Weight of the ℓ1 term.
    W : LinearOperator, optional
        Sparsifying transform on A's domain with :math:`W^H W = I` (``W.isometry``, e.g. a
        :class:`~tk_lessons.operators.Wavelet`); None means sparsity in the pixels (:math:`W = I`).
        Any other ``W`` raises ``ValueError``: use :func:`~tk_lessons.solvers.bpdn` for the
        analysis form.
    x_init : torch.Tensor, shape ``(B, *A.domain_shape)``, optional
        Starting image (default 0).
    n_iter : int
        Number of iterations (all of them are run).
    step : float, optional
        Step size :math:`s`; default :math:`1 / \lVert A \rVert^2` (from ``A.norm()``;
        :math:`\lVert A W^H \rVert = \lVert A \rVert` for orthonormal :math:`W`). Steps above
        :math:`1 / \lVert A \rVert^2` warn; steps above :math:`2 / \lVert A \rVert^2` are an error.
    adaptive_restart : bool
        Adaptive restart (O'Donoghue & Candès, 2015): drop the momentum of an item whenever
        its step goes uphill. Often much faster on well-conditioned problems.
    real : bool
        Constrain the image to be real: the gradient step keeps its real part (the
        gradient with respect to a real ``x``), so ``x`` is real even for Fourier data.
        ``W`` must then be a real transform (wavelets are).
    weights : torch.Tensor, optional
        Non-negative weights :math:`w` broadcasting against :math:`c` (shape ``(B, *A.domain_shape)``),
        e.g. per wavelet level; default all ones.
    progress : bool
        Show a progress bar.
    return_info : bool
        Also return a :class:`SolverInfo` with the objective and :math:`\lVert A x - y \rVert` per
        iteration (costs one extra ``A`` per iteration).

    Returns
    -------
    x_rec : torch.Tensor, shape ``(B, *A.domain_shape)``
        The image :math:`W^H c`. It is complex for Fourier operators (whose adjoint returns
        complex images) unless ``real=True``: take ``x_rec.real`` or ``x_rec.abs()`` to display it.
    info : SolverInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import sampling
    >>> from tk_lessons.data import shepp_logan
    >>> from tk_lessons.operators import SubsampledFourier, Wavelet
    >>> x = shepp_logan(64)
    >>> A = SubsampledFourier(sampling.variable_density((64, 64), 0.3))
    >>> x_rec = fista(A, A(x), 1e-3, Wavelet(64, "haar"), n_iter=100, real=True)
    >>> x_rec.shape, x_rec.dtype
    (torch.Size([1, 1, 64, 64]), torch.float32)
    """
    return _proximal_gradient(A, y, lam, W, x_init, n_iter, step, True, adaptive_restart, real, weights, progress,
                              return_info)


def ista(A: LinearOperator, y: torch.Tensor, lam: float, W: LinearOperator | None = None, *,
         x_init: torch.Tensor | None = None, n_iter: int = 200, step: float | None = None, real: bool = False,
         weights: torch.Tensor | None = None, progress: bool = False,
         return_info: bool = False) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    r"""ℓ1-regularised reconstruction by ISTA (proximal gradient descent without momentum).

    Minimises, for each item of the batch,

    .. math::

        \tfrac12 \lVert A W^H c - y \rVert^2 + \lambda \sum_i w_i |c_i|

    by :math:`c_{k+1} = \operatorname{soft}(c_k - s W A^H (A W^H c_k - y),\ s \lambda w)` and
    returns :math:`x = W^H c`. With :math:`s \le 1 / \lVert A \rVert^2` the objective decreases at
    every iteration (the gap like :math:`O(1/k)`); :func:`fista` is the accelerated version. The
    parameters and the returned values are those of :func:`fista` (steps up to
    :math:`2 / \lVert A \rVert^2` are allowed here).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.eye(3, dtype=torch.float64))
    >>> ista(A, torch.tensor([[3.0, 0.5, -2.0]], dtype=torch.float64), 1.0, n_iter=5)   # soft(y, 1)
    tensor([[ 2.,  0., -1.]], dtype=torch.float64)
    """
    return _proximal_gradient(A, y, lam, W, x_init, n_iter, step, False, False, real, weights, progress,
                              return_info)
