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

The modules, each re-exported here (``tk.sampling.<name>``):

* :mod:`~tk_lessons.sampling.random_masks`: :func:`uniform`, :func:`variable_density`,
  :func:`multilevel`;
* :mod:`~tk_lessons.sampling.lines`: :func:`cartesian`, :func:`radial`, :func:`lowpass`;
* :mod:`~tk_lessons.sampling.nesting`: :func:`nested` and its pattern families ``KINDS``;
* :mod:`~tk_lessons.sampling.symmetry`: :func:`symmetrise`;
* :mod:`~tk_lessons.sampling.walsh`: :func:`walsh_layout` (a Fourier mask in Walsh–Hadamard
  sequency order).

Examples
--------
>>> import tk_lessons as tk
>>> masks = tk.sampling.nested("uniform", (8, 8), [0.25, 0.5])
>>> [int(m.sum()) for m in masks], bool((masks[0] <= masks[1]).all())
([16, 32], True)
"""

from __future__ import annotations

from .lines import cartesian, lowpass, radial
from .nesting import KINDS, nested
from .random_masks import multilevel, uniform, variable_density
from .symmetry import symmetrise
from .walsh import walsh_layout

__all__ = ["KINDS", "cartesian", "lowpass", "multilevel", "nested", "radial", "symmetrise", "uniform",
           "variable_density", "walsh_layout"]
