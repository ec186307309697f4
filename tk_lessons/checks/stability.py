"""Checks for stability (Chapter 2): Lipschitz constants and their estimates, inverses and
pseudo-inverses of a blur, Tikhonov regularisation, and the ReLU's local constant.

Each check except :func:`lipschitz_estimate` computes its reference itself (a dense
pseudo-inverse, a Tikhonov matrix, the local Lipschitz constant of a ReLU), from the operator or
from the student's own map, so the visible check cell holds no expression that a student could
paste as the answer. A failure says what is wrong (too large, too small, which condition fails)
without printing the reference.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from .. import _validate, device, operators
from ..operators import LinearOperator
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["blur_inverse", "blur_inverse_estimate", "blur_pinv_lipschitz", "lam_for_bound",
           "lipschitz_estimate", "relu_attack_estimate", "relu_lipschitz", "tikhonov_kernel_share",
           "tikhonov_norm"]


def lipschitz_estimate(name: str, estimate: object, exact: object, *, within: float = 0.05,
                       rtol: float = 1e-6) -> None:
    r"""Check an estimate of a Lipschitz constant that was computed from evaluated ratios.

    Every ratio :math:`\|\Psi(y + e) - \Psi(y)\| / \|e\|` with :math:`0 < \|e\| \le \varepsilon` is
    a lower bound on the local constant :math:`L^\varepsilon(\Psi, y)` (Chapter 2), so an
    honest estimate never exceeds the exact value (up to rounding, ``rtol``); a good search also
    comes close to it.

    Parameters
    ----------
    name : str
        What the estimate is, for the messages.
    estimate : float or one-element tensor
        The student's estimate.
    exact : float or one-element tensor
        The exact constant.
    within : float
        The estimate must be at least ``(1 - within) * exact``; ``within=1`` accepts every valid
        lower bound, however poor.
    rtol : float
        Relative rounding allowance above ``exact``.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.lipschitz_estimate("estimate", 0.998, 1.0)
    ✔ estimate: correct
    """
    _lipschitz_estimate(name, estimate, exact, within=within, rtol=rtol, reveal=True)


def _lipschitz_estimate(name: str, estimate: object, exact: object, *, within: float, rtol: float,
                        reveal: bool) -> None:
    """:func:`lipschitz_estimate`; with ``reveal=False`` no message states the exact constant."""
    within = _validate.fraction("within", within)
    value = as_number(name, estimate)
    exact_value = as_number("exact", exact)
    shown = f" {exact_value:.6g}" if reveal else ""
    if value < 0:
        raise CheckError(f"{name}: got {value:.6g}, but a ratio of norms is never negative")
    if value > exact_value * (1 + rtol) + 1e-12:
        raise CheckError(
            f"{name}: {value:.6g} exceeds the exact constant{shown}. Every ratio "
            "||Psi(y + e) - Psi(y)|| / ||e|| is at most the Lipschitz constant, so an estimate built "
            "from such ratios cannot be larger: divide by ||e|| (not by ||e||^2 or eps^2), and use "
            "the perturbation e that was actually applied")
    if value < (1 - within) * exact_value:
        share = f"{value / exact_value if exact_value > 0 else 0.0:.1%} of" if reveal else "below"
        raise CheckError(
            f"{name}: {value:.6g} is {share} the exact constant{shown}. It is a valid lower "
            f"bound, but this task asks for one within {within:.0%}: run more ascent steps or restarts")
    ok(name)


def _blur(size: int, sigma: float) -> LinearOperator:
    return operators.Blur((size,), sigma)


def _inverse_norm(B: LinearOperator) -> float:
    """``||B^-1||`` of a blur from its dense matrix (independent of the transfer function)."""
    return float(torch.linalg.matrix_norm(torch.linalg.inv(B.to_dense(torch.float64)), 2))


def blur_pinv_lipschitz(fn: Callable, size: int, *, sigmas: Sequence[float] = (0.5, 0.8, 1.0),
                        rtol: float = 1e-6) -> None:
    r"""Check ``fn(sigma)``, the Lipschitz constant :math:`\|A^+\|` of the pseudo-inverse of a blur.

    The reference is the spectral norm of the dense pseudo-inverse of ``Blur((size,), sigma)``,
    for each ``sigma`` in ``sigmas`` (which include widths the exercise does not name, so
    values typed in by hand do not pass).

    Parameters
    ----------
    fn : callable
        ``sigma -> float``.
    size : int
        Signal length.
    sigmas : sequence of float
        Widths tried.
    rtol : float
        Allowed relative deviation.

    Examples
    --------
    >>> from tk_lessons import checks, operators
    >>> good = lambda s: 1 / float(operators.Blur((16,), s).singular_values().min())
    >>> checks.blur_pinv_lipschitz(good, 16)
    ✔ ||A^+|| for every sigma: correct
    >>> checks.blur_pinv_lipschitz(lambda s: 1 / float(operators.Blur((16,), s)
    ...     .singular_values().max()), 16)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L for sigma = 0.5: got 1, which is too small...
    """
    for sigma in sigmas:
        dense = _blur(size, sigma).to_dense(torch.float64)
        exact = torch.linalg.matrix_norm(torch.linalg.pinv(dense), 2)
        agree(f"L for sigma = {sigma}", fn(sigma), exact, rtol=rtol,
              hint="the norm of the pseudo-inverse is 1 / (smallest nonzero singular value)")
    ok("||A^+|| for every sigma")


def blur_inverse(inverse: Callable, B: LinearOperator, x: torch.Tensor, *, seed: int = 0,
                 rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Check ``inverse``, the inverse of the blur ``B``, on ``B(x)`` and on random data.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks, operators
    >>> B = operators.Blur((16,), 1.0).to(torch.float64)
    >>> x = torch.rand(1, 1, 16, dtype=torch.float64)
    >>> good = lambda v: torch.fft.ifft(torch.fft.fft(v) / B.transfer).real
    >>> checks.blur_inverse(good, B, x)
    ✔ inverse(B(x)) = x: correct
    >>> checks.blur_inverse(lambda v: v, B, x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: inverse(B(x)): ...
    """
    x = as_tensor("x", x).to(torch.float64)
    hint = "divide the DFT by the transfer function B.transfer and transform back"
    agree("inverse(B(x))", inverse(B(x)), x, rtol=rtol, atol=atol * float(x.abs().max()),
          hint=hint)
    v = device.randn(3, *x.shape[1:], seed=seed, dtype=torch.float64)
    agree("inverse(B(v)) for a random batch v", inverse(B(v)), v, rtol=rtol,
          atol=atol * float(v.abs().max()), hint=hint)
    ok("inverse(B(x)) = x")


def blur_inverse_estimate(estimate: object, B: LinearOperator, *, within: float = 0.01,
                          rtol: float = 1e-6) -> None:
    r"""Check an attack's estimate of :math:`\|B^{-1}\|`: a valid lower bound within ``within``.

    Examples
    --------
    >>> from tk_lessons import checks, operators
    >>> B = operators.Blur((16,), 0.5)
    >>> exact = 1 / float(B.singular_values().min())
    >>> checks.blur_inverse_estimate(0.999 * exact, B)
    ✔ attack estimate of ||B^-1||: correct
    >>> checks.blur_inverse_estimate(2 * exact, B)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: attack estimate of ||B^-1||: ... exceeds the exact constant. ...
    """
    _lipschitz_estimate("attack estimate of ||B^-1||", estimate, _inverse_norm(B), within=within,
                        rtol=rtol, reveal=False)


def tikhonov_norm(fn: Callable, *, seed: int = 1, rtol: float = 1e-6) -> None:
    r"""Check ``fn(singular_values, lam)``, the norm of
    :math:`\Psi_\lambda = (A^*A + \lambda I)^{-1}A^*`.

    The references are spectral norms of dense Tikhonov matrices: a random ``10 x 16`` matrix
    for three values of ``lam``, and a subsampled Fourier operator with :math:`AA^* = I`.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> good = lambda s, lam: float((s / (s**2 + lam)).max())
    >>> checks.tikhonov_norm(good)
    ✔ ||Psi_lam|| from the singular values: correct
    >>> checks.tikhonov_norm(lambda s, lam: float((1 / s).max()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: ||Psi_lam|| for lam = 0.001: got ..., which is too large...
    """
    hint = "Psi_lam acts on the i-th singular direction as s_i / (s_i^2 + lam)"
    M = device.randn(10, 16, seed=seed, dtype=torch.float64)
    for lam in (1e-3, 0.1, 10.0):
        R = torch.linalg.solve(M.T @ M + lam * torch.eye(16, dtype=torch.float64), M.T)
        agree(f"||Psi_lam|| for lam = {lam}", fn(torch.linalg.svdvals(M), lam),
              torch.linalg.matrix_norm(R, 2), rtol=rtol, hint=hint)
    n = 48
    mask = torch.zeros(n, dtype=torch.bool)
    mask[::3] = True                                    # A A^* = I: every singular value is 1
    D = operators.SubsampledFourier(mask).to_dense(torch.complex128)
    R = torch.linalg.solve(D.H @ D + 0.5 * torch.eye(n, dtype=torch.complex128), D.H)
    agree("||Psi_lam|| for orthonormal rows, lam = 0.5",
          fn(torch.ones(D.shape[0], dtype=torch.float64), 0.5), torch.linalg.matrix_norm(R, 2),
          rtol=rtol, hint=hint)
    ok("||Psi_lam|| from the singular values")


def lam_for_bound(lam: object, bound: float, *, rtol: float = 1e-6) -> None:
    r"""Check the smallest ``lam`` for which :math:`1 / (2\sqrt{\lambda}) \le` ``bound``.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.lam_for_bound(1 / 16, 2.0)
    ✔ lam for ||Psi_lam|| <= 2: correct
    >>> checks.lam_for_bound(0.5, 2.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: lam = 0.5 gives the bound 1 / (2 sqrt(lam)) = 0.707107, below 2: a smaller lam also guarantees it, so lam is not the smallest
    """
    value = as_number("lam", lam)
    bound = as_number("bound", bound)
    if not value > 0:
        raise CheckError(f"lam must be positive, got {value:.6g}")
    guaranteed = 1 / (2 * math.sqrt(value))
    if guaranteed > bound * (1 + rtol):
        raise CheckError(f"lam = {value:.6g} gives the bound 1 / (2 sqrt(lam)) = {guaranteed:.6g}, above "
                         f"{bound:g}: it does not guarantee ||Psi_lam|| <= {bound:g}")
    if guaranteed < bound * (1 - rtol):
        raise CheckError(f"lam = {value:.6g} gives the bound 1 / (2 sqrt(lam)) = {guaranteed:.6g}, below "
                         f"{bound:g}: a smaller lam also guarantees it, so lam is not the smallest")
    ok(f"lam for ||Psi_lam|| <= {bound:g}")


def _relu_constant(eps: float) -> float:
    """``L^eps`` of the ReLU at ``-1`` (any dimension), by brute force on a fine 1-D grid."""
    e = torch.linspace(-eps, eps, 40001, dtype=torch.float64)
    e = e[e != 0]
    return float((torch.relu(-1 + e) / e.abs()).max())


def relu_lipschitz(name: str, value: object, eps: float, *, atol: float = 1e-6) -> None:
    r"""Check :math:`L^\varepsilon` of the entrywise ReLU at :math:`y = (-1, \dots, -1)`, worked out
    by hand.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.relu_lipschitz("L^3", 2 / 3, 3.0)
    ✔ L^3: correct
    >>> checks.relu_lipschitz("L^3", 1.0, 3.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L^3: got 1, which is too large...
    """
    agree(name, as_number(name, value), _relu_constant(as_number("eps", eps)), rtol=0.0, atol=atol,
          hint="entry i of the output moves only once e_i > 1; put the whole budget on one "
               "entry and maximise the ratio over the size of that entry")
    ok(name)


def relu_attack_estimate(name: str, estimate: object, eps: float, *, within: float) -> None:
    r"""Check an attack's estimate of :math:`L^\varepsilon` of the ReLU at :math:`-1`: a lower bound
    within ``within``.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.relu_attack_estimate("estimate", 0.5, 2.0, within=0.01)
    ✔ estimate: correct
    >>> checks.relu_attack_estimate("estimate", 0.7, 2.0, within=0.01)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: estimate: 0.7 exceeds the exact constant. ...
    """
    _lipschitz_estimate(name, estimate, _relu_constant(as_number("eps", eps)), within=within,
                        rtol=1e-6, reveal=False)


def tikhonov_kernel_share(F: LinearOperator, x: torch.Tensor, lam: float, x_tik: object,
                          kernel_share: object, *, rtol: float = 1e-8,
                          atol: float = 1e-10) -> None:
    r"""Check a Tikhonov reconstruction of ``x`` from ``F(x)`` and the share of it in
    :math:`\mathcal{N}(F)`.

    ``x_tik`` must solve the normal equations
    :math:`(F^*F + \lambda I)\,x_{\mathrm{tik}} = F^*Fx`, and ``kernel_share`` must be
    :math:`\|x_{\mathrm{tik}} - F^*Fx_{\mathrm{tik}}\| / \|x_{\mathrm{tik}}\|` (:math:`FF^* = I`),
    computed here from the student's ``x_tik``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import SubsampledFourier
    >>> mask = torch.arange(16) % 4 == 0
    >>> F = SubsampledFourier(mask).to(torch.float64)
    >>> x = torch.rand(1, 1, 16, dtype=torch.float64)
    >>> x_tik = F.H(F(x)).real / 1.1
    >>> checks.tikhonov_kernel_share(F, x, 0.1, x_tik, 1e-17)
    ✔ Tikhonov reconstruction and its kernel share: correct
    >>> checks.tikhonov_kernel_share(F, x, 0.1, x, 0.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: x_tik is not the Tikhonov reconstruction...
    """
    x = as_tensor("x", x)
    x_tik = as_tensor("x_tik", x_tik)
    lam = as_number("lam", lam)
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
    agree("kernel_share", as_number("kernel_share", kernel_share), share, rtol=1e-6, atol=atol,
          hint="divide ||P_N x_tik|| = ||x_tik - F^*(F(x_tik))|| by ||x_tik||")
    ok("Tikhonov reconstruction and its kernel share")
