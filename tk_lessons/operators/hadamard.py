"""The fast Walsh–Hadamard transform and subsampled Hadamard sampling (single-pixel imaging).

The orthonormal Hadamard matrix of size ``N = 2^k`` is ``H_N = H_2 ⊗ ... ⊗ H_2 / sqrt(N)``
with ``H_2 = [[1, 1], [1, -1]]`` (the *natural*, Sylvester ordering, as
``scipy.linalg.hadamard``). In *sequency* ordering its rows are sorted by their
number of sign changes, the Walsh analogue of frequency: row 0 is constant, and
low sequencies play the role of low frequencies.
"""

from __future__ import annotations

import math

import torch

from .. import _validate
from .base import LinearOperator

__all__ = ["SubsampledHadamard", "fwht", "sequency_permutation"]

_ORDERINGS = ("sequency", "natural")


def _check_power_of_two(name: str, n: int) -> None:
    if n < 1 or n & (n - 1):
        raise ValueError(f"{name} must have power-of-two length(s) for the Hadamard transform, got {n}")


def _check_ordering(ordering: str) -> None:
    if ordering not in _ORDERINGS:
        raise ValueError(f"ordering must be 'sequency' or 'natural', got {ordering!r}")


def sequency_permutation(size: int) -> torch.Tensor:
    """Natural-order index of the Walsh function with sequency ``s = 0, ..., size - 1``.

    Parameters
    ----------
    size : int
        Length of the transform, a power of two.

    Returns
    -------
    torch.Tensor of int64, shape (size,)
        ``perm[s]`` is the row of the natural-order Hadamard matrix that has ``s``
        sign changes: the bit reversal of the Gray code of ``s``.

    Examples
    --------
    >>> sequency_permutation(8).tolist()
    [0, 4, 6, 2, 3, 7, 5, 1]
    """
    _check_power_of_two("size", size)
    bits = size.bit_length() - 1
    s = torch.arange(size)
    gray = s ^ (s >> 1)
    reversed_ = torch.zeros_like(gray)
    for b in range(bits):
        reversed_ |= ((gray >> b) & 1) << (bits - 1 - b)
    return reversed_


def fwht(x: torch.Tensor, dim: int = -1, *, ordering: str = "sequency") -> torch.Tensor:
    """Orthonormal fast Walsh–Hadamard transform of ``x`` along ``dim``.

    ``log2(N)`` butterfly stages ``(a, b) -> (a + b, a - b)``, ``O(N log N)`` work,
    pure torch (differentiable, any device, real or complex). The transform is
    symmetric and orthogonal; in natural ordering it is its own inverse.

    Parameters
    ----------
    x : torch.Tensor, shape (..., N, ...)
        Input; ``N = x.shape[dim]`` must be a power of two.
    dim : int
        The dimension to transform.
    ordering : {"sequency", "natural"}
        Order of the output coefficients: by number of sign changes (default) or
        the natural (Sylvester, ``scipy.linalg.hadamard``) order.

    Returns
    -------
    torch.Tensor, same shape and dtype as ``x``

    Examples
    --------
    >>> import torch
    >>> fwht(torch.ones(4))                      # a constant has only sequency 0
    tensor([2., 0., 0., 0.])
    """
    _validate.tensor("x", x)
    _check_ordering(ordering)
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"dim must be in [{-x.ndim}, {x.ndim - 1}] for x of shape {tuple(x.shape)}, got {dim}")
    n = x.shape[dim]
    _check_power_of_two("x", n)
    y = x.movedim(dim, -1)
    batch = y.shape[:-1]
    h = 1
    while h < n:
        # pair entry i with entry i + h inside blocks of length 2h
        pairs = y.reshape(*batch, n // (2 * h), 2, h)
        a, b = pairs[..., 0, :], pairs[..., 1, :]
        y = torch.stack((a + b, a - b), dim=-2)
        h *= 2
    y = y.reshape(*batch, n) / math.sqrt(n)
    if ordering == "sequency":
        y = y[..., sequency_permutation(n).to(y.device)]
    return y.movedim(-1, dim)


class SubsampledHadamard(LinearOperator):
    """Orthonormal Walsh–Hadamard transform followed by sampling on a mask; output ``(B, m)``.

    In 2-D the transform is separable: ``H_H X H_W^T`` on an ``H x W`` image.

    Parameters
    ----------
    mask : torch.Tensor of bool, shape (N,) or (H, W)
        Sampled Hadamard coefficients, sizes powers of two. With the default
        sequency ordering index 0 is the constant function and low sequencies
        come first (top-left in 2-D).
    ordering : {"sequency", "natural"}
        The layout the mask refers to.

    Notes
    -----
    Real domain (``(B, 1, N)`` or ``(B, 1, H, W)``), real range ``(B, m)``: the
    sampled coefficients in the row-major order of ``mask.nonzero()``. The rows of
    ``A`` are orthonormal, so ``A A^T = I`` and ``||A|| = 1``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import SubsampledHadamard
    >>> mask = torch.zeros(8, 8, dtype=torch.bool)
    >>> mask[:4, :4] = True                      # the 16 lowest sequencies
    >>> A = SubsampledHadamard(mask)
    >>> A(torch.rand(2, 1, 8, 8)).shape
    torch.Size([2, 16])
    """

    orthonormal_rows = True  # A A^H = I

    def __init__(self, mask: torch.Tensor, *, ordering: str = "sequency") -> None:
        _validate.bool_mask("mask", mask, ndims=(1, 2))
        _check_ordering(ordering)
        shape = tuple(mask.shape)
        if any(n & (n - 1) for n in shape):
            raise ValueError(f"mask must have power-of-two sizes for the Hadamard transform, got shape {shape}")
        selected = mask.nonzero()                            # (m, d), row-major order
        super().__init__((1, *shape), (selected.shape[0],))
        # Transform in natural order (cheap) and read the wanted coefficients at their
        # natural-order positions, instead of permuting the whole grid.
        index = torch.zeros(selected.shape[0], dtype=torch.long)
        for axis, n in enumerate(shape):
            rows = selected[:, axis]
            if ordering == "sequency":
                rows = sequency_permutation(n)[rows]
            index = index * n + rows
        self.register_buffer("_mask", mask.detach().clone())
        self.register_buffer("_index", index)
        self.ordering = ordering

    @property
    def mask(self) -> torch.Tensor:
        """The sampling mask, shape ``(N,)`` or ``(H, W)``."""
        return self._mask

    @property
    def m(self) -> int:
        """Number of measurements (True entries of the mask)."""
        return self.range_shape[0]

    def _transform(self, x: torch.Tensor) -> torch.Tensor:
        # natural-order H is symmetric and orthogonal: it is its own adjoint and inverse
        for dim in range(-(len(self.domain_shape) - 1), 0):
            x = fwht(x, dim, ordering="natural")
        return x

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        coeffs = self._transform(x).reshape(x.shape[0], -1)
        return coeffs.gather(1, self._index.expand(x.shape[0], -1))

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        coeffs = torch.zeros(y.shape[0], math.prod(self.domain_shape), dtype=y.dtype, device=y.device)
        coeffs.scatter_(1, self._index.expand(y.shape[0], -1), y)
        return self._transform(coeffs.reshape(y.shape[0], *self.domain_shape))

    def _forward_reference(self, x: torch.Tensor) -> torch.Tensor:
        """``(H_H X H_W^T)[mask]`` with the dense Hadamard matrices ``H_2 ⊗ ... ⊗ H_2 / sqrt(N)``,
        rows in the mask's ordering (the fast path transforms in natural order and reads the
        wanted entries at their natural positions)."""
        out = x[:, 0]
        for axis, n in enumerate(self._mask.shape):
            H = torch.ones(1, 1, dtype=torch.float64)
            while H.shape[0] < n:
                H = torch.kron(H, torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=torch.float64))
            H = H / math.sqrt(n)
            if self.ordering == "sequency":
                H = H[sequency_permutation(n)]
            out = torch.movedim(torch.tensordot(out, H.to(x.dtype).to(x.device), dims=([axis + 1], [1])), -1,
                                axis + 1)
        return out[:, self._mask]

    def norm(self, **kwargs) -> float:
        """Exactly 1: the rows of ``A`` are orthonormal."""
        return 1.0

    def extra_repr(self) -> str:
        return f"mask shape={tuple(self._mask.shape)}, m={self.m}, ordering={self.ordering!r}"
