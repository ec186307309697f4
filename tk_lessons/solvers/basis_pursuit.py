"""Quadratically constrained basis pursuit (BPDN): ``min ||W x||_1`` subject to ``||A x - y|| <= eta``."""

from __future__ import annotations

import math
import numbers

import torch

from .. import _batch, _validate
from ..operators.base import Identity, LinearOperator
from ._common import SolverInfo, check_problem, check_x_init, record, starting_point
from .primal_dual import chambolle_pock
from .prox import proj_l2_ball, soft_threshold

__all__ = ["bpdn"]

def _check_eta(eta, batch: int, device: torch.device) -> torch.Tensor:
    """``eta`` as a ``(B,)`` tensor, or raise unless it is > 0 (a number or one value per item)."""
    hint = "for noiseless data use a small eta, e.g. 1e-3 * ||y||"
    if isinstance(eta, torch.Tensor):
        if eta.ndim > 1 or (eta.ndim == 1 and eta.shape[0] not in (1, batch)):
            raise ValueError(f"eta must be a number or a tensor of shape ({batch},), got shape {tuple(eta.shape)}")
        if eta.is_complex() or not bool((eta > 0).all()) or not bool(torch.isfinite(eta).all()):
            raise ValueError(f"eta must be finite and > 0, got {eta.tolist()}; {hint}")
        return eta.to(device).reshape(-1).expand(batch)
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real):
        raise TypeError(f"eta must be a real number or a tensor, got {type(eta).__name__} ({eta!r})")
    if not (0 < eta < math.inf):
        raise ValueError(f"eta must be finite and > 0, got {eta!r}; {hint}")
    return torch.full((batch,), float(eta), dtype=torch.float64, device=device)


def bpdn(A: LinearOperator, y: torch.Tensor, eta: float | torch.Tensor, W: LinearOperator | None = None, *,
         n_iter: int = 2000, x_init: torch.Tensor | None = None, real: bool = False, tau: float | None = None,
         sigma: float | None = None, progress: bool = False,
         return_info: bool = False) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    """Basis pursuit denoising: ``argmin_x ||W x||_1`` subject to ``||A x - y||_2 <= eta``, by Chambolle–Pock.

    The constraint is ``f(A x)`` with ``f`` the indicator of the ball ``B(y, eta)``. Its
    conjugate is ``f*(v) = Re <v, y> + eta ||v||``, whose proximal map follows from the
    projection onto the ball (Moreau): ``prox_{sigma f*}(v) = v - sigma P_B(v / sigma)``.

    * ``W`` unitary (``W.isometry`` and ``W.orthonormal_rows``: ``None`` = pixels, or a
      :class:`~tk_lessons.operators.Wavelet`): work in the
      coefficients ``c = W x``: ``min ||c||_1 + f(A W^H c)``, ``K = A W^H``, and
      ``prox_{tau ||.||_1}`` is soft-thresholding at ``tau``; then ``x = W^H c``.
    * any other ``W`` (e.g. a :class:`Gradient`, for TV): ``K = [A; W]``, ``g = 0``, and
      ``||.||_1`` is dualised too (its conjugate's prox is the projection onto ``|q_i| <= 1``).

    Default steps ``sigma = r / ||K||``, ``tau = 1 / (r ||K||)`` with
    ``r = sqrt(#coefficients) / ||A^H y||`` (times ``||W||`` in the analysis form): the
    ratio of the expected sizes of the dual solution (entries of modulus about 1) and of
    ``x``, which makes the iterates invariant to rescaling ``(y, eta) -> (s y, s eta)``.
    The last iterate is feasible only in the limit: check ``info.extra["infeasibility"]``.

    Parameters
    ----------
    A : LinearOperator
        Forward operator.
    y : torch.Tensor, shape ``(B, *A.range_shape)``
        Measurements.
    eta : float > 0 or torch.Tensor of shape (B,)
        Noise level: radius of the data-fit ball (one per item if a tensor). ``eta = 0``
        (exact basis pursuit) is refused; use a small ``eta`` instead.
    W : LinearOperator, optional
        Sparsifying transform with domain ``A.domain_shape``; default the identity.
    n_iter : int >= 1
        Number of iterations.
    x_init : torch.Tensor, shape ``(B, *A.domain_shape)``, optional
        Starting point; default ``A^H y``.
    real : bool
        Restrict ``x`` to real images. Otherwise ``x`` has the dtype of ``A^H y``
        (complex for Fourier).
    tau, sigma : float > 0, optional
        Step sizes; one given, the other makes ``tau * sigma * ||K||^2 = 1``. A pair
        with ``tau * sigma * ||K||^2 > 1`` raises ``ValueError``.
    progress : bool
        Show a progress bar.
    return_info : bool
        Also return a :class:`SolverInfo`: objective ``||W x||_1``, residual
        ``||A x - y||``, and ``extra["infeasibility"]`` (``sum max(||A x - y|| - eta, 0)``).

    Returns
    -------
    x_rec : torch.Tensor, shape ``(B, *A.domain_shape)``
    info : SolverInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import GaussianMatrix
    >>> A = GaussianMatrix(40, 100, seed=0)
    >>> x = torch.zeros(1, 100); x[0, [3, 30, 70]] = 1.0
    >>> x_rec = bpdn(A, A(x), eta=1e-3, n_iter=3000)
    >>> bool((x_rec - x).norm() < 0.05)
    True
    """
    check_problem(A, y)
    eta = _check_eta(eta, y.shape[0], y.device)
    n_iter = _validate.positive_int("n_iter", n_iter)
    _validate.flag("real", real)
    _validate.flag("progress", progress)
    _validate.flag("return_info", return_info)
    if _validate.operator_or_none("W", W) is None:
        W = Identity(A.domain_shape, complex=True)
    if W.domain_shape != A.domain_shape:
        raise ValueError(f"W must act on A's domain {A.domain_shape}, got W with domain {W.domain_shape}")
    check_x_init(A, x_init, y.shape[0])
    real = real or not A.domain_complex
    x_init, x_adj = starting_point(A, y, x_init, real)
    radius = eta.to(x_init.real.dtype)

    def prox_ball_conj(v, s):
        return v - s * proj_l2_ball(v / s, y, radius)   # Moreau: prox of s f*, f = indicator of B(y, eta)

    orthonormal = W.isometry and W.orthonormal_rows     # W^H W = W W^H = I: solve for c = W x
    if orthonormal:
        K = (lambda c: A(W.H(c)), lambda v: W(A.H(v)))
        norm = A.norm()
        prox_g = soft_threshold                           # prox of tau ||.||_1 at u: soft_threshold(u, tau)
        prox_fconj = prox_ball_conj
        start = W(x_init)
    else:
        K = (lambda x: (A(x), W(x)), lambda v: A.H(v[0]) + W.H(v[1]))
        norm = math.sqrt(A.norm() ** 2 + W.norm() ** 2)  # ||[A; W]||^2 <= ||A||^2 + ||W||^2
        prox_g = lambda u, t: u                           # g = 0

        def prox_fconj(v, s):
            p, q = v                                      # ||.||_1* = indicator of {|q_i| <= 1}
            return prox_ball_conj(p, s), q - soft_threshold(q, 1.0)
        start = x_init
    if tau is None and sigma is None:
        # Balance the steps by the expected sizes of the solutions: the dual has entries of
        # modulus about 1 (a subgradient of ||.||_1), the primal ||x|| is about ||A^H y||.
        # This ratio makes the iterates invariant to rescaling (y, eta) -> (s y, s eta).
        x_size = float(_batch.norm(x_adj.detach()).mean())
        dual_size = math.sqrt(math.prod(W.range_shape)) * (1.0 if orthonormal else W.norm())
        ratio = dual_size / x_size if x_size > 0 else 1.0
        sigma, tau = ratio / norm, 1.0 / (ratio * norm)
    elif tau is None:
        tau = 1.0 / (_validate.positive("sigma", sigma) * norm**2)
    elif sigma is None:
        sigma = 1.0 / (_validate.positive("tau", tau) * norm**2)

    info = SolverInfo() if return_info else None
    to_image = W.H if orthonormal else (lambda x: x)

    def callback(k, z, v):
        if info is not None:
            x = to_image(z)
            residual = _batch.norm(A(x) - y)
            record(info, _batch.total(W(x).abs()), residual)
            info.extra.setdefault("infeasibility", []).append(
                float((residual.detach() - radius).clamp(min=0).sum()))

    z, _ = chambolle_pock(K, prox_g, prox_fconj, start, tau=tau, sigma=sigma, n_iter=n_iter, norm=norm,
                          callback=callback, progress=progress)
    x = to_image(z)
    return (x, info) if return_info else x
