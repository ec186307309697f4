"""The (weighted) square-root LASSO by the Chambolle–Pock primal-dual method.

    minimise over x   lam * ||W x||_{1,w}  +  ||A x - y||_2

The data term is the norm itself, not ``1/2 ||.||^2``: this makes the best ``lam``
independent of the noise level (Belloni, Chernozhukov & Wang 2011) and is the problem
that FIRENET (:mod:`tk_lessons.solvers.firenet`) solves with restarts. Also here:
:func:`level_weights`, FIRENET's sparsity-in-levels weights.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from .. import _validate
from ..operators.base import Identity, LinearOperator
from ..operators.wavelet import Wavelet
from ._common import SolverInfo, batch_norm, batch_sum, check_problem, check_x0, expand, record, steps
from .prox import proj_l2_ball, soft_threshold


def sqrt_lasso(A: LinearOperator, y: torch.Tensor, lam: float, W: LinearOperator | None = None, *,
               weights: torch.Tensor | None = None, n_iter: int = 500, tau: float | None = None,
               sigma: float | None = None, x0: torch.Tensor | None = None, real: bool = False,
               progress: bool = False, return_info: bool = False
               ) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    r"""Weighted square-root LASSO by plain Chambolle–Pock iterations.

    Minimises, for each item of the batch independently,

    .. math:: \lambda \|W x\|_{1,w} + \|A x - y\|_2,
              \qquad \|c\|_{1,w} = \textstyle\sum_i w_i |c_i|

    (no ½ on the data term: it is the norm, not its square). With an orthonormal ``W``
    (a :class:`~tk_lessons.operators.Wavelet`) the problem is solved in the coefficients
    ``c = W x``, i.e. ``lam ||c||_{1,w} + ||A W^H c - y||_2``, and ``x = W^H c`` is returned;
    with ``W=None`` it is pixel ℓ1. Writing ``B = A W^H``, one step is (Chambolle & Pock 2011,
    with θ = 1)::

        c+ = soft(c - tau B^H d, tau lam w)           # prox of tau lam ||.||_{1,w}
        d  = proj_ball(d + sigma (B(2 c+ - c) - y))   # prox of sigma f*, f = ||. - y||_2
        c  = c+

    ``soft`` shrinks the modulus and keeps the phase (complex data), and ``proj_ball`` is the
    projection onto the unit ℓ2 ball: the conjugate of ``||.||_2`` is the indicator of that
    ball. It converges when ``tau sigma ||A||^2 <= 1``.

    Parameters
    ----------
    A : LinearOperator
        Forward operator, domain ``(1, H, W)`` or ``(1, N)``.
    y : torch.Tensor, shape (B, *A.range_shape)
        Measurements.
    lam : float >= 0
        Weight of the ℓ1 term.
    W : LinearOperator, optional
        Orthonormal sparsifying transform on ``A``'s domain (``W^H W = I``), usually a
        ``Wavelet``. Default: none (ℓ1 of the pixels).
    weights : torch.Tensor, optional
        Non-negative weights ``w`` of the ℓ1 norm, on the coefficients; shape
        ``A.domain_shape`` or anything broadcasting to ``(B, *A.domain_shape)``, e.g.
        from :func:`level_weights`. Default: all ones.
    n_iter : int >= 1
        Number of iterations.
    tau, sigma : float > 0, optional
        Primal and dual step sizes, with ``tau * sigma * ||A||^2 <= 1``; if only one is
        given the other fills the condition. Default, per item: ``tau = ||y|| / ||A||``,
        ``sigma = 1 / (||y|| ||A||)``. The problem is 1-homogeneous in ``y`` (``x`` scales
        with ``y``, the dual ``d`` stays in the unit ball), so this balance makes the
        iterates independent of the scale of ``y``; ``tau = sigma = 1 / ||A||`` is the same
        method and is only as fast when ``||y|| ~ 1``. FIRENET balances by rescaling ``y``.
    x0 : torch.Tensor, shape (B, *A.domain_shape), optional
        Starting image (default zeros).
    real : bool
        Restrict ``x`` to real values (e.g. real images from Fourier data): the adjoint
        becomes ``Re(B^H d)``, the adjoint for the real inner product.
    progress : bool
        Show a progress bar.
    return_info : bool
        Also return a :class:`SolverInfo` with the objective and residual ``||A x - y||``
        after every iteration.

    Returns
    -------
    x : torch.Tensor, shape (B, *A.domain_shape)
        The reconstruction; complex when ``A.H`` returns complex values (Fourier) and
        ``real`` is False.
    info : SolverInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import GaussianMatrix
    >>> A = GaussianMatrix(20, 40, seed=0)
    >>> x = torch.zeros(1, 40, dtype=torch.float64); x[0, [3, 17]] = 1.0
    >>> x_hat = sqrt_lasso(A, A(x), lam=0.05, n_iter=2000)
    >>> float((x_hat - x).norm()) < 1e-3
    True
    """
    check_problem(A, y)
    lam = _validate.positive("lam", lam, allow_zero=True)
    n_iter = _validate.positive_int("n_iter", n_iter)
    B = synthesis_operator(A, W)
    norm = operator_norm(A)
    c, adjoint = initial_coefficients(B, y, W, x0, real)
    w = check_weights(weights, c)
    if tau is None and sigma is None:
        # per-item balance: x scales like ||y|| while d stays in the unit ball (tau sigma ||A||^2 = 1)
        scale = batch_norm(y)
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        tau, sigma = expand(scale / norm, c), expand(1 / (scale * norm), y)
    else:
        tau, sigma = step_sizes(tau, sigma, norm)
    d = torch.zeros_like(y)
    info = SolverInfo() if return_info else None
    for _ in steps(n_iter, progress, "sqrt-LASSO"):
        c, d = cp_step(B, adjoint, y, c, d, tau, sigma, lam * w)
        if info is not None:
            record(info, objective(B, y, c, lam, w), batch_norm(B(c) - y))
    x = c if W is None else W.H(c)
    return (x, info) if return_info else x


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
    return lam * batch_sum(w * c.abs()) + batch_norm(B(c) - y)


def level_weights(W: Wavelet, sparsities: Sequence[float], *,
                  dtype: torch.dtype | None = None) -> torch.Tensor:
    r"""FIRENET's sparsity-in-levels weights ``w_j = sqrt(s / s_j)`` on the wavelet bands.

    For local sparsities ``s_0, ..., s_r`` (``s_0`` for the approximation band, then the
    detail bands from the coarsest to the finest, the order of ``W.level_masks()``) and
    ``s = s_0 + ... + s_r``, every coefficient of band ``j`` gets the weight
    :math:`w_j = \sqrt{s / s_j}`: bands expected to hold few non-zeros are penalised
    more. This is ``generate_sparsity_weights.m`` of the FIRENET code (Colbrook, Antun &
    Hansen, PNAS 2022; Adcock & Hansen, *Compressive Imaging*, 2021, weighted ℓ1 for
    sparsity in levels).

    Parameters
    ----------
    W : Wavelet
        The wavelet transform; it has ``W.levels + 1`` bands.
    sparsities : sequence of float > 0, length ``W.levels + 1``
        Local sparsities ``s_j``, coarsest band first (e.g. FIRENET's ellipse config
        ``[4, 12, 48, 50, 100, 100, 100]`` for 6 levels).
    dtype : torch.dtype, optional
        Real dtype of the result (default: torch's default dtype).

    Returns
    -------
    torch.Tensor, shape ``W.domain_shape``
        The weights, to pass as ``weights=`` to :func:`sqrt_lasso` or ``firenet``.

    Examples
    --------
    >>> from tk_lessons.operators import Wavelet
    >>> w = level_weights(Wavelet(8, "haar", levels=2), [1, 3, 12])
    >>> [round(float(v), 3) for v in (w[0, 0, 0], w[0, 0, 3], w[0, 7, 7])]
    [4.0, 2.309, 1.155]
    """
    if not isinstance(W, Wavelet):
        raise TypeError(f"W must be a tk_lessons.operators.Wavelet, got {type(W).__name__}")
    masks = W.level_masks()
    sparsities = list(sparsities)
    if len(sparsities) != len(masks):
        raise ValueError(f"sparsities must have one entry per band, W.levels + 1 = {len(masks)}, "
                         f"got {len(sparsities)}: {sparsities!r}")
    sparsities = [_validate.positive(f"sparsities[{j}]", s) for j, s in enumerate(sparsities)]
    total = sum(sparsities)
    w = torch.zeros(W.domain_shape, dtype=dtype or torch.get_default_dtype())
    for mask, s_j in zip(masks, sparsities):
        w[mask] = math.sqrt(total / s_j)
    return w


# -- helpers shared with firenet -------------------------------------------------------------------

def synthesis_operator(A: LinearOperator, W: LinearOperator | None) -> LinearOperator:
    """``B = A W^H`` (the operator on the coefficients), or ``A`` itself when ``W`` is None.

    Raises unless ``W`` is a square operator on ``A``'s domain with ``W^H W = I``.
    """
    if W is None:
        return A
    if not isinstance(W, LinearOperator):
        raise TypeError(f"W must be a tk_lessons.operators.LinearOperator or None, got {type(W).__name__}")
    if W.domain_shape != A.domain_shape or W.range_shape != A.domain_shape:
        raise ValueError(f"W must map A's domain {A.domain_shape} to itself (an orthonormal transform), "
                         f"got domain {W.domain_shape} and range {W.range_shape}")
    if not isinstance(W, (Wavelet, Identity)):  # a generic W: probe W^H W = I on one random input
        probe = torch.randn(1, *W.domain_shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        probe = probe.to(W.device)
        error = float((W.H(W(probe)) - probe).norm() / probe.norm())
        if error > 1e-5:
            raise ValueError(f"W must be orthonormal (W^H W = I, e.g. a Wavelet); "
                             f"||W^H W x - x|| / ||x|| = {error:.2e} for {type(W).__name__}")
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
                         x0: torch.Tensor | None, real: bool
                         ) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
    """Starting coefficients ``c0 = W x0`` (zeros by default) and the adjoint ``d -> B^H d`` to use.

    The coefficients take the dtype of ``B^H y`` (complex for Fourier), or its real part
    when ``real`` is True; then the adjoint is ``Re(B^H d)``.
    """
    if not isinstance(real, bool):
        raise TypeError(f"real must be True or False, got {real!r}")
    template = B.adjoint(y).detach()
    if real:
        template = template.real
    check_x0(B, x0, y.shape[0])
    if x0 is None:
        c = torch.zeros_like(template)
    else:
        if real and x0.is_complex():
            raise ValueError(f"x0 must be real when real=True, got dtype {x0.dtype}")
        c = x0 if W is None else W(x0)
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
