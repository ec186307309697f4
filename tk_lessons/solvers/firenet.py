"""FIRENET: the restarted, rescaled primal-dual method of Colbrook, Antun & Hansen (PNAS 2022).

FIRENETs (Fast Iterative REstarted NETworks) solve the weighted square-root LASSO

    minimise over c   lam * ||c||_{1,w}  +  ||A W^H c - y||_2

by ``restarts`` rounds of ``inner`` ergodic Chambolle–Pock steps. Before each round the
problem is rescaled so that the round gains a fixed factor ``e``: the error falls
geometrically with the number of restarts, down to the noise/sparsity floor, so
``O(|log eps|)`` layers give accuracy ``eps``. Unrolled, the ``restarts * inner`` steps are
the layers of a stable neural network (chapter 13); everything here is differentiable.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from .. import _validate
from ..operators.base import LinearOperator
from ._common import SolverInfo, batch_norm, check_problem, expand, record, steps
from .sqrt_lasso import (check_weights, cp_step, initial_coefficients, objective, operator_norm, step_sizes,
                         synthesis_operator)


def firenet(A: LinearOperator, y: torch.Tensor, lam: float, W: LinearOperator | None = None, *,
            weights: torch.Tensor | None = None, restarts: int = 5, inner: int = 5, L: float | None = None,
            tau: float | None = None, sigma: float | None = None, delta: float = 1e-9,
            eps0: float | None = None, x0: torch.Tensor | None = None, real: bool = False,
            return_iterates: bool = False, progress: bool = False, return_info: bool = False):
    r"""FIRENET: restarted ergodic primal-dual iterations for the weighted square-root LASSO.

    Minimises, for each item of the batch, over the coefficients ``c = W x``

    .. math:: \lambda \|c\|_{1,w} + \|A W^H c - y\|_2

    (no ½: the data term is the norm), as in the FIRENET code (``cp_expo_sr_lasso.m``).
    With ``B = A W^H``, ``L >= ||B|| = ||A||`` and ``eps_0 = ||y||``, restart ``k = 1..n`` does::

        eps_k  = (delta + eps_{k-1}) / e
        beta_k = eps_k / (2 L);   alpha_k = 1 / (beta_k p)
        psi    = INNER(alpha_k y, alpha_k psi) / alpha_k

    where ``INNER(y', c0)`` runs ``p`` Chambolle–Pock steps from ``(c0, d = 0)``,
    ``c+ = soft(c - tau B^H d, tau lam w)``, ``d = proj_ball(d + sigma (B(2 c+ - c) - y'))``,
    and returns the average of the ``p`` new iterates (the ergodic mean). The problem is
    1-homogeneous, so the rescaled problem has the solution ``alpha_k c*``; the rescaling
    sets the primal/dual balance to the accuracy ``eps_k`` aimed at, which makes the error
    fall like ``e^{-k}`` (under a robust null space property in levels) until ``eps_k``
    reaches ``delta`` or the noise/sparsity floor.

    The schedule does not adapt: if ``inner`` is too small for the problem's sharpness (small
    ``lam``, a signal that is not sparse), ``eps_k`` falls faster than the error and the
    iterates freeze above the floor. Increase ``inner`` then.

    Parameters
    ----------
    A : LinearOperator
        Forward operator (e.g. ``SubsampledFourier``), domain ``(1, H, W)`` or ``(1, N)``.
    y : torch.Tensor, shape (B, *A.range_shape)
        Measurements.
    lam : float >= 0
        Weight of the ℓ1 term (the paper's images use 2.5e-4).
    W : LinearOperator, optional
        Orthonormal sparsifying transform, usually a Haar ``Wavelet``; default none (pixel ℓ1).
    weights : torch.Tensor, optional
        Non-negative ℓ1 weights on the coefficients, shape ``A.domain_shape`` (or
        broadcasting to the batch), e.g. :func:`level_weights`. Default: ones.
    restarts : int >= 1
        Number ``n`` of restarts (outer iterations).
    inner : int >= 1
        Number ``p`` of primal-dual steps per restart. The depth is ``restarts * inner``.
    L : float, optional
        Upper bound of ``||A||`` used by the schedule; default ``||A||`` (``A.norm()``).
    tau, sigma : float > 0, optional
        Step sizes, ``tau * sigma * ||A||^2 <= 1``; default ``tau = sigma = 1 / L``
        (the paper: 1 and 1 with ``L = 1``).
    delta : float >= 0
        Floor of the schedule ``eps_k`` (the paper: 1e-9).
    eps0 : float > 0, optional
        Initial accuracy ``eps_0``; default ``||y||`` per item.
    x0 : torch.Tensor, shape (B, *A.domain_shape), optional
        Starting image (default zeros).
    real : bool
        Restrict ``x`` to real values (adjoint ``Re(B^H d)``).
    return_iterates : bool
        Also return the list of the ``restarts`` images ``W^H psi_k`` after each restart
        (the convergence in depth; the last one is ``x``).
    progress : bool
        Progress bar over the restarts.
    return_info : bool
        Also return a :class:`SolverInfo` with the objective and residual after each
        restart, and ``extra["epsilon"]``: ``eps_k`` (largest over the batch).

    Returns
    -------
    x : torch.Tensor, shape (B, *A.domain_shape)
        The reconstruction ``W^H psi``; complex when ``A.H`` returns complex values and
        ``real`` is False.
    iterates : list of torch.Tensor
        Only with ``return_iterates=True``.
    info : SolverInfo
        Only with ``return_info=True`` (after ``iterates`` when both are asked for).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import SubsampledFourier, Wavelet
    >>> mask = torch.zeros(64, dtype=torch.bool); mask[16:48] = True; mask[::4] = True
    >>> A, W = SubsampledFourier(mask), Wavelet((64,), "haar", levels=3)
    >>> c = torch.zeros(1, 1, 64, dtype=torch.float64); c[0, 0, [0, 3, 9]] = 1.0
    >>> x = W.H(c)                                  # sparse in Haar
    >>> x_hat, iterates = firenet(A, A(x), 1e-3, W, restarts=10, inner=20, real=True,
    ...                           return_iterates=True)
    >>> errors = [float((it - x).norm()) for it in iterates]
    >>> errors[-1] < 1e-3 * errors[0]
    True
    """
    check_problem(A, y)
    lam = _validate.positive("lam", lam, allow_zero=True)
    restarts = _validate.positive_int("restarts", restarts)
    inner = _validate.positive_int("inner", inner)
    delta = _validate.positive("delta", delta, allow_zero=True)
    B = synthesis_operator(A, W)
    norm = operator_norm(A)
    L = norm if L is None else _validate.positive("L", L)
    if L < norm * (1 - 1e-6):
        raise ValueError(f"L must be an upper bound of ||A|| = {norm:.6g}, got L={L!r}")
    tau, sigma = (1 / L, 1 / L) if tau is None and sigma is None else step_sizes(tau, sigma, norm)
    psi, adjoint = initial_coefficients(B, y, W, x0, real)
    w = check_weights(weights, psi)
    if eps0 is None:
        eps = batch_norm(y)
        eps = torch.where(eps > 0, eps, torch.ones_like(eps))  # y = 0: any eps works (x = 0), avoid 1/0
    else:
        eps = torch.full((y.shape[0],), _validate.positive("eps0", eps0), dtype=w.dtype, device=y.device)
    if not isinstance(return_iterates, bool):
        raise TypeError(f"return_iterates must be True or False, got {return_iterates!r}")

    iterates = []
    info = SolverInfo() if return_info else None
    for _ in steps(restarts, progress, "FIRENET"):
        eps = (delta + eps) / math.e     # the accuracy this restart aims at
        beta = eps / (2 * L)
        alpha = 1 / (beta * inner)       # rescaled problem: data alpha y, solution alpha c*
        scaled = ergodic_cp(B, adjoint, expand(alpha, y) * y, expand(alpha, psi) * psi, inner,
                            tau, sigma, lam * w)
        psi = scaled / expand(alpha, psi)
        if return_iterates:
            iterates.append(psi if W is None else W.H(psi))
        if info is not None:
            record(info, objective(B, y, psi, lam, w), batch_norm(B(psi) - y))
            info.extra.setdefault("epsilon", []).append(float(eps.detach().max()))

    x = psi if W is None else W.H(psi)
    out = (x,) + ((iterates,) if return_iterates else ()) + ((info,) if return_info else ())
    return out[0] if len(out) == 1 else out


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
