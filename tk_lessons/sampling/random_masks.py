"""Random sampling patterns drawn from a priority order of the grid: uniform, variable
density and multilevel (Chapters 1 and 2).

Each entry of the grid gets a random key, and a mask with ``m`` samples keeps the ``m``
entries with the smallest keys (see :mod:`~tk_lessons.sampling`). So the sample count is
exact, ``round(rate * N)`` rounding half up, and masks for growing rates drawn with one
seed are nested (:func:`~tk_lessons.sampling.nested`). The densities follow Krahmer & Ward
(2014) (:func:`variable_density`) and Adcock & Hansen, *Compressive Imaging* (2021)
(:func:`multilevel`).
"""

from __future__ import annotations

import math

import torch

from .. import _validate
from .. import device as _device
from ._orders import (Device, Size, mask_from_order, multilevel_params, order_multilevel,
                      order_uniform, order_variable_density, sample_count, to_device)

__all__ = ["multilevel", "uniform", "variable_density"]


def uniform(size: Size, rate: float, seed: _device.Seed = 0, *, device: Device = None) -> torch.Tensor:
    """Uniform random sampling: exactly ``round(rate * N)`` entries, all equally likely.

    Parameters
    ----------
    size : int or tuple of int
        Grid size; an int ``N`` gives a 1-D mask ``(N,)``, ``(H, W)`` a 2-D mask.
    rate : float in (0, 1]
        Fraction of entries to sample.
    seed : int or torch.Generator
        Seed of the CPU generator the mask is drawn from.
    device : torch.device or str, optional
        Where to put the mask (drawn on the CPU first).

    Returns
    -------
    torch.Tensor of bool, shape ``size``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> int(sampling.uniform((8, 8), 0.25).sum())
    16
    """
    shape = _validate.shape("size", size)
    rate = _validate.fraction("rate", rate)
    m = sample_count(rate, math.prod(shape))
    order = order_uniform(shape, _device.generator(seed))
    return to_device(mask_from_order(order, m, shape), device)


def variable_density(size: Size, rate: float, decay: float = 2.0, seed: _device.Seed = 0,
                     *, device: Device = None) -> torch.Tensor:
    """Variable-density random sampling with a polynomial density ``(1 + |k|)^(-decay)``.

    Exactly ``round(rate * N)`` entries are sampled and the DC entry is always one of
    them. Entry ``k`` (integer frequency, ``|k|`` its distance to DC) is sampled with
    probability about ``min(1, t (1 + |k|)^(-decay))``, with ``t`` set by the budget,
    so a central disc is fully sampled and the density falls off outside it.
    ``decay=2`` is the inverse-square density of Krahmer & Ward (2014) for Fourier
    sampling with wavelet sparsity.

    Parameters
    ----------
    size : int or tuple of int
        ``N`` (1-D) or ``(H, W)`` (2-D).
    rate : float in (0, 1]
        Fraction of entries to sample.
    decay : float > 0
        Exponent of the polynomial decay.
    seed : int or torch.Generator
        Seed of the random draw.
    device : torch.device or str, optional
        Where to put the mask.

    Returns
    -------
    torch.Tensor of bool, shape ``size``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> mask = sampling.variable_density((32, 32), 0.2)
    >>> int(mask.sum()), bool(mask[16, 16])
    (205, True)
    """
    shape = _validate.shape("size", size)
    rate = _validate.fraction("rate", rate)
    decay = _validate.positive("decay", decay)
    m = sample_count(rate, math.prod(shape))
    order = order_variable_density(shape, decay, _device.generator(seed))
    return to_device(mask_from_order(order, m, shape), device)


def multilevel(size: Size, rate: float, levels: int = 50, a: float = 1.75, r0: int = 0,
               seed: _device.Seed = 0, *, device: Device = None) -> torch.Tensor:
    """Multilevel, radially symmetric random sampling (the "cgauss" / DAS-like patterns).

    The grid is cut into ``levels`` annuli of equal width in ``|k|`` (the distance to
    DC), reaching out to the corner. Level ``k`` (1 = innermost) gets the density

    ``p_k = exp(-(b t_k)^a)``,  ``t_k = max(0, k - 1 - r0) / (levels - r0)``,

    keeps ``round(p_k |B_k|)`` of its ``|B_k|`` entries, chosen uniformly at random,
    and ``b`` is set so that the total is exactly ``round(rate * N)``. Levels
    ``1 .. r0 + 1`` have ``t_k = 0`` and are fully sampled (so the innermost level, with
    DC, always is). ``a = 2`` is a Gaussian profile; the papers use ``a = 1.75``.

    This follows Adcock & Hansen, *Compressive Imaging* (2021), multilevel sampling,
    as implemented in their CIlib (``cil_sp2_exp`` with circular levels), which made
    the masks of the troublesome-kernel hallucination experiments
    (``spf2_cgauss_N_256_srate_20_r_50_r0_0_a_175``: 20%, 50 levels, r0 = 0, a = 1.75).
    Differences from CIlib: we put DC at index ``N // 2``, let the last level reach the
    corner, and, instead of a bisection for ``b`` that may miss the target, take the
    ``m`` entries that enter first as ``b`` decreases, so the count is always exact.

    Parameters
    ----------
    size : int or tuple of int
        ``H`` (square image), ``(H, W)``, or ``(N,)`` for a 1-D mask.
    rate : float in (0, 1]
        Fraction of entries to sample.
    levels : int >= 1
        Number of annuli.
    a : float > 0
        Decay exponent of the density across levels.
    r0 : int, 0 <= r0 < levels
        Number of extra fully sampled inner levels.
    seed : int or torch.Generator
        Seed of the random draw.
    device : torch.device or str, optional
        Where to put the mask.

    Returns
    -------
    torch.Tensor of bool, shape ``(H, W)`` or ``(N,)``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> mask = sampling.multilevel(64, 0.2)
    >>> int(mask.sum()), bool(mask[32, 32])
    (819, True)
    """
    shape = _validate.shape("size", size, int_ndim=2)
    rate = _validate.fraction("rate", rate)
    levels, a, r0 = multilevel_params(levels, a, r0)
    m = sample_count(rate, math.prod(shape))
    order = order_multilevel(shape, levels, a, r0, _device.generator(seed))
    return to_device(mask_from_order(order, m, shape), device)
