"""Kernel sizes at a gain level and the accuracy–stability trade-off on a finite model class (Chapter 12).

For an injective but ill-conditioned operator the exact kernel is ``{0}``; its role is taken
by the *approximate kernel* :math:`\\mathcal N_\\tau(A) = \\{z : \\lVert Az \\rVert \\le \\tau
\\lVert z \\rVert\\}`. On a finite model class ``X`` every quantity of the chapter is a maximum
over pairs of images, computed here exactly:

* :func:`level_kernel_size`: the kernel size at level ``tau``, the largest distance
  :math:`\\lVert x_i - x_j \\rVert` over pairs whose difference lies in
  :math:`\\mathcal N_\\tau(A)`;
* :func:`tradeoff_bound`: the smallest worst-case error an ``L``-Lipschitz map can have,
  :math:`\\tfrac12 \\max_{i,j} (\\lVert x_i - x_j \\rVert - L \\lVert A(x_i - x_j) \\rVert)`;
* :func:`tradeoff_lipschitz`: the other side, the smallest Lipschitz constant a map with
  worst-case error ``delta`` can have;
* :func:`tikhonov_gains`: the gain :math:`\\sigma/(\\sigma^2 + \\lambda)` of Tikhonov
  regularisation on each singular direction (its Lipschitz constant is the largest);
* :func:`svd_tikhonov`: Tikhonov regularisation computed exactly from a full SVD;
* :func:`span_fraction`: the share of a vector's norm in the span of an approximate kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import _validate
from ..operators import LinearOperator
from ._common import flat_rows, pairwise_distances
from .approximation import ApproximateKernel

__all__ = ["LevelKernelSize", "level_kernel_size", "tradeoff_bound", "tradeoff_lipschitz",
           "tikhonov_gains", "svd_tikhonov", "span_fraction"]


@dataclass
class LevelKernelSize:
    """The kernel size of a finite class at level ``tau`` (see :func:`level_kernel_size`).

    Attributes
    ----------
    value : float
        :math:`\\max \\lVert x_i - x_j \\rVert` over the pairs with
        :math:`\\lVert A(x_i - x_j) \\rVert \\le \\tau \\lVert x_i - x_j \\rVert`; 0 if there is none.
    pair : tuple of int or None
        ``(i, j)`` attaining it (``None`` if no pair qualifies).
    data_distance : float
        :math:`\\lVert A(x_i - x_j) \\rVert` of that pair: at most ``tau * value``.
    tau : float
        The level.
    """

    value: float
    pair: tuple[int, int] | None
    data_distance: float
    tau: float


def level_kernel_size(A: LinearOperator, X: torch.Tensor, tau: float) -> LevelKernelSize:
    r"""The kernel size of the finite class ``X`` at level ``tau``.

    .. math::

        \kappa_\tau = \max\{\lVert x_i - x_j \rVert : i \ne j,\ x_i - x_j \in \mathcal N_\tau(A)\},
        \qquad \mathcal N_\tau(A) = \{z : \lVert Az \rVert \le \tau \lVert z \rVert\}.

    ``tau = 0`` gives the (noiseless) kernel size of Chapter 5, up to rounding: a pair counts
    when its data distance is at most ``tau`` times its distance plus ``1e-9`` of it.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape ``(n, *A.domain_shape)``
        The model class, ``n >= 2`` images.
    tau : float
        The gain level, ``>= 0``.

    Returns
    -------
    LevelKernelSize

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0], [1.0, 0.0]], dtype=torch.float64)
    >>> level_kernel_size(A, X, 0.05).value     # (0, 3) has gain 0.01; the pairs with (1, 0) more
    3.0
    >>> level_kernel_size(A, X, 0.001).pair is None
    True
    """
    tau = _validate.positive("tau", tau, allow_zero=True)
    D, E = pairwise_distances(A, X)
    n = D.shape[0]
    ok = (E <= tau * D + 1e-9 * D) & ~torch.eye(n, dtype=torch.bool)
    if not bool(ok.any()):
        return LevelKernelSize(0.0, None, 0.0, tau)
    masked = torch.where(ok, D, torch.full_like(D, -1.0))
    k = int(masked.argmax())
    i, j = divmod(k, n)
    return LevelKernelSize(float(D[i, j]), (min(i, j), max(i, j)), float(E[i, j]), tau)


def tradeoff_bound(A: LinearOperator, X: torch.Tensor, L: float) -> float:
    r"""The least worst-case error on ``X`` of any map that is ``L``-Lipschitz on the data of ``X``.

    .. math::

        \delta \ge \tfrac12 \max_{i, j} \bigl(\lVert x_i - x_j \rVert - L\lVert A(x_i - x_j) \rVert\bigr)
        = \tfrac12 \sup_{\eta > 0} (\kappa^{(\eta)} - L\eta),

    with :math:`\kappa^{(\eta)}` the largest distance of a pair whose data differ by at most
    :math:`\eta` (Chapter 12's trade-off theorem). The value is ``>= 0`` (the pair ``i = j``).

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    >>> tradeoff_bound(A, X, 10.0)       # (3 - 10 * 0.03) / 2
    1.35
    """
    L = _validate.positive("L", L, allow_zero=True)
    D, E = pairwise_distances(A, X)
    return round(float((D - L * E).max().clamp(min=0.0)) / 2, 12)


def tradeoff_lipschitz(A: LinearOperator, X: torch.Tensor, delta: float) -> float:
    r"""The least Lipschitz constant (on the data of ``X``) of any map with worst-case error ``delta`` on ``X``.

    .. math::

        L \ge \max_{i, j:\ A x_i \ne A x_j}
        \frac{\lVert x_i - x_j \rVert - 2\delta}{\lVert A(x_i - x_j) \rVert},

    clipped at 0: the trade-off theorem read the other way.

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    >>> round(tradeoff_lipschitz(A, X, 0.5), 6)     # (3 - 1) / 0.03
    66.666667
    """
    delta = _validate.positive("delta", delta, allow_zero=True)
    D, E = pairwise_distances(A, X)
    seen = E > 0
    if not bool(seen.any()):
        raise ValueError("the data of X are all equal: no pair bounds a Lipschitz constant")
    ratios = (D[seen] - 2 * delta) / E[seen]
    return float(ratios.max().clamp(min=0.0))


def tikhonov_gains(singular_values: torch.Tensor, lam: float) -> torch.Tensor:
    r"""The gain :math:`\sigma/(\sigma^2 + \lambda)` of Tikhonov regularisation on each singular direction.

    Tikhonov's map :math:`(A^*A + \lambda I)^{-1}A^*` sends :math:`u_i` to
    :math:`\sigma_i/(\sigma_i^2 + \lambda)\, v_i`; its norm, hence its Lipschitz constant at
    every point and radius, is the largest gain. ``lam = 0`` gives :math:`1/\sigma` (infinite
    for :math:`\sigma = 0`).

    Examples
    --------
    >>> tikhonov_gains(torch.tensor([1.0, 0.1, 0.01]), 0.01)
    tensor([0.9901, 5.0000, 0.9901])
    """
    _validate.tensor("singular_values", singular_values)
    lam = _validate.positive("lam", lam, allow_zero=True)
    if bool((singular_values < 0).any()):
        raise ValueError("singular_values must be >= 0")
    s = singular_values
    return s / (s * s + lam)


def svd_tikhonov(svd: ApproximateKernel, A: LinearOperator, y: torch.Tensor, lam: float) -> torch.Tensor:
    r"""Tikhonov regularisation :math:`(A^*A + \lambda I)^{-1}A^*y`, exactly, from a full SVD of ``A``.

    ``svd`` must hold *all* right singular vectors (``kernel.approximate(A, tau)`` with ``tau``
    at least the largest singular value): then :math:`A^*A = V\operatorname{diag}(\sigma^2)V^*`
    and the solution is :math:`V\,\bigl[(V^*A^*y)/(\sigma^2 + \lambda)\bigr]`, with no iteration
    (conjugate gradients stop early on an ill-conditioned operator, which regularises too).
    Real operators only; the result has ``y``'s real dtype.

    Examples
    --------
    >>> from tk_lessons.kernel import approximate
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.diag(torch.tensor([1.0, 0.01], dtype=torch.float64)))
    >>> svd_tikhonov(approximate(A, 2.0), A, torch.tensor([[1.0, 0.01]], dtype=torch.float64), 1e-4)
    tensor([[0.9999, 0.5000]], dtype=torch.float64)
    """
    if not isinstance(svd, ApproximateKernel):
        raise TypeError(f"svd must be an ApproximateKernel, got {type(svd).__name__}")
    _validate.operator("A", A)
    _validate.tensor("y", y)
    lam = _validate.positive("lam", lam, allow_zero=True)
    n = svd.basis.shape[0]
    if len(svd) != n:
        raise ValueError(f"svd must hold all {n} singular directions, got {len(svd)}; "
                         "pass kernel.approximate(A, tau) with tau >= the largest singular value")
    with torch.no_grad():
        aty = A.adjoint(y)
        if aty.is_complex():
            raise TypeError("svd_tikhonov is for real operators (A^* y must be real)")
        V = svd.basis.to(torch.float64).to(aty.device)
        s = svd.singular_values.to(torch.float64).to(aty.device)
        c = aty.reshape(aty.shape[0], -1).to(torch.float64) @ V
        return ((c / (s * s + lam)) @ V.T).reshape(aty.shape).to(y.dtype)


def span_fraction(subspace: ApproximateKernel, z: torch.Tensor) -> torch.Tensor:
    r"""The share :math:`\lVert P z \rVert / \lVert z \rVert` of each ``z`` in the span of an approximate kernel.

    ``P`` is the orthogonal projection onto the span of ``subspace.basis``. A vector drawn at
    random has share about :math:`\sqrt{k/N}` for ``k`` basis vectors in dimension ``N``.

    Examples
    --------
    >>> from tk_lessons.kernel import approximate
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.diag(torch.tensor([1.0, 1e-3], dtype=torch.float64)))
    >>> span_fraction(approximate(A, 0.01), torch.tensor([[3.0, 4.0]], dtype=torch.float64))
    tensor([0.8000], dtype=torch.float64)
    """
    if not isinstance(subspace, ApproximateKernel):
        raise TypeError(f"subspace must be an ApproximateKernel, got {type(subspace).__name__}")
    _validate.tensor("z", z)
    norm = flat_rows(z).norm(dim=1)
    if bool((norm == 0).any()):
        raise ValueError("z must hold nonzero vectors (a zero vector has no share)")
    return flat_rows(subspace.project(z)).norm(dim=1) / norm
