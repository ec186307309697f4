"""The Chebyshev centre of a finite set: the optimal reconstruction of a finite feasible set (Chapter 1).

Reconstructing each measurement by the centre of the smallest ball around its feasible set
gives the smallest possible worst-case error on a finite model class.
"""

from __future__ import annotations

import warnings

import torch

from .. import _batch, _validate
from ._common import check_tol

__all__ = ["chebyshev_centre"]


def chebyshev_centre(points: torch.Tensor, *, tol: float = 1e-12,
                     n_iter: int = 10_000) -> tuple[torch.Tensor, float]:
    """Centre and radius of the smallest ball containing a finite set of points.

    Reconstructing every ``y`` by the Chebyshev centre of its feasible set gives the smallest
    possible worst-case error on a finite class, equal to the largest radius (Chapter 1).

    Method: the dual of ``min_c max_i ||c - p_i||^2`` is the concave quadratic program

        max over weights lambda >= 0, sum lambda = 1 of   sum_i lambda_i ||p_i||^2 - ||sum_i lambda_i p_i||^2,

    whose maximiser gives the centre ``c = sum_i lambda_i p_i`` and the squared radius. It is
    solved by Frank-Wolfe with away steps and exact line search (each step moves weight to
    the farthest point or away from the nearest point in use). For ``c`` the duality gap is
    ``max_i ||p_i - c||^2 - dual value``, an upper bound on ``R(c)^2 - R*^2``. Every 10 steps
    the weights are polished by solving the optimality conditions (equal distance to the
    points in use) exactly. The loop stops when the gap is ``<= tol * R(c)^2``.

    Accuracy: the returned radius ``max_i ||p_i - c||`` is attained by the returned centre
    and exceeds the optimal radius by at most ``tol`` relative; the centre lies within
    ``sqrt(tol) * radius`` of the exact one (usually far closer, after polishing).

    Parameters
    ----------
    points : torch.Tensor, shape (B, ...)
        ``B >= 1`` points (e.g. images ``(B, 1, H, W)``), real or complex.
    tol : float
        Relative duality gap at which to stop, in (0, 1).
    n_iter : int
        Most Frank-Wolfe steps (a ``RuntimeWarning`` reports the gap if they run out).

    Returns
    -------
    centre : torch.Tensor, shape points.shape[1:]
        The Chebyshev centre, in the dtype of ``points``.
    radius : float
        ``max_i ||p_i - centre||``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> centre, radius = kernel.chebyshev_centre(torch.tensor([[0.0, 0.0], [2.0, 0.0], [1.0, 0.5]]))
    >>> centre, radius
    (tensor([1., 0.]), 1.0)
    """
    _validate.tensor("points", points)
    if points.ndim < 2 or points.shape[0] == 0:
        raise ValueError(f"points must have shape (B, ...) with B >= 1 points, got {tuple(points.shape)}")
    if not (points.is_floating_point() or points.is_complex()):
        raise TypeError(f"points must be a floating-point or complex tensor, got dtype {points.dtype}")
    tol, n_iter = check_tol(tol, n_iter)

    P = _batch.flat_real(points.detach())
    shift = P.mean(dim=0)
    P = P - shift                               # centring keeps the Gram matrix well scaled
    G = P @ P.T
    a = G.diagonal().clone()                    # ||p_i||^2
    lam = torch.zeros(len(P), dtype=torch.float64, device=P.device)
    lam[int(torch.argmax(a))] = 1.0             # start at the point farthest from the mean
    Glam = G @ lam                              # c . p_i, kept up to date
    gap = float("inf")
    for it in range(n_iter):
        cc = float(lam @ Glam)                  # ||c||^2
        dist2 = a - 2 * Glam + cc               # ||p_i - c||^2
        R2 = float(dist2.max())
        gap = R2 - (float(lam @ a) - cc)        # primal - dual, >= 0 up to rounding
        if gap <= tol * R2 or R2 == 0.0:
            break
        if it % 10 == 9:
            polished = _polish(G, a, lam)
            if polished is not None:
                lam, Glam = polished, G @ polished
                continue
        s = int(torch.argmax(dist2))                                # farthest point: Frank-Wolfe
        used = lam > 0
        v = int(torch.argmin(torch.where(used, dist2, torch.inf)))  # nearest point in use: away
        if R2 - float(lam @ dist2) >= float(lam @ dist2) - float(dist2[v]) or lam[v] == 1:
            direction = -lam.clone()
            direction[s] += 1                   # towards vertex s
            step_max = 1.0
        else:
            direction = lam.clone()
            direction[v] -= 1                   # away from vertex v
            step_max = float(lam[v] / (1 - lam[v]))
        Gd = G @ direction
        slope = float(direction @ (a - 2 * Glam))   # derivative of the dual along the direction
        curvature = float(direction @ Gd)           # ||movement of c||^2
        step = min(step_max, slope / (2 * curvature)) if curvature > 0 else step_max
        lam = torch.clamp(lam + step * direction, min=0.0)
        lam = lam / lam.sum()
        Glam = G @ lam
    else:
        warnings.warn(f"chebyshev_centre: stopped after n_iter={n_iter} steps with relative "
                      f"duality gap {gap / R2:.1e} > tol={tol:.0e}", RuntimeWarning, stacklevel=2)
    centre = lam @ P
    radius = float((P - centre).norm(dim=1).max())
    centre = centre + shift
    if points.is_complex():
        centre = torch.view_as_complex(centre.reshape(*points.shape[1:], 2).contiguous())
    return centre.reshape(points.shape[1:]).to(points.dtype), radius


def _polish(G: torch.Tensor, a: torch.Tensor, lam: torch.Tensor) -> torch.Tensor | None:
    """Exact dual weights on the current support S, or None if they are not valid.

    On S the optimal centre is equidistant from the points: ``2 G_SS l + mu 1 = a_S``,
    ``sum l = 1``. Accepted only when ``l >= 0`` and the dual value does not decrease.
    """
    S = torch.nonzero(lam > 0).flatten()
    k = len(S)
    K = torch.zeros(k + 1, k + 1, dtype=G.dtype, device=G.device)
    K[:k, :k] = 2 * G[S][:, S]
    K[:k, k] = K[k, :k] = 1.0
    rhs = torch.cat([a[S], torch.ones(1, dtype=G.dtype, device=G.device)])
    sol = torch.linalg.lstsq(K, rhs.unsqueeze(1), driver="gelsd" if K.device.type == "cpu" else None)
    l_S = sol.solution[:k, 0]
    if bool((l_S < 0).any()):
        return None
    new = torch.zeros_like(lam)
    new[S] = l_S / l_S.sum()

    def dual(w: torch.Tensor) -> float:
        return float(w @ a - w @ G @ w)

    return new if dual(new) >= dual(lam) else None
