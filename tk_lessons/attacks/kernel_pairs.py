"""Kernel perturbations: false positives and false negatives (Chapter 7; Gottschling et al. 2025).

Take an image ``x`` and a detail ``d`` (a "tumour", a text). Adding the part ``z`` of the
detail that the data (almost) cannot see gives a second image ``x' = x + z`` with (almost)
the same measurements. The two data differ by

    e1 = A(x' - x) = A z,        e2 = -e1,

so ``y + e1 = y'`` and ``y' + e2 = y``. A reconstructor that recovers both images well,
``Psi(y) ~ x`` and ``Psi(y') ~ x'``, therefore has

* a **false positive**: the tiny perturbation ``e1`` of the data of ``x`` makes the detail
  appear, ``Psi(y + e1) ~ x'``;
* a **false negative**: the tiny perturbation ``e2`` of the data of ``x'`` makes it vanish,
  ``Psi(y' + e2) ~ x``;

and its local Lipschitz constant is at least about ``||z|| / ||e1||``: huge when ``z`` is
almost in the kernel. When ``z`` is exactly in the kernel, ``e1 = 0``: no reconstructor can
tell ``x`` and ``x'`` apart at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import _validate
from .. import kernel as _kernel
from .._batch import norm, safe_divide
from ..operators.base import LinearOperator
from . import _common
from ._common import Reconstructor, fmt_values

__all__ = ["FalsePositiveNegative", "KernelPair", "false_positive_negative", "kernel_pair"]


@dataclass(repr=False)
class KernelPair:
    """Two images with (almost) the same data, and the data perturbations between them.

    Attributes
    ----------
    x, x_prime : torch.Tensor, shape ``(B, *A.domain_shape)``
        The image and the image with the detail, ``x' = x + z``.
    z : torch.Tensor
        The added (approximate) kernel component of the detail.
    y, y_prime : torch.Tensor, shape ``(B, *A.range_shape)``
        ``A x`` and ``A x'``.
    e1, e2 : torch.Tensor
        ``e1 = A(x' - x)`` (turns ``y`` into ``y'``) and ``e2 = -e1`` (turns ``y'`` into ``y``).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import kernel_pair
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> pair = kernel_pair(A, torch.zeros(1, 2, dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64))
    >>> pair.z, pair.e1
    (tensor([[0., 1.]], dtype=torch.float64), tensor([[0.]], dtype=torch.float64))
    """

    x: torch.Tensor
    x_prime: torch.Tensor
    z: torch.Tensor
    y: torch.Tensor
    y_prime: torch.Tensor
    e1: torch.Tensor
    e2: torch.Tensor

    @property
    def relative_perturbation(self) -> torch.Tensor:
        """``||e1|| / ||y||`` per sample: how small the data difference is."""
        return safe_divide(norm(self.e1), norm(self.y))

    def __repr__(self) -> str:
        return (f"KernelPair(batch={self.x.shape[0]}, ||z||={fmt_values(norm(self.z))}, ||e1||={fmt_values(norm(self.e1))}, "
                f"||e1||/||y||={fmt_values(self.relative_perturbation)})")


def kernel_pair(A: LinearOperator, x: torch.Tensor, detail: torch.Tensor, *, ridge: float | None = None,
                project: bool = True, scale: float = 1.0) -> KernelPair:
    """Build ``x' = x + z`` from a detail, and the perturbations ``e1 = A(x' - x)``, ``e2 = -e1``.

    ``z`` is ``scale`` times

    * ``project=True, ridge=None``: the exact kernel component ``tk.kernel.project(A, detail)``
      (then ``e1 = 0`` up to rounding: the pair cannot be told apart from data);
    * ``project=True, ridge=r``: the ridge-regularised kernel component
      ``tk.kernel.component(A, detail, ridge=r)``, approximately in the kernel (the paper's CT
      construction), so ``e1`` is small but not zero;
    * ``project=False``: the detail itself, for details chosen to have little energy in the
      data (the v1 1-D "tumour").

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    x : torch.Tensor, shape ``(B, *A.domain_shape)``
        Images.
    detail : torch.Tensor, shape of ``x`` (or ``(1, *A.domain_shape)``, broadcast over the batch)
        The detail to add.
    ridge : float or None
        Ridge parameter of the approximate kernel component (see above).
    project : bool
        Whether to take the kernel component of the detail at all.
    scale : float
        Factor applied to ``z`` (any real number; e.g. the detail's intensity).

    Returns
    -------
    KernelPair
        ``x``, ``x' = x + z``, ``z``, ``y = A x``, ``y' = A x'``, ``e1``, ``e2``. Note that the
        kernel component of a real image under :class:`SubsampledFourier` is complex in
        general, and so is ``x'`` then.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import kernel_pair
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 1.0]], dtype=torch.float64))
    >>> kernel_pair(A, torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[2.0, 0.0]], dtype=torch.float64)).x_prime
    tensor([[ 1., -1.]], dtype=torch.float64)
    """
    _validate.operator("A", A)
    _common.check_batch("x", x)
    if tuple(x.shape[1:]) != A.domain_shape:
        raise ValueError(f"x must have shape (B, {', '.join(map(str, A.domain_shape))}) for "
                         f"{type(A).__name__}, got {tuple(x.shape)}")
    _common.check_batch("detail", detail)
    if tuple(detail.shape[1:]) != A.domain_shape or detail.shape[0] not in (1, x.shape[0]):
        raise ValueError(f"detail must have shape ({x.shape[0]} or 1, {', '.join(map(str, A.domain_shape))}), "
                         f"got {tuple(detail.shape)}")
    project = _validate.flag("project", project)
    if not _common.is_number(scale):
        raise TypeError(f"scale must be a real number, got {type(scale).__name__} ({scale!r})")
    if ridge is not None and not project:
        raise ValueError("ridge is used only with project=True; got project=False and ridge="
                         f"{ridge!r}")

    x = x.detach()
    detail = detail.detach().expand(x.shape[0], *detail.shape[1:]).contiguous()
    with torch.no_grad():
        z = _kernel.component(A, detail, ridge=ridge) if project else detail.clone()
        z = float(scale) * z
        x_prime = x + z
        y, y_prime = A(x), A(x_prime)
        e1 = A(x_prime - x)
    return KernelPair(x=x, x_prime=x_prime, z=z, y=y, y_prime=y_prime, e1=e1, e2=-e1)


@dataclass(repr=False)
class FalsePositiveNegative:
    """What a reconstructor does on a :class:`KernelPair` and the perturbations between its data.

    Attributes
    ----------
    pair : KernelPair
        The images and perturbations.
    x_rec, x_rec_prime : torch.Tensor
        ``Psi(y)`` and ``Psi(y')``, the reconstructions of the clean data.
    x_fp : torch.Tensor
        ``Psi(y + e1)``: if it is close to ``x'``, the detail appeared (false positive).
    x_fn : torch.Tensor
        ``Psi(y' + e2)``: if it is close to ``x``, the detail vanished (false negative).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import kernel_pair, false_positive_negative
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 1e-3]], dtype=torch.float64))
    >>> x, d = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> pair = kernel_pair(A, x, d, project=False)           # d is almost invisible: ||A d|| = 1e-3
    >>> out = false_positive_negative(lambda y: y @ torch.linalg.inv(A.matrix).T, pair)   # exact inverse
    >>> float(out.fp_to_x_prime[0]) < 1e-9, round(float(out.lipschitz_ratio[0]))
    (True, 1000)
    """

    pair: KernelPair
    x_rec: torch.Tensor
    x_rec_prime: torch.Tensor
    x_fp: torch.Tensor
    x_fn: torch.Tensor

    def _rel(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return safe_divide(norm(a - b), norm(b))

    @property
    def fp_to_x_prime(self) -> torch.Tensor:
        """``||Psi(y + e1) - x'|| / ||x'||``: small means the detail appeared from data of ``x``."""
        return self._rel(self.x_fp, self.pair.x_prime)

    @property
    def fp_to_x(self) -> torch.Tensor:
        """``||Psi(y + e1) - x|| / ||x||``: the error against the image that was perturbed."""
        return self._rel(self.x_fp, self.pair.x)

    @property
    def fn_to_x(self) -> torch.Tensor:
        """``||Psi(y' + e2) - x|| / ||x||``: small means the detail vanished from data of ``x'``."""
        return self._rel(self.x_fn, self.pair.x)

    @property
    def fn_to_x_prime(self) -> torch.Tensor:
        """``||Psi(y' + e2) - x'|| / ||x'||``: the error against the image that was perturbed."""
        return self._rel(self.x_fn, self.pair.x_prime)

    @property
    def lipschitz_ratio(self) -> torch.Tensor:
        """``||Psi(y + e1) - Psi(y)|| / ||e1||``: a lower bound on the local Lipschitz constant at ``y``.

        ``inf`` where ``e1 = 0`` but the outputs differ (impossible for a function of the data
        alone), ``0`` where both vanish.
        """
        diff, size = norm(self.x_fp - self.x_rec), norm(self.pair.e1)
        ratio = safe_divide(diff, size)
        return torch.where((size == 0) & (diff > 0), torch.full_like(ratio, float("inf")), ratio)

    def __repr__(self) -> str:
        return (f"FalsePositiveNegative(||e1||/||y||={fmt_values(self.pair.relative_perturbation)}, "
                f"fp_to_x_prime={fmt_values(self.fp_to_x_prime)}, fn_to_x={fmt_values(self.fn_to_x)}, "
                f"lipschitz_ratio={fmt_values(self.lipschitz_ratio)})")

    def summary(self) -> str:
        """One row per sample: the perturbation size and the four relative distances."""
        cols = ("sample", "||e1||/||y||", "Psi(y+e1)~x'", "Psi(y+e1)~x", "Psi(y'+e2)~x", "Psi(y'+e2)~x'", "ratio")
        rows = [" ".join(f"{c:>14}" for c in cols)]
        values = (self.pair.relative_perturbation, self.fp_to_x_prime, self.fp_to_x, self.fn_to_x,
                  self.fn_to_x_prime, self.lipschitz_ratio)
        for b in range(self.pair.x.shape[0]):
            rows.append(f"{b:>14} " + " ".join(f"{float(v[b]):>14.4g}" for v in values))
        return "relative distances (small = close)\n" + "\n".join(rows)


def false_positive_negative(recon: Reconstructor, pair: KernelPair) -> FalsePositiveNegative:
    """Reconstruct ``y + e1`` and ``y' + e2``: does the detail appear from ``x``'s data, and vanish from ``x'``'s?

    Parameters
    ----------
    recon : callable
        The reconstructor ``Psi``.
    pair : KernelPair
        From :func:`kernel_pair`.

    Returns
    -------
    FalsePositiveNegative
        ``Psi(y)``, ``Psi(y')``, ``Psi(y + e1)``, ``Psi(y' + e2)`` and relative distances
        (``fp_to_x_prime``, ``fn_to_x``, ...) plus ``lipschitz_ratio``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import kernel_pair, false_positive_negative
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> pair = kernel_pair(A, torch.ones(1, 2, dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64))
    >>> out = false_positive_negative(A.H, pair)      # A^H cannot see the kernel: no detail appears
    >>> float(out.fp_to_x_prime[0]) > 0.5
    True
    """
    _validate.function("recon", recon, "a reconstructor recon(y) -> x")
    if not isinstance(pair, KernelPair):
        raise TypeError(f"pair must be a KernelPair (from kernel_pair), got {type(pair).__name__}")
    with torch.no_grad():
        return FalsePositiveNegative(
            pair=pair, x_rec=_common.call(recon, pair.y), x_rec_prime=_common.call(recon, pair.y_prime),
            x_fp=_common.call(recon, pair.y + pair.e1), x_fn=_common.call(recon, pair.y_prime + pair.e2),
        )
