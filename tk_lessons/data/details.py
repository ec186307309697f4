"""Small image details: rasterised text (the paper's "SIAM") and a smooth blob.

A detail is a coverage map ``alpha`` in [0, 1] (how much of each pixel it covers)
times an ``intensity``. Given an ``image``, the detail is *painted over* it,
``image * (1 - alpha) + intensity * alpha``, as a drawing program (or PIL's
``ImageDraw.text``) does; the result stays in [0, 1], so nothing needs clipping.
"""

from __future__ import annotations

import numbers

import torch

from .. import _validate

__all__ = ["text", "blob"]

Device = torch.device | str | None


def _finish(alpha: torch.Tensor, intensity: float, image: torch.Tensor | None,
            device: Device) -> torch.Tensor:
    alpha = alpha.float()[None, None]
    if image is None:
        out = intensity * alpha
    else:
        alpha = alpha.to(image.device)
        out = image * (1 - alpha) + intensity * alpha
    return out.to(device) if device is not None else out


def _check_image(image: torch.Tensor | None, shape: tuple[int, int]) -> None:
    if image is None:
        return
    _validate.tensor("image", image)
    if image.ndim != 4 or image.shape[1] != 1 or tuple(image.shape[-2:]) != shape or image.is_complex():
        raise ValueError(f"image must be a real (B, 1, {shape[0]}, {shape[1]}) tensor to match size, "
                         f"got shape {tuple(image.shape)} ({image.dtype})")


def _point(name: str, value: object) -> tuple[float, float]:
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)):
        raise TypeError(f"{name} must be a (row, col) pair of numbers, got {value!r}")
    return float(value[0]), float(value[1])


def _intensity(value: object) -> float:
    value = _validate.positive("intensity", value, allow_zero=True)
    if value > 1:
        raise ValueError(f"intensity must lie in [0, 1], got {value!r}")
    return value


def text(size: int | tuple[int, int], text: str = "SIAM", position: tuple[float, float] | None = None,
         fontsize: float = 13, intensity: float = 140 / 255, *, image: torch.Tensor | None = None,
         device: Device = None) -> torch.Tensor:
    """Text rasterised with matplotlib's bundled DejaVu Sans (Agg, anti-aliased; no download).

    The defaults follow the troublesome-kernel "unseen detail" test, which writes
    "SIAM" in DejaVuSans size 13 at pixel (x, y) = (195, 150) of a 256 x 256 image with
    grey value 140/255: ``text(256, position=(150, 195), image=x)``. Fonts are drawn at
    72 dpi, so ``fontsize`` points are ``fontsize`` pixels (PIL's font size).
    Matplotlib's glyph placement differs from PIL's by a pixel or so.

    Parameters
    ----------
    size : int or (int, int)
        Image size ``H`` (square) or ``(H, W)``.
    text : str
        The text.
    position : (row, col), optional
        Pixel of the top-left corner of the text; default: centred.
    fontsize : float > 0
        Font size in pixels.
    intensity : float in [0, 1]
        Grey value of the letters.
    image : torch.Tensor of shape (B, 1, H, W), optional
        Paint the text over this image instead of a black one.
    device : torch.device or str, optional
        Where to put the result.

    Returns
    -------
    torch.Tensor, shape ``(1, 1, H, W)`` (or the image's shape), float32 in [0, 1]

    Examples
    --------
    >>> from tk_lessons.data import text
    >>> d = text(64, "SIAM", fontsize=13)
    >>> d.shape, bool(d.max() > 0.5), bool(d.max() <= 140 / 255)
    (torch.Size([1, 1, 64, 64]), True, True)
    """
    # matplotlib is only needed here, so import it on first use.
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    h, w = _validate.shape("size", size, ndims=(2,), int_ndim=2)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}")
    fontsize = _validate.positive("fontsize", fontsize)
    intensity = _intensity(intensity)
    _check_image(image, (h, w))

    fig = Figure(figsize=(w / 72, h / 72), dpi=72, facecolor="black")
    canvas = FigureCanvasAgg(fig)
    font = FontProperties(fname=f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans.ttf", size=fontsize)
    if position is None:
        fig.text(0.5, 0.5, text, fontproperties=font, color="white", ha="center", va="center")
    else:
        row, col = _point("position", position)
        # Figure coordinates run from the bottom-left corner, image rows from the top.
        fig.text(col / w, 1 - row / h, text, fontproperties=font, color="white", ha="left", va="top")
    canvas.draw()
    alpha = torch.from_numpy(np.asarray(canvas.buffer_rgba())[:h, :w, 0].astype(np.float32) / 255)
    if not bool(alpha.any()):
        raise ValueError(f"position={position!r} puts the text outside the {h} x {w} image")
    return _finish(alpha, intensity, image, device)


def blob(size: int | tuple[int, int], center: tuple[float, float] | None = None, radius: float = 4.0,
         intensity: float = 1.0, *, image: torch.Tensor | None = None, device: Device = None) -> torch.Tensor:
    """A smooth round blob (e.g. a small lesion): ``alpha = (1 + cos(pi r / radius)) / 2`` for ``r < radius``.

    The raised-cosine profile is 1 at the centre, falls smoothly to 0 at ``radius``
    (with zero slope, so no edge) and is 0 beyond.

    Parameters
    ----------
    size : int or (int, int)
        Image size ``H`` (square) or ``(H, W)``.
    center : (row, col), optional
        Centre in pixels (fractions allowed); default: the image centre.
    radius : float > 0
        Radius in pixels.
    intensity : float in [0, 1]
        Grey value at the centre.
    image : torch.Tensor of shape (B, 1, H, W), optional
        Paint the blob over this image instead of a black one.
    device : torch.device or str, optional
        Where to put the result.

    Returns
    -------
    torch.Tensor, shape ``(1, 1, H, W)`` (or the image's shape), float32 in [0, 1]

    Examples
    --------
    >>> from tk_lessons.data import blob
    >>> d = blob(32, center=(10, 20), radius=3, intensity=0.8)
    >>> round(float(d[0, 0, 10, 20]), 2), float(d[0, 0, 0, 0])
    (0.8, 0.0)
    """
    h, w = _validate.shape("size", size, ndims=(2,), int_ndim=2)
    row, col = ((h - 1) / 2, (w - 1) / 2) if center is None else _point("center", center)
    radius = _validate.positive("radius", radius)
    intensity = _intensity(intensity)
    _check_image(image, (h, w))
    rows = torch.arange(h, dtype=torch.float64)[:, None]
    cols = torch.arange(w, dtype=torch.float64)[None, :]
    r = torch.sqrt((rows - row) ** 2 + (cols - col) ** 2)
    alpha = torch.where(r < radius, (1 + torch.cos(torch.pi * r / radius)) / 2, torch.zeros_like(r))
    return _finish(alpha, intensity, image, device)
