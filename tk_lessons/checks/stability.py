"""Checks for the stability exercises (Chapter 2) whose references stay hidden.

Each check computes its reference itself (a dense pseudo-inverse, a Tikhonov matrix, the
local Lipschitz constant of a ReLU), from the operator or from the student's own map, so the
visible check cell holds no expression that a student could paste as the answer. A failure
says what is wrong (too large, too small, which condition fails) without printing the
reference. Like :mod:`tk_lessons.checks`, each passes with a short confirmation or raises
:class:`~tk_lessons.checks.CheckError`.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from . import device as _device
from .checks import CheckError, _agree, _as_tensor, _lipschitz_estimate, _number, _ok

__all__ = ["blur_pinv_lipschitz", "blur_inverse", "blur_inverse_estimate", "tikhonov_norm",
           "lam_for_bound", "relu_lipschitz", "relu_attack_estimate", "tikhonov_kernel_share"]


def _blur(n: int, sigma: float):
    from .operators import Blur

    return Blur((n,), sigma)


def _inverse_norm(B) -> float:
    """``||B^-1||`` of a blur from its dense matrix (independent of the transfer function)."""
    return float(torch.linalg.matrix_norm(torch.linalg.inv(B.to_dense(torch.float64)), 2))


def blur_pinv_lipschitz(fn: Callable, n: int, *, sigmas: Sequence[float] = (0.5, 0.8, 1.0),
                        rtol: float = 1e-6) -> None:
    """Check ``fn(sigma)``, the Lipschitz constant ``||A^+||`` of the pseudo-inverse of a blur.

    The reference is the spectral norm of the dense pseudo-inverse of ``Blur((n,), sigma)``,
    for each ``sigma`` in ``sigmas`` (which include widths the exercise does not name, so
    values typed in by hand do not pass).

    Parameters
    ----------
    fn : callable
        ``sigma -> float``.
    n : int
        Signal length.
    sigmas : sequence of float
        Widths tried.
    rtol : float
        Allowed relative deviation.

    Examples
    --------
    >>> from tk_lessons import checks_stability, operators
    >>> good = lambda s: 1 / float(operators.Blur((16,), s).singular_values().min())
    >>> checks_stability.blur_pinv_lipschitz(good, 16)
    ✔ ||A^+|| for every sigma: correct
    >>> checks_stability.blur_pinv_lipschitz(lambda s: 1 / float(operators.Blur((16,), s)
    ...     .singular_values().max()), 16)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L for sigma = 0.5: got 1, which is too small...
    """
    for sigma in sigmas:
        dense = _blur(n, sigma).to_dense(torch.float64)
        exact = torch.linalg.matrix_norm(torch.linalg.pinv(dense), 2)
        _agree(f"L for sigma = {sigma}", fn(sigma), exact, rtol=rtol,
               hint="the norm of the pseudo-inverse is 1 / (smallest nonzero singular value)")
    _ok("||A^+|| for every sigma")


def blur_inverse(inverse: Callable, B, x, *, seed: int = 0, rtol: float = 1e-6,
                 atol: float = 1e-8) -> None:
    """Check ``inverse``, the inverse of the blur ``B``, on ``B(x)`` and on random data.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_stability, operators
    >>> B = operators.Blur((16,), 1.0).to(torch.float64)
    >>> x = torch.rand(1, 1, 16, dtype=torch.float64)
    >>> good = lambda v: torch.fft.ifft(torch.fft.fft(v) / B.transfer).real
    >>> checks_stability.blur_inverse(good, B, x)
    ✔ inverse(B(x)) = x: correct
    >>> checks_stability.blur_inverse(lambda v: v, B, x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: inverse(B(x)): ...
    """
    x = _as_tensor("x", x).to(torch.float64)
    hint = "divide the DFT by the transfer function B.transfer and transform back"
    _agree("inverse(B(x))", inverse(B(x)), x, rtol=rtol, atol=atol * float(x.abs().max()),
           hint=hint)
    v = _device.randn(3, *x.shape[1:], seed=seed, dtype=torch.float64)
    _agree("inverse(B(v)) for a random batch v", inverse(B(v)), v, rtol=rtol,
           atol=atol * float(v.abs().max()), hint=hint)
    _ok("inverse(B(x)) = x")


def blur_inverse_estimate(estimate, B, *, within: float = 0.01, rtol: float = 1e-6) -> None:
    """Check an attack's estimate of ``||B^-1||``: a valid lower bound within ``within``.

    Examples
    --------
    >>> from tk_lessons import checks_stability, operators
    >>> B = operators.Blur((16,), 0.5)
    >>> exact = 1 / float(B.singular_values().min())
    >>> checks_stability.blur_inverse_estimate(0.999 * exact, B)
    ✔ attack estimate of ||B^-1||: correct
    >>> checks_stability.blur_inverse_estimate(2 * exact, B)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: attack estimate of ||B^-1||: ... exceeds the exact constant. ...
    """
    _lipschitz_estimate("attack estimate of ||B^-1||", estimate, _inverse_norm(B), within=within,
                        rtol=rtol, reveal=False)


def tikhonov_norm(fn: Callable, *, seed: int = 1, rtol: float = 1e-6) -> None:
    """Check ``fn(singular_values, lam)``, the norm of ``Psi_lam = (A^* A + lam I)^-1 A^*``.

    The references are spectral norms of dense Tikhonov matrices: a random ``10 x 16`` matrix
    for three values of ``lam``, and a subsampled Fourier operator with ``A A^* = I``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_stability
    >>> good = lambda s, lam: float((s / (s**2 + lam)).max())
    >>> checks_stability.tikhonov_norm(good)
    ✔ ||Psi_lam|| from the singular values: correct
    >>> checks_stability.tikhonov_norm(lambda s, lam: float((1 / s).max()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: ||Psi_lam|| for lam = 0.001: got ..., which is too large...
    """
    hint = "Psi_lam acts on the i-th singular direction as s_i / (s_i^2 + lam)"
    M = _device.randn(10, 16, seed=seed, dtype=torch.float64)
    for lam in (1e-3, 0.1, 10.0):
        R = torch.linalg.solve(M.T @ M + lam * torch.eye(16, dtype=torch.float64), M.T)
        _agree(f"||Psi_lam|| for lam = {lam}", fn(torch.linalg.svdvals(M), lam),
               torch.linalg.matrix_norm(R, 2), rtol=rtol, hint=hint)
    from .operators import SubsampledFourier

    n = 48
    mask = torch.zeros(n, dtype=torch.bool)
    mask[::3] = True                                    # A A^* = I: every singular value is 1
    D = SubsampledFourier(mask).to_dense(torch.complex128)
    R = torch.linalg.solve(D.H @ D + 0.5 * torch.eye(n, dtype=torch.complex128), D.H)
    _agree("||Psi_lam|| for orthonormal rows, lam = 0.5",
           fn(torch.ones(D.shape[0], dtype=torch.float64), 0.5), torch.linalg.matrix_norm(R, 2),
           rtol=rtol, hint=hint)
    _ok("||Psi_lam|| from the singular values")


def lam_for_bound(lam, bound: float, *, rtol: float = 1e-6) -> None:
    """Check the smallest ``lam`` for which ``1 / (2 sqrt(lam)) <= bound``.

    Examples
    --------
    >>> from tk_lessons import checks_stability
    >>> checks_stability.lam_for_bound(1 / 16, 2.0)
    ✔ lam for ||Psi_lam|| <= 2: correct
    >>> checks_stability.lam_for_bound(0.5, 2.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: lam = 0.5 gives the bound 1 / (2 sqrt(lam)) = 0.707107, below 2: a smaller lam also guarantees it, so lam is not the smallest
    """
    value = _number("lam", lam)
    bound = _number("bound", bound)
    if not value > 0:
        raise CheckError(f"lam must be positive, got {value:.6g}")
    guaranteed = 1 / (2 * math.sqrt(value))
    if guaranteed > bound * (1 + rtol):
        raise CheckError(f"lam = {value:.6g} gives the bound 1 / (2 sqrt(lam)) = {guaranteed:.6g}, above "
                         f"{bound:g}: it does not guarantee ||Psi_lam|| <= {bound:g}")
    if guaranteed < bound * (1 - rtol):
        raise CheckError(f"lam = {value:.6g} gives the bound 1 / (2 sqrt(lam)) = {guaranteed:.6g}, below "
                         f"{bound:g}: a smaller lam also guarantees it, so lam is not the smallest")
    _ok(f"lam for ||Psi_lam|| <= {bound:g}")


def _relu_constant(eps: float) -> float:
    """``L^eps`` of the ReLU at ``-1`` (any dimension), by brute force on a fine 1-D grid."""
    e = torch.linspace(-eps, eps, 40001, dtype=torch.float64)
    e = e[e != 0]
    return float((torch.relu(-1 + e) / e.abs()).max())


def relu_lipschitz(name: str, value, eps: float, *, atol: float = 1e-6) -> None:
    """Check ``L^eps`` of the entrywise ReLU at ``y = (-1, ..., -1)``, worked out by hand.

    Examples
    --------
    >>> from tk_lessons import checks_stability
    >>> checks_stability.relu_lipschitz("L^3", 2 / 3, 3.0)
    ✔ L^3: correct
    >>> checks_stability.relu_lipschitz("L^3", 1.0, 3.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L^3: got 1, which is too large...
    """
    _agree(name, _number(name, value), _relu_constant(_number("eps", eps)), rtol=0.0, atol=atol,
           hint="entry i of the output moves only once e_i > 1; put the whole budget on one "
                "entry and maximise the ratio over the size of that entry")
    _ok(name)


def relu_attack_estimate(name: str, estimate, eps: float, *, within: float) -> None:
    """Check an attack's estimate of ``L^eps`` of the ReLU at ``-1``: a lower bound within ``within``.

    Examples
    --------
    >>> from tk_lessons import checks_stability
    >>> checks_stability.relu_attack_estimate("estimate", 0.5, 2.0, within=0.01)
    ✔ estimate: correct
    >>> checks_stability.relu_attack_estimate("estimate", 0.7, 2.0, within=0.01)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: estimate: 0.7 exceeds the exact constant. ...
    """
    _lipschitz_estimate(name, estimate, _relu_constant(_number("eps", eps)), within=within,
                        rtol=1e-6, reveal=False)


def tikhonov_kernel_share(F, x, lam: float, x_tik, kernel_share, *, rtol: float = 1e-8,
                          atol: float = 1e-10) -> None:
    """Check a Tikhonov reconstruction of ``x`` from ``F(x)`` and the share of it in ``N(F)``.

    ``x_tik`` must solve the normal equations ``(F^* F + lam I) x_tik = F^* F x``, and
    ``kernel_share`` must be ``||x_tik - F^* F x_tik|| / ||x_tik||`` (``F F^* = I``), computed
    here from the student's ``x_tik``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_stability
    >>> from tk_lessons.operators import SubsampledFourier
    >>> mask = torch.arange(16) % 4 == 0
    >>> F = SubsampledFourier(mask).to(torch.float64)
    >>> x = torch.rand(1, 1, 16, dtype=torch.float64)
    >>> x_tik = F.H(F(x)).real / 1.1
    >>> checks_stability.tikhonov_kernel_share(F, x, 0.1, x_tik, 1e-17)
    ✔ Tikhonov reconstruction and its kernel share: correct
    >>> checks_stability.tikhonov_kernel_share(F, x, 0.1, x, 0.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: x_tik is not the Tikhonov reconstruction...
    """
    x = _as_tensor("x", x)
    x_tik = _as_tensor("x_tik", x_tik)
    lam = _number("lam", lam)
    if x_tik.shape != x.shape:
        raise CheckError(f"x_tik: expected the shape of x, {tuple(x.shape)}; got {tuple(x_tik.shape)}")
    lhs = F.H(F(x_tik)) + lam * x_tik
    rhs = F.H(F(x))
    gap = float((lhs - rhs).abs().max()) / max(float(rhs.abs().max()), 1e-300)
    if not gap <= rtol:
        raise CheckError(f"x_tik is not the Tikhonov reconstruction with lam = {lam:g}: the normal "
                         f"equations (F^* F + lam I) x_tik = F^* F x fail by {gap:.2g} (relative). "
                         "Use tk.solvers.tikhonov(F, F(x), lam)")
    share = float((x_tik - F.H(F(x_tik))).abs().norm() / x_tik.abs().norm())
    _agree("kernel_share", _number("kernel_share", kernel_share), share, rtol=1e-6, atol=atol,
           hint="divide ||P_N x_tik|| = ||x_tik - F^*(F(x_tik))|| by ||x_tik||")
    _ok("Tikhonov reconstruction and its kernel share")
