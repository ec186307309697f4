r"""The accuracy–stability trade-off on a finite class, with noise, and the two-point cliff (Chapter 8).

On a finite model class ``X`` every quantity of the trade-off is a maximum over pairs:

* :func:`near_kernel_size`: :math:`\operatorname{kersize}_\eta`, the largest distance
  :math:`\lVert x_i - x_j \rVert` over the pairs whose data differ by at most :math:`\eta`;
* :func:`noisy_tradeoff_bound`: the least worst-case error of any map that is ``L``-Lipschitz
  on the data, with noise of norm at most ``eps`` (a number, or one radius per image) and
  optionally only the pairs whose data differ by at most ``eta`` (the local form, for maps of
  which only a local constant :math:`L^\eta` is known);
* :func:`cliff_error`: the least worst-case error of an ``L``-Lipschitz map on a two-point
  class at distance ``d`` with data distance ``eta``, :math:`\tfrac12\max(0, d - L\eta)`;
* :func:`cliff_interpolant`: the map that attains it, the affine interpolant between the two
  points (or the constant midpoint when ``delta >= d / 2``).
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from .. import _validate
from ..operators import LinearOperator
from ._common import flat_rows, pairwise_distances

__all__ = ["near_kernel_size", "noisy_tradeoff_bound", "cliff_error", "cliff_interpolant"]


def near_kernel_size(A: LinearOperator, X: torch.Tensor, eta: float) -> float:
    r"""The kernel size at data radius ``eta`` of the finite class ``X``.

    .. math::

        \operatorname{kersize}_\eta = \max\{\lVert x_i - x_j \rVert :
        \lVert A(x_i - x_j) \rVert \le \eta\},

    0 when no two distinct images qualify (the pair ``i = j`` always does).

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape ``(n, *A.domain_shape)``
        The model class, ``n >= 2`` images.
    eta : float
        The data radius, ``>= 0``.

    Returns
    -------
    float

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0], [1.0, 0.0]], dtype=torch.float64)
    >>> near_kernel_size(A, X, 0.05)      # the pair (0, 3) has data distance 0.03
    3.0
    >>> near_kernel_size(A, X, 0.01)
    0.0
    """
    eta = _validate.positive("eta", eta, allow_zero=True)
    D, E = pairwise_distances(A, X)
    ok = E <= eta
    return float(torch.where(ok, D, torch.zeros_like(D)).max())


def noisy_tradeoff_bound(A: LinearOperator, X: torch.Tensor, L: float, *, eps: float | torch.Tensor = 0.0,
                         eta: float | None = None) -> float:
    r"""The least worst-case error on ``X``, with noise, of any map that is ``L``-Lipschitz on the data.

    With noise radii :math:`\varepsilon_i` (``||e|| <= eps[i]`` for the data of image ``i``;
    a number gives one radius for all),

    .. math::

        \delta \ge \tfrac12 \max_{i, j} \Bigl(\lVert x_i - x_j \rVert
        - L \max\bigl(0, \lVert A(x_i - x_j) \rVert - \varepsilon_i - \varepsilon_j\bigr)\Bigr).

    ``L = math.inf`` gives the bound for *every* map: half the largest distance of two images
    whose noisy data can coincide. ``eta`` keeps only the pairs with
    :math:`\lVert A(x_i - x_j) \rVert \le \eta` (the local form, valid for a map whose local
    constants :math:`L^\eta(\Psi, Ax_i + e)` are at most ``L``; noiseless only).

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape ``(n, *A.domain_shape)``
        The model class, ``n >= 2`` images.
    L : float
        The Lipschitz constant, ``>= 0`` (``math.inf`` allowed).
    eps : float or torch.Tensor
        The noise radius, one number or one per image (shape ``(n,)``), ``>= 0``.
    eta : float or None
        Only pairs whose data differ by at most ``eta``; ``None``: all pairs.

    Returns
    -------
    float
        The bound, ``>= 0``.

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    >>> noisy_tradeoff_bound(A, X, 10.0)                  # (3 - 10 * 0.03) / 2
    1.35
    >>> noisy_tradeoff_bound(A, X, 10.0, eps=0.01)        # (3 - 10 * 0.01) / 2
    1.45
    >>> noisy_tradeoff_bound(A, X, math.inf, eps=0.015)   # the data can coincide
    1.5
    """
    L = float(L)
    if math.isnan(L) or L < 0:
        raise ValueError(f"L must be >= 0 (math.inf allowed), got {L!r}")
    D, E = pairwise_distances(A, X)
    n = D.shape[0]
    if isinstance(eps, torch.Tensor):
        radii = eps.detach().to(torch.float64).cpu().reshape(-1)
        if radii.numel() != n:
            raise ValueError(f"eps must hold one radius per image ({n}), got {radii.numel()}")
    else:
        radii = torch.full((n,), _validate.positive("eps", eps, allow_zero=True), dtype=torch.float64)
    if bool((radii < 0).any()) or not bool(torch.isfinite(radii).all()):
        raise ValueError("eps must be finite and >= 0")
    gap = (E - radii[:, None] - radii[None, :]).clamp(min=0.0)
    if math.isinf(L):
        value = torch.where(gap <= 1e-12 * (1 + E), D, torch.zeros_like(D))
    else:
        value = D - L * gap
    if eta is not None:
        eta = _validate.positive("eta", eta, allow_zero=True)
        value = torch.where(E <= eta, value, torch.zeros_like(value))
    return round(float(value.max().clamp(min=0.0)) / 2, 12)


def cliff_error(distance: float, eta: float, L: float) -> float:
    r"""The least worst-case error of an ``L``-Lipschitz map on a two-point class: :math:`\tfrac12\max(0, d - L\eta)`.

    The class is :math:`\{x_0, x_1\}` with ``distance`` :math:`d = \lVert x_0 - x_1 \rVert` and
    :math:`\eta = \lVert A(x_0 - x_1) \rVert > 0`, noiseless. Every ``L``-Lipschitz map has
    worst-case error at least this, and :func:`cliff_interpolant` attains it.

    Examples
    --------
    >>> cliff_error(1.0, 1e-3, 800.0)      # (1 - 0.8) / 2
    0.1
    >>> cliff_error(1.0, 1e-3, 2000.0)
    0.0
    """
    distance = _validate.positive("distance", distance)
    eta = _validate.positive("eta", eta)
    L = _validate.positive("L", L, allow_zero=True)
    return round(0.5 * max(0.0, distance - L * eta), 12)


def cliff_interpolant(A: LinearOperator, x: torch.Tensor, x_prime: torch.Tensor,
                      delta: float) -> Callable[[torch.Tensor], torch.Tensor]:
    r"""The map with worst-case error ``delta`` on :math:`\{x_0, x_1\}` and the least Lipschitz constant.

    For :math:`0 \le \delta < d/2` (:math:`d = \lVert x_1 - x_0 \rVert`, :math:`y_i = A x_i`,
    :math:`\eta = \lVert y_1 - y_0 \rVert > 0`) it is the affine interpolant

    .. math::

        \Psi(y) = x_0 + \Bigl[\frac{\delta}{d} + \Bigl(1 - \frac{2\delta}{d}\Bigr)
        \frac{\operatorname{Re}\langle y - y_0, y_1 - y_0\rangle}{\eta^2}\Bigr](x_1 - x_0),

    with error exactly ``delta`` at both points and Lipschitz constant :math:`(d - 2\delta)/\eta`;
    for :math:`\delta \ge d/2` it is the constant midpoint :math:`(x_0 + x_1)/2` (error
    :math:`d/2`, Lipschitz constant 0). The returned map carries ``.lipschitz`` and ``.error``,
    the formula's values.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    x, x_prime : torch.Tensor, shape ``A.domain_shape`` or ``(1, *A.domain_shape)``
        The two points :math:`x_0` and :math:`x_1`; their data must differ.
    delta : float
        The worst-case error asked for, ``>= 0``.

    Returns
    -------
    callable
        ``Psi(y)`` for a batch ``y`` of shape ``(B, *A.range_shape)``.

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 1e-3]], dtype=torch.float64))
    >>> x, x_prime = torch.zeros(2, dtype=torch.float64), torch.tensor([0.0, 1.0], dtype=torch.float64)
    >>> Psi = cliff_interpolant(A, x, x_prime, 0.1)
    >>> round(Psi.lipschitz, 6), Psi(A(torch.stack([x, x_prime])))[:, 1]
    (800.0, tensor([0.1000, 0.9000], dtype=torch.float64))
    """
    _validate.operator("A", A)
    delta = _validate.positive("delta", delta, allow_zero=True)
    x0 = _validate.tensor("x", x).reshape(1, *A.domain_shape)
    x1 = _validate.tensor("x_prime", x_prime).reshape(1, *A.domain_shape)
    with torch.no_grad():
        y0, y1 = A(x0), A(x1)
    d = float(flat_rows(x1 - x0).norm())
    dy = (y1 - y0).reshape(-1)
    eta = float(flat_rows(y1 - y0).norm())
    if eta == 0.0:
        raise ValueError("x and x_prime have the same data: no map tells them apart (choose two points "
                         "with A x != A x_prime)")
    if delta >= d / 2:
        mid = (x0 + x1) / 2

        def constant(y: torch.Tensor) -> torch.Tensor:
            return mid.expand(y.shape[0], *mid.shape[1:]).clone()
        constant.lipschitz, constant.error = 0.0, d / 2        # type: ignore[attr-defined]
        return constant
    slope = (1 - 2 * delta / d) / eta ** 2

    def interpolant(y: torch.Tensor) -> torch.Tensor:
        v = (y - y0).reshape(y.shape[0], -1)
        inner = (v.conj() * dy).sum(dim=1).real if v.is_complex() else v @ dy
        t = delta / d + slope * inner
        return x0 + t.reshape(-1, *([1] * (x0.ndim - 1))).to(x0.dtype) * (x1 - x0)
    interpolant.lipschitz, interpolant.error = (d - 2 * delta) / eta, delta   # type: ignore[attr-defined]
    return interpolant
