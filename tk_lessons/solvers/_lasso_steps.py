"""The steps that the square-root LASSO (:func:`~tk_lessons.solvers.sqrt_lasso`) and FIRENET
(:func:`~tk_lessons.solvers.firenet`) share: the problem in coefficients, its checks and one
Chambolle–Pock step (plain and averaged)."""

from __future__ import annotations

from typing import Callable

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator
from ._common import check_x_init
from .prox import proj_l2_ball, soft_threshold

__all__ = ["check_weights", "cp_step", "ergodic_cp", "initial_coefficients", "objective", "operator_norm",
           "step_sizes", "synthesis_operator"]


def cp_step(B: LinearOperator, adjoint: Callable[[torch.Tensor], torch.Tensor], y: torch.Tensor,
            c: torch.Tensor, d: torch.Tensor, tau: float | torch.Tensor, sigma: float | torch.Tensor,
            lam_w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One Chambolle–Pock step for ``min_c ||c||_{1, lam w} + ||B c - y||_2``: returns ``(c+, d+)``.

    ``tau`` and ``sigma`` are scalars or per-item tensors broadcasting against ``c`` and ``y``.
    """
    c_new = soft_threshold(c - tau * adjoint(d), tau * lam_w)
    d_new = proj_l2_ball(d + sigma * (B(2 * c_new - c) - y))
    return c_new, d_new


def objective(B: LinearOperator, y: torch.Tensor, c: torch.Tensor, lam: float,
              w: torch.Tensor) -> torch.Tensor:
    """``lam ||c||_{1,w} + ||B c - y||_2`` per item: shape ``(B,)``."""
    return lam * _batch.total(w * c.abs()) + _batch.norm(B(c) - y)


def synthesis_operator(A: LinearOperator, W: LinearOperator | None) -> LinearOperator:
    """``B = A W^H`` (the operator on the coefficients), or ``A`` itself when ``W`` is None.

    Raises unless ``W`` is a square operator on ``A``'s domain with ``W^H W = I``.
    """
    if W is None:
        return A
    _validate.operator("W", W)
    if W.domain_shape != A.domain_shape or W.range_shape != A.domain_shape:
        raise ValueError(f"W must map A's domain {A.domain_shape} to itself (an orthonormal transform), "
                         f"got domain {W.domain_shape} and range {W.range_shape}")
    if not W.isometry:
        raise ValueError(f"W must be orthonormal (W^H W = I: W.isometry, e.g. a Wavelet), "
                         f"got {type(W).__name__} with W.isometry = False")
    return A @ W.H


def operator_norm(A: LinearOperator) -> float:
    """``||A||``, raising for the zero operator (no step size exists)."""
    norm = A.norm()
    if not norm > 0:
        raise ValueError(f"A must be a non-zero operator, got ||A|| = {norm}")
    return norm


def step_sizes(tau: float | None, sigma: float | None, norm: float) -> tuple[float, float]:
    """Primal/dual steps with ``tau sigma norm^2 <= 1``: defaults ``1 / norm``, a missing one fills the bound."""
    if tau is not None:
        tau = _validate.positive("tau", tau)
    if sigma is not None:
        sigma = _validate.positive("sigma", sigma)
    if tau is None and sigma is None:
        tau = sigma = 1 / norm
    elif tau is None:
        tau = 1 / (sigma * norm ** 2)
    elif sigma is None:
        sigma = 1 / (tau * norm ** 2)
    product = tau * sigma * norm ** 2
    if product > 1 + 1e-6:  # Chambolle-Pock diverges beyond this; 1 itself is allowed (FIRENET uses it)
        raise ValueError(f"tau * sigma * ||A||^2 must be <= 1 for convergence, got {product:.4g} "
                         f"(tau={tau:.4g}, sigma={sigma:.4g}, ||A||={norm:.4g})")
    return tau, sigma


def initial_coefficients(B: LinearOperator, y: torch.Tensor, W: LinearOperator | None,
                         x_init: torch.Tensor | None, real: bool
                         ) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
    """Starting coefficients ``c0 = W x_init`` (zeros by default) and the adjoint ``d -> B^H d`` to use.

    The coefficients take the dtype of ``B^H y`` (complex for Fourier), or its real part
    when ``real`` is True; then the adjoint is ``Re(B^H d)``.
    """
    _validate.flag("real", real)
    template = B.adjoint(y).detach()
    if real:
        template = template.real
    check_x_init(B, x_init, y.shape[0])
    if x_init is None:
        c = torch.zeros_like(template)
    else:
        if real and x_init.is_complex():
            raise ValueError(f"x_init must be real when real=True, got dtype {x_init.dtype}")
        c = x_init if W is None else W(x_init)
        c = c.real if real and c.is_complex() else c
        c = c.to(template.dtype)
    adjoint = (lambda d: B.adjoint(d).real) if real else B.adjoint
    return c, adjoint


def check_weights(weights: torch.Tensor | None, c: torch.Tensor) -> torch.Tensor:
    """The ℓ1 weights as a real tensor on ``c``'s device (ones by default), checked."""
    real_dtype = c.real.dtype if c.is_complex() else c.dtype
    if weights is None:
        return torch.ones((), dtype=real_dtype, device=c.device)
    _validate.tensor("weights", weights)
    if weights.is_complex() or not weights.is_floating_point():
        raise TypeError(f"weights must be a real floating-point tensor, got dtype {weights.dtype}")
    try:
        broadcast = torch.broadcast_shapes(weights.shape, c.shape)
    except RuntimeError:
        broadcast = None
    if broadcast != c.shape:
        raise ValueError(f"weights must have shape {tuple(c.shape[1:])} (or broadcast to {tuple(c.shape)}), "
                         f"got {tuple(weights.shape)}")
    if not bool(torch.isfinite(weights).all()) or bool((weights < 0).any()):
        raise ValueError(f"weights must be finite and >= 0, got min {float(weights.min()):.3g}")
    return weights.to(device=c.device, dtype=real_dtype)


def ergodic_cp(B: LinearOperator, adjoint: Callable[[torch.Tensor], torch.Tensor], y: torch.Tensor,
               c: torch.Tensor, p: int, tau: float, sigma: float, lam_w: torch.Tensor) -> torch.Tensor:
    """``p`` Chambolle–Pock steps for ``min_c ||c||_{1, lam w} + ||B c - y||_2`` from ``(c, d = 0)``.

    Returns the ergodic average of the ``p`` new primal iterates (``c`` itself not included).
    """
    d = torch.zeros_like(y)
    total = torch.zeros_like(c)
    for _ in range(p):
        c, d = cp_step(B, adjoint, y, c, d, tau, sigma, lam_w)
        total = total + c
    return total / p
