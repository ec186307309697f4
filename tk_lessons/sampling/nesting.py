"""Nested sampling patterns: masks for increasing rates, each containing the previous one.

The "more samples can hurt" experiment (Antun et al., PNAS 2020; Chapters 1 and 4) adds samples
to a pattern and watches the reconstruction. :func:`nested` draws one priority order of the
grid, as the single-mask functions do, and cuts it at every rate, so the masks differ only by
the added samples.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

from .. import _validate
from .. import device as _device
from ._orders import (Device, Size, cartesian_counts, mask_from_order, multilevel_params,
                      order_cartesian_rows, order_multilevel, order_uniform, order_variable_density,
                      sample_count, to_device)
from ._spokes import GOLDEN_STEP, SpokeDrawer

__all__ = ["KINDS", "nested"]

KINDS = ("uniform", "cartesian", "variable_density", "multilevel", "radial")


def nested(kind: str, size: Size, rates: Sequence[float], seed: _device.Seed = 0,
           *, device: Device = None, **kw: Any) -> list[torch.Tensor]:
    """Masks for increasing rates with ``mask_0 ⊆ mask_1 ⊆ ...``: adding samples only.

    One priority order of the grid is drawn (as in the single-mask functions, so
    ``nested(kind, size, [r], seed)[0]`` equals ``kind(size, r, seed=seed)``) and the
    mask for each rate keeps its first ``round(rate * N)`` entries. For
    ``"multilevel"`` each level is filled in its own random order. For ``"radial"`` each
    mask holds the first golden-angle spokes, as few as reach at least ``rate``.

    Parameters
    ----------
    kind : {"uniform", "cartesian", "variable_density", "multilevel", "radial"}
        Pattern family.
    size : int or tuple of int
        Grid size, read as the ``size`` argument of that family.
    rates : sequence of float in (0, 1], strictly increasing
        Sampling rates.
    seed : int or torch.Generator
        Seed of the priority order (ignored by ``"radial"``).
    device : torch.device or str, optional
        Where to put the masks.
    **kw
        Family parameters: ``center_fraction`` (cartesian), ``decay``
        (variable_density), ``levels``, ``a``, ``r0`` (multilevel).

    Returns
    -------
    list of torch.Tensor of bool
        One mask per rate.

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> small, large = sampling.nested("cartesian", 64, [0.125, 0.25], center_fraction=0.0625)
    >>> bool((small <= large).all()), int(small.all(1).sum()), int(large.all(1).sum())
    (True, 8, 16)
    """
    _validate.choice("kind", kind, KINDS)
    if isinstance(rates, (str, bytes)) or not isinstance(rates, Sequence) or len(rates) == 0:
        raise TypeError(f"rates must be a non-empty sequence of floats in (0, 1], got {rates!r}")
    rates = [_validate.fraction("rates", r) for r in rates]
    if any(later <= earlier for earlier, later in zip(rates, rates[1:])):
        raise ValueError(f"rates must be strictly increasing, got {rates!r}")
    allowed = {"uniform": set(), "cartesian": {"center_fraction"}, "variable_density": {"decay"},
               "multilevel": {"levels", "a", "r0"}, "radial": set()}[kind]
    unknown = set(kw) - allowed
    if unknown:
        raise TypeError(f"nested({kind!r}) got unexpected keyword(s) {sorted(unknown)}; "
                        f"allowed: {sorted(allowed) or 'none'}")
    if kind == "radial":
        return [to_device(m, device) for m in _nested_radial(size, rates)]

    gen = _device.generator(seed)
    if kind == "cartesian":
        shape = _validate.shape("size", size, ndims=(2,), int_ndim=2)
        cf = kw.get("center_fraction", 0.08)
        counts = [cartesian_counts(shape[0], r, cf) for r in rates]
        rows = order_cartesian_rows(shape[0], counts[0][1], gen)
        masks = []
        for n_lines, _ in counts:
            mask = torch.zeros(shape, dtype=torch.bool)
            mask[rows[:n_lines]] = True
            masks.append(mask)
        return [to_device(m, device) for m in masks]

    if kind == "uniform":
        shape = _validate.shape("size", size)
        order = order_uniform(shape, gen)
    elif kind == "variable_density":
        shape = _validate.shape("size", size)
        order = order_variable_density(shape, _validate.positive("decay", kw.get("decay", 2.0)), gen)
    else:  # multilevel
        shape = _validate.shape("size", size, int_ndim=2)
        levels, a, r0 = multilevel_params(kw.get("levels", 50), kw.get("a", 1.75), kw.get("r0", 0))
        order = order_multilevel(shape, levels, a, r0, gen)
    n = math.prod(shape)
    return [to_device(mask_from_order(order, sample_count(r, n), shape), device) for r in rates]


def _nested_radial(size: Size, rates: list[float]) -> list[torch.Tensor]:
    shape = _validate.shape("size", size, ndims=(2,), int_ndim=2)
    draw = SpokeDrawer(shape)
    max_spokes = 4 * max(shape) + 16               # far more than needed to cover the grid
    mask = torch.zeros(shape, dtype=torch.bool)
    masks: list[torch.Tensor] = []
    for k in range(max_spokes):
        mask = mask | draw(GOLDEN_STEP * k)
        while len(masks) < len(rates) and mask.sum() >= rates[len(masks)] * mask.numel():
            masks.append(mask)
        if len(masks) == len(rates):
            return masks
    raise ValueError(f"rates: {rates[len(masks)]!r} is not reached by {max_spokes} radial spokes "
                     f"on a {shape} grid; use a smaller rate")
