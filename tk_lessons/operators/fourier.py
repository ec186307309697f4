"""Subsampled Fourier sampling ``A = P_Omega F``: the MRI forward model.

``F`` is the unitary *centred* discrete Fourier transform,
``F x = fftshift(fft(ifftshift(x), norm="ortho"))``, so the zero frequency sits in
the middle of k-space (index ``N // 2``), where sampling masks are drawn.
``P_Omega`` keeps the entries where the mask is True and packs them into a
vector. The rows of ``A`` are orthonormal: ``A A^H = I`` and ``||A|| = 1``.
"""

from __future__ import annotations

import math

import torch

from .. import _validate
from .base import LinearOperator


class SubsampledFourier(LinearOperator):
    """Unitary centred DFT followed by sampling on a mask; measurements packed as ``(B, m)``.

    Parameters
    ----------
    mask : torch.Tensor of bool, shape (N,) or (H, W)
        Sampled frequencies in the centred layout (zero frequency at index ``N // 2``,
        the layout after ``fftshift``). A 1-D mask gives an operator on signals
        ``(B, 1, N)``, a 2-D mask one on images ``(B, 1, H, W)``.

    Notes
    -----
    Domain and range are complex; real input is accepted and promoted. The
    measurements ``y = A(x)`` have shape ``(B, m)``: the sampled coefficients in
    the row-major order of ``mask.nonzero()``. ``A.H(y)`` (= :meth:`zero_fill`)
    puts them back on the grid, fills the rest with zeros and inverts ``F``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import SubsampledFourier
    >>> mask = torch.zeros(8, 8, dtype=torch.bool)
    >>> mask[2:6, :] = True                      # the 4 central rows of k-space
    >>> A = SubsampledFourier(mask)
    >>> y = A(torch.rand(2, 1, 8, 8))
    >>> y.shape, y.dtype
    (torch.Size([2, 32]), torch.complex64)
    >>> A.H(y).shape
    torch.Size([2, 1, 8, 8])
    """

    orthonormal_rows = True  # A A^H = I

    def __init__(self, mask: torch.Tensor) -> None:
        _validate.bool_mask("mask", mask, ndims=(1, 2))
        shape = tuple(mask.shape)
        selected = mask.nonzero()                            # (m, d), row-major order
        super().__init__((1, *shape), (selected.shape[0],), domain_complex=True, range_complex=True)

        # The centred DFT at centred index p is the plain DFT at frequency k = p - s
        # (s = N // 2) times the phase exp(2 pi i k s / N) from moving the origin by s.
        # So we take one plain FFT, read the m wanted entries and fix their phases:
        # no fftshift/ifftshift copies of the whole grid, on the way in or out.
        index = torch.zeros(selected.shape[0], dtype=torch.long)
        angle = torch.zeros(selected.shape[0], dtype=torch.float64)
        for axis, n in enumerate(shape):
            s = n // 2
            k = selected[:, axis] - s                        # signed frequency
            index = index * n + k % n                        # flat index in the uncentred FFT
            angle += 2 * math.pi * (k * s % n).double() / n
        self.register_buffer("_mask", mask.detach().clone())
        self.register_buffer("_index", index)
        # (re, im) pairs, so that Module.to(dtype) keeps a valid (real) buffer
        self.register_buffer("_phase", torch.stack((torch.cos(angle), torch.sin(angle)), dim=-1))
        self._dims = tuple(range(-len(shape), 0))

    @property
    def mask(self) -> torch.Tensor:
        """The sampling mask (centred layout), shape ``(N,)`` or ``(H, W)``."""
        return self._mask

    @property
    def m(self) -> int:
        """Number of measurements (True entries of the mask)."""
        return self.range_shape[0]

    def _phases(self, dtype: torch.dtype) -> torch.Tensor:
        real = torch.float64 if dtype == torch.complex128 else torch.float32
        return torch.view_as_complex(self._phase.to(real))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        k_space = torch.fft.fftn(x, dim=self._dims, norm="ortho").reshape(x.shape[0], -1)
        y = k_space[:, self._index]
        return y * self._phases(y.dtype)

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        if not y.is_complex():
            y = y.to(torch.complex128 if y.dtype == torch.float64 else torch.complex64)
        k_space = torch.zeros(y.shape[0], math.prod(self.domain_shape), dtype=y.dtype, device=y.device)
        k_space[:, self._index] = y * self._phases(y.dtype).conj()   # zero filling
        k_space = k_space.reshape(y.shape[0], *self.domain_shape)
        return torch.fft.ifftn(k_space, dim=self._dims, norm="ortho")

    def zero_fill(self, y: torch.Tensor) -> torch.Tensor:
        """Zero-filled reconstruction ``A^H y`` (the same as :meth:`adjoint`), shape ``(B, 1, *mask.shape)``."""
        return self.adjoint(y)

    def norm(self, **kwargs) -> float:
        """Exactly 1: the rows of ``A`` are orthonormal."""
        return 1.0

    def extra_repr(self) -> str:
        return f"mask shape={tuple(self._mask.shape)}, m={self.m}"
