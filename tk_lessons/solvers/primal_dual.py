"""The Chambolle–Pock primal-dual hybrid gradient method, shared by TV, BPDN and the square-root LASSO.

It solves saddle-point problems ``min_x max_v  Re <K x, v> + g(x) - f*(v)``, i.e.
``min_x f(K x) + g(x)``, using only ``K``, ``K^H`` and the proximal maps of ``g`` and
of the convex conjugate ``f*``.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence, Union

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator

__all__ = ["chambolle_pock"]

#: A dual variable: one tensor, or a tuple of tensors when ``K = [K1; K2; ...]`` is stacked.
Dual = Union[torch.Tensor, tuple]
Linear = Union[LinearOperator, Sequence[Callable]]


def _axpy(a: Dual, b: Dual, s: float) -> Dual:
    """``a + s * b`` for tensors or tuples of tensors (the blocks of a stacked dual variable)."""
    if isinstance(a, tuple):
        return tuple(_axpy(ai, bi, s) for ai, bi in zip(a, b))
    return a + s * b


def _zeros_like(a: Dual) -> Dual:
    return tuple(_zeros_like(ai) for ai in a) if isinstance(a, tuple) else torch.zeros_like(a)


def _power_norm(forward: Callable, adjoint: Callable, like: torch.Tensor, n_iter: int = 100) -> float:
    """``||K||`` by power iteration on ``K^H K`` (for K given as callables)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(like.shape, generator=gen, dtype=like.dtype).to(like.device)
    estimate = 0.0
    with torch.no_grad():  # a step-size estimate, not part of the iteration
        for _ in range(n_iter):
            z = adjoint(forward(x))
            if not like.is_complex() and z.is_complex():
                z = z.real
            estimate = float(z.norm()) / float(x.norm())
            if estimate == 0.0:
                return 0.0
            x = z / z.norm()
    return math.sqrt(estimate)


def chambolle_pock(K: Linear, prox_tau_g: Callable, prox_sigma_fconj: Callable, x_init: torch.Tensor, *,
                   tau: float, sigma: float, theta: float = 1.0, n_iter: int, ergodic: bool = False,
                   v_init: Dual | None = None, norm: float | None = None,
                   callback: Callable | None = None, progress: bool = False) -> tuple[torch.Tensor, Dual]:
    r"""Primal-dual hybrid gradient (Chambolle & Pock, 2011) for :math:`\min_x f(K x) + g(x)`.

    Each iteration, with dual variable :math:`v` and over-relaxed point :math:`\bar x`:

    .. math::

        v &\leftarrow \operatorname{prox}_{\sigma f^*}(v + \sigma K \bar x), \\
        x_{\mathrm{new}} &\leftarrow \operatorname{prox}_{\tau g}(x - \tau K^H v), \\
        \bar x &\leftarrow x_{\mathrm{new}} + \theta\, (x_{\mathrm{new}} - x).

    It converges (:math:`\theta = 1`) when :math:`\tau \sigma \lVert K \rVert^2 \le 1`. The ergodic
    averages of the iterates converge at rate :math:`O(1/n)` in the primal-dual gap.

    Parameters
    ----------
    K : LinearOperator or (forward, adjoint) pair of callables
        The linear map inside :math:`f`. ``forward(x)`` may return a tuple of tensors
        (a stacked :math:`K = [K_1; K_2]`); then the dual variable is a tuple too and
        ``adjoint`` must take that tuple.
    prox_tau_g : callable
        ``prox_tau_g(u, tau)`` returns
        :math:`\operatorname{argmin}_x g(x) + \lVert x - u \rVert^2 / (2 \tau)`.
    prox_sigma_fconj : callable
        ``prox_sigma_fconj(w, sigma)`` returns the proximal map of :math:`\sigma f^*` at :math:`w`
        (by Moreau: :math:`w - \sigma \operatorname{prox}_{f / \sigma}(w / \sigma)`).
    x_init : torch.Tensor, shape (B, ...)
        Starting point. When ``x_init`` is real and :math:`K^H v` complex (e.g. Fourier), the
        real part is used: the adjoint for the real inner product on real images.
    tau, sigma : float > 0
        Primal and dual step sizes.
    theta : float in [0, 1]
        Over-relaxation parameter (1 is the standard choice).
    n_iter : int >= 1
        Number of iterations.
    ergodic : bool
        Return the running averages of the iterates instead of the last ones.
    v_init : tensor or tuple, optional
        Starting dual variable; zeros (shaped like ``K x_init``) by default.
    norm : float, optional
        :math:`\lVert K \rVert` or an upper bound, for the step-size check. Default: ``K.norm()``
        for an operator, power iteration for callables.
    callback : callable, optional
        Called as ``callback(k, x, v)`` after each iteration (e.g. to record history).
    progress : bool
        Show a progress bar.

    Returns
    -------
    x : torch.Tensor
        The last (or, with ``ergodic=True``, the averaged) primal iterate.
    v : tensor or tuple
        The matching dual iterate.

    Examples
    --------
    Project :math:`u` onto the box :math:`[0, 1]`: :math:`f = 0` (so :math:`f^*` forces :math:`v = 0`),
    :math:`g` the box indicator plus :math:`\lVert x - u \rVert^2 / 2`.

    >>> import torch
    >>> from tk_lessons.operators import Identity
    >>> u = torch.tensor([[-1.0, 0.5, 2.0]])
    >>> prox_g = lambda w, t: ((w + t * u) / (1 + t)).clamp(0, 1)
    >>> prox_fconj = lambda w, s: torch.zeros_like(w)
    >>> x, _ = chambolle_pock(Identity((3,)), prox_g, prox_fconj, torch.zeros(1, 3),
    ...                       tau=1.0, sigma=1.0, n_iter=50)
    >>> x
    tensor([[0.0000, 0.5000, 1.0000]])
    """
    if isinstance(K, LinearOperator):
        forward, adjoint = K, K.H
    elif isinstance(K, (tuple, list)) and len(K) == 2 and all(callable(k) for k in K):
        forward, adjoint = K
    else:
        raise TypeError(f"K must be a LinearOperator or a (forward, adjoint) pair of callables, "
                        f"got {type(K).__name__}")
    _validate.tensor("x_init", x_init)
    _validate.flag("ergodic", ergodic)
    _validate.flag("progress", progress)
    tau = _validate.positive("tau", tau)
    sigma = _validate.positive("sigma", sigma)
    theta = _validate.positive("theta", theta, allow_zero=True)
    if theta > 1:
        raise ValueError(f"theta must lie in [0, 1], got {theta!r}")
    n_iter = _validate.positive_int("n_iter", n_iter)
    if norm is None:
        norm = K.norm() if isinstance(K, LinearOperator) else _power_norm(forward, adjoint, x_init)
    norm = _validate.positive("norm", norm, allow_zero=True)
    if tau * sigma * norm**2 > 1 + 1e-6:
        raise ValueError(f"step sizes tau={tau:g}, sigma={sigma:g} violate tau * sigma * ||K||^2 <= 1 "
                         f"(||K|| = {norm:g}, product {tau * sigma * norm**2:g}); "
                         f"choose e.g. tau = sigma = {1 / max(norm, 1e-300):g}")

    def adjoint_real(v: Dual) -> torch.Tensor:
        g = adjoint(v)
        # a real primal variable takes the adjoint for the real inner product Re <., .>
        return g.real if (g.is_complex() and not x_init.is_complex()) else g

    x = x_init
    x_bar = x_init
    v = _zeros_like(forward(x_init)) if v_init is None else v_init
    x_sum, v_sum = (_zeros_like(x), _zeros_like(v)) if ergodic else (None, None)
    for k in _batch.progress_range(n_iter, progress, desc="Chambolle-Pock"):
        v = prox_sigma_fconj(_axpy(v, forward(x_bar), sigma), sigma)
        x_new = prox_tau_g(x - tau * adjoint_real(v), tau)
        x_bar = x_new + theta * (x_new - x)
        x = x_new
        if ergodic:
            x_sum, v_sum = x_sum + x, _axpy(v_sum, v, 1.0)
        if callback is not None:
            callback(k, x, v)
    if ergodic:
        return x_sum / n_iter, _axpy(_zeros_like(v_sum), v_sum, 1.0 / n_iter)
    return x, v
