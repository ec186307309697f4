r"""Detail transfer: how much of one image's detail a reconstruction of another image carries (Chapter 6).

Let :math:`\Psi` be accurate on an image :math:`x`, :math:`\|\Psi(Ax) - x\| = \delta`, and let
:math:`x'` have (nearly) the same data. Then :math:`\Psi(Ax')` is close to :math:`\Psi(Ax)`,
hence to :math:`x`: the difference :math:`x - x'`, which belongs to :math:`x` and not to
:math:`x'`, appears in the reconstruction of :math:`x'`. This module measures that:

* :func:`transferred_fraction`: the share :math:`\langle x_{rec} - x, z\rangle / \|z\|^2` of a
  detail :math:`z` that a reconstruction :math:`x_{rec}` of :math:`x` carries, per sample (the
  manifest's "hallucination" of the shipped models is this number,
  :func:`tk_lessons.zoo.evaluation.detail_fraction`);
* :func:`transfer_map`: the same number pixel by pixel (the map sums to the fraction);
* :func:`detail_transfer`: both sides of the no-free-lunch inequalities of Chapter 6 for one
  reconstruction map and a pair of images (:class:`DetailTransfer`).

Examples
--------
>>> import torch
>>> from tk_lessons.operators import MatrixOperator
>>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))   # sees coordinate 1
>>> x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
>>> x_prime = torch.tensor([[1.0, 0.0]], dtype=torch.float64)            # same data as x
>>> out = detail_transfer(lambda y: x.expand(y.shape[0], 2), A, x, x_prime)  # always x
>>> out.delta_prime.item(), out.lower_bound.item(), out.fraction.item()
(2.0, 2.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .. import _validate
from .._batch import norm
from ..operators import LinearOperator

__all__ = ["DetailTransfer", "detail_transfer", "transfer_map", "transferred_fraction"]


def _check_like(z: torch.Tensor, **tensors: object) -> None:
    _validate.tensor("z", z)
    if z.ndim < 2:
        raise ValueError(f"z must be a batch (B, ...), got shape {tuple(z.shape)}")
    for name, t in tensors.items():
        _validate.tensor(name, t)
        if t.shape != z.shape:
            raise ValueError(f"{name} must have the shape of z, {tuple(z.shape)}, got {tuple(t.shape)}")


def transferred_fraction(x_rec: torch.Tensor, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    r"""Share of the detail ``z`` that ``x_rec`` adds to ``x``, per sample (1: all of it, 0: none).

    The share is :math:`\langle x_{rec} - x, z\rangle / \|z\|^2`, the coefficient of the
    orthogonal projection of the error :math:`x_{rec} - x` onto the line through :math:`z`
    (:func:`tk_lessons.zoo.evaluation.detail_fraction` of each sample).

    Parameters
    ----------
    x_rec, x, z : torch.Tensor, shape ``(B, ...)``, real
        The reconstruction, the image it reconstructs, and a nonzero detail per sample.

    Returns
    -------
    torch.Tensor, shape ``(B,)``, float64

    Examples
    --------
    >>> z = torch.tensor([[0.0, 2.0], [1.0, 0.0]])
    >>> transferred_fraction(torch.tensor([[1.0, 1.0], [0.0, 0.0]]), torch.zeros(2, 2), z)
    tensor([0.5000, 0.0000], dtype=torch.float64)
    """
    from ..zoo.evaluation import detail_fraction   # the manifest's number: one definition

    _check_like(z, x_rec=x_rec, x=x)
    return torch.tensor([detail_fraction(x_rec[i:i + 1], x[i:i + 1], z[i:i + 1])
                         for i in range(z.shape[0])], dtype=torch.float64)


def transfer_map(x_rec: torch.Tensor, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    r"""Pixel by pixel, what of the detail ``z`` the reconstruction ``x_rec`` of ``x`` carries.

    The map is :math:`(x_{rec} - x) \odot z / \|z\|^2` (per sample); its sum over the pixels of
    a sample is :func:`transferred_fraction`. It is positive where the error points along the
    detail, negative where it points against it, and zero where the detail vanishes.

    Parameters
    ----------
    x_rec, x, z : torch.Tensor, shape ``(B, ...)``, real
        As in :func:`transferred_fraction`.

    Returns
    -------
    torch.Tensor, the shape of ``z``

    Examples
    --------
    >>> z = torch.tensor([[1.0, 1.0]])
    >>> transfer_map(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2), z)
    tensor([[0.5000, 0.0000]])
    """
    _check_like(z, x_rec=x_rec, x=x)
    energy = (z * z).flatten(1).sum(1)
    if not bool((energy > 0).all()):
        raise ValueError("z must be a nonzero detail in every sample, got an all-zero sample")
    return (x_rec - x) * z / energy.view(-1, *([1] * (z.ndim - 1)))


@dataclass(repr=False)
class DetailTransfer:
    r"""A reconstruction map on two images with (nearly) the same data: the quantities of Chapter 6.

    All properties are per sample, shape ``(B,)``. With :math:`\delta = \|\Psi(Ax) - x\|` and
    :math:`c = \|\Psi(Ax') - \Psi(Ax)\|` (at most :math:`L^\eta(\Psi, Ax)\,\eta` for
    :math:`\eta = \|A(x' - x)\|`, by the definition of the local Lipschitz constant), the
    triangle inequality gives

    .. math::

        \|\Psi(Ax') - x\| \le \delta + c, \qquad
        \|\Psi(Ax') - x'\| \ge \|x - x'\| - \delta - c.

    Attributes
    ----------
    A : LinearOperator
        The forward operator.
    x, x_prime : torch.Tensor, shape ``(B, *A.domain_shape)``
        The image the map is accurate on, and the other image.
    x_rec, x_rec_prime : torch.Tensor
        :math:`\Psi(Ax)` and :math:`\Psi(Ax')`.
    """

    A: LinearOperator
    x: torch.Tensor
    x_prime: torch.Tensor
    x_rec: torch.Tensor
    x_rec_prime: torch.Tensor

    @property
    def delta(self) -> torch.Tensor:
        r""":math:`\delta = \|\Psi(Ax) - x\|`: the error on the image the map is accurate on."""
        return norm(self.x_rec - self.x)

    @property
    def distance(self) -> torch.Tensor:
        r""":math:`\|x - x'\|`: the size of the detail that tells the images apart."""
        return norm(self.x - self.x_prime)

    @property
    def data_distance(self) -> torch.Tensor:
        r""":math:`\eta = \|A(x' - x)\|` (0 for an exact kernel detail, up to rounding)."""
        with torch.no_grad():
            return norm(self.A(self.x_prime - self.x))

    @property
    def change(self) -> torch.Tensor:
        r""":math:`c = \|\Psi(Ax') - \Psi(Ax)\|`, which stands in for :math:`L^\eta\eta`."""
        return norm(self.x_rec_prime - self.x_rec)

    @property
    def delta_prime(self) -> torch.Tensor:
        r""":math:`\delta' = \|\Psi(Ax') - x'\|`: the error on the other image."""
        return norm(self.x_rec_prime - self.x_prime)

    @property
    def lower_bound(self) -> torch.Tensor:
        r""":math:`\|x - x'\| - \delta - c`: what :attr:`delta_prime` is at least."""
        return self.distance - self.delta - self.change

    @property
    def to_x(self) -> torch.Tensor:
        r""":math:`\|\Psi(Ax') - x\|`: how close the reconstruction of :math:`x'` is to :math:`x`."""
        return norm(self.x_rec_prime - self.x)

    @property
    def upper_bound(self) -> torch.Tensor:
        r""":math:`\delta + c`: what :attr:`to_x` is at most."""
        return self.delta + self.change

    @property
    def fraction(self) -> torch.Tensor:
        r"""Share of the detail :math:`x - x'` that :math:`\Psi(Ax')` adds to :math:`x'` (NaN where :math:`x' = x`)."""
        out = torch.full((self.x.shape[0],), float("nan"), dtype=torch.float64)
        w = self.x - self.x_prime
        differ = [i for i in range(w.shape[0]) if bool(w[i].any())]
        if differ:
            out[differ] = transferred_fraction(self.x_rec_prime[differ], self.x_prime[differ], w[differ])
        return out

    def __repr__(self) -> str:
        def fmt(t: torch.Tensor) -> str:
            return ", ".join(f"{v:.4g}" for v in t.tolist())
        return (f"DetailTransfer(delta_prime=[{fmt(self.delta_prime)}] >= lower_bound=[{fmt(self.lower_bound)}], "
                f"to_x=[{fmt(self.to_x)}] <= upper_bound=[{fmt(self.upper_bound)}], "
                f"fraction=[{fmt(self.fraction)}])")


@torch.no_grad()
def detail_transfer(recon: Callable[[torch.Tensor], torch.Tensor], A: LinearOperator, x: torch.Tensor,
                    x_prime: torch.Tensor) -> DetailTransfer:
    r"""Reconstruct ``x`` and ``x_prime`` from their data and collect the quantities of Chapter 6.

    Parameters
    ----------
    recon : callable
        The reconstruction map :math:`\Psi`, measurements in, images out.
    A : LinearOperator
        The forward operator.
    x, x_prime : torch.Tensor, shape ``(B, *A.domain_shape)``, real
        The image the map is (supposed to be) accurate on, and an image with (nearly) the same
        data, e.g. ``x + z`` with ``z`` in the kernel of ``A``.

    Returns
    -------
    DetailTransfer

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    >>> zero_filling = lambda y: torch.cat((y, torch.zeros_like(y)), dim=1)
    >>> out = detail_transfer(zero_filling, A, x, torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> out.delta.item(), out.delta_prime.item(), out.fraction.item()
    (2.0, 0.0, 0.0)
    """
    _validate.function("recon", recon, "a reconstruction map recon(y) -> x_rec")
    _validate.operator("A", A)
    _check_like(x, x_prime=x_prime)
    if tuple(x.shape[1:]) != tuple(A.domain_shape):
        raise ValueError(f"x must be a batch (B, {', '.join(map(str, A.domain_shape))}) of images of A's "
                         f"domain, got {tuple(x.shape)}")
    x_rec, x_rec_prime = recon(A(x)), recon(A(x_prime))
    for name, t in (("recon(A(x))", x_rec), ("recon(A(x_prime))", x_rec_prime)):
        if not isinstance(t, torch.Tensor) or t.shape != x.shape:
            raise ValueError(f"{name} must be an image batch of the shape of x, {tuple(x.shape)}, "
                             f"got {getattr(t, 'shape', type(t).__name__)}")
    return DetailTransfer(A, x, x_prime, x_rec.real.to(x.dtype), x_rec_prime.real.to(x.dtype))
