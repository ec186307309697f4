"""Per-item seeds: item ``i`` of a data set gets its own generator, whatever the order."""

from __future__ import annotations

import numbers

import numpy as np
import torch

__all__ = ["check_seed", "item_generator"]


def check_seed(seed: object) -> int:
    """Return ``seed`` as int, or raise unless it is a non-negative integer."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def item_generator(seed: int, index: int) -> torch.Generator:
    """A CPU generator seeded from the pair ``(seed, index)``.

    numpy's ``SeedSequence`` mixes the pair into one well-spread 64-bit seed, so
    neighbouring items (or data sets) do not get correlated streams.
    """
    mixed = np.random.SeedSequence([check_seed(seed), int(index)]).generate_state(1, dtype=np.uint64)[0]
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(mixed))
    return gen
