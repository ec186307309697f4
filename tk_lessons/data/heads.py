"""Random head phantoms: the Shepp–Logan anatomy, varied from head to head, with optional lesions.

Why a second family of phantoms? Random-ellipse images (:func:`~tk_lessons.data.ellipses`)
are a hard target for a small network trained for minutes on a CPU and an ideal one for
total variation: at 64 x 64 they are sparse sets of small blobs. Medical images are the
other way round: every head has a skull, a brain and ventricles in nearly the same
place, and that shared anatomy is exactly what a trained network learns and a
hand-made regulariser does not know. These phantoms have that property at laptop
scale: the ten ellipses of the modified Shepp–Logan phantom with randomly perturbed
positions, sizes, angles and contrasts, a skull of random thickness, a gentle intensity
slope in the brain, a random pose, and a few random "lesions" (the small structural
changes that later chapters ask networks to recover).
"""

from __future__ import annotations

import math
import numbers

import torch

from .. import _validate
from .. import device as _device
from ._ellipses import SHEPP_LOGAN, inside_ellipses
from .phantoms import PhantomDataset

__all__ = ["random_head", "HeadsDataset"]

Device = torch.device | str | None


def random_head(size: int = 64, seed: _device.Seed = 0, *, variation: float = 0.08,
                lesions: tuple[int, int] = (0, 3), skull: tuple[float, float] = (0.04, 0.07),
                supersample: int = 2, device: Device = None) -> torch.Tensor:
    """One random head phantom in [0, 1].

    The draw, in order (all from the generator of ``seed``):

    * the outer skull ellipse and the eight inner features of the modified Shepp–Logan
      phantom, with semi-axes scaled by ``1 + variation * N(0, 1)`` (for the skull, squashed
      into at most 10%), centres moved by ``variation / 4 * N(0, 1)`` and angles turned by
      ``variation * N(0, 1)`` radians;
    * the skull thickness, uniform in ``skull`` (the brain is the skull ellipse shrunk by it);
    * the contrast of the six small features, uniform in [0.1, 0.3] above the brain;
    * a linear intensity slope over the brain of size ``0.05 * N(0, 1)`` per axis;
    * the pose: scale in [0.8, 0.92] and rotation in [-0.15, 0.15] radians;
    * ``k`` lesions, ``k`` uniform in ``lesions[0] .. lesions[1]``: ellipses inside the brain
      with semi-axes in [0.02, 0.08] and contrast ±[0.1, 0.3]. They are drawn last, so the
      same seed with ``lesions=(0, 0)`` gives the same head without them.

    Parameters
    ----------
    size : int
        Image size ``H = W``; the square covers [-1, 1]^2 with ``y`` pointing up.
    seed : int or torch.Generator
        Seed of the draw: the same seed gives the same head on every device.
    variation : float >= 0
        Size of the anatomical variation (0 gives Shepp–Logan up to contrast, skull and pose).
    lesions : (int, int)
        Smallest and largest number of lesions.
    skull : (float, float)
        Range of the skull thickness, in units of the half-width of the image.
    supersample : int >= 1
        Each pixel is the mean over ``supersample**2`` points (anti-aliased edges).
    device : torch.device or str, optional
        Where to put the image.

    Returns
    -------
    torch.Tensor, shape ``(1, 1, size, size)``, float32 in [0, 1]

    Examples
    --------
    >>> from tk_lessons.data import random_head
    >>> x = random_head(64, seed=0)
    >>> x.shape, 0 <= float(x.min()) and float(x.max()) <= 1
    (torch.Size([1, 1, 64, 64]), True)
    """
    size = _validate.positive_int("size", size)
    variation = _validate.positive("variation", variation, allow_zero=True)
    supersample = _validate.positive_int("supersample", supersample)
    lo, hi = _pair_of_ints("lesions", lesions)
    t_lo, t_hi = _range("skull", skull, upper=0.3)
    gen = _device.generator(seed)

    def rand(n: int) -> torch.Tensor:
        return torch.rand(n, generator=gen, dtype=torch.float64)

    def randn(n: int) -> torch.Tensor:
        return torch.randn(n, generator=gen, dtype=torch.float64)

    table = torch.tensor(SHEPP_LOGAN, dtype=torch.float64)
    value, ax, ay, cx, cy, angle = table.T.clone()
    angle = torch.deg2rad(angle)
    n = len(value)
    ax, ay = ax * (1 + variation * randn(n)).clamp(min=0.5), ay * (1 + variation * randn(n)).clamp(min=0.5)
    # the skull varies less (at most 10%), so that every head stays inside the image
    ax[0], ay[0] = table[0, 1] * (1 + 0.1 * torch.tanh(ax[0] / table[0, 1] - 1)), \
        table[0, 2] * (1 + 0.1 * torch.tanh(ay[0] / table[0, 2] - 1))
    cx, cy = cx + variation / 4 * randn(n), cy + variation / 4 * randn(n)
    angle = angle + variation * randn(n)
    thickness = t_lo + (t_hi - t_lo) * float(rand(1))
    # the brain (ellipse 1) is the skull (ellipse 0) shrunk by the skull thickness
    ax[1], ay[1], cx[1], cy[1], angle[1] = ax[0] - thickness, ay[0] - thickness, cx[0], cy[0], angle[0]
    value[4:] = 0.1 + 0.2 * rand(n - 4)

    slope = 0.05 * randn(2)
    scale, turn = 0.8 + 0.12 * float(rand(1)), 0.3 * (float(rand(1)) - 0.5)
    # lesions last: the same seed gives the same head with and without them
    k = int(torch.randint(lo, hi + 1, (1,), generator=gen))
    radius, phi = 0.6 * rand(k).sqrt(), 2 * math.pi * rand(k)
    lesion = (
        (0.1 + 0.2 * rand(k)) * torch.where(rand(k) < 0.5, -1.0, 1.0),       # contrast
        0.02 + 0.06 * rand(k), 0.02 + 0.06 * rand(k),                         # semi-axes
        cx[1] + radius * torch.cos(phi) * ax[1], cy[1] + radius * torch.sin(phi) * ay[1],
        math.pi * rand(k),
    )
    value, ax, ay = torch.cat((value, lesion[0])), torch.cat((ax, lesion[1])), torch.cat((ay, lesion[2]))
    cx, cy, angle = torch.cat((cx, lesion[3])), torch.cat((cy, lesion[4])), torch.cat((angle, lesion[5]))

    fine = size * supersample
    # single precision on the fine grid: 4x faster, and edges move by < 1e-6 pixels
    centres = (2 * torch.arange(fine, dtype=torch.float32) + 1) / fine - 1
    y, x = torch.meshgrid(-centres, centres, indexing="ij")
    value, ax, ay, cx, cy, angle, slope = (t.float() for t in (value, ax, ay, cx, cy, angle, slope))
    # pose: evaluate the phantom at rotated and rescaled coordinates
    xr = (math.cos(turn) * x + math.sin(turn) * y) / scale
    yr = (-math.sin(turn) * x + math.cos(turn) * y) / scale
    inside = inside_ellipses(xr, yr, ax, ay, cx, cy, angle)
    image = (value[:, None, None] * inside).sum(0) + inside[1] * (slope[0] * xr + slope[1] * yr)
    image = image.clamp(0, 1)
    if supersample > 1:
        image = torch.nn.functional.avg_pool2d(image[None, None], supersample)[0, 0]
    image = image.float()[None, None]
    return image.to(device) if device is not None else image


def _pair_of_ints(name: str, value: object) -> tuple[int, int]:
    ok = (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in value)
          and value[0] <= value[1])
    if not ok:
        raise ValueError(f"{name} must be a pair (low, high) of integers with 0 <= low <= high, got {value!r}")
    return int(value[0]), int(value[1])


def _range(name: str, value: object, upper: float) -> tuple[float, float]:
    ok = (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
          and 0 < value[0] <= value[1] < upper)
    if not ok:
        raise ValueError(f"{name} must be a pair (low, high) with 0 < low <= high < {upper}, got {value!r}")
    return float(value[0]), float(value[1])


class HeadsDataset(PhantomDataset):
    """``n`` random heads (:func:`random_head`), generated on demand; item ``i`` depends only on ``(seed, i)``.

    The parameters ``n, size, seed, **params`` are those of :class:`PhantomDataset`;
    ``params`` go to :func:`random_head` (e.g. ``variation``, ``lesions``).

    Examples
    --------
    >>> from tk_lessons.data import HeadsDataset
    >>> data = HeadsDataset(10, size=32)
    >>> data[5].shape
    torch.Size([1, 32, 32])
    """

    draw = staticmethod(random_head)
