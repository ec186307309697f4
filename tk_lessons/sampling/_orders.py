"""Priority orders of the grid and sample counts, shared by the sampling patterns.

A random pattern is one *priority order* of the grid entries (flat indices, most
important first): the mask with ``m`` samples keeps the first ``m``, so masks for
growing ``m`` drawn from one order are nested. This module holds the orders of the
random families (:mod:`~tk_lessons.sampling.random_masks`, the rows of
:func:`~tk_lessons.sampling.cartesian`), the exact sample counts and the checks of the
family parameters, so that the single masks and :func:`~tk_lessons.sampling.nested`
draw the very same order from a seed.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

from .. import _validate

__all__ = ["Device", "Size", "cartesian_counts", "frequencies", "level_of", "mask_from_order",
           "multilevel_params", "order_cartesian_rows", "order_multilevel", "order_uniform",
           "order_variable_density", "radius", "sample_count", "sort_by", "to_device"]

Size = int | Sequence[int]
Device = torch.device | str | None


def sample_count(rate: float, n: int) -> int:
    """Number of samples ``round(rate * n)`` (half up); at least one."""
    m = int(math.floor(rate * n + 0.5))
    if m < 1:
        raise ValueError(f"rate={rate!r} gives round(rate * {n}) = 0 samples; use a larger rate")
    return m


def frequencies(shape: tuple[int, ...]) -> list[torch.Tensor]:
    """Integer frequency of every grid entry along each axis (DC = 0 at index n // 2), float64."""
    axes = [torch.arange(n, dtype=torch.float64) - n // 2 for n in shape]
    return list(torch.meshgrid(*axes, indexing="ij"))


def radius(shape: tuple[int, ...]) -> torch.Tensor:
    """|k|: Euclidean distance of every entry to the DC entry, in frequency units."""
    return torch.sqrt(sum(k**2 for k in frequencies(shape)))


def sort_by(primary: torch.Tensor, tiebreak: torch.Tensor) -> torch.Tensor:
    """Flat indices ordered by ``primary``, ties broken by ``tiebreak`` (both flat)."""
    order = torch.argsort(tiebreak)
    return order[torch.argsort(primary[order], stable=True)]


def mask_from_order(order: torch.Tensor, m: int, shape: tuple[int, ...]) -> torch.Tensor:
    """The mask of the first ``m`` entries of ``order``, reshaped to ``shape``."""
    mask = torch.zeros(math.prod(shape), dtype=torch.bool)
    mask[order[:m]] = True
    return mask.reshape(shape)


def to_device(mask: torch.Tensor, device: Device) -> torch.Tensor:
    """The mask (drawn on the CPU) moved to ``device``, if one is given."""
    return mask.to(device) if device is not None else mask


# Priority orders. Each returns flat indices, most important first, so that the mask
# with m samples is "the first m entries" and masks for growing m are nested.
def order_uniform(shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    """All entries in a uniformly random order."""
    return torch.randperm(math.prod(shape), generator=gen)


def order_variable_density(shape: tuple[int, ...], decay: float, gen: torch.Generator) -> torch.Tensor:
    """Entries in a random order that favours low frequencies, DC first."""
    # Key u * (1 + |k|)^decay with u ~ U(0, 1) ("sequential Poisson sampling"): an entry
    # is in the first m exactly when u < t / (1 + |k|)^decay for the threshold t that
    # admits m entries, so it is sampled with probability min(1, t * density(k)).
    r = radius(shape).flatten()
    key = torch.rand(r.shape, generator=gen, dtype=torch.float64) * (1 + r) ** decay
    key[r == 0] = -1.0                           # the DC coefficient always comes first
    return torch.argsort(key)


def order_cartesian_rows(n_rows: int, n_center: int, gen: torch.Generator) -> torch.Tensor:
    """Row indices: the ``n_center`` rows around DC first, then the others at random."""
    key = torch.rand(n_rows, generator=gen, dtype=torch.float64)
    start = n_rows // 2 - n_center // 2          # centre band of n_center rows around DC
    key[start:start + n_center] = -1.0           # always taken first
    return torch.argsort(key)


def level_of(shape: tuple[int, ...], levels: int) -> torch.Tensor:
    """Level 1..levels of each entry: annuli of equal width in |k| out to the corner."""
    r = radius(shape).flatten()
    width = r.max() / levels if r.max() > 0 else 1.0
    return torch.ceil(r / width).clamp(1, levels).long()


def order_multilevel(shape: tuple[int, ...], levels: int, a: float, r0: int,
                     gen: torch.Generator) -> torch.Tensor:
    """Entries in the order they enter the multilevel pattern as its budget grows."""
    level = level_of(shape, levels)
    u = torch.rand(level.shape, generator=gen, dtype=torch.float64)
    # Rank j = 0, 1, ... of each entry inside its level, in a random order.
    by_level = sort_by(level.double(), u)
    sizes = torch.bincount(level, minlength=levels + 1)
    starts = torch.cumsum(sizes, 0) - sizes
    rank = torch.empty_like(level)
    rank[by_level] = torch.arange(level.numel()) - starts[level[by_level]]
    # Level k keeps round(p_k(b) |B_k|) entries, p_k(b) = exp(-(b t_k)^a): entry j of
    # level k is kept exactly when p_k(b) >= (j + 1/2) / |B_k|, i.e. when
    # b <= (-log q)^(1/a) / t_k with q = (j + 1/2) / |B_k|. Ordering the entries by
    # 1 / (that critical b) gives every total m at once (smaller b, more samples).
    t = (level - 1 - r0).clamp(min=0).double() / (levels - r0)
    q = (rank.double() + 0.5) / sizes[level].double()
    priority = t / (-torch.log(q)) ** (1.0 / a)   # 0 for the fully sampled levels
    return sort_by(priority, u)


def cartesian_counts(n_rows: int, rate: float, center_fraction: Any) -> tuple[int, int]:
    """Rows sampled in all and rows in the centre band; checks ``center_fraction``."""
    center_fraction = _validate.positive("center_fraction", center_fraction, allow_zero=True)
    if center_fraction > 1:
        raise ValueError(f"center_fraction must lie in [0, 1], got {center_fraction!r}")
    n_lines = sample_count(rate, n_rows)
    n_center = int(math.floor(center_fraction * n_rows + 0.5))
    if n_center > n_lines:
        raise ValueError(f"center_fraction={center_fraction!r} asks for {n_center} centre rows but "
                         f"rate={rate!r} allows only {n_lines} rows; lower center_fraction or raise rate")
    return n_lines, n_center


def multilevel_params(levels: Any, a: Any, r0: Any) -> tuple[int, float, int]:
    """The checked parameters ``levels``, ``a``, ``r0`` of the multilevel pattern."""
    levels = _validate.positive_int("levels", levels)
    a = _validate.positive("a", a)
    r0 = _validate.positive_int("r0", r0, minimum=0)
    if r0 >= levels:
        raise ValueError(f"r0 must be smaller than levels={levels}, got r0={r0}")
    return levels, a, r0
