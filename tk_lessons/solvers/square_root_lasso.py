"""The (weighted) square-root LASSO by the Chambolle–Pock primal-dual method.

    minimise over x   lam * ||W x||_{1,w}  +  ||A x - y||_2

The data term is the norm itself, not ``1/2 ||.||^2``: this makes the best ``lam``
independent of the noise level (Belloni, Chernozhukov & Wang 2011) and is the problem
that FIRENET (:func:`~tk_lessons.solvers.firenet`) solves with restarts. Also here:
:func:`level_weights`, FIRENET's sparsity-in-levels weights.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator
from ..operators.wavelet import Wavelet
from ._common import SolverInfo, check_problem, record
from ._lasso_steps import (check_weights, cp_step, initial_coefficients, objective, operator_norm, step_sizes,
                           synthesis_operator)

__all__ = ["level_weights", "sqrt_lasso"]


def sqrt_lasso(A: LinearOperator, y: torch.Tensor, lam: float, W: LinearOperator | None = None, *,
               weights: torch.Tensor | None = None, n_iter: int = 500, tau: float | None = None,
               sigma: float | None = None, x_init: torch.Tensor | None = None, real: bool = False,
               progress: bool = False, return_info: bool = False
               ) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    r"""Weighted square-root LASSO by plain Chambolle–Pock iterations.

    Minimises, for each item of the batch independently,

    .. math:: \lambda \|W x\|_{1,w} + \|A x - y\|_2,
              \qquad \|c\|_{1,w} = \textstyle\sum_i w_i |c_i|

    (no ½ on the data term: it is the norm, not its square). With an orthonormal ``W``
    (a :class:`~tk_lessons.operators.Wavelet`) the problem is solved in the coefficients
    :math:`c = W x`, i.e. :math:`\lambda \lVert c \rVert_{1,w} + \lVert A W^H c - y \rVert_2`, and
    :math:`x = W^H c` is returned; with ``W=None`` it is pixel ℓ1. Writing :math:`B = A W^H`, one
    step is (Chambolle & Pock 2011, with :math:`\theta = 1`):

    .. math::

        c^+ &= \operatorname{soft}(c - \tau B^H d,\ \tau \lambda w)
            \qquad \text{(prox of } \tau \lambda \lVert \cdot \rVert_{1,w}\text{)}, \\
        d &= \operatorname{proj}_{\mathrm{ball}}\bigl(d + \sigma (B(2 c^+ - c) - y)\bigr)
            \qquad \text{(prox of } \sigma f^*,\ f = \lVert \cdot - y \rVert_2\text{)}, \\
        c &= c^+.

    :math:`\operatorname{soft}` shrinks the modulus and keeps the phase (complex data), and
    :math:`\operatorname{proj}_{\mathrm{ball}}` is the projection onto the unit ℓ2 ball: the
    conjugate of :math:`\lVert \cdot \rVert_2` is the indicator of that ball. It converges when
    :math:`\tau \sigma \lVert A \rVert^2 \le 1`.

    Parameters
    ----------
    A : LinearOperator
        Forward operator, domain ``(1, H, W)`` or ``(1, N)``.
    y : torch.Tensor, shape ``(B, *A.range_shape)``
        Measurements.
    lam : float >= 0
        Weight of the ℓ1 term.
    W : LinearOperator, optional
        Orthonormal sparsifying transform on ``A``'s domain (:math:`W^H W = I`), usually a
        ``Wavelet``. Default: none (ℓ1 of the pixels).
    weights : torch.Tensor, optional
        Non-negative weights ``w`` of the ℓ1 norm, on the coefficients; shape
        ``A.domain_shape`` or anything broadcasting to ``(B, *A.domain_shape)``, e.g.
        from :func:`level_weights`. Default: all ones.
    n_iter : int >= 1
        Number of iterations.
    tau, sigma : float > 0, optional
        Primal and dual step sizes, with :math:`\tau \sigma \lVert A \rVert^2 \le 1`; if only one
        is given the other fills the condition. Default, per item:
        :math:`\tau = \lVert y \rVert / \lVert A \rVert`, :math:`\sigma = 1 / (\lVert y \rVert \lVert A \rVert)`. The problem is 1-homogeneous in
        :math:`y` (:math:`x` scales with :math:`y`, the dual :math:`d` stays in the unit ball), so
        this balance makes the iterates independent of the scale of :math:`y`;
        :math:`\tau = \sigma = 1 / \lVert A \rVert` is the same method and is only as fast when
        :math:`\lVert y \rVert \approx 1`. FIRENET balances by rescaling :math:`y`.
    x_init : torch.Tensor, shape ``(B, *A.domain_shape)``, optional
        Starting image (default zeros).
    real : bool
        Restrict ``x`` to real values (e.g. real images from Fourier data): the adjoint
        becomes :math:`\operatorname{Re}(B^H d)`, the adjoint for the real inner product.
    progress : bool
        Show a progress bar.
    return_info : bool
        Also return a :class:`SolverInfo` with the objective and residual
        :math:`\lVert A x - y \rVert` after every iteration.

    Returns
    -------
    x_rec : torch.Tensor, shape ``(B, *A.domain_shape)``
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
    >>> x_rec = sqrt_lasso(A, A(x), lam=0.05, n_iter=2000)
    >>> float((x_rec - x).norm()) < 1e-3
    True
    """
    check_problem(A, y)
    lam = _validate.positive("lam", lam, allow_zero=True)
    n_iter = _validate.positive_int("n_iter", n_iter)
    B = synthesis_operator(A, W)
    norm = operator_norm(A)
    _validate.flag("progress", progress)
    _validate.flag("return_info", return_info)
    c, adjoint = initial_coefficients(B, y, W, x_init, real)
    w = check_weights(weights, c)
    if tau is None and sigma is None:
        # per-item balance: x scales like ||y|| while d stays in the unit ball (tau sigma ||A||^2 = 1)
        scale = _batch.norm(y)
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        tau, sigma = _batch.expand(scale / norm, c), _batch.expand(1 / (scale * norm), y)
    else:
        tau, sigma = step_sizes(tau, sigma, norm)
    d = torch.zeros_like(y)
    info = SolverInfo() if return_info else None
    for _ in _batch.progress_range(n_iter, progress, "sqrt-LASSO"):
        c, d = cp_step(B, adjoint, y, c, d, tau, sigma, lam * w)
        if info is not None:
            record(info, objective(B, y, c, lam, w), _batch.norm(B(c) - y))
    x = c if W is None else W.H(c)
    return (x, info) if return_info else x


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
    if not callable(getattr(W, "level_masks", None)):
        raise TypeError(f"W must be a multilevel transform with level_masks() (a tk_lessons.operators.Wavelet), "
                        f"got {type(W).__name__}")
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
