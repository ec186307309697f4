"""Krylov methods for Hermitian positive semi-definite systems ``M x = b``, one per sample.

:func:`cg` is the one Krylov solver of the package: least squares (:func:`~tk_lessons.solvers.pinv`,
:func:`~tk_lessons.solvers.tikhonov`) and the kernel projection (``tk.kernel.project``) call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .. import _batch, _validate
from ._common import SolverInfo

__all__ = ["KrylovState", "cg"]


@dataclass
class KrylovState:
    """What a stopping rule sees at the start of an iteration of :func:`cg`.

    Attributes
    ----------
    iteration : int
        Iterations done so far.
    x : torch.Tensor
        The current iterate.
    r : torch.Tensor
        The residual ``b - M x``.
    rr : torch.Tensor, shape (B,)
        ``||r||^2`` per sample.
    b_norm : torch.Tensor, shape (B,)
        ``||b||`` per sample.
    x_image, r_image : torch.Tensor or None
        With ``image=True``, ``L x`` and ``L r`` (``r_image`` only for ``method="cr"``;
        ``x_image`` None while unknown: ``"cg"`` from 0 before its first step); else None.
    """

    iteration: int
    x: torch.Tensor
    r: torch.Tensor
    rr: torch.Tensor
    b_norm: torch.Tensor
    x_image: torch.Tensor | None = None
    r_image: torch.Tensor | None = None


def _split(out) -> tuple[torch.Tensor, torch.Tensor]:
    """``apply``'s output ``(M v, L v)``, checked."""
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"apply must return a pair (M v, L v) when image=True, got {type(out).__name__}")
    return out


def _step(t: torch.Tensor | None, coef: torch.Tensor, d: torch.Tensor | None) -> torch.Tensor | None:
    """``t + coef * d`` per sample (None stays None)."""
    return None if t is None else t + _batch.expand(coef, t) * d


def _ratio(a: torch.Tensor, b: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """``a / b`` per sample where ``active`` and ``b > 0``, else 0 (a stopped sample takes no step)."""
    return torch.where(active & (b > 0), a / torch.where(b > 0, b, torch.ones_like(b)), torch.zeros_like(a))


def cg(apply: Callable, b: torch.Tensor, *, x_init: torch.Tensor | None = None, n_iter: int = 100,
       tol: float = 1e-10, method: str = "cg", image: bool = False,
       stop: Callable[[KrylovState], torch.Tensor] | None = None,
       callback: Callable[[torch.Tensor], None] | None = None,
       return_info: bool = False) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    r"""Solve :math:`Mx = b` for a Hermitian positive semi-definite :math:`M`, each sample on its own.

    Two Krylov methods (Saad, *Iterative methods for sparse linear systems*, §6.7 and §6.8):

    * ``"cg"``, conjugate gradients: minimises the :math:`M`-norm of the error over the
      Krylov space; one ``apply`` per iteration.
    * ``"cr"``, conjugate residuals: minimises :math:`\|b - Mx\|` over the same space, so
      the residual never increases (what the kernel projection reports); one ``apply``
      per iteration too.

    Each sample has its own step sizes and stops once its residual
    :math:`\|b - Mx\| \le \mathrm{tol}\,\|b\|` (or once ``stop`` says so); a stopped
    sample keeps its ``x``; the loop ends when every sample has stopped. Inner products
    are real, :math:`\mathrm{Re}\langle u, v\rangle`, so complex spaces work as real ones.
    Started from 0 on a consistent singular system, the iterates stay in the range of
    :math:`M`, so the limit is the minimum-norm solution.

    Parameters
    ----------
    apply : callable
        ``v -> M v`` on a batch; with ``image=True``, ``v -> (M v, L v)`` for a linear map ``L``.
    b : torch.Tensor, shape (B, ...)
        Right-hand sides, real or complex, float32 or float64 (the iteration runs in
        ``b``'s precision: cast to float64 for ill-conditioned systems).
    x_init : torch.Tensor, shape like ``b``, optional
        Warm start (default 0).
    n_iter : int >= 1
        Most iterations.
    tol : float >= 0
        Relative residual at which a sample stops (unused when ``stop`` is given).
    method : {"cg", "cr"}
        Conjugate gradients or conjugate residuals.
    image : bool
        ``apply`` returns ``(M v, L v)``: ``cg`` carries ``L x`` along by the same
        recurrences as ``x``, at no extra application of ``L``, shows it to ``stop`` and
        returns it. The kernel projection uses this with :math:`M = AA^* + rI` and
        :math:`L = A^*`: it needs :math:`A^* w`, not the solution :math:`w` itself.
    stop : callable, optional
        ``KrylovState -> (B,) bool``, True for the samples that have converged; replaces
        the rule ``||r|| <= tol * ||b||``.
    callback : callable, optional
        Called with the current ``x`` after each iteration.
    return_info : bool
        Also return a :class:`SolverInfo`: ``n_iter`` iterations run, ``residual`` the norm of
        ``b - M x`` over the batch after each, ``extra["converged"]`` one 1.0/0.0 per
        sample (whether it stopped before ``n_iter``).

    Returns
    -------
    x : torch.Tensor, shape like ``b``
        With ``image=True``, the pair ``(x, L x)``.
    info : SolverInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import torch
    >>> M = torch.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
    >>> b = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    >>> x = cg(lambda v: v @ M, b)
    >>> torch.allclose(x @ M, b)
    True
    >>> x, info = cg(lambda v: v @ M, b, method="cr", return_info=True)
    >>> info.n_iter, info.extra["converged"]
    (2, [1.0])
    """
    _validate.function("apply", apply, "a callable v -> M v")
    _validate.tensor("b", b)
    if x_init is not None and tuple(_validate.tensor("x_init", x_init).shape) != tuple(b.shape):
        raise ValueError(f"x_init must have the shape of b, {tuple(b.shape)}, got {tuple(x_init.shape)}")
    n_iter = _validate.positive_int("n_iter", n_iter)
    tol = _validate.positive("tol", tol, allow_zero=True)
    method = _validate.choice("method", method, ("cg", "cr"))
    if stop is not None:
        _validate.function("stop", stop, "a callable KrylovState -> (B,) bool tensor")
    _validate.flag("image", image)
    _validate.flag("return_info", return_info)
    split = _split if image else (lambda out: (out, None))

    if x_init is None:
        x, r, x_image = torch.zeros_like(b), b, None
    else:
        x = x_init.to(b.dtype)
        Mx, x_image = split(apply(x))
        r = b - Mx                                     # residual b - M x
    b_norm = _batch.norm(b)
    p, Mp, p_image, r_image = r, None, None, None
    if method == "cr":
        Mp, r_image = split(apply(r))                  # CR needs M r; at the start p = r
        p_image = r_image
        if image and x_image is None:
            x_image = torch.zeros_like(r_image)        # L 0
        r_Mr = _batch.inner(r, Mp)
    rr = _batch.inner(r, r)
    info = SolverInfo() if return_info else None
    active = torch.ones_like(rr, dtype=torch.bool)
    for it in range(n_iter + 1):
        if stop is None:
            active = rr.sqrt() > tol * b_norm
        else:
            state = KrylovState(it, x, r, rr, b_norm, x_image, r_image)
            active = ~torch.as_tensor(stop(state), dtype=torch.bool, device=rr.device)
        if not bool(active.any()) or it == n_iter:
            break
        if method == "cg":
            Mp, p_image = split(apply(p))
            # alpha = |r|^2 / <p, M p>; stopped samples get alpha = 0 and so keep their x
            alpha = _ratio(rr, _batch.inner(p, Mp), active)
            x = _step(x, alpha, p)
            x_image = _carry(x_image, alpha, p_image)
            r = _step(r, -alpha, Mp)
            rr_new = _batch.inner(r, r)
            beta = _ratio(rr_new, rr, active)
            p = _step(r, beta, p)
            rr = rr_new
        else:
            # alpha = <r, M r> / |M p|^2 minimises |b - M(x + alpha p)|
            alpha = _ratio(r_Mr, _batch.inner(Mp, Mp), active)
            x = _step(x, alpha, p)
            x_image = _carry(x_image, alpha, p_image)
            r = _step(r, -alpha, Mp)
            Mr, r_image = split(apply(r))
            r_Mr_new = _batch.inner(r, Mr)
            beta = _ratio(r_Mr_new, r_Mr, active)
            p = _step(r, beta, p)
            p_image = _step(r_image, beta, p_image)
            Mp = _step(Mr, beta, Mp)
            r_Mr = r_Mr_new
            rr = _batch.inner(r, r)
        if info is not None:
            info.n_iter += 1
            info.residual.append(float(rr.sum().sqrt()))
        if callback is not None:
            callback(x)
    if info is not None:
        info.extra["converged"] = [float(not a) for a in active.tolist()]
    if image and x_image is None:                      # stopped before any step: L x costs one apply
        x_image = split(apply(x))[1]
    out = (x, x_image) if image else x
    return (out, info) if return_info else out


def _carry(x_image: torch.Tensor | None, alpha: torch.Tensor,
           p_image: torch.Tensor | None) -> torch.Tensor | None:
    """``L x`` after the step ``x + alpha p``: starts at ``L 0 = 0`` when ``L`` first shows up."""
    if p_image is None:
        return None
    if x_image is None:
        x_image = torch.zeros_like(p_image)
    return _step(x_image, alpha, p_image)

