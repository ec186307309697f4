"""Total-variation regularised least squares: ADMM with an FFT solve (the paper's reference) or primal-dual."""

from __future__ import annotations

import math

import torch

from .. import _batch, _validate
from ..operators.base import LinearOperator
from ..operators.gradient import Gradient
from ._common import SolverInfo, check_problem, check_x_init, record, starting_point
from .primal_dual import chambolle_pock
from .prox import soft_threshold

__all__ = ["tv"]

def _objective(A: LinearOperator, D: Gradient, x: torch.Tensor, y: torch.Tensor,
               lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-item objective ``1/2 ||A x - y||^2 + lam ||D x||_1`` and residual norm ``||A x - y||``."""
    residual = _batch.norm(A(x) - y)
    return 0.5 * residual**2 + lam * _batch.total(D(x).abs()), residual


def _normal_symbol(A: LinearOperator, gram: torch.Tensor, real: bool, rho: float,
                   dtype: torch.dtype) -> torch.Tensor:
    """Eigenvalues of ``A^H A + rho D^H D`` in the (uncentred) FFT basis, shape ``(1, 1, *grid)``.

    ``D^H D`` has symbol ``sum_axes 4 sin^2(pi k / n)``; ``gram`` is the symbol ``s`` of
    ``A^H A`` (``A.gram_symbol()``). On real images only ``Re(A^H A x)`` counts, whose symbol
    is ``(s(k) + s(-k)) / 2`` (``s`` itself for a real-domain operator, whose ``s`` is even).
    """
    grid = A.domain_shape[1:]
    dev = A.device
    symbol = torch.zeros(grid, dtype=torch.float64, device=dev)
    for axis, n in enumerate(grid):
        k = torch.arange(n, dtype=torch.float64, device=dev)
        shape = [n if a == axis else 1 for a in range(len(grid))]
        symbol = symbol + rho * (4 * torch.sin(math.pi * k / n) ** 2).reshape(shape)
    s = gram.to(device=dev, dtype=torch.float64).reshape(grid)
    # s(-k): flip every axis, then roll by one so that index 0 stays at 0. A real-domain
    # operator's A^H A maps real images to real images: its s is even already.
    if real and A.domain_complex:
        dims = tuple(range(len(grid)))
        s = 0.5 * (s + torch.roll(torch.flip(s, dims), (1,) * len(dims), dims))
    symbol = symbol + s
    # Only k = 0 can vanish (DC unsampled): then the rhs has no DC either, and any value
    # solves that equation; dividing by 1 picks the zero-mean solution.
    symbol = torch.where(symbol > 0, symbol, torch.ones_like(symbol))
    return symbol.to(dtype).reshape(1, 1, *grid)


def _tv_admm(A: LinearOperator, D: Gradient, y: torch.Tensor, lam: float, x: torch.Tensor, rho: float,
             n_iter: int, real: bool, gram: torch.Tensor, info: SolverInfo | None,
             progress: bool) -> torch.Tensor:
    """Scaled-form ADMM for ``min 1/2 ||A x - y||^2 + lam ||z||_1`` subject to ``z = D x``."""
    dims = tuple(range(2, x.ndim))
    grid = A.domain_shape[1:]
    real_dtype = x.real.dtype
    symbol = _normal_symbol(A, gram, real, rho, real_dtype).to(y.device)
    if real:  # rfft: a real image has a Hermitian spectrum, half of it suffices
        symbol = symbol[..., : grid[-1] // 2 + 1]
    Ahy = A.H(y)
    if real:
        Ahy = Ahy.real
    z = D(x)
    u = torch.zeros_like(z)
    for _ in _batch.progress_range(n_iter, progress, desc="TV (ADMM)"):
        # x-update: (A^H A + rho D^H D) x = A^H y + rho D^H (z - u), solved exactly by FFT
        rhs = Ahy + rho * D.H(z - u)
        if real:
            x = torch.fft.irfftn(torch.fft.rfftn(rhs, dim=dims) / symbol, s=grid, dim=dims)
        else:
            x = torch.fft.ifftn(torch.fft.fftn(rhs, dim=dims) / symbol, dim=dims)
        # z-update: soft-thresholding at lam / rho; u: the scaled dual variable
        Dx = D(x)
        z = soft_threshold(Dx + u, lam / rho)
        u = u + Dx - z
        if info is not None:
            record(info, *_objective(A, D, x, y, lam))
    return x


def _tv_pd(A: LinearOperator, D: Gradient, y: torch.Tensor, lam: float, x: torch.Tensor, n_iter: int,
           info: SolverInfo | None, progress: bool) -> torch.Tensor:
    """Chambolle–Pock with ``K = [A; D]``, ``g = 0`` and both terms of ``f`` dualised."""
    norm = math.sqrt(A.norm() ** 2 + D.norm() ** 2)   # ||[A; D]||^2 <= ||A||^2 + ||D||^2
    step = 1.0 / norm

    def prox_fconj(v, sigma):
        p, q = v
        # f1 = 1/2 ||. - y||^2:  prox_{sigma f1*}(p) = (p - sigma y) / (1 + sigma)
        # f2 = lam ||.||_1: f2* is the indicator of {|q_i| <= lam}; its prox is the
        # projection, q - soft_threshold(q, lam) by Moreau's identity (modulus for complex q)
        return (p - sigma * y) / (1 + sigma), q - soft_threshold(q, lam)

    def callback(k, x, v):
        if info is not None:
            record(info, *_objective(A, D, x, y, lam))

    x, _ = chambolle_pock((lambda x: (A(x), D(x)), lambda v: A.H(v[0]) + D.H(v[1])),
                          lambda u, tau: u, prox_fconj, x, tau=step, sigma=step, n_iter=n_iter,
                          norm=norm, callback=callback, progress=progress)
    return x


def tv(A: LinearOperator, y: torch.Tensor, lam: float, *, method: str = "auto", n_iter: int = 500,
       rho: float = 0.5, x_init: torch.Tensor | None = None, real: bool = False, progress: bool = False,
       return_info: bool = False) -> torch.Tensor | tuple[torch.Tensor, SolverInfo]:
    """Total-variation reconstruction: ``argmin_x 1/2 ||A x - y||_2^2 + lam ||D x||_1``.

    ``D`` is the periodic forward-difference :class:`~tk_lessons.operators.Gradient`, and
    the TV is anisotropic: ``||D x||_1 = sum_i |x_{i+e1} - x_i| + |x_{i+e2} - x_i|``
    (for complex ``x``, the sum of the moduli of the differences). Each item of the
    batch is an independent problem.

    Two methods:

    * ``"admm"`` (the paper's TV reference, ``admm_l1_rec_diag`` of the Troublesome
      Kernel code): ADMM on ``z = D x`` with penalty ``rho``,

      - ``x <- (A^H A + rho D^H D)^{-1} (A^H y + rho D^H (z - u))``, exact in Fourier
        space because ``A^H A`` and ``D^H D`` are both diagonalised by the FFT (only for
        operators with a Fourier symbol ``A.gram_symbol()``: subsampled Fourier, blur);
      - ``z <- soft_threshold(D x + u, lam / rho)``;
      - ``u <- u + D x - z``.

    * ``"pd"`` (any operator): Chambolle–Pock on ``min_x f1(A x) + f2(D x)`` with
      ``f1 = 1/2 ||. - y||^2`` and ``f2 = lam ||.||_1`` both handled through their
      conjugates (two dual variables, ``g = 0``), steps ``tau = sigma = 1 / ||[A; D]||``.

    ``"auto"`` uses ADMM when ``A.gram_symbol()`` is not None, PD otherwise.

    Parameters
    ----------
    A : LinearOperator
        Forward operator on images ``(1, H, W)`` or signals ``(1, N)``.
    y : torch.Tensor, shape ``(B, *A.range_shape)``
        Measurements.
    lam : float >= 0
        Regularisation weight. The paper uses ``lam = 0.001`` (images in [0, 1],
        orthonormal Fourier operator).
    method : {"auto", "admm", "pd"}
        Algorithm (see above).
    n_iter : int >= 1
        Number of iterations. The paper ran 5,000 ADMM iterations (200 inside attacks).
    rho : float > 0
        ADMM penalty parameter (paper: 0.5). Unused by ``"pd"``.
    x_init : torch.Tensor, shape ``(B, *A.domain_shape)``, optional
        Warm start; default ``A^H y`` (its real part when ``real``). ADMM starts from
        ``z = D x_init`` and ``u = 0``, as the paper does.
    real : bool
        Keep ``x`` real (pass ``True`` for the course's real images; the default False is
        that of every solver). With ``False`` and a complex-domain operator (Fourier),
        ``x`` is complex, as in the paper's code, which runs ADMM on complex images (there
        its soft-thresholding acts on the real and imaginary parts separately; here on the
        modulus). Real-domain operators (Radon, Blur, ...) always give a real ``x``.
    progress : bool
        Show a progress bar.
    return_info : bool
        Also return a :class:`SolverInfo` with the objective and ``||A x - y||`` per iteration.

    Returns
    -------
    x_rec : torch.Tensor, shape ``(B, *A.domain_shape)``
        Real, or complex when ``real=False`` and the operator's domain is complex.
    info : SolverInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.data import shepp_logan
    >>> from tk_lessons.operators import SubsampledFourier
    >>> from tk_lessons.sampling import variable_density
    >>> x = shepp_logan(64)
    >>> A = SubsampledFourier(variable_density((64, 64), 0.3))
    >>> x_tv = tv(A, A(x), lam=1e-3, n_iter=100, real=True)        # ADMM, real image
    >>> x_tv.shape, x_tv.dtype
    (torch.Size([1, 1, 64, 64]), torch.float32)
    """
    check_problem(A, y)
    lam = _validate.positive("lam", lam, allow_zero=True)
    method = _validate.choice("method", method, ("auto", "admm", "pd"))
    n_iter = _validate.positive_int("n_iter", n_iter)
    rho = _validate.positive("rho", rho)
    _validate.flag("real", real)
    _validate.flag("progress", progress)
    _validate.flag("return_info", return_info)
    gram = A.gram_symbol()
    if method == "auto":
        method = "admm" if gram is not None else "pd"
    if method == "admm" and gram is None:
        raise ValueError(f"method='admm' needs an operator whose A^H A is a Fourier multiplier "
                         f"(A.gram_symbol() not None: SubsampledFourier, Blur), got {type(A).__name__}; "
                         f"use method='pd'")
    if len(A.domain_shape) not in (2, 3) or A.domain_shape[0] != 1:
        raise ValueError(f"A must act on images (1, H, W) or signals (1, N) for TV, got domain {A.domain_shape}")
    check_x_init(A, x_init, y.shape[0])
    real = real or not A.domain_complex
    x_init, _ = starting_point(A, y, x_init, real)
    D = Gradient(A.domain_shape[1:]).to(y.device)
    info = SolverInfo() if return_info else None
    if method == "admm":
        x = _tv_admm(A, D, y, lam, x_init, rho, n_iter, real, gram, info, progress)
    else:
        x = _tv_pd(A, D, y, lam, x_init, n_iter, info, progress)
    return (x, info) if return_info else x
