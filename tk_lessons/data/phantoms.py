"""Image phantoms: the Shepp–Logan head and random-ellipse images, as ``(1, 1, H, W)`` in [0, 1]."""

from __future__ import annotations

import math
import numbers

from typing import Callable

import torch

from .. import _validate
from .. import device as _device
from ._ellipses import SHEPP_LOGAN, inside_ellipses
from ._seeding import check_seed, item_generator

__all__ = ["shepp_logan", "ellipses", "EllipsesDataset", "PhantomDataset"]

Device = torch.device | str | None

# The original Shepp–Logan intensities: almost no contrast inside the skull.
_ORIGINAL_INTENSITIES = (2.0, -0.98, -0.02, -0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01)


def shepp_logan(size: int = 128, *, modified: bool = True, device: Device = None) -> torch.Tensor:
    """The Shepp–Logan head phantom.

    The modified version (Toft 1996) has the contrast used in imaging papers: skull 1,
    brain 0.2, ventricles 0, small features 0.3 and 0.4. The original (``modified=False``)
    has intensities 2, -0.98, -0.02, 0.01 and is divided by 2 to fit in [0, 1].
    Each pixel takes the value at its centre; the square covers [-1, 1]^2 with
    ``y`` pointing up.

    Parameters
    ----------
    size : int
        Image size ``H = W``.
    modified : bool
        Toft's modified contrast (default) or the original one.
    device : torch.device or str, optional
        Where to put the image.

    Returns
    -------
    torch.Tensor, shape ``(1, 1, size, size)``, float32 in [0, 1]

    Examples
    --------
    >>> from tk_lessons.data import shepp_logan
    >>> x = shepp_logan(64)
    >>> x.shape, float(x.max())
    (torch.Size([1, 1, 64, 64]), 1.0)
    """
    size = _validate.positive_int("size", size)
    modified = _validate.flag("modified", modified)
    params = torch.tensor(SHEPP_LOGAN, dtype=torch.float64)
    value = params[:, 0] if modified else torch.tensor(_ORIGINAL_INTENSITIES, dtype=torch.float64) / 2
    centres = (2 * torch.arange(size, dtype=torch.float64) + 1) / size - 1   # pixel centres
    y, x = torch.meshgrid(-centres, centres, indexing="ij")                  # row 0 is the top
    inside = inside_ellipses(x, y, params[:, 1], params[:, 2], params[:, 3], params[:, 4], torch.deg2rad(params[:, 5]))
    image = (value[:, None, None] * inside).sum(0).clamp(0, 1)              # clamp: rounding only
    image = image.float()[None, None]
    return image.to(device) if device is not None else image


def ellipses(size: int = 64, seed: _device.Seed = 0, *, c_min: int = 10, c_max: int = 40,
             max_axis: float = 0.15, min_axis: float = 0.01, margin_offset: float = 0.3,
             margin_offset_axis: float = 0.9, grad_fac: float = 0.9, bias_fac: float = 1.0,
             bias_fac_min: float = 0.3, device: Device = None) -> torch.Tensor:
    """One random-ellipse phantom: a sum of ellipses, each with a random linear intensity.

    Our torch version of ``sample_ellipses`` from Genzel, Macdonald & März
    (robust-nets), whose data the troublesome-kernel Figure 3 uses; the defaults are
    that paper's settings. The same distribution, not the same numbers (we draw
    from torch, they from numpy):

    * ``c`` ellipses, ``c`` uniform in ``c_min .. c_max - 1``;
    * centres uniform in ``[-(1 - margin_offset), 1 - margin_offset]^2``;
    * semi-axes uniform in ``[min_axis, max_axis]``, capped by
      ``margin_offset_axis * (1 - max(|cx|, |cy|))`` so no ellipse leaves the square;
    * angle uniform in ``[0, pi/2]``;
    * intensity ``g1 x + g2 y + b`` inside the ellipse, ``g1, g2 ~ grad_fac * N(0, 1)``,
      ``b ~ U[bias_fac_min, bias_fac]``, redrawn until it is >= 0 on the whole ellipse.

    The image is the sum, divided by its maximum (so it lies in [0, 1] with max 1).

    Parameters
    ----------
    size : int
        Image size ``H = W``; pixel centres run over ``linspace(-1, 1, size)``.
    seed : int or torch.Generator
        Seed of the draw: the same seed gives the same phantom on every device.
    c_min, c_max, max_axis, min_axis, margin_offset, margin_offset_axis, grad_fac, bias_fac, bias_fac_min
        Generator parameters, see above.
    device : torch.device or str, optional
        Where to put the image.

    Returns
    -------
    torch.Tensor, shape ``(1, 1, size, size)``, float32 in [0, 1]

    Examples
    --------
    >>> from tk_lessons.data import ellipses
    >>> x = ellipses(64, seed=3)
    >>> x.shape, float(x.max())
    (torch.Size([1, 1, 64, 64]), 1.0)
    """
    size = _validate.positive_int("size", size)
    c_min = _validate.positive_int("c_min", c_min)
    c_max = _validate.positive_int("c_max", c_max)
    if c_max <= c_min:
        raise ValueError(f"c_max must be larger than c_min={c_min} (it is exclusive), got {c_max}")
    for name, value in (("max_axis", max_axis), ("min_axis", min_axis), ("margin_offset", margin_offset),
                        ("margin_offset_axis", margin_offset_axis), ("bias_fac", bias_fac)):
        _validate.positive(name, value)
    grad_fac = _validate.positive("grad_fac", grad_fac, allow_zero=True)
    bias_fac_min = _validate.positive("bias_fac_min", bias_fac_min, allow_zero=True)
    if bias_fac_min > bias_fac:
        raise ValueError(f"bias_fac_min must be <= bias_fac={bias_fac}, got {bias_fac_min}")
    gen = _device.generator(seed)

    def rand(n: int) -> torch.Tensor:
        return torch.rand(n, generator=gen, dtype=torch.float64)

    c = int(torch.randint(c_min, c_max, (1,), generator=gen))
    cx = (1 - margin_offset) * (2 * rand(c) - 1)
    cy = (1 - margin_offset) * (2 * rand(c) - 1)
    cap = (1 - torch.maximum(cx.abs(), cy.abs())) * margin_offset_axis
    ax = torch.minimum(min_axis + (max_axis - min_axis) * rand(c), cap)
    ay = torch.minimum(min_axis + (max_axis - min_axis) * rand(c), cap)
    angle = math.pi / 2 * rand(c)

    coords = torch.linspace(-1, 1, size, dtype=torch.float64)
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    inside = inside_ellipses(x, y, ax, ay, cx, cy, angle)            # (c, H, W)

    # Random linear intensity per ellipse; redraw those that go negative inside.
    slope = torch.zeros(c, 2, dtype=torch.float64)
    bias = torch.zeros(c, dtype=torch.float64)
    todo = torch.ones(c, dtype=torch.bool)
    while todo.any():
        k = int(todo.sum())
        slope[todo] = grad_fac * torch.randn(k, 2, generator=gen, dtype=torch.float64)
        bias[todo] = bias_fac_min + (bias_fac - bias_fac_min) * rand(k)
        level = slope[:, 0, None, None] * x + slope[:, 1, None, None] * y + bias[:, None, None]
        todo = (level * inside).flatten(1).amin(1) < 0

    image = (level * inside).sum(0)
    image = image / image.max() if image.max() > 0 else image               # all-empty: stays 0
    image = image.float()[None, None]
    return image.to(device) if device is not None else image


class PhantomDataset(torch.utils.data.Dataset):
    """``n`` random phantoms drawn on demand by ``draw``; item ``i`` depends only on ``(seed, i)``.

    Each item is drawn from its own generator seeded with the pair ``(seed, i)``, so it
    is the same in any order, in any ``DataLoader`` worker and on any machine, and
    nothing is stored on disk. Subclasses set ``draw``, a function
    ``draw(size, generator, **params) -> (1, 1, size, size)`` tensor.

    Parameters
    ----------
    n : int
        Number of items.
    size : int
        Image size.
    seed : int
        Seed of the data set; different seeds give independent data sets.
    **params
        Passed on to ``draw``.
    """

    draw: Callable[..., torch.Tensor]

    def __init__(self, n: int, size: int = 64, seed: int = 0, **params) -> None:
        self.n = _validate.positive_int("n", n)
        self.size = _validate.positive_int("size", size)
        self.seed = check_seed(seed)
        self.params = params
        type(self).draw(8, 0, **params)             # fail now on bad params, not in a worker

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> torch.Tensor:
        """Item ``index``: a ``(1, size, size)`` float32 image in [0, 1]."""
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"index must be an int, got {type(index).__name__}")
        if not -self.n <= index < self.n:
            raise IndexError(f"index {index} is out of range for a data set of {self.n} items")
        index = int(index) % self.n
        return type(self).draw(self.size, item_generator(self.seed, index), **self.params)[0]


class EllipsesDataset(PhantomDataset):
    """``n`` random-ellipse phantoms (:func:`ellipses`), generated on demand; item ``i`` depends only on ``(seed, i)``.

    The parameters ``n, size, seed, **params`` are those of :class:`PhantomDataset`;
    ``params`` go to :func:`ellipses` (e.g. ``c_min``, ``max_axis``).

    Examples
    --------
    >>> from tk_lessons.data import EllipsesDataset
    >>> data = EllipsesDataset(10, size=32)
    >>> data[5].shape
    torch.Size([1, 32, 32])
    """

    draw = staticmethod(ellipses)
