"""Sampling patterns: boolean masks of the measured Fourier coefficients.

Every mask is a ``torch.bool`` tensor in the *centred* frequency layout: the zero
frequency (DC) sits at index ``N // 2`` along each axis, the layout after
``fftshift``, which is what :class:`tk_lessons.operators.SubsampledFourier` expects.

Random patterns are built from one *priority order* of the grid: each entry gets a
random key, and a mask with ``m`` samples keeps the ``m`` entries with the smallest
keys. Two consequences the course relies on:

* the sample count is exact (``round(rate * N)``, rounding half up), and
* masks for increasing rates drawn with the same seed are nested
  (:func:`nested`), which the "more samples can hurt" experiment needs.

Keys are drawn on the CPU from :func:`tk_lessons.device.generator` and the mask is
moved to ``device`` afterwards, so a seed gives the same mask on every machine.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

from . import _validate
from . import device as _device

__all__ = ["uniform", "cartesian", "variable_density", "radial", "multilevel", "lowpass", "nested",
           "symmetrise"]

Size = int | Sequence[int]
Device = torch.device | str | None

KINDS = ("uniform", "cartesian", "variable_density", "multilevel", "radial")


# ----------------------------------------------------------------------------- helpers
def _count(rate: float, n: int) -> int:
    """Number of samples ``round(rate * n)`` (half up); at least one."""
    m = int(math.floor(rate * n + 0.5))
    if m < 1:
        raise ValueError(f"rate={rate!r} gives round(rate * {n}) = 0 samples; use a larger rate")
    return m


def _frequencies(shape: tuple[int, ...]) -> list[torch.Tensor]:
    """Integer frequency of every grid entry along each axis (DC = 0 at index n // 2), float64."""
    axes = [torch.arange(n, dtype=torch.float64) - n // 2 for n in shape]
    return list(torch.meshgrid(*axes, indexing="ij"))


def _radius(shape: tuple[int, ...]) -> torch.Tensor:
    """|k|: Euclidean distance of every entry to the DC entry, in frequency units."""
    return torch.sqrt(sum(k**2 for k in _frequencies(shape)))


def _sort_by(primary: torch.Tensor, tiebreak: torch.Tensor) -> torch.Tensor:
    """Flat indices ordered by ``primary``, ties broken by ``tiebreak`` (both flat)."""
    order = torch.argsort(tiebreak)
    return order[torch.argsort(primary[order], stable=True)]


def _mask_from_order(order: torch.Tensor, m: int, shape: tuple[int, ...]) -> torch.Tensor:
    mask = torch.zeros(math.prod(shape), dtype=torch.bool)
    mask[order[:m]] = True
    return mask.reshape(shape)


# Priority orders. Each returns flat indices, most important first, so that the mask
# with m samples is "the first m entries" and masks for growing m are nested.
def _order_uniform(shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    return torch.randperm(math.prod(shape), generator=gen)


def _order_variable_density(shape: tuple[int, ...], decay: float, gen: torch.Generator) -> torch.Tensor:
    # Key u * (1 + |k|)^decay with u ~ U(0, 1) ("sequential Poisson sampling"): an entry
    # is in the first m exactly when u < t / (1 + |k|)^decay for the threshold t that
    # admits m entries, so it is sampled with probability min(1, t * density(k)).
    radius = _radius(shape).flatten()
    key = torch.rand(radius.shape, generator=gen, dtype=torch.float64) * (1 + radius) ** decay
    key[radius == 0] = -1.0                      # the DC coefficient always comes first
    return torch.argsort(key)


def _order_cartesian_rows(n_rows: int, n_center: int, gen: torch.Generator) -> torch.Tensor:
    key = torch.rand(n_rows, generator=gen, dtype=torch.float64)
    start = n_rows // 2 - n_center // 2          # centre band of n_center rows around DC
    key[start:start + n_center] = -1.0           # always taken first
    return torch.argsort(key)


def _levels(shape: tuple[int, ...], levels: int) -> torch.Tensor:
    """Level 1..levels of each entry: annuli of equal width in |k| out to the corner."""
    radius = _radius(shape).flatten()
    width = radius.max() / levels if radius.max() > 0 else 1.0
    return torch.ceil(radius / width).clamp(1, levels).long()


def _order_multilevel(shape: tuple[int, ...], levels: int, a: float, r0: int,
                      gen: torch.Generator) -> torch.Tensor:
    level = _levels(shape, levels)
    u = torch.rand(level.shape, generator=gen, dtype=torch.float64)
    # Rank j = 0, 1, ... of each entry inside its level, in a random order.
    by_level = _sort_by(level.double(), u)
    sizes = torch.bincount(level, minlength=levels + 1)
    starts = torch.cumsum(sizes, 0) - sizes
    rank = torch.empty_like(level)
    rank[by_level] = torch.arange(level.numel()) - starts[level[by_level]]
    # Level k keeps round(p_k(b) |B_k|) entries, p_k(b) = exp(-(b t_k)^a): entry j of
    # level k is kept exactly when p_k(b) >= (j + 1/2) / |B_k|, i.e. when
    # b <= (-log q)^(1/a) / t_k with q = (j + 1/2) / |B_k|. Ordering the entries by
    # 1 / (that critical b) gives every total m at once (smaller b, more samples).
    t = (level - 1 - r0).clamp(min=0).double() / (levels - r0)
    q = (rank.double() + 0.5) / sizes[level].double()
    priority = t / (-torch.log(q)) ** (1.0 / a)   # 0 for the fully sampled levels
    return _sort_by(priority, u)


def _spoke_angles(n_spokes: int, golden: bool, offset: int) -> list[float]:
    if golden:
        # Golden-angle increments of 180 * (sqrt(5) - 1) / 2 ~ 111.25 degrees.
        step = 180.0 * (math.sqrt(5) - 1) / 2
        return [step * k for k in range(offset * n_spokes, (offset + 1) * n_spokes)]
    return [180.0 * k / n_spokes for k in range(n_spokes)]


def _round_half_away(t: torch.Tensor) -> torch.Tensor:
    """C's round(): halves go away from zero (torch.round sends them to even)."""
    whole = torch.trunc(t)
    return whole + torch.sign(t) * ((t - whole).abs() >= 0.5)


class _SpokeDrawer:
    """Draws single spokes exactly like robust-nets' ``RadialMaskFunc``.

    The reference draws the middle row of a ``d x d`` grid, ``d = ceil(sqrt(2) max(H, W))``,
    rotates it with ``skimage.transform.rotate(order=0)`` (nearest neighbour, about the
    grid centre ``d / 2 - 1/2``) and crops the central ``H x W`` block. We compute the
    same thing backwards: an output pixel is on the spoke when rotating it by the angle
    about the centre lands, after rounding, on the template row.
    """

    def __init__(self, shape: tuple[int, int]) -> None:
        h, w = shape
        self.d = math.ceil(math.sqrt(2) * max(h, w))
        mid = self.d // 2
        rows = torch.arange(mid - h // 2, mid + (h + 1) // 2, dtype=torch.float64)
        cols = torch.arange(mid - w // 2, mid + (w + 1) // 2, dtype=torch.float64)
        self.r, self.c = torch.meshgrid(rows, cols, indexing="ij")
        self.centre = self.d / 2 - 0.5

    def __call__(self, angle_deg: float) -> torch.Tensor:
        theta = math.radians(angle_deg)
        cos, sin = math.cos(theta), math.sin(theta)
        dc, dr = self.c - self.centre, self.r - self.centre
        c_in = _round_half_away(self.centre + cos * dc - sin * dr)
        r_in = _round_half_away(self.centre + sin * dc + cos * dr)
        return (r_in == self.d // 2) & (c_in >= 0) & (c_in < self.d)


def _finish(mask: torch.Tensor, device: Device) -> torch.Tensor:
    return mask.to(device) if device is not None else mask


# ----------------------------------------------------------------------------- patterns
def uniform(size: Size, rate: float, seed: _device.Seed = 0, *, device: Device = None) -> torch.Tensor:
    """Uniform random sampling: exactly ``round(rate * N)`` entries, all equally likely.

    Parameters
    ----------
    size : int or tuple of int
        Grid size; an int ``N`` gives a 1-D mask ``(N,)``, ``(H, W)`` a 2-D mask.
    rate : float in (0, 1]
        Fraction of entries to sample.
    seed : int or torch.Generator
        Seed of the CPU generator the mask is drawn from.
    device : torch.device or str, optional
        Where to put the mask (drawn on the CPU first).

    Returns
    -------
    torch.Tensor of bool, shape ``size``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> int(sampling.uniform((8, 8), 0.25).sum())
    16
    """
    shape = _validate.shape("size", size)
    rate = _validate.fraction("rate", rate)
    m = _count(rate, math.prod(shape))
    order = _order_uniform(shape, _device.generator(seed))
    return _finish(_mask_from_order(order, m, shape), device)


def cartesian(size: Size, rate: float, center_fraction: float = 0.08, seed: _device.Seed = 0,
              *, device: Device = None) -> torch.Tensor:
    """Cartesian MRI sampling: full rows (phase-encode lines), a fully sampled centre band.

    ``round(rate * H)`` rows are sampled: the ``round(center_fraction * H)`` rows
    around the DC row, plus rows drawn uniformly at random from the others. The
    sampled fraction is therefore ``round(rate * H) / H``. This is the fastMRI-style
    pattern of the PNAS 2020 "more samples" test (there: 8 central lines always in).

    Parameters
    ----------
    size : int or (int, int)
        Image size ``H`` (square) or ``(H, W)``.
    rate : float in (0, 1]
        Fraction of rows to sample.
    center_fraction : float in [0, 1]
        Fraction of rows in the always-sampled centre band; it must fit in the budget.
    seed : int or torch.Generator
        Seed of the random rows.
    device : torch.device or str, optional
        Where to put the mask.

    Returns
    -------
    torch.Tensor of bool, shape ``(H, W)``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> mask = sampling.cartesian(64, 0.25)
    >>> int(mask.all(dim=1).sum()), bool(mask[32].all())
    (16, True)
    """
    shape = _validate.shape("size", size, ndims=(2,), int_ndim=2)
    rate = _validate.fraction("rate", rate)
    n_lines, n_center = _cartesian_counts(shape[0], rate, center_fraction)
    rows = _order_cartesian_rows(shape[0], n_center, _device.generator(seed))
    mask = torch.zeros(shape, dtype=torch.bool)
    mask[rows[:n_lines]] = True
    return _finish(mask, device)


def _cartesian_counts(n_rows: int, rate: float, center_fraction: Any) -> tuple[int, int]:
    center_fraction = _validate.positive("center_fraction", center_fraction, allow_zero=True)
    if center_fraction > 1:
        raise ValueError(f"center_fraction must lie in [0, 1], got {center_fraction!r}")
    n_lines = _count(rate, n_rows)
    n_center = int(math.floor(center_fraction * n_rows + 0.5))
    if n_center > n_lines:
        raise ValueError(f"center_fraction={center_fraction!r} asks for {n_center} centre rows but "
                         f"rate={rate!r} allows only {n_lines} rows; lower center_fraction or raise rate")
    return n_lines, n_center


def variable_density(size: Size, rate: float, decay: float = 2.0, seed: _device.Seed = 0,
                     *, device: Device = None) -> torch.Tensor:
    """Variable-density random sampling with a polynomial density ``(1 + |k|)^(-decay)``.

    Exactly ``round(rate * N)`` entries are sampled and the DC entry is always one of
    them. Entry ``k`` (integer frequency, ``|k|`` its distance to DC) is sampled with
    probability about ``min(1, t (1 + |k|)^(-decay))``, with ``t`` set by the budget,
    so a central disc is fully sampled and the density falls off outside it.
    ``decay=2`` is the inverse-square density of Krahmer & Ward (2014) for Fourier
    sampling with wavelet sparsity.

    Parameters
    ----------
    size : int or tuple of int
        ``N`` (1-D) or ``(H, W)`` (2-D).
    rate : float in (0, 1]
        Fraction of entries to sample.
    decay : float > 0
        Exponent of the polynomial decay.
    seed : int or torch.Generator
        Seed of the random draw.
    device : torch.device or str, optional
        Where to put the mask.

    Returns
    -------
    torch.Tensor of bool, shape ``size``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> mask = sampling.variable_density((32, 32), 0.2)
    >>> int(mask.sum()), bool(mask[16, 16])
    (205, True)
    """
    shape = _validate.shape("size", size)
    rate = _validate.fraction("rate", rate)
    decay = _validate.positive("decay", decay)
    m = _count(rate, math.prod(shape))
    order = _order_variable_density(shape, decay, _device.generator(seed))
    return _finish(_mask_from_order(order, m, shape), device)


def radial(size: Size, n_spokes: int, golden: bool = True, *, offset: int = 0,
           device: Device = None) -> torch.Tensor:
    """Radial sampling: ``n_spokes`` lines through the DC entry, at golden-angle steps.

    Reproduces ``RadialMaskFunc(shape, num_lines, offset)`` of Genzel, Macdonald &
    März (robust-nets, reused by the troublesome-kernel code): spoke ``k`` has angle
    ``180 * k * (sqrt(5) - 1) / 2`` degrees (the first is horizontal), drawn as the
    middle row of a ``d x d`` grid (``d = ceil(sqrt(2) max(H, W))``) rotated by
    nearest-neighbour interpolation as ``skimage.transform.rotate(order=0)`` does,
    then cropped to ``H x W``. We compute the rotation ourselves (no scikit-image);
    the tests check that the masks agree pixel for pixel with the reference. Note the
    spokes are nearest-neighbour rotations of a line, not Bresenham lines, so their
    pixels differ slightly from a line-drawing routine.

    With this construction 64 x 64 with 10 spokes samples 673 frequencies (16.4%),
    256 x 256 with 40 spokes 10,941 (16.7%), the setting of the paper's Figure 3.

    Parameters
    ----------
    size : int or (int, int)
        Image size ``H`` (square) or ``(H, W)``.
    n_spokes : int >= 1
        Number of spokes.
    golden : bool
        Golden-angle steps (default) or ``n_spokes`` equispaced angles in [0, 180).
    offset : int >= 0
        Skip the first ``offset * n_spokes`` golden-angle spokes (as the reference).
    device : torch.device or str, optional
        Where to put the mask.

    Returns
    -------
    torch.Tensor of bool, shape ``(H, W)``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> int(sampling.radial(64, 10).sum())
    673
    """
    shape = _validate.shape("size", size, ndims=(2,), int_ndim=2)
    n_spokes = _validate.positive_int("n_spokes", n_spokes)
    offset = _validate.positive_int("offset", offset, minimum=0)
    golden = _validate.flag("golden", golden)
    draw = _SpokeDrawer(shape)
    mask = torch.zeros(shape, dtype=torch.bool)
    for angle in _spoke_angles(n_spokes, golden, offset):
        mask |= draw(angle)
    return _finish(mask, device)


def multilevel(size: Size, rate: float, levels: int = 50, a: float = 1.75, r0: int = 0,
               seed: _device.Seed = 0, *, device: Device = None) -> torch.Tensor:
    """Multilevel, radially symmetric random sampling (the "cgauss" / DAS-like patterns).

    The grid is cut into ``levels`` annuli of equal width in ``|k|`` (the distance to
    DC), reaching out to the corner. Level ``k`` (1 = innermost) gets the density

    ``p_k = exp(-(b t_k)^a)``,  ``t_k = max(0, k - 1 - r0) / (levels - r0)``,

    keeps ``round(p_k |B_k|)`` of its ``|B_k|`` entries, chosen uniformly at random,
    and ``b`` is set so that the total is exactly ``round(rate * N)``. Levels
    ``1 .. r0 + 1`` have ``t_k = 0`` and are fully sampled (so the innermost level, with
    DC, always is). ``a = 2`` is a Gaussian profile; the papers use ``a = 1.75``.

    This follows Adcock & Hansen, *Compressive Imaging* (2021), multilevel sampling,
    as implemented in their CIlib (``cil_sp2_exp`` with circular levels), which made
    the masks of the troublesome-kernel hallucination experiments
    (``spf2_cgauss_N_256_srate_20_r_50_r0_0_a_175``: 20%, 50 levels, r0 = 0, a = 1.75).
    Differences from CIlib: we put DC at index ``N // 2``, let the last level reach the
    corner, and, instead of a bisection for ``b`` that may miss the target, take the
    ``m`` entries that enter first as ``b`` decreases, so the count is always exact.

    Parameters
    ----------
    size : int or tuple of int
        ``H`` (square image), ``(H, W)``, or ``(N,)`` for a 1-D mask.
    rate : float in (0, 1]
        Fraction of entries to sample.
    levels : int >= 1
        Number of annuli.
    a : float > 0
        Decay exponent of the density across levels.
    r0 : int, 0 <= r0 < levels
        Number of extra fully sampled inner levels.
    seed : int or torch.Generator
        Seed of the random draw.
    device : torch.device or str, optional
        Where to put the mask.

    Returns
    -------
    torch.Tensor of bool, shape ``(H, W)`` or ``(N,)``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> mask = sampling.multilevel(64, 0.2)
    >>> int(mask.sum()), bool(mask[32, 32])
    (819, True)
    """
    shape = _validate.shape("size", size, int_ndim=2)
    rate = _validate.fraction("rate", rate)
    levels, a, r0 = _multilevel_params(levels, a, r0)
    m = _count(rate, math.prod(shape))
    order = _order_multilevel(shape, levels, a, r0, _device.generator(seed))
    return _finish(_mask_from_order(order, m, shape), device)


def _multilevel_params(levels: Any, a: Any, r0: Any) -> tuple[int, float, int]:
    levels = _validate.positive_int("levels", levels)
    a = _validate.positive("a", a)
    r0 = _validate.positive_int("r0", r0, minimum=0)
    if r0 >= levels:
        raise ValueError(f"r0 must be smaller than levels={levels}, got r0={r0}")
    return levels, a, r0


def nested(kind: str, size: Size, rates: Sequence[float], seed: _device.Seed = 0,
           *, device: Device = None, **kw: Any) -> list[torch.Tensor]:
    """Masks for increasing rates with ``mask_0 ⊆ mask_1 ⊆ ...``: adding samples only.

    One priority order of the grid is drawn (as in the single-mask functions, so
    ``nested(kind, size, [r], seed)[0]`` equals ``kind(size, r, seed=seed)``) and the
    mask for each rate keeps its first ``round(rate * N)`` entries. For
    ``"multilevel"`` each level is filled in its own random order. For ``"radial"`` each
    mask holds the first golden-angle spokes, as few as reach at least ``rate``.

    Parameters
    ----------
    kind : {"uniform", "cartesian", "variable_density", "multilevel", "radial"}
        Pattern family.
    size : int or tuple of int
        Grid size, read as the ``size`` argument of that family.
    rates : sequence of float in (0, 1], strictly increasing
        Sampling rates.
    seed : int or torch.Generator
        Seed of the priority order (ignored by ``"radial"``).
    device : torch.device or str, optional
        Where to put the masks.
    **kw
        Family parameters: ``center_fraction`` (cartesian), ``decay``
        (variable_density), ``levels``, ``a``, ``r0`` (multilevel).

    Returns
    -------
    list of torch.Tensor of bool
        One mask per rate.

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> small, large = sampling.nested("cartesian", 64, [0.125, 0.25], center_fraction=0.0625)
    >>> bool((small <= large).all()), int(small.all(1).sum()), int(large.all(1).sum())
    (True, 8, 16)
    """
    _validate.choice("kind", kind, KINDS)
    if isinstance(rates, (str, bytes)) or not isinstance(rates, Sequence) or len(rates) == 0:
        raise TypeError(f"rates must be a non-empty sequence of floats in (0, 1], got {rates!r}")
    rates = [_validate.fraction("rates", r) for r in rates]
    if any(later <= earlier for earlier, later in zip(rates, rates[1:])):
        raise ValueError(f"rates must be strictly increasing, got {rates!r}")
    allowed = {"uniform": set(), "cartesian": {"center_fraction"}, "variable_density": {"decay"},
               "multilevel": {"levels", "a", "r0"}, "radial": set()}[kind]
    unknown = set(kw) - allowed
    if unknown:
        raise TypeError(f"nested({kind!r}) got unexpected keyword(s) {sorted(unknown)}; "
                        f"allowed: {sorted(allowed) or 'none'}")
    if kind == "radial":
        return [_finish(m, device) for m in _nested_radial(size, rates)]

    gen = _device.generator(seed)
    if kind == "cartesian":
        shape = _validate.shape("size", size, ndims=(2,), int_ndim=2)
        cf = kw.get("center_fraction", 0.08)
        counts = [_cartesian_counts(shape[0], r, cf) for r in rates]
        rows = _order_cartesian_rows(shape[0], counts[0][1], gen)
        masks = []
        for n_lines, _ in counts:
            mask = torch.zeros(shape, dtype=torch.bool)
            mask[rows[:n_lines]] = True
            masks.append(mask)
        return [_finish(m, device) for m in masks]

    if kind == "uniform":
        shape = _validate.shape("size", size)
        order = _order_uniform(shape, gen)
    elif kind == "variable_density":
        shape = _validate.shape("size", size)
        order = _order_variable_density(shape, _validate.positive("decay", kw.get("decay", 2.0)), gen)
    else:  # multilevel
        shape = _validate.shape("size", size, int_ndim=2)
        levels, a, r0 = _multilevel_params(kw.get("levels", 50), kw.get("a", 1.75), kw.get("r0", 0))
        order = _order_multilevel(shape, levels, a, r0, gen)
    n = math.prod(shape)
    return [_finish(_mask_from_order(order, _count(r, n), shape), device) for r in rates]


def _nested_radial(size: Size, rates: list[float]) -> list[torch.Tensor]:
    shape = _validate.shape("size", size, ndims=(2,), int_ndim=2)
    draw = _SpokeDrawer(shape)
    step = 180.0 * (math.sqrt(5) - 1) / 2
    max_spokes = 4 * max(shape) + 16               # far more than needed to cover the grid
    mask = torch.zeros(shape, dtype=torch.bool)
    masks: list[torch.Tensor] = []
    for k in range(max_spokes):
        mask = mask | draw(step * k)
        while len(masks) < len(rates) and mask.sum() >= rates[len(masks)] * mask.numel():
            masks.append(mask)
        if len(masks) == len(rates):
            return masks
    raise ValueError(f"rates: {rates[len(masks)]!r} is not reached by {max_spokes} radial spokes "
                     f"on a {shape} grid; use a smaller rate")


def lowpass(size: int, rate: float, *, device: Device = None) -> torch.Tensor:
    """The lowest frequencies of a 1-D signal: ``max(1, round(rate * N))`` of them, centred.

    The deterministic pattern of the 1-D experiments (e.g. the tumour signals): a contiguous
    band around the zero frequency, which sits at index ``N // 2`` in the centred layout.

    Parameters
    ----------
    size : int
        Signal length ``N``.
    rate : float in (0, 1]
        Fraction of frequencies to keep.
    device : torch.device or str, optional
        Where to put the mask.

    Returns
    -------
    torch.Tensor of bool, shape ``(N,)``

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> sampling.lowpass(8, 0.25).nonzero().flatten().tolist()   # frequencies -1 and 0
    [3, 4]
    """
    (n,) = _validate.shape("size", size, ndims=(1,))
    rate = _validate.fraction("rate", rate)
    count = max(1, round(rate * n))
    mask = torch.zeros(n, dtype=torch.bool)
    start = n // 2 - count // 2
    mask[start:start + count] = True
    return _finish(mask, device)


def symmetrise(mask: torch.Tensor) -> torch.Tensor:
    """The mask together with its mirror image through the zero frequency: ``Omega ∪ -Omega``.

    A real image has a point-symmetric spectrum, ``X(-k) = conj(X(k))``: measuring ``k`` also
    tells ``-k``. So for real images the measurements on ``Omega`` are the measurements on
    ``Omega ∪ -Omega``, the zero-filled reconstruction from a symmetric mask is real, and the
    *real* kernel (real images with zero data) is the set of real images whose spectrum
    vanishes on ``Omega ∪ -Omega``. Works in any dimension and for odd and even sizes.

    Parameters
    ----------
    mask : torch.Tensor of bool
        A mask in the centred layout (zero frequency at index ``N // 2`` along each axis).

    Returns
    -------
    torch.Tensor of bool, same shape and device
        ``mask | mirrored(mask)``, where index ``p`` mirrors to ``2 (N // 2) - p (mod N)``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.sampling import symmetrise
    >>> mask = torch.zeros(8, dtype=torch.bool)
    >>> mask[5] = True                     # frequency +1 (the zero frequency is index 4)
    >>> symmetrise(mask).nonzero().flatten().tolist()   # frequencies -1 and +1
    [3, 5]
    """
    mask = _validate.bool_mask("mask", mask)
    out = mask
    for axis, n in enumerate(mask.shape):
        index = (2 * (n // 2) - torch.arange(n, device=mask.device)) % n
        out = out.index_select(axis, index)
    return mask | out
