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

__all__ = ["SubsampledFourier"]


def _flat_index(indices: list[torch.Tensor], shape: tuple[int, ...]) -> torch.Tensor:
    """Row-major flat index of the multi-indices ``indices`` (one tensor per axis) in ``shape``."""
    flat = torch.zeros_like(indices[0])
    for index, n in zip(indices, shape):
        flat = flat * n + index
    return flat


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
        freqs = [(selected[:, axis] - n // 2) % n for axis, n in enumerate(shape)]   # uncentred indices
        angle = sum(2 * math.pi * (f * (n // 2) % n).double() / n for f, n in zip(freqs, shape))   # k = f mod n
        # Real input has a Hermitian spectrum, X[-k] = conj(X[k]): rfft computes only the half
        # with last index <= N // 2 (twice as fast); the other entries are conjugates of the mirrored ones.
        conjugate = freqs[-1] > shape[-1] // 2
        mirrored = [torch.where(conjugate, -f % n, f) for f, n in zip(freqs, shape)]
        self.register_buffer("_mask", mask.detach().clone())
        self.register_buffer("_index", _flat_index(freqs, shape))
        self.register_buffer("_half_index", _flat_index(mirrored, (*shape[:-1], shape[-1] // 2 + 1)))
        self.register_buffer("_conjugate", conjugate)
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

    def _phases(self, dtype: torch.dtype, conjugate: bool = False) -> torch.Tensor:
        # Made once per (dtype, device): at batch size 1 these small conversions are a
        # visible share of the cost of a 128 x 128 FFT.
        key = (dtype, self._phase.device, conjugate)
        cache = self.__dict__.setdefault("_phase_cache", {})
        if key not in cache:
            real = torch.float64 if dtype == torch.complex128 else torch.float32
            phase = torch.view_as_complex(self._phase.to(real).contiguous())
            cache[key] = phase.conj().resolve_conj() if conjugate else phase
        return cache[key]

    # gather/scatter along dim 1 are ~3x faster than advanced indexing k_space[:, index]
    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        if x.is_complex():
            k_space = torch.fft.fftn(x, dim=self._dims, norm="ortho").reshape(batch, -1)
            y = k_space.gather(1, self._index.expand(batch, -1))
        else:
            half = torch.fft.rfftn(x, dim=self._dims, norm="ortho").reshape(batch, -1)
            y = half.gather(1, self._half_index.expand(batch, -1))
            y = torch.where(self._conjugate, y.conj(), y)
        return y * self._phases(y.dtype)

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        if not y.is_complex():
            y = y.to(torch.complex128 if y.dtype == torch.float64 else torch.complex64)
        batch = y.shape[0]
        k_space = torch.zeros(batch, math.prod(self.domain_shape), dtype=y.dtype, device=y.device)
        k_space.scatter_(1, self._index.expand(batch, -1), y * self._phases(y.dtype, conjugate=True))
        k_space = k_space.reshape(batch, *self.domain_shape)        # zero-filled k-space
        return torch.fft.ifftn(k_space, dim=self._dims, norm="ortho")

    # -- the formulas, literally (slow: the fast paths above must agree with these) --------------
    def _forward_reference(self, x: torch.Tensor) -> torch.Tensor:
        """``P_Omega F x`` with ``F x = fftshift(fftn(ifftshift(x), norm="ortho"))``."""
        k_space = torch.fft.fftshift(torch.fft.fftn(torch.fft.ifftshift(x, dim=self._dims), dim=self._dims,
                                                    norm="ortho"), dim=self._dims)
        return k_space[:, 0][:, self._mask]               # row-major order of mask.nonzero()

    def _adjoint_reference(self, y: torch.Tensor) -> torch.Tensor:
        """``F^H P_Omega^T y``: zero-filled k-space, then the inverse centred DFT."""
        k_space = torch.zeros(y.shape[0], *self._mask.shape, dtype=torch.promote_types(y.dtype, torch.complex64),
                              device=y.device)
        k_space[:, self._mask] = y
        x = torch.fft.fftshift(torch.fft.ifftn(torch.fft.ifftshift(k_space, dim=self._dims), dim=self._dims,
                                               norm="ortho"), dim=self._dims)
        return x[:, None]

    def gram_symbol(self) -> torch.Tensor:
        """The mask moved to the unshifted FFT layout, as float64 of shape ``domain_shape``.

        :math:`A^*A = F_c^* \\mathrm{diag}(\\text{mask}) F_c` with the centred DFT :math:`F_c`; the
        centring shifts commute with circulant matrices, so with the plain FFT
        :math:`A^*A = F^* \\mathrm{diag}(\\mathrm{ifftshift}(\\text{mask})) F`.
        """
        return torch.fft.ifftshift(self._mask.to(torch.float64)).reshape(self.domain_shape)

    def zero_fill(self, y: torch.Tensor) -> torch.Tensor:
        """Zero-filled reconstruction ``A^H y`` (the same as :meth:`adjoint`), shape ``(B, 1, *mask.shape)``."""
        return self.adjoint(y)

    def norm(self, **kwargs) -> float:
        """Exactly 1: the rows of ``A`` are orthonormal."""
        return 1.0

    def extra_repr(self) -> str:
        return f"mask shape={tuple(self._mask.shape)}, m={self.m}"
