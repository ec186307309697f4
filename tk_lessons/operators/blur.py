"""Periodic Gaussian blur: a convolution, hence diagonal in the Fourier basis."""

from __future__ import annotations

from typing import Sequence

import torch

from .. import _validate
from .base import LinearOperator

__all__ = ["Blur"]


class Blur(LinearOperator):
    """Periodic (circular) convolution with a sampled Gaussian kernel of width ``sigma``.

    Convolution is diagonalised by the DFT: ``A x = ifft(transfer * fft(x))``. The
    kernel is symmetric, so the transfer function is real and ``A`` is symmetric
    (``A^T = A``). Its singular values are ``|transfer|``: they decay like
    ``exp(-2 pi^2 sigma^2 |k / N|^2)``, so blur is badly ill-conditioned.

    Parameters
    ----------
    size : int or tuple of int
        ``n`` for ``n x n`` images, ``(H, W)`` for images ``(B, 1, H, W)``, or ``(N,)``
        for signals ``(B, 1, N)``.
    sigma : float
        Standard deviation of the Gaussian in pixels, ``> 0``.

    Attributes
    ----------
    transfer : torch.Tensor of float64, shape (N,) or (H, W)
        The Fourier multiplier (eigenvalues of ``A``) in the uncentred FFT layout.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import Blur
    >>> A = Blur(16, sigma=1.5)
    >>> A(torch.rand(2, 1, 16, 16)).shape
    torch.Size([2, 1, 16, 16])
    >>> A.norm()                                # the kernel sums to 1
    1.0
    """

    def __init__(self, size: int | Sequence[int], sigma: float) -> None:
        shape = _validate.grid_size("size", size)
        self.sigma = _validate.positive("sigma", sigma)
        super().__init__((1, *shape), (1, *shape))
        # sampled Gaussian at the periodic distance to pixel 0, normalised to sum 1
        kernel = torch.ones(shape, dtype=torch.float64)
        for axis, n in enumerate(shape):
            i = torch.arange(n, dtype=torch.float64)
            d = torch.minimum(i, n - i)
            g = torch.exp(-d**2 / (2 * self.sigma**2))
            kernel = kernel * (g / g.sum()).reshape([n if a == axis else 1 for a in range(len(shape))])
        # an even kernel has a real DFT; dropping the round-off imaginary part keeps A exactly symmetric
        self.register_buffer("transfer", torch.fft.fftn(kernel).real)
        self.register_buffer("kernel", kernel)
        self._dims = tuple(range(-len(shape), 0))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        # rfft: x is real, so half of the spectrum suffices (twice as fast as a full fft)
        half = self.transfer[..., : self.domain_shape[-1] // 2 + 1].to(x.dtype)
        spectrum = torch.fft.rfftn(x, dim=self._dims)
        return torch.fft.irfftn(spectrum * half, s=self.domain_shape[1:], dim=self._dims)

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self._forward(y)                         # A is symmetric

    def _forward_reference(self, x: torch.Tensor) -> torch.Tensor:
        """``ifft(transfer * fft(x))``, literally (the fast path uses the half spectrum of a real ``x``)."""
        return torch.fft.ifftn(self.transfer.to(x.dtype) * torch.fft.fftn(x, dim=self._dims), dim=self._dims).real

    def gram_symbol(self) -> torch.Tensor:
        """``transfer ** 2`` (float64, shape ``domain_shape``): :math:`A^*A` multiplies the spectrum by it."""
        return (self.transfer.to(torch.float64) ** 2).reshape(self.domain_shape)

    def singular_values(self) -> torch.Tensor:
        """All singular values ``|transfer|``, sorted in descending order, shape ``(prod(size),)``."""
        return self.transfer.abs().flatten().sort(descending=True).values

    def norm(self, **kwargs) -> float:
        """Exactly ``max |transfer|`` (1 for a kernel that sums to 1)."""
        return float(self.transfer.abs().max())

    def extra_repr(self) -> str:
        return f"size={self.domain_shape[1:]}, sigma={self.sigma}"
