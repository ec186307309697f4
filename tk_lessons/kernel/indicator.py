r"""A per-pixel hallucination indicator: the pixel-wise range of an empirical feasible set (Chapter 14).

For data ``y``, a finite sample ``X`` of the model class and a noise level ``eta``, the
empirical feasible set is :math:`F = \{x_n : \|A x_n - y\| \le \eta\}`. Its pixel-wise range
:math:`[\ell_i, u_i]` says what the data leave open at pixel ``i``; for a reconstruction
``x_rec`` the *score* :math:`s_i = (u_i - \ell_i) + \operatorname{dist}(x_{rec,i}, [\ell_i, u_i])`
bounds the pixel error :math:`|x_{rec,i} - x_i|` whenever the truth ``x`` lies in ``F``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..operators.base import LinearOperator
from ._common import check_batch
from .sizes import feasible_sets

__all__ = ["PixelRange", "detection_rates", "pixel_range"]


@dataclass
class PixelRange:
    """Pixel-wise range of an empirical feasible set (see :func:`pixel_range`).

    Attributes
    ----------
    low, high : torch.Tensor, shape ``(1, *A.domain_shape)``
        Smallest and largest value of each pixel over the feasible set.
    members : torch.Tensor of int64
        Indices into ``X`` of the feasible set.
    """

    low: torch.Tensor
    high: torch.Tensor
    members: torch.Tensor

    @property
    def spread(self) -> torch.Tensor:
        """``high - low``: how much the data leave each pixel open within the sample."""
        return self.high - self.low

    def score(self, x_rec: torch.Tensor) -> torch.Tensor:
        """``spread + dist(x_rec, [low, high])`` pixel by pixel: a bound on the pixel error
        of ``x_rec`` for every truth in the feasible set."""
        outside = torch.clamp(self.low - x_rec, min=0) + torch.clamp(x_rec - self.high, min=0)
        return self.spread + outside


def pixel_range(A: LinearOperator, X: torch.Tensor, y: torch.Tensor, eta: float) -> PixelRange:
    r"""Pixel-wise range of the images of ``X`` consistent with the data ``y`` at noise ``eta``.

    Parameters
    ----------
    A : LinearOperator
        The forward operator (real images).
    X : torch.Tensor, shape ``(B, *A.domain_shape)``
        A sample of the model class, real.
    y : torch.Tensor, shape ``(1, *A.range_shape)``
        One measurement.
    eta : float
        Noise level, ``>= 0``: the feasible set is :math:`\{x_n : \|A x_n - y\| \le \eta\}`.

    Returns
    -------
    PixelRange
        ``low``, ``high`` and the member indices; ``spread`` and ``score(x_rec)``.

    Raises
    ------
    ValueError
        If no image of ``X`` is consistent with ``y`` (raise ``eta`` or enlarge ``X``).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [5.0, 0.0]])
    >>> r = kernel.pixel_range(A, X, torch.tensor([[0.0]]), eta=0.0)
    >>> r.spread, r.score(torch.tensor([[0.0, 3.0]]))
    (tensor([[0., 2.]]), tensor([[0., 3.]]))
    """
    check_batch("X", X, A.domain_shape, A.domain_complex)
    if X.is_complex():
        raise ValueError("X must be real: the pixel range of complex images is not defined")
    if y.shape[0] != 1:
        raise ValueError(f"y must hold one measurement, got a batch of {y.shape[0]}")
    members = feasible_sets(A, X, y, eta)[0]
    if members.numel() == 0:
        raise ValueError(f"no image of X has ||A x - y|| <= eta = {eta!r}: "
                         "raise eta or add images consistent with y to X")
    F = X.detach()[members.to(X.device)]
    return PixelRange(F.amin(dim=0, keepdim=True), F.amax(dim=0, keepdim=True), members)


def detection_rates(score: torch.Tensor, mask: torch.Tensor,
                    thresholds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Share of the detail's pixels flagged and share of the other pixels flagged, per threshold.

    A pixel is *flagged* at threshold ``t`` when ``score > t``.

    Parameters
    ----------
    score : torch.Tensor
        Per-pixel scores.
    mask : torch.Tensor of bool, same shape
        True on the pixels of the detail; must contain both values.
    thresholds : torch.Tensor, shape ``(T,)``

    Returns
    -------
    (hit, false_alarm) : tuple of torch.Tensor of float64, shape ``(T,)``

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> s = torch.tensor([0.9, 0.2, 0.6, 0.0])
    >>> m = torch.tensor([True, True, False, False])
    >>> kernel.detection_rates(s, m, torch.tensor([0.1, 0.5]))
    (tensor([1.0000, 0.5000], dtype=torch.float64), tensor([0.5000, 0.5000], dtype=torch.float64))
    """
    if score.shape != mask.shape:
        raise ValueError(f"score and mask must have one shape, got {tuple(score.shape)} "
                         f"and {tuple(mask.shape)}")
    mask = mask.bool()
    if mask.all() or not mask.any():
        raise ValueError("mask must mark some pixels but not all")
    flagged = score.flatten()[None, :] > thresholds.to(score).flatten()[:, None]
    m = mask.flatten().to(flagged.device)
    hit = flagged[:, m].double().mean(dim=1)
    false_alarm = flagged[:, ~m].double().mean(dim=1)
    return hit.cpu(), false_alarm.cpu()
