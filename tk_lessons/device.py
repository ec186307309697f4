"""Device choice and reproducible random draws.

Random numbers are always drawn on the CPU and then moved, because CPU and CUDA
generators give different streams: the same seed then gives the same data on
every machine.
"""

from __future__ import annotations

import numbers

import torch

__all__ = ["auto", "of", "generator", "randn", "rand", "seed_everything"]

Seed = int | torch.Generator | None


def of(module: torch.nn.Module) -> torch.device:
    """The device a module lives on: that of its first parameter or buffer (CPU if it has none).

    Operators and networks are ``torch.nn.Module`` objects whose tensors move together with
    ``.to(device)``; this is where inputs built for them must go.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import device
    >>> device.of(torch.nn.Linear(2, 2))
    device(type='cpu')
    >>> device.of(torch.nn.Identity())    # no tensors: the CPU
    device(type='cpu')
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    for t in list(module.parameters()) + list(module.buffers()):
        return t.device
    return torch.device("cpu")


def auto(prefer: str = "cuda") -> torch.device:
    """Return ``cuda`` when it is available (and preferred), else ``cpu``.

    Parameters
    ----------
    prefer : {"cuda", "cpu"}
        Device to use when available.

    Returns
    -------
    torch.device

    Examples
    --------
    >>> import tk_lessons as tk
    >>> tk.device.auto("cpu")
    device(type='cpu')
    """
    if prefer not in ("cuda", "cpu"):
        raise ValueError(f"prefer must be 'cuda' or 'cpu', got {prefer!r}")
    if prefer == "cuda" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def generator(seed: Seed = None) -> torch.Generator:
    """Return a CPU ``torch.Generator``.

    Parameters
    ----------
    seed : int, torch.Generator or None
        An int seeds a new generator; a generator is returned unchanged (it must
        live on the CPU); ``None`` gives a generator seeded from torch's global state.
    """
    if isinstance(seed, torch.Generator):
        if seed.device.type != "cpu":
            raise ValueError(f"seed must be a CPU generator, got one on {seed.device}")
        return seed
    gen = torch.Generator(device="cpu")
    if seed is None:
        gen.manual_seed(int(torch.randint(0, 2**62, (1,)).item()))
    elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        gen.manual_seed(int(seed))
    else:
        raise TypeError(f"seed must be an int, a torch.Generator or None, got {type(seed).__name__}")
    return gen


def randn(*shape: int, seed: Seed = None, device: torch.device | str | None = None,
          dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Standard normal draws of ``shape`` (complex dtypes have E|z|^2 = 1), made on the CPU, then moved."""
    out = torch.randn(*shape, generator=generator(seed), dtype=dtype, device="cpu")
    return out.to(device) if device is not None else out


def rand(*shape: int, seed: Seed = None, device: torch.device | str | None = None,
         dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Uniform [0, 1) draws of ``shape``, made on the CPU, then moved."""
    out = torch.rand(*shape, generator=generator(seed), dtype=dtype, device="cpu")
    return out.to(device) if device is not None else out


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, numpy and torch (all devices) with ``seed``."""
    import random

    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
