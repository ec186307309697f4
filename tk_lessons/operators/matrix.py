"""Operators given by an explicit matrix."""

from __future__ import annotations

from typing import Sequence

import torch

from .. import _validate
from .base import LinearOperator

__all__ = ["MatrixOperator"]


class MatrixOperator(LinearOperator):
    """``y = M x`` for a dense matrix ``M`` of shape ``(m, n)`` acting on flattened inputs.

    Parameters
    ----------
    matrix : torch.Tensor, shape (m, n)
        Real or complex matrix.
    domain_shape : sequence of int, optional
        Shape of one input (product ``n``); default ``(n,)``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
    >>> A(torch.ones(1, 2))
    tensor([[1., 2.]])
    """

    def __init__(self, matrix: torch.Tensor, domain_shape: Sequence[int] | None = None) -> None:
        _validate.tensor("matrix", matrix)
        if matrix.ndim != 2:
            raise ValueError(f"matrix must be 2-D (m, n), got shape {tuple(matrix.shape)}")
        m, n = matrix.shape
        domain_shape = (n,) if domain_shape is None else tuple(domain_shape)
        if torch.Size(domain_shape).numel() != n:
            raise ValueError(f"domain_shape {domain_shape} has {torch.Size(domain_shape).numel()} entries, "
                             f"but matrix has n = {n} columns")
        complex_ = matrix.is_complex()
        # A real matrix acts complex-linearly on complex input too; a complex one needs complex input.
        super().__init__(domain_shape, (m,), domain_complex=True, range_complex=True)
        self.register_buffer("matrix", matrix)
        self._complex_matrix = complex_

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1)
        mat = self.matrix
        if flat.is_complex() or mat.is_complex():
            dtype = torch.promote_types(flat.dtype, mat.dtype)
            if not dtype.is_complex:
                dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
            flat, mat = flat.to(dtype), mat.to(dtype)
        else:
            mat = mat.to(flat.dtype)
        return flat @ mat.T

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        mat = self.matrix
        if y.is_complex() or mat.is_complex():
            dtype = torch.promote_types(y.dtype, mat.dtype)
            if not dtype.is_complex:
                dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
            y, mat = y.to(dtype), mat.to(dtype)
        else:
            mat = mat.to(y.dtype)
        return (y @ mat.conj()).reshape(y.shape[0], *self.domain_shape)

    def norm(self, **kwargs) -> float:
        """The largest singular value of the matrix (computed once, then cached)."""
        if "_norm" not in self.__dict__:
            wide = torch.complex128 if self.matrix.is_complex() else torch.float64
            self.__dict__["_norm"] = float(torch.linalg.matrix_norm(self.matrix.to(wide), 2))
        return self.__dict__["_norm"]

    def to_dense(self, dtype: torch.dtype | None = None) -> torch.Tensor:
        return self.matrix if dtype is None else self.matrix.to(dtype)
