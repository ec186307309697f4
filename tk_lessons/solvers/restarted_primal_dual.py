"""FIRENET: the restarted, rescaled primal-dual method of Colbrook, Antun & Hansen (PNAS 2022).

FIRENETs (Fast Iterative REstarted NETworks) solve the weighted square-root LASSO

    minimise over c   lam * ||c||_{1,w}  +  ||A W^H c - y||_2

by ``n_outer`` rounds of ``n_inner`` ergodic Chambolle–Pock steps. Before each round the
problem is rescaled so that the round gains a fixed factor ``e``: the error falls
geometrically with the number of rounds, down to the noise/sparsity floor, so
``O(|log eps|)`` layers give accuracy ``eps``. Unrolled, the ``n_outer * n_inner`` steps are
the layers of a stable neural network (chapter 13); everything here is differentiable.
"""

from __future__ import annotations

import math

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator
from ._common import SolverInfo, check_problem, record
from ._lasso_steps import (check_weights, ergodic_cp, initial_coefficients, objective, operator_norm,
                           step_sizes, synthesis_operator)

__all__ = ["firenet"]


def firenet(A: LinearOperator, y: torch.Tensor, lam: float, W: LinearOperator | None = None, *,
            weights: torch.Tensor | None = None, n_outer: int = 5, n_inner: int = 5, L: float | None = None,
            tau: float | None = None, sigma: float | None = None, delta: float = 1e-9,
            eps0: float | None = None, x_init: torch.Tensor | None = None, real: bool = False,
            return_iterates: bool = False, progress: bool = False, return_info: bool = False):
    r"""FIRENET: restarted ergodic primal-dual iterations for the weighted square-root LASSO.

    Minimises, for each item of the batch, over the coefficients :math:`c = W x`

    .. math:: \lambda \|c\|_{1,w} + \|A W^H c - y\|_2

    (no ½: the data term is the norm), as in the FIRENET code (``cp_expo_sr_lasso.m``).
    With :math:`B = A W^H`, :math:`L \ge \lVert B \rVert = \lVert A \rVert` and
    :math:`\varepsilon_0 = \lVert y \rVert`, restart :math:`k = 1, \dots, n` does

    .. math::

        \varepsilon_k &= (\delta + \varepsilon_{k-1}) / e, \\
        \beta_k &= \varepsilon_k / (2 L), \qquad \alpha_k = 1 / (\beta_k p), \\
        \psi &= \mathrm{INNER}(\alpha_k y, \alpha_k \psi) / \alpha_k,

    where :math:`\mathrm{INNER}(y', c_0)` runs :math:`p` Chambolle–Pock steps from
    :math:`(c_0, d = 0)`, :math:`c^+ = \operatorname{soft}(c - \tau B^H d,\ \tau \lambda w)`,
    :math:`d = \operatorname{proj}_{\mathrm{ball}}\bigl(d + \sigma (B(2 c^+ - c) - y')\bigr)`,
    and returns the average of the :math:`p` new iterates (the ergodic mean). The problem is
    1-homogeneous, so the rescaled problem has the solution :math:`\alpha_k c^*`; the rescaling
    sets the primal/dual balance to the accuracy :math:`\varepsilon_k` aimed at, which makes the
    error fall like :math:`e^{-k}` (under a robust null space property in levels) until
    :math:`\varepsilon_k` reaches :math:`\delta` or the noise/sparsity floor.

    The schedule does not adapt: if ``n_inner`` is too small for the problem's sharpness (small
    ``lam``, a signal that is not sparse), :math:`\varepsilon_k` falls faster than the error and
    the iterates freeze above the floor. Increase ``n_inner`` then.

    Parameters
    ----------
    A : LinearOperator
        Forward operator (e.g. ``SubsampledFourier``), domain ``(1, H, W)`` or ``(1, N)``.
    y : torch.Tensor, shape ``(B, *A.range_shape)``
        Measurements.
    lam : float >= 0
        Weight of the ℓ1 term (the paper's images use 2.5e-4).
    W : LinearOperator, optional
        Orthonormal sparsifying transform, usually a Haar ``Wavelet``; default none (pixel ℓ1).
    weights : torch.Tensor, optional
        Non-negative ℓ1 weights on the coefficients, shape ``A.domain_shape`` (or
        broadcasting to the batch), e.g. :func:`level_weights`. Default: ones.
    n_outer : int >= 1
        Number :math:`n` of restarts (outer iterations).
    n_inner : int >= 1
        Number :math:`p` of primal-dual steps per restart. The depth is ``n_outer * n_inner``.
    L : float, optional
        Upper bound of :math:`\lVert A \rVert` used by the schedule; default :math:`\lVert A \rVert`
        (``A.norm()``).
    tau, sigma : float > 0, optional
        Step sizes, :math:`\tau \sigma \lVert A \rVert^2 \le 1`; default :math:`\tau = \sigma = 1 / L`
        (the paper: 1 and 1 with ``L = 1``).
    delta : float >= 0
        Floor of the schedule :math:`\varepsilon_k` (the paper: 1e-9).
    eps0 : float > 0, optional
        Initial accuracy :math:`\varepsilon_0`; default :math:`\lVert y \rVert` per item.
    x_init : torch.Tensor, shape ``(B, *A.domain_shape)``, optional
        Starting image (default zeros).
    real : bool
        Restrict ``x`` to real values (adjoint :math:`\operatorname{Re}(B^H d)`).
    return_iterates : bool
        Also return the list of the ``n_outer`` images :math:`W^H \psi_k` after each restart
        (the convergence in depth; the last one is ``x_rec``).
    progress : bool
        Progress bar over the restarts.
    return_info : bool
        Also return a :class:`SolverInfo` with the objective and residual after each
        restart, and ``extra["epsilon"]``: :math:`\varepsilon_k` (largest over the batch).

    Returns
    -------
    x_rec : torch.Tensor, shape ``(B, *A.domain_shape)``
        The reconstruction :math:`W^H \psi`; complex when ``A.H`` returns complex values and
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
    >>> x_rec, iterates = firenet(A, A(x), 1e-3, W, n_outer=10, n_inner=20, real=True,
    ...                           return_iterates=True)
    >>> errors = [float((it - x).norm()) for it in iterates]
    >>> errors[-1] < 1e-3 * errors[0]
    True
    """
    check_problem(A, y)
    lam = _validate.positive("lam", lam, allow_zero=True)
    n_outer = _validate.positive_int("n_outer", n_outer)
    n_inner = _validate.positive_int("n_inner", n_inner)
    delta = _validate.positive("delta", delta, allow_zero=True)
    B = synthesis_operator(A, W)
    norm = operator_norm(A)
    L = norm if L is None else _validate.positive("L", L)
    if L < norm * (1 - 1e-6):
        raise ValueError(f"L must be an upper bound of ||A|| = {norm:.6g}, got L={L!r}")
    tau, sigma = (1 / L, 1 / L) if tau is None and sigma is None else step_sizes(tau, sigma, norm)
    psi, adjoint = initial_coefficients(B, y, W, x_init, real)
    w = check_weights(weights, psi)
    if eps0 is None:
        eps = _batch.norm(y)
        eps = torch.where(eps > 0, eps, torch.ones_like(eps))  # y = 0: any eps works (x = 0), avoid 1/0
    else:
        eps = torch.full((y.shape[0],), _validate.positive("eps0", eps0), dtype=w.dtype, device=y.device)
    _validate.flag("return_iterates", return_iterates)
    _validate.flag("progress", progress)
    _validate.flag("return_info", return_info)

    iterates = []
    info = SolverInfo() if return_info else None
    for _ in _batch.progress_range(n_outer, progress, "FIRENET"):
        eps = (delta + eps) / math.e     # the accuracy this restart aims at
        beta = eps / (2 * L)
        alpha = 1 / (beta * n_inner)       # rescaled problem: data alpha y, solution alpha c*
        scaled = ergodic_cp(B, adjoint, _batch.expand(alpha, y) * y, _batch.expand(alpha, psi) * psi, n_inner,
                            tau, sigma, lam * w)
        psi = scaled / _batch.expand(alpha, psi)
        if return_iterates:
            iterates.append(psi if W is None else W.H(psi))
        if info is not None:
            record(info, objective(B, y, psi, lam, w), _batch.norm(B(psi) - y))
            info.extra.setdefault("epsilon", []).append(float(eps.detach().max()))

    x = psi if W is None else W.H(psi)
    out = (x,) + ((iterates,) if return_iterates else ()) + ((info,) if return_info else ())
    return out[0] if len(out) == 1 else out
