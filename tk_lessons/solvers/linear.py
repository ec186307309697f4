"""Linear reconstructions: conjugate gradients, the pseudo-inverse and Tikhonov regularisation.

All three solve a linear system with the Hermitian positive semi-definite matrix
``A^H A (+ lam I)``. Conjugate gradients only needs to *apply* that matrix, so any
operator works; for operators whose ``A^H A`` is diagonal in a known basis the solution
has a closed form.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import _validate
from ..operators.base import LinearOperator
from ..operators.blur import Blur
from ._common import SolverInfo, batch_norm, batch_sum, check_problem, expand, record

__all__ = ["cg", "pinv", "tikhonov"]


def _dot(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Per-item real inner product ``Re sum(conj(u) v)``, shape ``(B,)`` (complex-aware)."""
    return batch_sum((u.conj() * v).real)


def cg(apply: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, *, x0: torch.Tensor | None = None,
       n_iter: int = 100, tol: float = 1e-10,
       callback: Callable[[torch.Tensor], None] | None = None) -> torch.Tensor:
    """Solve ``M x = b`` by conjugate gradients, for a Hermitian positive semi-definite ``M``.

    Each item of the batch is its own system: an item stops changing once its residual
    satisfies ``||b - M x|| <= tol * ||b||``, and the loop ends when every item has.
    Started from ``x0 = 0`` on a consistent singular system, the iterates stay in the range
    of ``M``, so CG converges to the minimum-norm solution.

    Parameters
    ----------
    apply : callable
        ``x -> M x`` on a batch; ``M`` must be Hermitian positive semi-definite.
    b : torch.Tensor, shape (B, ...)
        Right-hand sides, real or complex.
    x0 : torch.Tensor, shape like ``b``, optional
        Starting point (default 0).
    n_iter : int
        Maximal number of iterations.
    tol : float
        Relative residual at which an item stops.
    callback : callable, optional
        Called with the current ``x`` after each iteration.

    Returns
    -------
    x : torch.Tensor, shape like ``b``

    Examples
    --------
    >>> import torch
    >>> M = torch.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
    >>> x = cg(lambda v: v @ M, torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    >>> torch.allclose(x @ M, torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    True
    """
    if not callable(apply):
        raise TypeError(f"apply must be a callable x -> M x, got {type(apply).__name__}")
    _validate.tensor("b", b)
    n_iter = _validate.positive_int("n_iter", n_iter)
    tol = _validate.positive("tol", tol, allow_zero=True)
    if x0 is not None and tuple(_validate.tensor("x0", x0).shape) != tuple(b.shape):
        raise ValueError(f"x0 must have the shape of b, {tuple(b.shape)}, got {tuple(x0.shape)}")

    tiny = torch.finfo(b.real.dtype).tiny
    x = torch.zeros_like(b) if x0 is None else x0.to(b.dtype)
    r = b if x0 is None else b - apply(x)                # residual b - M x
    p = r
    rr = _dot(r, r)
    stop = tol * batch_norm(b)
    for _ in range(n_iter):
        active = rr.sqrt() > stop                        # items still iterating
        if not bool(active.any()):
            break
        Mp = apply(p)
        # alpha = |r|^2 / <p, M p>; converged items get alpha = 0 and so keep their x
        alpha = torch.where(active, rr / torch.clamp(_dot(p, Mp), min=tiny), torch.zeros_like(rr))
        x = x + expand(alpha, x) * p
        r = r - expand(alpha, r) * Mp
        rr_new = _dot(r, r)
        beta = torch.where(active, rr_new / torch.clamp(rr, min=tiny), torch.zeros_like(rr))
        p = r + expand(beta, p) * p
        rr = rr_new
        if callback is not None:
            callback(x)
    return x


def _least_squares_info(A: LinearOperator, y: torch.Tensor, lam: float) -> tuple[SolverInfo, Callable]:
    """An empty history and a callback that records ``½||Ax-y||² + ½ lam ||x||²`` and ``Ax - y``."""
    info = SolverInfo()

    def callback(x: torch.Tensor) -> None:
        residual = A(x) - y
        objective = 0.5 * batch_norm(residual) ** 2 + 0.5 * lam * batch_norm(x) ** 2
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
    y : torch.Tensor, shape (B, *A.range_shape)
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
    x : torch.Tensor, shape (B, *A.domain_shape)
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
            info.iterations = 0                           # a closed form: no iterations
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
    * :class:`~tk_lessons.operators.Blur` (``A = F^H diag(t) F`` with the real transfer
      function ``t``): ``x = F^H [t F y / (t² + lam)]``.

    Otherwise (or with ``method="cg"``) conjugate gradients solves the normal equations.
    ``lam = 0`` gives the minimum-norm least-squares solution, :func:`pinv`.

    Parameters
    ----------
    A : LinearOperator
        Forward operator.
    y : torch.Tensor, shape (B, *A.range_shape)
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
    x : torch.Tensor, shape (B, *A.domain_shape)
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
    closed = A.orthonormal_rows or isinstance(A, Blur)
    if method == "closed" and not closed:
        raise ValueError(f"method='closed' needs an operator with A A^H = I or a Blur, got {type(A).__name__}")
    if lam == 0 and method != "cg":
        return pinv(A, y, n_iter=n_iter, tol=tol, return_info=return_info)
    info, callback = _least_squares_info(A, y, lam) if return_info else (None, None)

    if method != "cg" and A.orthonormal_rows:
        x = A.adjoint(y) / (1 + lam)
    elif method != "cg" and isinstance(A, Blur):
        dims = A._dims
        t = A.transfer.to(y.dtype)
        x = torch.fft.ifftn(t * torch.fft.fftn(y, dim=dims) / (t**2 + lam), dim=dims).real
    else:
        x = cg(lambda v: A.adjoint(A(v)) + lam * v, A.adjoint(y), n_iter=n_iter, tol=tol, callback=callback)
        return (x, info) if return_info else x
    if callback is not None:                              # closed form: one record, no iterations
        callback(x)
        info.iterations = 0
    return (x, info) if return_info else x
