"""Inpainting: observe only some pixels of a signal or image."""

from __future__ import annotations

import math

import torch

from .. import _validate
from .base import LinearOperator

__all__ = ["Inpainting"]


class Inpainting(LinearOperator):
    """Keep the pixels where ``mask`` is True; the measurements are packed as ``(B, m)``.

    ``A`` is a row selection of the identity, so ``A A^H = I`` and ``||A|| = 1``;
    ``A^H`` puts the kept pixels back and fills the others with zeros.

    Parameters
    ----------
    mask : torch.Tensor of bool, shape (N,) or (H, W)
        Observed pixels. A 1-D mask acts on signals ``(B, 1, N)``, a 2-D mask on
        images ``(B, 1, H, W)``.

    Notes
    -----
    The range is packed: ``A(x)`` has shape ``(B, m)`` with ``m = mask.sum()``, the
    kept pixels in the row-major order of ``mask.nonzero()``. Real and complex
    input are both accepted (selection is complex-linear).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import Inpainting
    >>> A = Inpainting(torch.tensor([True, False, True, True]))
    >>> A(torch.tensor([[[1.0, 2.0, 3.0, 4.0]]]))
    tensor([[1., 3., 4.]])
    >>> A.H(A(torch.tensor([[[1.0, 2.0, 3.0, 4.0]]])))
    tensor([[[1., 0., 3., 4.]]])
    """

    orthonormal_rows = True  # A A^H = I

    def __init__(self, mask: torch.Tensor) -> None:
        _validate.bool_mask("mask", mask, ndims=(1, 2))
        index = mask.flatten().nonzero().squeeze(1)
        super().__init__((1, *mask.shape), (index.shape[0],), domain_complex=True, range_complex=True)
        self.register_buffer("_mask", mask.detach().clone())
        self.register_buffer("_index", index)

    @property
    def mask(self) -> torch.Tensor:
        """The observed pixels, shape ``(N,)`` or ``(H, W)``."""
        return self._mask

    @property
    def m(self) -> int:
        """Number of observed pixels."""
        return self.range_shape[0]

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1).gather(1, self._index.expand(x.shape[0], -1))

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        x = torch.zeros(y.shape[0], math.prod(self.domain_shape), dtype=y.dtype, device=y.device)
        x.scatter_(1, self._index.expand(y.shape[0], -1), y)
        return x.reshape(y.shape[0], *self.domain_shape)

    def norm(self, **kwargs) -> float:
        """Exactly 1 (a row selection of the identity)."""
        return 1.0

    def extra_repr(self) -> str:
        return f"mask shape={tuple(self._mask.shape)}, m={self.m}"
