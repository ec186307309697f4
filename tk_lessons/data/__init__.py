"""Data for the course, generated on the fly: phantoms, random ellipses and heads, 1-D signals and details.

Nothing is downloaded. Random data take a ``seed`` and data sets seed item ``i``
from ``(seed, i)``, so every item is reproducible on its own.
"""

from .details import blob, text
from .heads import HeadsDataset, random_head
from .phantoms import EllipsesDataset, ellipses, shepp_logan
from .signals import SignalSet, piecewise_polynomial, signal_dataset, tumour

__all__ = [
    "shepp_logan",
    "ellipses",
    "EllipsesDataset",
    "random_head",
    "HeadsDataset",
    "piecewise_polynomial",
    "tumour",
    "signal_dataset",
    "SignalSet",
    "text",
    "blob",
]
