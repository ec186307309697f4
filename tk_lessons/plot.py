"""Figures in the course style: white background, grey images, colour-blind-safe error maps.

Images are never inverted and always shown with an explicit intensity range so
that two panels can be compared by eye.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

import torch

__all__ = ["compare", "curves", "images", "to_image", "use_style"]

IMAGE_CMAP = "gray"
ERROR_CMAP = "viridis"  # perceptually uniform and colour-blind safe

# The book shows a figure at most COLUMN_WIDTH inches wide (its text column is 790 px at
# 100 dpi); a wider figure is shrunk, and its text with it. At that width the sizes below
# read as 15 px (titles) and 12.5 px (ticks) on screen, and a figure shrunk to 70 % still keeps
# its titles above 10 px; images() and compare() enlarge their fonts by the factor by which
# the book will shrink them, so their text always reads at the nominal size.
COLUMN_WIDTH = 7.9

STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "figure.dpi": 100,
    "image.cmap": IMAGE_CMAP,
    "image.interpolation": "nearest",
    "figure.titlesize": 12,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def use_style() -> None:
    """Apply the course's matplotlib style (called by ``tk.setup``)."""
    import matplotlib as mpl

    mpl.rcParams.update(STYLE)


def _points(key: str) -> float:
    """An rcParams font size in points (rcParams may hold names such as "large")."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    return FontProperties(size=mpl.rcParams[key]).get_size_in_points()


def _fit_text(width: float, panels: int, key: str = "axes.titlesize") -> tuple[float, int]:
    """Font size for a figure ``width`` inches wide, and the characters per line of a title.

    The book shrinks a figure wider than COLUMN_WIDTH to that width; the font grows by the same
    factor so that it reads at its nominal size. A title wraps at the width of one of the
    ``panels`` panels (at about 0.55 em per character).

    Six panels of 2.6 inches make a figure 15.6 inches wide, which the book halves; their
    titles, set at twice the size, read as 11 points (``axes.titlesize``) on the page:

    >>> import matplotlib.pyplot as plt, torch, tk_lessons as tk
    >>> tk.plot.use_style()
    >>> fig = tk.plot.images([torch.zeros(4, 4)] * 6, panel_size=2.6)
    >>> title = fig.axes[0].title.get_fontsize()
    >>> round(float(title * COLUMN_WIDTH / fig.get_figwidth()), 1), title > 20
    (11.0, True)
    >>> plt.close(fig)
    """
    points = _points(key) * max(1.0, width / COLUMN_WIDTH)
    chars = max(8, int(width / panels * 72 / (0.55 * points)))
    return points, chars


def _wrap(title: str, chars: int) -> str:
    """Wrap a title at spaces into lines of at most ``chars`` characters; $...$ stays whole.

    >>> _wrap("error of $x + z$ on the grid", 12)
    'error of\\n$x + z$ on\\nthe grid'
    """
    lines: list[str] = []
    for paragraph in title.split("\n"):
        line = ""
        for word in re.findall(r"(?:\$[^$]*\$|[^\s$])+", paragraph):
            if line and len(line) + 1 + len(word) > chars:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


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
           vmin: float | None = 0.0, vmax: float | None = 1.0, panel_size: float = 2.6,
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
    panel_size : float
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
    fontsize, chars = _fit_text(panel_size * ncols, ncols)
    lines = max([_wrap(t, chars).count("\n") + 1 for t in titles if t] or [0])
    extra = (lines * fontsize * 1.3 + (fontsize * 1.6 if suptitle else 0)) / 72
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(panel_size * ncols, panel_size * nrows + extra))
    for ax in axes.flat:
        ax.axis("off")
    for ax, title, arr in zip(axes.flat, titles, arrays):
        ax.imshow(to_image(arr), cmap=IMAGE_CMAP, vmin=vmin, vmax=vmax)
        ax.set_title(_wrap(title, chars), fontsize=fontsize)
    if suptitle:
        fig.suptitle(suptitle, fontsize=_fit_text(panel_size * ncols, 1, "figure.titlesize")[0])
    fig.tight_layout()
    return fig


def compare(x: object, recons: Mapping[str, object], *, vmax_error: float | None = None,
            panel_size: float = 2.6, metrics: bool = True):
    """Truth and reconstructions on the first row, absolute error maps below.

    Parameters
    ----------
    x : image
        The ground truth, shape ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``, values in [0, 1].
    recons : dict of name -> image
        Reconstructions of the same shape as ``x``.
    vmax_error : float, optional
        Upper end of the shared error colour scale (default: the largest error).
    panel_size : float
        Width of one panel in inches.
    metrics : bool
        Add the PSNR (data range 1) to each title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt, torch, tk_lessons as tk
    >>> x = torch.zeros(8, 8)
    >>> fig = tk.plot.compare(x, {"noisy": x + 0.1})
    >>> fig.axes[1].get_title()
    'noisy\\n20.0 dB'
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if not recons:
        raise ValueError("recons must contain at least one reconstruction")
    x = to_image(x)
    errors = {}
    for name, r in recons.items():
        r = to_image(r)
        if r.shape != x.shape:
            raise ValueError(f"recons[{name!r}] has shape {r.shape}, expected the truth's shape {x.shape}")
        errors[name] = np.abs(r - x)
    top = vmax_error if vmax_error is not None else max(float(e.max()) for e in errors.values()) or 1.0
    n = len(recons) + 1
    fontsize, chars = _fit_text(panel_size * n, n)
    ticksize = _fit_text(panel_size * n, n, "ytick.labelsize")[0]
    titles = {}
    for name, r in recons.items():
        title = _wrap(name, chars)
        if metrics:
            mse = float(np.mean((to_image(r) - x) ** 2))
            title += f"\n{10 * np.log10(1 / mse):.1f} dB" if mse > 0 else "\nexact"
        # the colour bar takes a fifth of the error row
        titles[name] = (title, _wrap(f"|error| of {name}", int(0.8 * chars)))
    lines = max(t.count("\n") + 1 for pair in titles.values() for t in pair)
    height = 2 * panel_size + 2 * lines * fontsize * 1.3 / 72
    fig, axes = plt.subplots(2, n, figsize=(panel_size * n, height))
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].imshow(x, cmap=IMAGE_CMAP, vmin=0, vmax=1)
    axes[0, 0].set_title("truth", fontsize=fontsize)
    for j, (name, r) in enumerate(recons.items(), start=1):
        axes[0, j].imshow(to_image(r), cmap=IMAGE_CMAP, vmin=0, vmax=1)
        axes[0, j].set_title(titles[name][0], fontsize=fontsize)
        im = axes[1, j].imshow(errors[name], cmap=ERROR_CMAP, vmin=0, vmax=top)
        axes[1, j].set_title(titles[name][1], fontsize=fontsize)
    bar = fig.colorbar(im, ax=axes[1, 1:].tolist(), shrink=0.8)
    bar.set_label("absolute error", fontsize=_fit_text(panel_size * n, n, "axes.labelsize")[0])
    bar.ax.tick_params(labelsize=ticksize)
    return fig


def curves(signals: Mapping[str, object], *, ax=None, title: str | None = None):
    """Plot 1-D signals as curves on one axis, with a legend.

    Parameters
    ----------
    signals : dict of label -> signal
        Each signal is a tensor or array of shape ``(N,)``, ``(1, N)`` or ``(1, 1, N)``;
        complex signals are drawn by magnitude.
    ax : matplotlib.axes.Axes, optional
        Draw into this axis (default: a new figure).
    title : str, optional
        Title of the axis.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt, torch, tk_lessons as tk
    >>> fig = tk.plot.curves({"ramp": torch.linspace(0, 1, 8), "flat": torch.ones(1, 8)})
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['ramp', 'flat']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 2.6))
    else:
        fig = ax.figure
    for name, c in signals.items():
        if isinstance(c, torch.Tensor):
            c = c.detach().cpu()
            c = c.abs() if c.is_complex() else c
            c = c.numpy()
        c = np.squeeze(np.asarray(c))
        if c.ndim != 1:
            raise ValueError(f"signals[{name!r}] must be one 1-D signal, got shape {c.shape}")
        ax.plot(c, label=name, lw=1.2)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig
