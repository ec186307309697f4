"""Two images with nearly the same data: the two-image bound and a family of maps along them (Chapter 7).

Let ``x`` and ``x'`` be two images whose data ``y = A x`` and ``y' = A x'`` are close. If a map
``Psi`` reconstructs both well, with errors ``delta = ||Psi(y) - x||`` and
``delta' = ||Psi(y') - x'||``, then its output moves by at least
``||x - x'|| - delta - delta'`` when the data move by ``||y - y'||``. So

    L^eta(Psi, y) >= ||Psi(y') - Psi(y)|| / ||y' - y|| >= (||x - x'|| - delta - delta') / ||y' - y||

for every ``eta >= ||y' - y||``, and a map whose ratio on the pair is at most ``L`` errs by at
least ``(||x - x'|| - L ||y - y'||) / 2`` on one of the two images.

* :func:`two_images`: the quantities of this bound for any reconstructor on a batch of pairs.
* :class:`LineTikhonov`: Tikhonov regularisation of the one unknown ``t`` in the model
  ``x + t z``, a family of affine maps whose Lipschitz constant is known in closed form; at
  ``lam = 0`` it reconstructs every image on the line exactly, and as ``lam`` grows it becomes
  stable and blind to ``z``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .. import _validate
from .._batch import norm, safe_divide
from ..operators.base import LinearOperator
from . import _common
from ._common import Reconstructor, fmt_values

__all__ = ["LineTikhonov", "TwoImages", "two_images"]


def _inner(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Real inner product per sample, complex entries counted as pairs of reals."""
    prod = a.conj() * b if (a.is_complex() or b.is_complex()) else a * b
    return prod.real.flatten(1).sum(dim=1) if prod.is_complex() else prod.flatten(1).sum(dim=1)


@dataclass(repr=False)
class TwoImages:
    """A map's reconstructions of two images and the quantities of the two-image bound.

    Attributes
    ----------
    x, x_prime : torch.Tensor, shape ``(B, *A.domain_shape)``
        The two images.
    y, y_prime : torch.Tensor, shape ``(B, *A.range_shape)``
        Their data (clean or not).
    x_rec, x_rec_prime : torch.Tensor
        ``Psi(y)`` and ``Psi(y')``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import two_images
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> x, x2 = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> out = two_images(A.H, A, x, x2)        # A^T cannot see the second coordinate
    >>> round(float(out.delta_prime[0]), 4), round(float(out.lower_bound[0]), 2)
    (0.9999, 0.01)
    """

    x: torch.Tensor
    x_prime: torch.Tensor
    y: torch.Tensor
    y_prime: torch.Tensor
    x_rec: torch.Tensor
    x_rec_prime: torch.Tensor

    @property
    def distance(self) -> torch.Tensor:
        """``||x - x'||`` per pair."""
        return norm(self.x - self.x_prime)

    @property
    def data_distance(self) -> torch.Tensor:
        """``||y - y'||`` per pair."""
        return norm(self.y - self.y_prime)

    @property
    def delta(self) -> torch.Tensor:
        """``||Psi(y) - x||`` per pair."""
        return norm(self.x_rec - self.x)

    @property
    def delta_prime(self) -> torch.Tensor:
        """``||Psi(y') - x'||`` per pair."""
        return norm(self.x_rec_prime - self.x_prime)

    @property
    def ratio(self) -> torch.Tensor:
        """``||Psi(y') - Psi(y)|| / ||y' - y||``: a certified lower bound on ``L^eta(Psi, y)`` for ``eta >= ||y' - y||``."""
        return safe_divide(norm(self.x_rec_prime - self.x_rec), self.data_distance)

    @property
    def lower_bound(self) -> torch.Tensor:
        """``(||x - x'|| - delta - delta') / ||y - y'||``: the bound the accuracies alone imply (may be negative)."""
        return safe_divide(self.distance - self.delta - self.delta_prime, self.data_distance)

    def half_gap(self, lipschitz: float | torch.Tensor) -> torch.Tensor:
        """``(||x - x'|| - lipschitz ||y - y'||) / 2``: what ``max(delta, delta')`` cannot fall below."""
        lipschitz = torch.as_tensor(lipschitz, dtype=self.distance.dtype, device=self.distance.device)
        return 0.5 * (self.distance - lipschitz * self.data_distance)

    def __repr__(self) -> str:
        return (f"TwoImages(||x - x'||={fmt_values(self.distance)}, ||y - y'||={fmt_values(self.data_distance)}, "
                f"delta={fmt_values(self.delta)}, delta'={fmt_values(self.delta_prime)}, "
                f"lower_bound={fmt_values(self.lower_bound)}, ratio={fmt_values(self.ratio)})")


def two_images(recon: Reconstructor, A: LinearOperator, x: torch.Tensor, x_prime: torch.Tensor, *,
               y: torch.Tensor | None = None, y_prime: torch.Tensor | None = None) -> TwoImages:
    """Reconstruct two images from their data and collect the quantities of the two-image bound.

    Parameters
    ----------
    recon : callable
        The reconstructor ``Psi``.
    A : LinearOperator
        The forward operator.
    x, x_prime : torch.Tensor, shape ``(B, *A.domain_shape)``
        The two images.
    y, y_prime : torch.Tensor, optional
        Their data; default ``A x`` and ``A x'`` (pass noisy data here).

    Returns
    -------
    TwoImages
        With ``distance``, ``data_distance``, ``delta``, ``delta_prime``, ``ratio`` and
        ``lower_bound`` per pair.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import two_images
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> inverse = lambda y: y @ torch.linalg.inv(A.matrix).T         # exact on every image
    >>> x, x2 = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> round(float(two_images(inverse, A, x, x2).lower_bound[0]))  # its Lipschitz constant is 100
    100
    """
    _validate.function("recon", recon, "a reconstructor recon(y) -> x")
    _validate.operator("A", A)
    for name, t in (("x", x), ("x_prime", x_prime)):
        _common.check_batch(name, t)
        if tuple(t.shape[1:]) != A.domain_shape:
            raise ValueError(f"{name} must have shape (B, {', '.join(map(str, A.domain_shape))}) for "
                             f"{type(A).__name__}, got {tuple(t.shape)}")
    if x.shape != x_prime.shape:
        raise ValueError(f"x and x_prime must have the same shape, got {tuple(x.shape)} and {tuple(x_prime.shape)}")
    with torch.no_grad():
        y = A(x) if y is None else y
        y_prime = A(x_prime) if y_prime is None else y_prime
        if y.shape != y_prime.shape:
            raise ValueError(f"y and y_prime must have the same shape, got {tuple(y.shape)} and "
                             f"{tuple(y_prime.shape)}")
        return TwoImages(x=x.detach(), x_prime=x_prime.detach(), y=y, y_prime=y_prime,
                         x_rec=_common.call(recon, y), x_rec_prime=_common.call(recon, y_prime))


class LineTikhonov(nn.Module):
    r"""Tikhonov regularisation of ``t`` in the model ``x + t z``: ``Psi(y) = x + t(y) z``.

    .. math::

        t(y) = \arg\min_t \|A(x + t z) - y\|^2 + \lambda t^2
             = \frac{\operatorname{Re}\langle Az, y - Ax\rangle}{\|Az\|^2 + \lambda}.

    The map is affine with rank-one linear part ``v -> z Re<Az, v> / (||Az||^2 + lam)``, so its
    Lipschitz constant, at every point and every radius, is exactly
    ``||z|| ||Az|| / (||Az||^2 + lam)`` (:attr:`lipschitz`). At ``lam = 0`` it returns every image
    of the line ``x + t z`` exactly and ``L = ||z|| / ||Az||``; as ``lam`` grows, ``L -> 0``
    and the map returns ``x`` whatever the data.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    x : torch.Tensor, shape ``(1, *A.domain_shape)``
        The anchor of the line (e.g. an image, or the midpoint of two images).
    z : torch.Tensor, shape ``(1, *A.domain_shape)``
        The direction (e.g. a lesion), with ``A z != 0``.
    lam : float
        Regularisation weight, ``>= 0``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> x, z = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> psi = LineTikhonov(A, x, z, lam=0.0)
    >>> psi(A(x + 0.3 * z)), round(psi.lipschitz, 6)
    (tensor([[0.0000, 0.3000]], dtype=torch.float64), 100.0)
    """

    def __init__(self, A: LinearOperator, x: torch.Tensor, z: torch.Tensor, lam: float) -> None:
        super().__init__()
        self.A = _validate.operator("A", A)
        for name, t in (("x", x), ("z", z)):
            _validate.tensor(name, t)
            if tuple(t.shape) != (1, *A.domain_shape):
                raise ValueError(f"{name} must have shape (1, {', '.join(map(str, A.domain_shape))}), "
                                 f"got {tuple(t.shape)}")
        if not _common.is_number(lam) or not float(lam) >= 0:
            raise ValueError(f"lam must be a real number >= 0, got {lam!r}")
        self.register_buffer("x", x.detach().clone())
        self.register_buffer("z", z.detach().clone())
        with torch.no_grad():
            self.register_buffer("Ax", A(x.detach()))
            self.register_buffer("Az", A(z.detach()))
        gain = float(norm(self.Az)[0]) ** 2
        if gain == 0.0:
            raise ValueError("z must be visible in the data (A z != 0); for z in the kernel no lam helps")
        self.lam = float(lam)
        self._denominator = gain + self.lam

    @property
    def lipschitz(self) -> float:
        """``||z|| ||Az|| / (||Az||^2 + lam)``, the exact Lipschitz constant of the map."""
        return float(norm(self.z)[0] * norm(self.Az)[0]) / self._denominator

    def coefficient(self, y: torch.Tensor) -> torch.Tensor:
        """``t(y)`` per sample."""
        return _inner(self.Az.expand_as(y), y - self.Ax) / self._denominator

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        t = self.coefficient(y).reshape(-1, *([1] * (self.x.ndim - 1)))
        return self.x + t.to(self.x.dtype) * self.z
