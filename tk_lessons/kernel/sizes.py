r"""Feasible sets and kernel sizes of a finite model class: the accuracy limit of every method (Chapter 1).

For a finite set of images :math:`X` and noise :math:`\|e\| \le \eta`, :func:`feasible_sets`
lists the images consistent with each measurement and :func:`kernel_size` computes the
worst-case and average kernel sizes of Gottschling et al. (2025); half of either bounds the
error of every reconstruction method from below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator
from ._common import check_batch

__all__ = ["KernelSize", "feasible_sets", "kernel_size"]


def _apply_in_chunks(A: LinearOperator, X: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([A(X[i:i + chunk]) for i in range(0, X.shape[0], chunk)])


def _pairwise(U: torch.Tensor, V: torch.Tensor | None = None) -> torch.Tensor:
    """All distances ``||u_i - v_j||`` in float64 (``V=None``: within ``U``, zero diagonal).

    Computed from inner products (fast) after removing the mean of ``U``, which keeps the
    rounding near ``1e-8`` of the spread of the points, far below the default slack.
    """
    shift = U.mean(dim=0)
    same = V is None
    D = torch.cdist(U - shift, (U if same else V) - shift, compute_mode="use_mm_for_euclid_dist")
    return D.fill_diagonal_(0.0) if same else D


def feasible_sets(A: LinearOperator, X: torch.Tensor, Y: torch.Tensor, eta: float, *,
                  rtol: float = 1e-5) -> list[torch.Tensor]:
    """For each measurement ``y_k``, the indices of the images in ``X`` consistent with it.

    The feasible set of ``y_k`` within the finite model class ``X`` is
    ``F_k = {i : ||A x_i - y_k|| <= eta}`` (noise of norm at most ``eta``). Rounding makes
    exact equality meaningless, so the test is ``<= eta + rtol * s`` with ``s`` the largest
    norm among the ``A x_i`` and ``y_k``.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape ``(B, *A.domain_shape)``
        The model class: a finite set of images.
    Y : torch.Tensor, shape ``(K, *A.range_shape)``
        Measurements.
    eta : float
        Noise level, ``>= 0``.
    rtol : float
        Relative slack for rounding, ``>= 0``.

    Returns
    -------
    list of K torch.Tensor of int64
        ``F_k`` as sorted indices into ``X`` (possibly empty).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    >>> kernel.feasible_sets(A, X, torch.tensor([[0.0]]), eta=0.0)
    [tensor([0, 1])]
    """
    _validate.operator("A", A)
    check_batch("X", X, A.domain_shape, A.domain_complex)
    check_batch("Y", Y, A.range_shape, A.range_complex)
    eta = _validate.positive("eta", eta, allow_zero=True)
    rtol = _validate.positive("rtol", rtol, allow_zero=True)
    AX, Yf = _batch.flat_real(_apply_in_chunks(A, X)), _batch.flat_real(Y.detach())
    scale = max(float(AX.norm(dim=1).max()), float(Yf.norm(dim=1).max()))
    inside = _pairwise(Yf, AX.to(Yf.device)) <= eta + rtol * scale
    return [torch.nonzero(row).flatten() for row in inside]


@dataclass
class KernelSize:
    """Worst-case and average kernel size of a finite model class (see :func:`kernel_size`).

    Attributes
    ----------
    worst : float
        ``max ||x_i - x_j||`` over feasible pairs.
    average : float
        The ``p``-average kernel size.
    p : float
        Order of the average.
    eta : float
        Noise level.
    distances : torch.Tensor of float64, shape (B, B)
        ``||x_i - x_j||`` for all pairs.
    feasible : torch.Tensor of bool, shape (B, B)
        ``||A(x_i - x_j)|| <= 2 eta``: the pair can produce the same measurement.
    worst_pair : tuple of int
        Indices ``(i, j)`` of a pair attaining ``worst`` (``(0, 0)`` if no two distinct
        images are feasible, when ``worst`` is 0).
    """

    worst: float
    average: float
    p: float
    eta: float
    distances: torch.Tensor
    feasible: torch.Tensor
    worst_pair: tuple[int, int]


def kernel_size(A: LinearOperator, X: torch.Tensor, eta: float = 0.0, *, p: float | None = None,
                rtol: float = 1e-5) -> KernelSize:
    r"""Worst-case and average kernel size of a finite model class ``X`` with noise :math:`\lVert e \rVert \le \eta`.

    No reconstruction method has worst-case error below ``worst / 2`` (Chapter 1).

    **Worst case.** Two images :math:`x_i, x_j` can produce the same measurement
    :math:`y = A x_i + e = A x_j + e'` with :math:`\lVert e \rVert, \lVert e' \rVert \le \eta` exactly
    when :math:`\lVert A(x_i - x_j) \rVert \le 2 \eta` (take :math:`y` halfway). ``worst`` is the
    largest :math:`\lVert x_i - x_j \rVert` over these *feasible pairs*: the kernel size
    :math:`\sup \{\lVert x - x' \rVert : x, x' \in X,\ \lVert A(x - x') \rVert \le 2 \eta\}` of
    Gottschling et al. (2025), exact for the finite class. For :math:`\eta = 0` the pairs differ by
    a kernel element.

    **Average** (arXiv 2510.10229, algorithm of ``nm19000/AccuracyBounds``). Each image gives
    a measurement :math:`y_k = A x_k` with feasible set
    :math:`F_k = \{i : \lVert A x_i - y_k \rVert \le \eta\}` (see :func:`feasible_sets`); then

    .. math::

        \mathrm{average} = \Bigl( \frac{1}{B} \sum_k \frac{1}{|F_k|^2}
            \sum_{i, j \in F_k} \lVert x_i - x_j \rVert^p \Bigr)^{1/p},

    the :math:`p`-mean distance of two independent draws from a feasible set, averaged over the
    measurements. For :math:`\eta = 0` this is exactly
    :math:`\bigl(\mathbb{E}_y \mathbb{E}_{x, x' \mid y} \lVert x - x' \rVert^p\bigr)^{1/p}`
    for :math:`x` uniform on :math:`X`, and every map :math:`\Psi` has
    :math:`\bigl(\operatorname{mean}_i \lVert \Psi(A x_i) - x_i \rVert^p\bigr)^{1/p}
    \ge \mathrm{average} / 2`.

    "Equal" means equal up to rounding: both tests allow
    :math:`\mathrm{rtol} \cdot \max_k \lVert A x_k \rVert` of slack.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape ``(B, *A.domain_shape)``
        The model class (e.g. phantoms, and the same phantoms plus kernel details).
    eta : float
        Noise level :math:`\eta \ge 0`.
    p : float or None
        Order of the average, :math:`p \ge 1`; ``None`` means 2 (the root-mean-square, the bound
        for the mean squared error).
    rtol : float
        Relative slack for rounding, ``>= 0``.

    Returns
    -------
    KernelSize
        ``worst``, ``average``, the distance matrix, the feasible-pair matrix and the worst pair.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [5.0, 0.0]])    # x_1 - x_0 is in N(A)
    >>> sizes = kernel.kernel_size(A, X)
    >>> sizes.worst, sizes.worst_pair
    (2.0, (0, 1))
    """
    _validate.operator("A", A)
    check_batch("X", X, A.domain_shape, A.domain_complex)
    eta = _validate.positive("eta", eta, allow_zero=True)
    p = 2.0 if p is None else _validate.positive("p", p)
    if p < 1 or math.isinf(p):
        raise ValueError(f"p must be a finite number >= 1, got {p!r}")
    rtol = _validate.positive("rtol", rtol, allow_zero=True)

    AX, Xf = _batch.flat_real(_apply_in_chunks(A, X)), _batch.flat_real(X.detach())
    data = _pairwise(AX)                             # ||A x_i - A x_j||
    distances = _pairwise(Xf).to(data.device)        # ||x_i - x_j||
    slack = rtol * float(AX.norm(dim=1).max())
    feasible = data <= 2 * eta + slack
    masked = torch.where(feasible, distances, torch.zeros_like(distances))
    flat_index = int(torch.argmax(masked))
    worst_pair = (flat_index // masked.shape[1], flat_index % masked.shape[1])

    member = (data <= eta + slack).to(torch.float64)     # row k: the feasible set F_k of y_k = A x_k
    sizes = member.sum(dim=1)                            # >= 1: x_k is in its own feasible set
    mean_p = ((member @ distances**p) * member).sum(dim=1) / sizes**2
    average = float(mean_p.mean() ** (1 / p))
    return KernelSize(float(masked.max()), average, p, eta, distances, feasible, worst_pair)


