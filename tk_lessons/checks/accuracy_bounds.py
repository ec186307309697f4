r"""Checks for computable accuracy bounds and the per-pixel indicator (Chapter 14).

Each check computes its reference itself with :mod:`tk_lessons.kernel.indicator` (the pixel
range of an empirical feasible set, the score, detection rates), so the visible check cell holds
no expression a student could paste. A failure says what is wrong without printing the reference.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import _validate
from ..kernel import indicator, sizes
from ..operators import LinearOperator, MatrixOperator
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["detection_at", "pixel_range_values", "score_function", "toy_kernel_sizes"]


def pixel_range_values(A: LinearOperator, X: torch.Tensor, y: torch.Tensor, eta: float,
                       low: object, high: object) -> None:
    r"""Check the pixel-wise range ``low``, ``high`` of the images of ``X`` consistent with ``y``.

    The feasible set is :math:`\{x_n \in X : \|A x_n - y\| \le \eta\}`; ``low`` and ``high``
    must be its smallest and largest value at each pixel, of shape ``(1, *A.domain_shape)``.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor
        The sample.
    y : torch.Tensor, shape ``(1, *A.range_shape)``
        The data.
    eta : float
        The noise level.
    low, high : torch.Tensor
        The student's pixel range.

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [5.0, 0.0]])
    >>> pixel_range_values(A, X, torch.tensor([[0.0]]), 0.0, torch.tensor([[0.0, 0.0]]),
    ...                    torch.tensor([[0.0, 2.0]]))
    ✔ pixel range: correct
    """
    _validate.operator("A", A)
    reference = indicator.pixel_range(A, as_tensor("X", X), as_tensor("y", y), float(eta))
    scale = float(reference.high.abs().max()) + 1e-12
    hint = "keep only the images with ||A x_n - y|| <= eta, then take the minimum over them"
    agree("low", as_tensor("low", low), reference.low, rtol=1e-5, atol=1e-6 * scale, hint=hint)
    agree("high", as_tensor("high", high), reference.high, rtol=1e-5, atol=1e-6 * scale,
          hint="keep only the images with ||A x_n - y|| <= eta, then take the maximum over them")
    ok("pixel range")


def score_function(score: Callable, *, seed: int = 0) -> None:
    r"""Check a student's ``score(x_rec, low, high)``: spread plus distance to the range.

    Expected, pixel by pixel: :math:`(u - \ell) + \operatorname{dist}(\hat x, [\ell, u])`;
    tested on random pixels inside, below and above their ranges, including ranges of width 0.

    Parameters
    ----------
    score : callable
        The student's function.
    seed : int
        Seed of the random test images.

    Examples
    --------
    >>> def good(x_rec, low, high):
    ...     return (high - low) + (low - x_rec).clamp(min=0) + (x_rec - high).clamp(min=0)
    >>> score_function(good)
    ✔ score: correct
    """
    _validate.function("score", score, "a function score(x_rec, low, high) -> per-pixel scores")
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(2, 1, 6, 6, generator=g)
    high = low + torch.rand(2, 1, 6, 6, generator=g) * (torch.rand(2, 1, 6, 6, generator=g) > 0.2)
    x_rec = 3 * torch.rand(2, 1, 6, 6, generator=g) - 1
    reference = indicator.PixelRange(low, high, torch.arange(1)).score(x_rec)
    got = as_tensor("score(x_rec, low, high)", score(x_rec, low, high))
    inside = (x_rec >= low) & (x_rec <= high)
    if got.shape == reference.shape and bool(inside.any()):
        agree("score inside the range", got[inside], reference[inside], rtol=1e-5, atol=1e-6,
              hint="inside the range the score is the spread high - low")
    agree("score(x_rec, low, high)", got, reference, rtol=1e-5, atol=1e-6,
          hint="outside the range add the distance to the nearer end, low - x_rec or x_rec - high")
    ok("score")


def detection_at(score: torch.Tensor, mask: torch.Tensor, threshold: float, hit: object,
                 false_alarm: object) -> None:
    r"""Check the detection rates at one threshold: flagged shares inside and outside ``mask``.

    A pixel is flagged when ``score > threshold``; ``hit`` is the share of the pixels of
    ``mask`` that are flagged, ``false_alarm`` the share of the other pixels.

    Parameters
    ----------
    score : torch.Tensor
        Per-pixel scores.
    mask : torch.Tensor of bool
        The detail's pixels.
    threshold : float
        The threshold.
    hit, false_alarm : float
        The student's rates, in ``[0, 1]``.

    Examples
    --------
    >>> s, m = torch.tensor([0.9, 0.2, 0.6, 0.0]), torch.tensor([True, True, False, False])
    >>> detection_at(s, m, 0.5, 0.5, 0.5)
    ✔ detection rates: correct
    """
    hit_value, fa_value = as_number("hit", hit), as_number("false_alarm", false_alarm)
    for name, value in (("hit", hit_value), ("false_alarm", fa_value)):
        if not 0 <= value <= 1:
            raise CheckError(f"{name}: got {value:.6g}; a share of pixels lies in [0, 1] "
                             "(a percentage divided by 100)")
    ref_hit, ref_fa = indicator.detection_rates(as_tensor("score", score), as_tensor("mask", mask),
                                                torch.tensor([float(threshold)]))
    agree("hit", hit_value, float(ref_hit[0]), rtol=0, atol=1e-6,
          hint="the flagged pixels (score > threshold) among the pixels of the mask, "
               "divided by the number of pixels of the mask")
    agree("false_alarm", fa_value, float(ref_fa[0]), rtol=0, atol=1e-6,
          hint="the flagged pixels outside the mask, divided by the number of pixels outside it")
    ok("detection rates")


def toy_kernel_sizes(X: torch.Tensor, m: int, estimates: object, exact: object) -> None:
    r"""Check kernel-size estimates of the toy class :math:`A = [I_m\ 0]` on :math:`[0, 1]^N`.

    ``estimates[n]`` must be the worst-case kernel size (noiseless) of the first ``n`` rows of
    ``X``: the largest :math:`\lVert x_i - x_j \rVert` over pairs with equal first ``m``
    coordinates. ``exact`` must be the kernel size of the whole class, :math:`\sqrt{N - m}`.

    Parameters
    ----------
    X : torch.Tensor, shape ``(B, N)``
        The sample, rows in :math:`[0, 1]^N`.
    m : int
        Number of measured coordinates.
    estimates : dict
        ``{n: estimate}`` for sample sizes ``n <= B``.
    exact : float
        The student's kernel size of the class.

    Examples
    --------
    >>> X = torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.5, 0.5]])
    >>> toy_kernel_sizes(X, 1, {2: 2 ** 0.5, 3: 2 ** 0.5}, 2 ** 0.5)
    ✔ toy kernel sizes: correct
    """
    X = as_tensor("X", X)
    if X.dim() != 2 or not 0 < int(m) < X.shape[1]:
        raise ValueError(f"X must have shape (B, N) with N > m = {m!r}, got {tuple(X.shape)}")
    if not isinstance(estimates, dict) or not estimates:
        raise CheckError("estimates must be a dict {n: estimate} for some sample sizes n")
    N, m = X.shape[1], int(m)
    A = MatrixOperator(torch.eye(N, dtype=X.dtype)[:m])
    for n in sorted(estimates):
        reference = sizes.kernel_size(A, X[:int(n)]).worst
        agree(f"estimates[{n}]", as_number(f"estimates[{n}]", estimates[n]), reference,
              rtol=1e-6, atol=1e-9,
              hint="take the largest ||x_i - x_j|| over the pairs of the first n rows whose "
                   "first m coordinates (their data) are equal")
    agree("exact", as_number("exact", exact), float(N - m) ** 0.5, rtol=1e-6,
          hint="two images of the class with the same data differ only in the last N - m "
               "coordinates, each by at most 1: the diameter of a cube")
    ok("toy kernel sizes")
