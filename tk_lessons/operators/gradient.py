"""The discrete gradient with periodic boundary: the operator inside total variation."""

from __future__ import annotations

import math
from typing import Sequence

import torch

from .. import _validate
from .base import LinearOperator

__all__ = ["Gradient"]


class Gradient(LinearOperator):
    """Periodic forward differences ``(D x)_i = x_{i+1} - x_i`` along every axis.

    Parameters
    ----------
    size : int or tuple of int
        ``n`` for ``n x n`` images, ``(H, W)`` for images ``(B, 1, H, W)``, or ``(N,)``
        for signals ``(B, 1, N)``.

    Notes
    -----
    The range is ``(B, 2, H, W)`` for images (channel 0 vertical, channel 1
    horizontal differences) and ``(B, 1, N)`` for signals. The adjoint is minus
    the (backward-difference) divergence. Real and complex input are accepted.
    Each difference is diagonal in the Fourier basis with symbol
    ``exp(2 pi i k / n) - 1``, of modulus ``2 |sin(pi k / n)|``, which gives the
    exact norm: ``sqrt(8)`` for even image sizes, ``2`` for even signal lengths.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import Gradient
    >>> D = Gradient((4,))
    >>> D(torch.tensor([[[0.0, 1.0, 3.0, 6.0]]]))
    tensor([[[ 1.,  2.,  3., -6.]]])
    >>> round(Gradient(8).norm(), 6) == round(8 ** 0.5, 6)
    True
    """

    def __init__(self, size: int | Sequence[int]) -> None:
        shape = _validate.grid_size("size", size)
        super().__init__((1, *shape), (len(shape), *shape), domain_complex=True, range_complex=True)
        self._dims = tuple(range(-len(shape), 0))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.roll(x, -1, dims=d) - x for d in self._dims], dim=1)

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        # D^T y = y_{i-1} - y_i per axis: minus the backward-difference divergence
        return sum(torch.roll(y[:, c:c + 1], 1, dims=d) - y[:, c:c + 1] for c, d in enumerate(self._dims))

    def gram_symbol(self) -> torch.Tensor:
        """The symbol :math:`\\sum_{\\text{axes}} 4 \\sin^2(\\pi k / n)` of :math:`D^*D`.

        Float64, shape ``domain_shape``, unshifted (see :meth:`LinearOperator.gram_symbol`).
        """
        grid = self.domain_shape[1:]
        symbol = torch.zeros(grid, dtype=torch.float64, device=self.device)
        for axis, n in enumerate(grid):
            k = torch.arange(n, dtype=torch.float64, device=self.device)
            shape = [n if a == axis else 1 for a in range(len(grid))]
            symbol = symbol + (4 * torch.sin(math.pi * k / n) ** 2).reshape(shape)
        return symbol.reshape(self.domain_shape)

    def norm(self, **kwargs) -> float:
        """Exact norm from the Fourier symbol: ``sqrt(sum over axes of max_k 4 sin^2(pi k / n))``."""
        return math.sqrt(sum(max(4 * math.sin(math.pi * k / n) ** 2 for k in range(n))
                             for n in self.domain_shape[1:]))

    def extra_repr(self) -> str:
        return f"size={self.domain_shape[1:]}"
