"""``tk.setup``: the one call at the top of every chapter."""

from __future__ import annotations

import platform

import torch

from . import device as _device


def setup(seed: int = 0, *, device: str = "auto", threads: int | None = None,
          quiet: bool = False) -> torch.device:
    """Seed every random generator, choose the device and set the course's figure style.

    Parameters
    ----------
    seed : int
        Seed for Python's ``random``, numpy and torch.
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` picks CUDA when it is available.
    threads : int, optional
        Number of CPU threads torch may use (default: leave torch's choice). The chapters
        pass 1: their tensors are small, and on a 2-core laptop that is busy with anything
        else, thread hand-offs cost more than they save (measured: a chapter took 171 s with
        2 threads and 23 s with 1 under the same load).
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
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
        torch.set_num_threads(threads)
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
              f"| device: {dev}{gpu} | threads: {torch.get_num_threads()} | seed: {seed}")
    return dev
