r"""Reconstruction maps of a finite model class and their worst-case and average errors (Chapter 5).

For a finite set of images :math:`X` and noise :math:`\lVert e \rVert \le \eta`, every
measurement :math:`y` has the feasible set :math:`F_y = \{x \in X : \lVert A x - y \rVert \le
\eta\}` (:func:`~tk_lessons.kernel.feasible_sets`). A map that answers each :math:`y` with a
point chosen from, or built from, :math:`F_y` is a :class:`FeasibleSetMap`; with the rule
``"centre"`` (the Chebyshev centre of :math:`F_y`) it has the smallest possible worst-case
error, :math:`\sup_y \operatorname{rad}(F_y)` (:func:`optimal_error`). :func:`map_error`
measures any map's worst-case and :math:`p`-mean error over a class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator
from ._common import check_batch
from .chebyshev import chebyshev_centre
from .sizes import feasible_sets

__all__ = ["FeasibleSetMap", "MapError", "feasible_set_map", "map_error", "optimal_error"]

RULES = ("centre", "mean", "first", "farthest")


@dataclass
class MapError:
    """Errors of a reconstruction map on a finite class (see :func:`map_error`).

    Attributes
    ----------
    worst : float
        ``max_i ||x_rec_i - x_i||``, the worst-case error over the class.
    average : float
        ``(mean_i ||x_rec_i - x_i||^p)^(1/p)``, the ``p``-mean error.
    p : float
        Order of the mean.
    per_image : torch.Tensor of float64, shape (B,)
        ``||x_rec_i - x_i||`` for every image.
    """

    worst: float
    average: float
    p: float
    per_image: torch.Tensor


def map_error(x_rec: torch.Tensor, x: torch.Tensor, *, p: float | None = None) -> MapError:
    r"""Worst-case and :math:`p`-mean error of reconstructions ``x_rec`` of the images ``x``.

    For a map :math:`\Psi` and data :math:`y_i = A x_i + e_i`, pass ``x_rec`` =
    :math:`\Psi(y)`: then ``worst`` is :math:`\max_i \lVert \Psi(y_i) - x_i \rVert`, the
    worst-case error of :math:`\Psi` over these pairs, which no map can push below half the
    kernel size when the pairs include the fibres (Chapter 5), and ``average`` is
    :math:`(\frac1B \sum_i \lVert \Psi(y_i) - x_i \rVert^p)^{1/p}`.

    Parameters
    ----------
    x_rec : torch.Tensor, shape (B, ...)
        Reconstructions, one per image.
    x : torch.Tensor, shape (B, ...)
        The images (same shape as ``x_rec``).
    p : float or None
        Order of the mean, ``p >= 1``; ``None`` means 2 (root mean square).

    Returns
    -------
    MapError
        ``worst``, ``average``, ``p`` and the error of every image.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> errors = kernel.map_error(torch.tensor([[0.0, 1.0], [3.0, 0.0]]), torch.zeros(2, 2))
    >>> errors.worst, errors.average
    (3.0, 2.23606797749979)
    """
    _validate.tensor("x", x)
    check_batch("x", x, tuple(x.shape[1:]), True)
    check_batch("x_rec", x_rec, tuple(x.shape[1:]), True)
    if x_rec.shape[0] != x.shape[0]:
        raise ValueError(f"x_rec must hold one reconstruction per image: got {x_rec.shape[0]} "
                         f"reconstructions for {x.shape[0]} images")
    p = _order(p)
    diff = _batch.flat_real(x_rec.detach().to(x.device)) - _batch.flat_real(x.detach())
    per_image = diff.norm(dim=1)
    average = float((per_image**p).mean() ** (1 / p))
    return MapError(float(per_image.max()), average, p, per_image)


class FeasibleSetMap:
    r"""The map :math:`y \mapsto` a point built from the feasible set :math:`F_y` within ``X``.

    Made by :func:`feasible_set_map`; calling it on measurements ``y`` of shape
    ``(K, *A.range_shape)`` returns ``(K, *A.domain_shape)`` reconstructions. A measurement
    whose feasible set is empty (it is not the data of any image of ``X`` with noise at most
    ``eta``) is answered from the images whose data lie closest to it.

    Attributes
    ----------
    A, X, eta, rule, rtol
        As passed to :func:`feasible_set_map`.
    """

    def __init__(self, A: LinearOperator, X: torch.Tensor, eta: float = 0.0, *,
                 rule: str = "centre", rtol: float = 1e-5) -> None:
        _validate.operator("A", A)
        check_batch("X", X, A.domain_shape, A.domain_complex)
        self.A, self.X = A, X.detach()
        self.eta = _validate.positive("eta", eta, allow_zero=True)
        self.rule = _validate.choice("rule", rule, RULES)
        self.rtol = _validate.positive("rtol", rtol, allow_zero=True)
        self._answers: dict[tuple[int, ...], tuple[torch.Tensor, float]] = {}

    def sets(self, y: torch.Tensor) -> list[torch.Tensor]:
        """The indices into ``X`` of the feasible set of every measurement (never empty)."""
        found = feasible_sets(self.A, self.X, y, self.eta, rtol=self.rtol)
        empty = [k for k, s in enumerate(found) if len(s) == 0]
        if empty:
            with torch.no_grad():
                AX = _batch.flat_real(self.A(self.X))
            for k in empty:
                gaps = (AX - _batch.flat_real(y[k:k + 1].detach()).to(AX.device)).norm(dim=1)
                found[k] = torch.nonzero(gaps <= gaps.min() * (1 + 1e-9)).flatten()
        return found

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        return torch.stack([self._answer(s)[0] for s in self.sets(y)])

    def radii(self, y: torch.Tensor) -> torch.Tensor:
        """``max_{x in F_y} ||answer(y) - x||`` for every measurement, float64 of shape (K,)."""
        return torch.tensor([self._answer(s)[1] for s in self.sets(y)], dtype=torch.float64)

    def _answer(self, s: torch.Tensor) -> tuple[torch.Tensor, float]:
        key = tuple(int(i) for i in s)
        if key not in self._answers:
            members = self.X[s]
            if self.rule == "centre":
                answer, _ = chebyshev_centre(members)
            elif self.rule == "mean":
                answer = members.mean(dim=0)
            elif self.rule == "first":
                answer = members[0]
            else:                                          # "farthest": an end of a diameter
                flat = _batch.flat_real(members)
                answer = members[int(torch.cdist(flat, flat).max(dim=1).values.argmax())]
            spread = (_batch.flat_real(members) - _batch.flat_real(answer[None])).norm(dim=1)
            self._answers[key] = (answer, float(spread.max()))
        return self._answers[key]

    def __repr__(self) -> str:
        return (f"FeasibleSetMap(rule={self.rule!r}, eta={self.eta:g}, "
                f"{self.X.shape[0]} images)")


def feasible_set_map(A: LinearOperator, X: torch.Tensor, eta: float = 0.0, *,
                     rule: str = "centre", rtol: float = 1e-5) -> FeasibleSetMap:
    r"""A reconstruction map that answers ``y`` from its feasible set :math:`F_y` within ``X``.

    :math:`F_y = \{x_i \in X : \lVert A x_i - y \rVert \le \eta\}` (with the rounding slack
    of :func:`~tk_lessons.kernel.feasible_sets`). The ``rule`` says which point is returned:

    * ``"centre"``: the Chebyshev centre of :math:`F_y` (:func:`chebyshev_centre`), the
      centre of the smallest ball around it. Its worst-case error over the class is
      :math:`\sup_y \operatorname{rad}(F_y)`, the smallest any map can have (Chapter 5);
    * ``"mean"``: the mean of :math:`F_y`. For :math:`\eta = 0` and :math:`x` uniform on
      :math:`X` it is the conditional mean, the map with the smallest mean squared error;
    * ``"first"``: the first member (lowest index), a *selection*: error at most the
      kernel size;
    * ``"farthest"``: a member at the end of a longest segment in :math:`F_y`, the worst
      selection: on the worst fibre its error equals the kernel size.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape ``(B, *A.domain_shape)``
        The model class.
    eta : float
        Noise level :math:`\eta \ge 0`.
    rule : {"centre", "mean", "first", "farthest"}
        Which point of (or built from) the feasible set to return.
    rtol : float
        Relative slack for rounding, ``>= 0``.

    Returns
    -------
    FeasibleSetMap
        A callable ``y -> x_rec``; its ``radii(y)`` gives the largest distance from each
        answer to its feasible set.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 1.0, 1.0]],
    ...                  dtype=torch.float64)         # one fibre: a right triangle
    >>> psi = kernel.feasible_set_map(A, X)
    >>> psi(A(X[:1])), psi.radii(A(X[:1]))
    (tensor([[0., 1., 0.]], dtype=torch.float64), tensor([1.], dtype=torch.float64))
    """
    return FeasibleSetMap(A, X, eta, rule=rule, rtol=rtol)


def optimal_error(A: LinearOperator, X: torch.Tensor, eta: float = 0.0,
                  Y: torch.Tensor | None = None, *, rtol: float = 1e-5) -> float:
    r"""The largest Chebyshev radius :math:`\max_{y} \operatorname{rad}(F_y)` over measurements.

    With ``eta = 0`` and ``Y = None`` the measurements are the data :math:`A x_i` of the whole
    class, every feasible set is a fibre, and the result is exactly the optimal worst-case error
    :math:`\inf_\Psi \max_i \lVert \Psi(A x_i) - x_i \rVert` over all maps. With noise, pass the
    measurements ``Y`` of interest: the result is the optimum over those, a lower bound on
    :math:`\sup_y \operatorname{rad}(F_y)` over all :math:`y`.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape ``(B, *A.domain_shape)``
        The model class.
    eta : float
        Noise level :math:`\eta \ge 0`.
    Y : torch.Tensor, shape ``(K, *A.range_shape)``, optional
        The measurements; default :math:`A X`.
    rtol : float
        Relative slack for rounding, ``>= 0``.

    Returns
    -------
    float
        The largest radius.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [5.0, 0.0]], dtype=torch.float64)
    >>> kernel.optimal_error(A, X)           # half the kernel size 2: a two-point fibre
    1.0
    """
    psi = FeasibleSetMap(A, X, eta, rule="centre", rtol=rtol)
    if Y is None:
        with torch.no_grad():
            Y = A(psi.X)
    check_batch("Y", Y, A.range_shape, A.range_complex)
    return float(psi.radii(Y).max())


def _order(p: float | None) -> float:
    p = 2.0 if p is None else _validate.positive("p", p)
    if p < 1 or math.isinf(p):
        raise ValueError(f"p must be a finite number >= 1, got {p!r}")
    return p
