"""Structured sampling patterns: whole lines of k-space and a low-frequency band (Chapter 1).

:func:`cartesian` samples full rows (the phase-encode lines of MRI; the fastMRI-style pattern
of the "more samples" test of Antun et al., PNAS 2020), :func:`radial` spokes through the zero
frequency at golden-angle steps (as Genzel, Macdonald & März's robust-nets; the pattern of the
trained networks of Chapters 3 and 4), and :func:`lowpass` the contiguous band of the lowest
frequencies of a 1-D signal.
"""

from __future__ import annotations

import torch

from .. import _validate
from .. import device as _device
from ._orders import Device, Size, cartesian_counts, order_cartesian_rows, to_device
from ._spokes import SpokeDrawer, spoke_angles

__all__ = ["cartesian", "lowpass", "radial"]


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
    n_lines, n_center = cartesian_counts(shape[0], rate, center_fraction)
    rows = order_cartesian_rows(shape[0], n_center, _device.generator(seed))
    mask = torch.zeros(shape, dtype=torch.bool)
    mask[rows[:n_lines]] = True
    return to_device(mask, device)


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
    draw = SpokeDrawer(shape)
    mask = torch.zeros(shape, dtype=torch.bool)
    for angle in spoke_angles(n_spokes, golden, offset):
        mask |= draw(angle)
    return to_device(mask, device)


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
    return to_device(mask, device)
