"""Fourier-layout masks read as Walsh–Hadamard masks in sequency order.

The papers' Walsh–Hadamard (microscopy) patterns are dense near sequency 0, as Fourier
patterns are dense near DC; :func:`walsh_layout` carries any centred Fourier mask of this
package over to sequency order for :class:`tk_lessons.operators.SubsampledHadamard`.
"""

from __future__ import annotations

import torch

__all__ = ["walsh_layout"]


def walsh_layout(mask: torch.Tensor) -> torch.Tensor:
    """A centred Fourier-layout mask read as a Walsh–Hadamard mask in sequency order.

    The Walsh function of sequency ``2k`` oscillates like a cosine of frequency ``k``
    and that of sequency ``2k - 1`` like a sine of frequency ``k``; so frequency
    ``k >= 0`` (index ``N // 2 + k``) becomes sequency ``2k`` and frequency ``k < 0``
    becomes sequency ``2|k| - 1``, along each axis. The map is a bijection: the
    sample count stays exact, and a pattern dense near DC becomes one dense near
    sequency 0 (the top-left corner), as the multilevel Hadamard patterns of the papers.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.sampling import walsh_layout
    >>> mask = torch.zeros(8, dtype=torch.bool)
    >>> mask[3:6] = True                          # frequencies -1, 0, 1
    >>> walsh_layout(mask).nonzero().flatten().tolist()
    [0, 1, 2]
    """
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
    out = mask
    for axis, n in enumerate(mask.shape):
        s = torch.arange(n)
        centred = n // 2 + torch.where(s % 2 == 0, s // 2, -(s + 1) // 2)   # sequency s <- frequency index
        out = out.index_select(axis, centred.to(mask.device))
    return out
