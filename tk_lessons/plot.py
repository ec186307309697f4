"""Figures in the course style: white background, grey images, colour-blind-safe error maps.

Images are never inverted and always shown with an explicit intensity range so
that two panels can be compared by eye.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch

IMAGE_CMAP = "gray"
ERROR_CMAP = "viridis"  # perceptually uniform and colour-blind safe

STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "figure.dpi": 100,
    "image.cmap": IMAGE_CMAP,
    "image.interpolation": "nearest",
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def use_style() -> None:
    """Apply the course's matplotlib style (called by ``tk.setup``)."""
    import matplotlib as mpl

    mpl.rcParams.update(STYLE)


def to_image(x: torch.Tensor | "object") -> "object":
    """Turn one image into a 2-D numpy array: ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``; complex -> magnitude."""
    import numpy as np

    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.is_complex():
            x = x.abs()
        x = x.numpy()
    x = np.asarray(x)
    if np.iscomplexobj(x):
        x = np.abs(x)
    x = np.squeeze(x)
    if x.ndim != 2:
        raise ValueError(f"x must hold one 2-D image (H, W), (1, H, W) or (1, 1, H, W), got shape {x.shape}")
    return x


def images(panels: Mapping[str, object] | Sequence[object], *, ncols: int | None = None,
           vmin: float | None = 0.0, vmax: float | None = 1.0, size: float = 2.6,
           suptitle: str | None = None):
    """Show images side by side in grey with a shared intensity range.

    Parameters
    ----------
    panels : dict of title -> image, or a list of images
        Each image is a tensor or array of shape ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``;
        complex images are shown by magnitude.
    ncols : int, optional
        Number of columns (default: all in one row).
    vmin, vmax : float or None
        Shared intensity range (``None`` lets each panel scale itself).
    size : float
        Width of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import torch, tk_lessons as tk
    >>> fig = tk.plot.images({"zeros": torch.zeros(8, 8), "ones": torch.ones(8, 8)})
    """
    import matplotlib.pyplot as plt

    if isinstance(panels, Mapping):
        titles, arrays = list(panels.keys()), list(panels.values())
    else:
        arrays = list(panels)
        titles = [""] * len(arrays)
    if not arrays:
        raise ValueError("panels must contain at least one image")
    n = len(arrays)
    ncols = n if ncols is None else ncols
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.3 if suptitle else 0)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, title, arr in zip(axes.flat, titles, arrays):
        ax.imshow(to_image(arr), cmap=IMAGE_CMAP, vmin=vmin, vmax=vmax)
        ax.set_title(title)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def compare(truth: object, recons: Mapping[str, object], *, vmax_error: float | None = None,
            size: float = 2.6, metrics: bool = True):
    """Truth and reconstructions on the first row, absolute error maps below.

    Parameters
    ----------
    truth : image
        The ground truth, shape ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``, values in [0, 1].
    recons : dict of name -> image
        Reconstructions of the same shape as ``truth``.
    vmax_error : float, optional
        Upper end of the shared error colour scale (default: the largest error).
    metrics : bool
        Add the PSNR (data range 1) to each title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if not recons:
        raise ValueError("recons must contain at least one reconstruction")
    x = to_image(truth)
    errors = {}
    for name, r in recons.items():
        r = to_image(r)
        if r.shape != x.shape:
            raise ValueError(f"recons[{name!r}] has shape {r.shape}, expected the truth's shape {x.shape}")
        errors[name] = np.abs(r - x)
    top = vmax_error if vmax_error is not None else max(float(e.max()) for e in errors.values()) or 1.0
    n = len(recons) + 1
    fig, axes = plt.subplots(2, n, figsize=(size * n, 2 * size))
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].imshow(x, cmap=IMAGE_CMAP, vmin=0, vmax=1)
    axes[0, 0].set_title("truth")
    for j, (name, r) in enumerate(recons.items(), start=1):
        r = to_image(r)
        title = name
        if metrics:
            mse = float(np.mean((r - x) ** 2))
            title += f"\n{10 * np.log10(1 / mse):.1f} dB" if mse > 0 else "\nexact"
        axes[0, j].imshow(r, cmap=IMAGE_CMAP, vmin=0, vmax=1)
        axes[0, j].set_title(title)
        im = axes[1, j].imshow(errors[name], cmap=ERROR_CMAP, vmin=0, vmax=top)
        axes[1, j].set_title(f"|error| of {name}")
    fig.colorbar(im, ax=axes[1, 1:].tolist(), shrink=0.8, label="absolute error")
    return fig


def signals(curves: Mapping[str, object], *, ax=None, title: str | None = None):
    """Plot 1-D signals (tensors/arrays of shape ``(N,)``, ``(1, N)`` or ``(1, 1, N)``) on one axis."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 2.6))
    else:
        fig = ax.figure
    for name, c in curves.items():
        if isinstance(c, torch.Tensor):
            c = c.detach().cpu()
            c = c.abs() if c.is_complex() else c
            c = c.numpy()
        c = np.squeeze(np.asarray(c))
        if c.ndim != 1:
            raise ValueError(f"curves[{name!r}] must be one 1-D signal, got shape {c.shape}")
        ax.plot(c, label=name, lw=1.2)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig
