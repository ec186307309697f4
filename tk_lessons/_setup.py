"""``tk.setup``: the one call at the top of every chapter."""

from __future__ import annotations

import platform

import torch

from . import device as _device


def setup(seed: int = 0, *, device: str = "auto", quiet: bool = False) -> torch.device:
    """Seed every random generator, choose the device and set the course's figure style.

    Parameters
    ----------
    seed : int
        Seed for Python's ``random``, numpy and torch.
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` picks CUDA when it is available.
    quiet : bool
        If False, print the versions and the device (useful in bug reports).

    Returns
    -------
    torch.device
        The device the chapter should use.

    Examples
    --------
    >>> import tk_lessons as tk
    >>> tk.setup(seed=0, device="cpu", quiet=True)
    device(type='cpu')
    """
    _device.seed_everything(seed)
    if device == "auto":
        dev = _device.auto()
    elif device in ("cpu", "cuda"):
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' was requested but CUDA is not available; use device='auto'")
        dev = torch.device(device)
    else:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    from . import plot  # imports matplotlib, which setup may do

    plot.use_style()
    if not quiet:
        from . import __version__

        gpu = f" ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else ""
        print(f"tk_lessons {__version__} | torch {torch.__version__} | python {platform.python_version()} "
              f"| device: {dev}{gpu} | seed: {seed}")
    return dev
