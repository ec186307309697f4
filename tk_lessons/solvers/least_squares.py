"""Linear reconstructions: the pseudo-inverse and Tikhonov regularisation.

Both solve a linear system with the Hermitian positive semi-definite matrix
``A^H A (+ lam I)``. Conjugate gradients (:func:`~tk_lessons.solvers.cg`) only needs to
*apply* that matrix, so any operator works; when the operator says that ``A A^H = I``
(``A.orthonormal_rows``) or that ``A^H A`` is a Fourier multiplier (``A.gram_symbol()``),
the solution has a closed form.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import _validate
from .. import _batch
from ..operators.base import LinearOperator
from ._common import SolverInfo, check_problem, record
from .krylov import cg

__all__ = ["pinv", "tikhonov"]


def _least_squares_info(A: LinearOperator, y: torch.Tensor, lam: float) -> tuple[SolverInfo, Callable]:
    """An empty history and a callback that records ``½||Ax-y||² + ½ lam ||x||²`` and ``Ax - y``."""
    info = SolverInfo()

    def callback(x: torch.Tensor) -> None:
        residual = A(x) - y
        objective = 0.5 * _batch.sqnorm(residual) + 0.5 * lam * _batch.sqnorm(x)
        record(info, objective, residual)

    return info, callback


def pinv(A: LinearOperator, y: torch.Tensor, *, n_iter: int = 100, tol: float = 1e-10,
         return_info: bool = False) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    """Minimum-norm least-squares solution ``x = A^+ y`` (the Moore–Penrose pseudo-inverse).

    ``x`` minimises ``½ ||A x - y||²`` and, among all minimisers, has the smallest ``||x||``.
    When ``A A^H = I`` (``A.orthonormal_rows``, e.g. subsampled Fourier), ``A^+ = A^H``
    exactly. Otherwise we run conjugate gradients on the normal equations
    ``A^H A x = A^H y`` started from ``x = 0`` (CGLS): every iterate lies in the range
    of ``A^H``, the orthogonal complement of the kernel, so for underdetermined problems
    CG converges to the minimum-norm solution, and for overdetermined ones to the
    least-squares solution.

    Parameters
    ----------
    A : LinearOperator
        Forward operator.
    y : torch.Tensor, shape ``(B, *A.range_shape)``
        Measurements.
    n_iter : int
        Maximal number of CG iterations.
    tol : float
        CG stops for an item once ``||A^H (y - A x)|| <= tol * ||A^H y||``.
    return_info : bool
        Also return a :class:`SolverInfo` with ``½||Ax - y||²`` and ``||Ax - y||`` per iteration
        (costs one extra ``A`` per iteration).

    Returns
    -------
    x_rec : torch.Tensor, shape ``(B, *A.domain_shape)``
        Complex when ``A.H`` returns complex images (Fourier).
    info : SolverInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 1.0]], dtype=torch.float64))
    >>> pinv(A, torch.tensor([[2.0]], dtype=torch.float64))      # the shortest x with x1 + x2 = 2
    tensor([[1., 1.]], dtype=torch.float64)
    """
    check_problem(A, y)
    n_iter = _validate.positive_int("n_iter", n_iter)
    tol = _validate.positive("tol", tol, allow_zero=True)
    info, callback = _least_squares_info(A, y, 0.0) if return_info else (None, None)
    if A.orthonormal_rows:
        x = A.adjoint(y)                                  # A^+ = A^H when A A^H = I
        if callback is not None:
            callback(x)
            info.n_iter = 0                           # a closed form: no iterations
    else:
        x = cg(lambda v: A.adjoint(A(v)), A.adjoint(y), n_iter=n_iter, tol=tol, callback=callback)
    return (x, info) if return_info else x


def tikhonov(A: LinearOperator, y: torch.Tensor, lam: float, *, method: str = "auto", n_iter: int = 100,
             tol: float = 1e-10, return_info: bool = False) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    """Tikhonov-regularised least squares (ridge regression).

    Minimises, for each item of the batch,

        ½ ||A x - y||² + ½ lam ||x||²,

    whose unique minimiser (for ``lam > 0``) solves ``(A^H A + lam I) x = A^H y``.
    Closed forms (``method="auto"`` uses them when available):

    * ``A A^H = I`` (``A.orthonormal_rows``: subsampled Fourier, Hadamard, inpainting):
      ``x = A^H y / (1 + lam)``. For ``A = P F`` (Fourier) ``A^H A = F^H diag(mask) F``, so
      this is ``x = F^H [(P^T y) / (mask + lam)]``: mask = 1 on the sampled frequencies,
      where ``P^T y`` lives.
    * ``A^H A = F^H diag(s) F`` a Fourier multiplier (``A.gram_symbol()`` is ``s``, e.g. a
      :class:`~tk_lessons.operators.Blur`, ``s = t²`` for its transfer function ``t``):
      ``x = F^H [F (A^H y) / (s + lam)]``.

    Otherwise (or with ``method="cg"``) conjugate gradients solves the normal equations.
    ``lam = 0`` gives the minimum-norm least-squares solution, :func:`pinv`.

    Parameters
    ----------
    A : LinearOperator
        Forward operator.
    y : torch.Tensor, shape ``(B, *A.range_shape)``
        Measurements.
    lam : float >= 0
        Regularisation weight.
    method : {"auto", "closed", "cg"}
        ``"closed"`` insists on a closed form (ValueError if ``A`` has none), ``"cg"`` always
        iterates.
    n_iter, tol : int, float
        CG iterations and relative tolerance (as in :func:`cg`).
    return_info : bool
        Also return a :class:`SolverInfo` with the objective and ``||Ax - y||`` per iteration.

    Returns
    -------
    x_rec : torch.Tensor, shape ``(B, *A.domain_shape)``
        Complex when ``A.H`` returns complex images (Fourier).
    info : SolverInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import Blur
    >>> A = Blur(16, sigma=1.0)
    >>> y = A(torch.rand(1, 1, 16, 16, dtype=torch.float64))
    >>> x = tikhonov(A, y, 1e-3)                                  # closed form
    >>> torch.allclose(x, tikhonov(A, y, 1e-3, method="cg", n_iter=300))
    True
    """
    check_problem(A, y)
    lam = _validate.positive("lam", lam, allow_zero=True)
    method = _validate.choice("method", method, ("auto", "closed", "cg"))
    n_iter = _validate.positive_int("n_iter", n_iter)
    tol = _validate.positive("tol", tol, allow_zero=True)
    symbol = None if A.orthonormal_rows else A.gram_symbol()
    closed = A.orthonormal_rows or symbol is not None
    if method == "closed" and not closed:
        raise ValueError(f"method='closed' needs an operator with A A^H = I (A.orthonormal_rows) or a "
                         f"Fourier-multiplier A^H A (A.gram_symbol()), got {type(A).__name__}")
    if lam == 0 and method != "cg":
        return pinv(A, y, n_iter=n_iter, tol=tol, return_info=return_info)
    info, callback = _least_squares_info(A, y, lam) if return_info else (None, None)

    if method != "cg" and A.orthonormal_rows:
        x = A.adjoint(y) / (1 + lam)
    elif method != "cg" and symbol is not None:
        x = _fourier_solve(A, y, symbol, lam)
    else:
        x = cg(lambda v: A.adjoint(A(v)) + lam * v, A.adjoint(y), n_iter=n_iter, tol=tol, callback=callback)
        return (x, info) if return_info else x
    if callback is not None:                              # closed form: one record, no iterations
        callback(x)
        info.n_iter = 0
    return (x, info) if return_info else x


def _fourier_solve(A: LinearOperator, y: torch.Tensor, symbol: torch.Tensor, lam: float) -> torch.Tensor:
    """``(A^H A + lam I)^{-1} A^H y`` for ``A^H A`` with Fourier symbol ``symbol`` (over the domain's axes).

    In double precision, cast back at the end: dividing by ``s + lam`` amplifies the rounding
    errors of ``A^H y`` by up to ``1 / lam``.
    """
    single = (y.real if y.is_complex() else y).dtype != torch.float64
    b = A.adjoint(y.to(torch.complex128 if y.is_complex() else torch.float64))
    dims = tuple(range(1, b.ndim))
    spectrum = torch.fft.fftn(b, dim=dims) / (symbol.to(device=b.device, dtype=torch.float64) + lam)
    x = torch.fft.ifftn(spectrum, dim=dims)
    if not b.is_complex():
        x = x.real
    # back to the dtype A^H y has in y's precision
    return x.to(torch.complex64 if x.is_complex() else torch.float32) if single else x
