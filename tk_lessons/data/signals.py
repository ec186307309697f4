"""1-D signals: piecewise polynomials with jumps, and a "tumour" the low frequencies cannot see.

These rebuild the 1-D experiment of the first version of the troublesome-kernel
paper (the ``poly_heav`` signals and ``tumor.mat`` of ``troub_ker/1d_example``).
Signals are ``(n, 1, size)`` float32 tensors.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple, Sequence

import torch

from .. import _validate
from ._seeding import check_seed, item_generator

__all__ = ["piecewise_polynomial", "tumour", "signal_dataset", "SignalSet"]

Device = torch.device | str | None


def _one_signal(t: torch.Tensor, degree: int, jumps: int, gen: torch.Generator) -> torch.Tensor:
    def rand(n: int) -> torch.Tensor:
        return torch.rand(n, generator=gen, dtype=torch.float64)

    roots, lead, bias = rand(degree), 10 * rand(1), 5 * rand(1)
    positions, heights = rand(jumps), rand(jumps) - 0.5
    poly = lead * torch.prod(t[:, None] - roots, dim=1) + bias
    steps = (heights * (t[:, None] > positions)).sum(dim=1)    # Heaviside jumps
    return poly + steps


def piecewise_polynomial(n: int = 1, size: int = 256, *, degree: int = 3, jumps: int = 3, seed: int = 0,
                         value_range: tuple[float, float] = (0.0, 1.0), device: Device = None) -> torch.Tensor:
    """Random piecewise-polynomial signals with jumps (the "poly_heav" signals of the paper's v1).

    Signal ``j`` is ``c (t - a_1) ... (t - a_degree) + b + sum_i h_i 1[t > s_i]`` on
    ``size`` points of [0, 1], with roots ``a ~ U[0, 1]``, leading coefficient
    ``c ~ 10 U[0, 1]``, offset ``b ~ 5 U[0, 1]``, jump positions ``s ~ U[0, 1]`` and
    heights ``h ~ U[-1/2, 1/2]`` (our reading of ``troub_ker/1d_example``: degree 3, 3
    jumps). Each signal is then mapped affinely onto ``value_range`` (its minimum to
    the lower end, its maximum to the upper end). Signal ``j`` is drawn from its own
    generator seeded by ``(seed, j)``, so it does not depend on ``n``.

    Parameters
    ----------
    n : int
        Number of signals.
    size : int
        Number of samples per signal.
    degree : int >= 0
        Polynomial degree.
    jumps : int >= 0
        Number of jumps.
    seed : int
        Seed of the family.
    value_range : (float, float)
        ``(low, high)`` with ``0 <= low < high <= 1``.
    device : torch.device or str, optional
        Where to put the signals.

    Returns
    -------
    torch.Tensor, shape ``(n, 1, size)``, float32 in ``value_range``

    Examples
    --------
    >>> from tk_lessons.data import piecewise_polynomial
    >>> x = piecewise_polynomial(4, 128, seed=1)
    >>> x.shape, float(x.min()), float(x.max())
    (torch.Size([4, 1, 128]), 0.0, 1.0)
    """
    n = _validate.positive_int("n", n)
    size = _validate.positive_int("size", size, minimum=2)
    degree = _validate.positive_int("degree", degree, minimum=0)
    jumps = _validate.positive_int("jumps", jumps, minimum=0)
    seed = check_seed(seed)
    low, high = _range(value_range)
    t = torch.linspace(0, 1, size, dtype=torch.float64)
    out = torch.empty(n, 1, size, dtype=torch.float64)
    for j in range(n):
        f = _one_signal(t, degree, jumps, item_generator(seed, j))
        spread = f.max() - f.min()
        f = (f - f.min()) / spread if spread > 0 else torch.zeros_like(f)
        out[j, 0] = low + (high - low) * f
    out = out.float()
    return out.to(device) if device is not None else out


def _range(value_range: object) -> tuple[float, float]:
    ok = (isinstance(value_range, (tuple, list)) and len(value_range) == 2
          and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value_range))
    if not ok or not 0 <= value_range[0] < value_range[1] <= 1:
        raise ValueError(f"value_range must be (low, high) with 0 <= low < high <= 1, got {value_range!r}")
    return float(value_range[0]), float(value_range[1])


def tumour(size: int = 256, position: float = 0.5, width: float = 2.0, height: float = 0.25, *,
           device: Device = None) -> torch.Tensor:
    """A small localised "tumour" whose energy sits at the highest frequencies.

    ``z[i] = height * exp(-(i - p)^2 / (2 width^2)) * (-1)^(i - p)``, with ``p`` the
    sample nearest to ``position * (size - 1)``: a Gaussian bump of ``width`` samples whose
    signs alternate. Why not a plain positive bump? Its Fourier transform peaks at
    the zero frequency, so a low-frequency mask sees most of it. Flipping every other
    sign moves the whole spectrum to the Nyquist frequency (a Gaussian of width
    ``size / (2 pi width)`` around ``|k| = size / 2``): for ``size = 256``, ``width = 2`` and a mask
    of the 25% lowest frequencies, ``||P F z|| / ||z||`` is below 1e-4, so ``x`` and
    ``x + z`` have almost the same data, the situation of the paper's 1-D experiment
    (v1, whose ``tumor.mat`` "has little energy at sampled frequencies").

    Parameters
    ----------
    size : int
        Signal length.
    position : float in [0, 1]
        Centre, as a fraction of the signal.
    width : float > 0
        Standard deviation of the Gaussian envelope, in samples.
    height : float in (0, 1]
        Peak value; the values lie in ``[-height, height]``.
    device : torch.device or str, optional
        Where to put the tumour.

    Returns
    -------
    torch.Tensor, shape ``(1, 1, size)``, float32

    Examples
    --------
    >>> from tk_lessons.data import tumour
    >>> z = tumour(256, position=0.3)
    >>> z.shape, round(float(z.max()), 2)
    (torch.Size([1, 1, 256]), 0.25)
    """
    size = _validate.positive_int("size", size, minimum=2)
    position = _validate.positive("position", position, allow_zero=True)
    if position > 1:
        raise ValueError(f"position must lie in [0, 1] (a fraction of the signal), got {position!r}")
    width = _validate.positive("width", width)
    height = _validate.fraction("height", height)
    centre = round(position * (size - 1))
    offset = torch.arange(size, dtype=torch.float64) - centre
    sign = 1 - 2 * (offset.long() % 2)                          # +1, -1, +1, ... from the centre
    z = height * torch.exp(-offset**2 / (2 * width**2)) * sign
    z = z.float()[None, None]
    return z.to(device) if device is not None else z


class SignalSet(NamedTuple):
    """Signals, their tumour-added copies, the tumour and which signals were copied."""

    signals: torch.Tensor      # (n, 1, size)
    with_tumour: torch.Tensor  # (k, 1, size): signals[indices] + tumour
    tumour: torch.Tensor       # (1, 1, size)
    indices: torch.Tensor      # (k,) long


def signal_dataset(n: int = 100, size: int = 256, *, tumour_indices: Sequence[int] = (1, 3, 4, 5, 6),
                   tumour_signal: torch.Tensor | None = None, seed: int = 0, degree: int = 3,
                   jumps: int = 3, device: Device = None) -> SignalSet:
    """Piecewise-polynomial signals plus copies of some of them with a tumour added.

    As in the paper's v1 1-D experiment (95 training signals plus tumour-added copies
    of signals 1, 3, 4, 5, 6). The signals are scaled into ``[max(0, -min z),
    1 - max(0, max z)]`` so that ``x + z`` stays in [0, 1] *without clipping*: the
    copies differ from the originals by exactly ``z``.

    Parameters
    ----------
    n : int
        Number of signals.
    size : int
        Signal length.
    tumour_indices : sequence of int
        Which signals get a tumour-added copy (``0 <= i < n``).
    tumour_signal : torch.Tensor of shape (1, 1, size), optional
        The tumour ``z``; default ``tumour(size)``.
    seed : int
        Seed of the signals (see :func:`piecewise_polynomial`).
    degree, jumps : int
        Signal parameters.
    device : torch.device or str, optional
        Where to put the tensors.

    Returns
    -------
    SignalSet
        ``signals (n, 1, size)``, ``with_tumour (k, 1, size)``, ``tumour (1, 1, size)``, ``indices (k,)``.

    Examples
    --------
    >>> from tk_lessons.data import signal_dataset
    >>> data = signal_dataset(20, 128, tumour_indices=[1, 3])
    >>> data.with_tumour.shape
    torch.Size([2, 1, 128])
    """
    n = _validate.positive_int("n", n)
    size = _validate.positive_int("size", size, minimum=2)
    z = tumour(size) if tumour_signal is None else _validate.tensor("tumour_signal", tumour_signal)
    if tuple(z.shape) != (1, 1, size) or z.is_complex():
        raise ValueError(f"tumour_signal must be a real tensor of shape (1, 1, {size}), got "
                         f"{tuple(z.shape)} ({z.dtype})")
    z = z.detach().float().cpu()
    low, high = max(0.0, -float(z.min())), 1.0 - max(0.0, float(z.max()))
    if not low < high:
        raise ValueError(f"tumour_signal spans {float(z.max() - z.min()):.3g}: no room left for a signal in [0, 1]")
    idx = [int(i) for i in tumour_indices]
    if any(not 0 <= i < n for i in idx):
        raise ValueError(f"tumour_indices must lie in [0, {n}), got {list(tumour_indices)!r}")
    x = piecewise_polynomial(n, size, degree=degree, jumps=jumps, seed=seed, value_range=(low, high))
    indices = torch.tensor(idx, dtype=torch.long)
    result = SignalSet(x, (x[indices] + z).clamp(0, 1), z, indices)   # clamp: float rounding only
    if device is not None:
        result = SignalSet(*(t.to(device) for t in result))
    return result
