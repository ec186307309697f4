"""Checks for sparse recovery (Chapter 2): soft thresholding, one FISTA step, and the
optimality conditions of the LASSO.

The references come from the package's own solvers (:func:`tk_lessons.solvers.soft_threshold`,
tested against its definition) or from the optimality conditions themselves; the usual slips
(hard thresholding, a lost sign, the wrong threshold or momentum) get their own message.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import _validate, device, solvers
from ._core import CheckError, as_number, as_tensor, ok

__all__ = ["fista_step", "lasso_optimality", "soft_threshold_rule"]


def soft_threshold_rule(fn: Callable, *, seed: int = 0) -> None:
    r"""Check an implementation ``fn(z, t)`` of soft thresholding on real tensors.

    :math:`\mathrm{soft}_t(z) = \operatorname{sign}(z)\max(|z| - t, 0)`, the proximal map of
    :math:`t\|\cdot\|_1` (Chapter 2). Common slips
    (hard thresholding, a lost sign, entries below the threshold that flip sign instead of
    vanishing, a wrong threshold) get their own message.

    Parameters
    ----------
    fn : callable
        ``fn(z, t) -> tensor``, for a real tensor ``z`` and a threshold ``t > 0``.
    seed : int
        Seed of the random test vector.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> checks.soft_threshold_rule(lambda z, t: torch.sign(z) * torch.clamp(z.abs() - t, min=0))
    ✔ soft thresholding: correct
    """
    t = 0.7
    z = torch.cat([torch.tensor([-2.0, -0.7, -0.3, 0.0, 0.3, 0.7, 2.0], dtype=torch.float64),
                   3 * device.randn(25, seed=seed, dtype=torch.float64)])
    out = as_tensor("soft(z, t)", fn(z.clone(), t))
    if out.shape != z.shape:
        raise CheckError(f"soft thresholding: the output must have the shape of z, {tuple(z.shape)}; "
                         f"got {tuple(out.shape)}")
    out = out.to(torch.float64)
    expected = solvers.soft_threshold(z, t)
    if torch.allclose(out, expected, rtol=1e-10, atol=1e-12):
        ok("soft thresholding")
        return
    small = z.abs() <= t
    if torch.allclose(out, z * (z.abs() > t), atol=1e-12):
        raise CheckError("soft thresholding: you set small entries to 0 but left the others unchanged "
                         "(hard thresholding); soft thresholding also shrinks every surviving entry by t")
    if torch.allclose(out, torch.clamp(z.abs() - t, min=0), atol=1e-12):
        raise CheckError("soft thresholding: the result lost the sign of z; multiply by sign(z)")
    if torch.allclose(out[~small], expected[~small], atol=1e-12):
        raise CheckError("soft thresholding: entries with |z| <= t must become exactly 0 (they must not "
                         f"change sign); e.g. z = -0.3, t = {t} should give 0, got {float(out[2]):.4g}")
    kept = (out != 0) & (torch.sign(out) == torch.sign(z))      # entries that survived, sign intact
    shrink = z[kept].abs() - out[kept].abs()
    if shrink.numel() and torch.allclose(shrink, shrink.mean().expand_as(shrink), atol=1e-10):
        raise CheckError(f"soft thresholding: entries with |z| > t are shrunk by {float(shrink.mean()):.4g}, "
                         f"but they must move towards 0 by exactly the threshold t = {t}")
    worst = int((out - expected).abs().argmax())
    raise CheckError(f"soft thresholding: for z = {float(z[worst]):.4g}, t = {t} expected "
                     f"{float(expected[worst]):.4g}, got {float(out[worst]):.4g}")


def _fista_reference(A: torch.Tensor, y: torch.Tensor, lam: float, step: float, c: torch.Tensor,
                     z: torch.Tensor, t: float) -> tuple:
    """One exact FISTA step from ``(c, z, t)``, and the gradient at ``z``."""
    grad = A.T @ (A @ z - y)
    c_next = solvers.soft_threshold(z - step * grad, step * lam)
    t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
    return c_next, c_next + (t - 1) / t_next * (c_next - c), t_next, grad


def fista_step(fn: Callable, *, seed: int = 0) -> None:
    r"""Check one FISTA iteration for the LASSO :math:`\min_c \tfrac12\|Ac - y\|^2 + \lambda\|c\|_1`.

    ``fn(A, y, lam, step, c, z, t)`` must return ``(c_next, z_next, t_next)`` with, writing
    :math:`s` for the step,

    * :math:`c_{\mathrm{next}} = \mathrm{soft}_{s\lambda}(z - sA^T(Az - y))`,
    * :math:`t_{\mathrm{next}} = (1 + \sqrt{1 + 4t^2}) / 2`,
    * :math:`z_{\mathrm{next}} = c_{\mathrm{next}}
      + \frac{t - 1}{t_{\mathrm{next}}}(c_{\mathrm{next}} - c)`

    (Beck and Teboulle, 2009). It is tried on a small random problem at two states (the first
    step, ``t = 1``, and a later one), and the usual slips are named in the message.

    Parameters
    ----------
    fn : callable
        The student's step; ``A`` is a real ``(m, n)`` tensor, ``y`` shape ``(m,)``, ``c`` and
        ``z`` shape ``(n,)``, ``t`` a float.
    seed : int
        Seed of the test problem.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks, solvers
    >>> def step(A, y, lam, step, c, z, t):
    ...     c_next = solvers.soft_threshold(z - step * A.T @ (A @ z - y), step * lam)
    ...     t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
    ...     return c_next, c_next + (t - 1) / t_next * (c_next - c), t_next
    >>> checks.fista_step(step)
    ✔ FISTA step: correct
    """
    A = device.randn(12, 20, seed=seed, dtype=torch.float64) / 12 ** 0.5
    y = device.randn(12, seed=seed + 1, dtype=torch.float64)
    lam = 0.3
    step = 1 / float(torch.linalg.matrix_norm(A, 2)) ** 2
    c = device.randn(20, seed=seed + 2, dtype=torch.float64) * (torch.arange(20) % 3 == 0)
    z = c + 0.5 * device.randn(20, seed=seed + 3, dtype=torch.float64)
    for t in (1.0, 3.7):
        out = fn(A.clone(), y.clone(), lam, step, c.clone(), z.clone(), t)
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise CheckError("fista_step: return the three values (c_next, z_next, t_next)")
        c_next = as_tensor("c_next", out[0]).to(torch.float64)
        z_next = as_tensor("z_next", out[1]).to(torch.float64)
        t_next = as_number("t_next", out[2])
        ref_c, ref_z, ref_t, grad = _fista_reference(A, y, lam, step, c, z, t)
        for label, value in (("c_next", c_next), ("z_next", z_next)):
            if value.shape != c.shape:
                raise CheckError(f"fista_step: {label} must have shape {tuple(c.shape)}, got {tuple(value.shape)}")

        def same(u: torch.Tensor, v: torch.Tensor) -> bool:
            return bool(torch.allclose(u, v, rtol=1e-9, atol=1e-12))

        if not same(c_next, ref_c):
            if same(c_next, solvers.soft_threshold(z - step * grad, lam)):
                hint = "threshold at step * lam (the prox of step * lam ||.||_1), not at lam"
            elif same(c_next, z - step * grad):
                hint = "you took the gradient step but forgot the soft thresholding"
            elif same(c_next, solvers.soft_threshold(z + step * grad, step * lam)):
                hint = "the gradient step must go downhill: z - step * grad, not z + step * grad"
            elif same(c_next, solvers.soft_threshold(c - step * (A.T @ (A @ c - y)), step * lam)):
                hint = "the gradient step starts from the extrapolated point z, not from c"
            else:
                hint = ("expected soft(z - step * A^T (A z - y), step * lam); largest deviation "
                        f"{float((c_next - ref_c).abs().max()):.3g}")
            raise CheckError(f"fista_step (t = {t}): c_next is wrong: {hint}")
        if not abs(t_next - ref_t) <= 1e-6 * ref_t:
            raise CheckError(f"fista_step: for t = {t} expected t_next = (1 + sqrt(1 + 4 t^2)) / 2 = "
                             f"{ref_t:.6g}, got {t_next:.6g}")
        if not same(z_next, ref_z):
            if same(z_next, ref_c + (t - 1) / ref_t * (ref_c - z)):
                hint = "the momentum uses consecutive iterates, c_next - c, not c_next - z"
            elif same(z_next, ref_c + (ref_t - 1) / t * (ref_c - c)):
                hint = "the momentum weight is (t - 1) / t_next, not (t_next - 1) / t"
            elif same(z_next, ref_c):
                hint = "z_next must add the momentum term (t - 1) / t_next * (c_next - c) to c_next"
            else:
                hint = ("expected c_next + (t - 1) / t_next * (c_next - c); largest deviation "
                        f"{float((z_next - ref_z).abs().max()):.3g}")
            raise CheckError(f"fista_step (t = {t}): z_next is wrong: {hint}")
    ok("FISTA step")


def lasso_optimality(A: torch.Tensor, y: torch.Tensor, lam: float, x_rec: torch.Tensor, *,
                     tol: float = 1e-3) -> None:
    r"""Check that ``x_rec`` minimises :math:`\tfrac12\|Ax - y\|^2 + \lambda\|x\|_1` (real ``A``, ``y``,
    ``x_rec``).

    Writing :math:`x` for ``x_rec``, :math:`x` is a minimiser if and only if :math:`g = A^T(y - Ax)`
    satisfies :math:`g_i = \lambda \operatorname{sign}(x_i)` where :math:`x_i \ne 0` and
    :math:`|g_i| \le \lambda` where :math:`x_i = 0`. Both are tested up to ``tol * lam``, and the
    message names the worst coordinate.

    Parameters
    ----------
    A : torch.Tensor, shape ``(m, n)``
        The matrix.
    y : torch.Tensor, shape ``(m,)``
        The data.
    lam : float
        The weight of the l1 term (``> 0``).
    x_rec : torch.Tensor, shape ``(n,)``
        The candidate minimiser (the student's reconstruction).
    tol : float
        Relative tolerance (iterative solvers are not exact).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> A = torch.eye(3, dtype=torch.float64)
    >>> y = torch.tensor([2.0, 0.5, -3.0], dtype=torch.float64)
    >>> checks.lasso_optimality(A, y, 1.0, torch.tensor([1.0, 0.0, -2.0], dtype=torch.float64))
    ✔ LASSO optimality conditions: correct
    """
    lam = _validate.positive("lam", lam)
    tol = _validate.positive("tol", tol)
    A = as_tensor("A", A).to(torch.float64)
    y = as_tensor("y", y).to(torch.float64)
    x = as_tensor("x", x_rec)
    if x.is_complex():
        raise CheckError("x: expected a real vector, got a complex one")
    x = x.to(torch.float64)
    if A.ndim != 2 or tuple(x.shape) != (A.shape[1],) or tuple(y.shape) != (A.shape[0],):
        raise CheckError(f"x must have shape ({A.shape[-1]},) for this A; got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise CheckError("x contains NaN or inf: the iteration diverged (is the step at most 1 / ||A||^2?)")
    g = A.T @ (y - A @ x)
    allowed = tol * lam
    support = x != 0
    if bool(support.any()):
        gap = (g - lam * torch.sign(x)).abs() * support
        i = int(gap.argmax())
        if float(gap[i]) > allowed:
            raise CheckError(
                f"x[{i}] = {float(x[i]):.4g} is nonzero, so there the data term must balance the l1 term: "
                f"(A^T (y - A x))[{i}] should equal lam * sign(x[{i}]) = {lam * float(torch.sign(x[i])):.4g}, "
                f"but it is {float(g[i]):.4g}. Run more iterations, or check the step and the threshold")
    if bool((~support).any()):
        excess = (g.abs() - lam) * (~support)
        i = int(excess.argmax())
        if float(excess[i]) > allowed:
            raise CheckError(
                f"x[{i}] = 0, but |(A^T (y - A x))[{i}]| = {float(g[i].abs()):.4g} > lam = {lam:.4g}: moving "
                f"x[{i}] away from 0 would still lower the objective, so x is not a minimiser yet")
    ok("LASSO optimality conditions")
