"""The point-symmetric closure of a mask, for real images (Chapters 1, 3 and 4).

A real image's spectrum is point symmetric, so measuring a frequency also measures its mirror
image; :func:`symmetrise` adds the mirrored frequencies to a mask.
"""

from __future__ import annotations

import torch

from .. import _validate

__all__ = ["symmetrise"]


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
