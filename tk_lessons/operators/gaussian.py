"""Dense Gaussian random matrices: the standard compressed-sensing operator."""

from __future__ import annotations

import math
from typing import Sequence

import torch

from .. import _validate
from .. import device as _device
from .matrix import MatrixOperator

__all__ = ["GaussianMatrix"]


class GaussianMatrix(MatrixOperator):
    """A random ``m x n`` matrix with independent N(0, 1/m) entries.

    The scaling makes ``E ||A x||^2 = ||x||^2``; the norm is close to
    ``1 + sqrt(n / m)`` (Marchenko–Pastur) for large sizes.

    Parameters
    ----------
    m : int
        Number of measurements (rows), ``m >= 1``.
    n : int
        Signal length (columns), ``n >= 1``.
    seed : int or torch.Generator, optional
        Seed of the draw, which is made on the CPU so that every device gets the
        same matrix. Default 0.
    complex : bool, optional
        Complex entries with independent real and imaginary parts, ``E|a_ij|^2 = 1/m``.
    domain_shape : sequence of int, optional
        Shape of one input (product ``n``), e.g. ``(1, 8, 8)``; default ``(n,)``.

    Notes
    -----
    The matrix is stored in float32 (complex64) and cast to the input's precision.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import GaussianMatrix
    >>> A = GaussianMatrix(20, 64, seed=1, domain_shape=(1, 8, 8))
    >>> A(torch.rand(3, 1, 8, 8)).shape
    torch.Size([3, 20])
    """

    def __init__(self, m: int, n: int, seed: _device.Seed = 0, *, complex: bool = False,
                 domain_shape: Sequence[int] | None = None) -> None:
        m = _validate.positive_int("m", m)
        n = _validate.positive_int("n", n)
        _validate.flag("complex", complex)
        dtype = torch.complex64 if complex else torch.float32
        # torch's complex normal already has E|z|^2 = 1 (variance 1/2 per part)
        matrix = torch.randn(m, n, generator=_device.generator(seed), dtype=dtype) / math.sqrt(m)
        super().__init__(matrix, domain_shape=domain_shape)

    def extra_repr(self) -> str:
        return f"m={self.matrix.shape[0]}, n={self.matrix.shape[1]}, dtype={self.matrix.dtype}"
