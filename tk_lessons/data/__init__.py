"""Data for the course, generated on the fly: phantoms, random ellipses, 1-D signals and details.

Nothing is downloaded. Random data take a ``seed`` and data sets seed item ``i``
from ``(seed, i)``, so every item is reproducible on its own.
"""

from .details import blob, text
from .phantoms import EllipsesDataset, ellipses, shepp_logan
from .signals import SignalSet, piecewise_polynomial, signal_dataset, tumour

__all__ = [
    "shepp_logan",
    "ellipses",
    "EllipsesDataset",
    "piecewise_polynomial",
    "tumour",
    "signal_dataset",
    "SignalSet",
    "text",
    "blob",
]
