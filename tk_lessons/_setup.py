"""``tk.setup``: the one call at the top of every chapter."""

from __future__ import annotations

import platform
from typing import Any

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


def glue(name: str, value: Any, *, display: bool = True) -> None:
    """Hand a computed value to the book's prose, and work the same outside the book.

    In the book build (myst-nb installed) this is ``myst_nb.glue``: the value is stored
    under ``name`` and the prose shows it with ``{glue:text}`name```. On Colab or any
    environment without myst-nb, nothing is stored: the value is shown when ``display``
    is True, and the call does nothing otherwise, so a chapter never fails on a
    book-only import.

    Parameters
    ----------
    name : str
        The key the prose refers to, e.g. ``"ch1_kernel_share"``.
    value : object
        What to show: usually a formatted string, or a figure.
    display : bool
        Also show the value in the cell's output.

    Examples
    --------
    >>> import tk_lessons as tk
    >>> tk.glue("doc_example", "42%", display=False)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab, a bare laptop: the prose is not being built
        if display:
            try:
                from IPython.display import display as show
            except ImportError:
                print(value)
            else:
                show(value)
        return
    myst_glue(name, value, display=display)
