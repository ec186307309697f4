"""Self-checks for the exercises: each passes quietly with a short confirmation, or raises
:class:`CheckError` with a message that says what is wrong and what was expected.

Instructors can use the same functions in hidden tests.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from . import device as _device

__all__ = ["CheckError", "close", "adjoint", "in_kernel", "projector",
           "lipschitz_estimate", "soft_threshold", "fista_step", "lasso_optimality",
           "kernel_part", "approximate_kernel", "jitter", "at_least", "error_growth",
           "random_direction", "defined"]


class CheckError(AssertionError):
    """Raised when an exercise answer fails a check; the message explains why."""


def _ok(name: str) -> None:
    print(f"\u2714 {name}: correct")


def _as_tensor(name: str, value) -> torch.Tensor:
    if value is Ellipsis or value is None:
        raise CheckError(f"{name}: no answer yet (got {value!r}); replace the placeholder with your code")
    if not isinstance(value, torch.Tensor):
        try:
            array = np.asarray(value)
            if array.dtype.kind == "f":                 # keep double precision: torch would round to float32
                array = array.astype(np.float64)
            elif array.dtype.kind == "c":
                array = array.astype(np.complex128)
            value = torch.as_tensor(array)
        except (TypeError, ValueError, RuntimeError) as err:
            raise CheckError(f"{name}: expected a tensor or a number, got {type(value).__name__}") from err
    return value


def close(name: str, value, expected, *, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Check that ``value`` equals ``expected`` up to ``rtol``/``atol`` (same shape)."""
    v = _as_tensor(name, value)
    e = _as_tensor("expected", expected)
    if v.shape != e.shape:
        raise CheckError(f"{name}: expected shape {tuple(e.shape)}, got {tuple(v.shape)}")
    v = v.to(torch.complex128) if (v.is_complex() or e.is_complex()) else v.to(torch.float64)
    e = e.to(v.dtype).to(v.device)
    err = (v - e).abs().max().item() if v.numel() else 0.0
    tol = atol + rtol * (e.abs().max().item() if e.numel() else 0.0)
    if not err <= tol:
        if v.numel() == 1:
            raise CheckError(f"{name}: expected {e.item():.6g}, got {v.item():.6g}")
        raise CheckError(f"{name}: largest deviation from the expected values is {err:.3g} (allowed {tol:.3g})")
    _ok(name)


def adjoint(forward: Callable, adjoint: Callable, x_shape: Sequence[int], *, complex_domain: bool = True,
            seed: int = 0, rtol: float = 1e-10) -> None:
    """Check that ``adjoint`` is the adjoint of ``forward``: <A x, y> = <x, A^* y> for random x, y (float64)."""
    dtype = torch.complex128 if complex_domain else torch.float64
    x = _device.randn(*x_shape, seed=seed, dtype=dtype)
    ax = _as_tensor("forward(x)", forward(x))
    y = _device.randn(*ax.shape, seed=seed + 1, dtype=ax.dtype)
    aty = _as_tensor("adjoint(y)", adjoint(y))
    if aty.shape != x.shape:
        raise CheckError(f"adjoint: adjoint(y) must have the shape of x, {tuple(x.shape)}; got {tuple(aty.shape)}")
    lhs = torch.sum(ax.conj() * y) if ax.is_complex() else torch.sum(ax * y)
    rhs = torch.sum(x.conj() * aty.to(x.dtype)) if x.is_complex() else torch.sum(x * aty)
    gap = abs(complex(lhs) - complex(rhs)) / max(float(ax.norm() * y.norm()), 1e-300)
    if not gap <= rtol:
        raise CheckError(f"adjoint: <A x, y> and <x, A^* y> differ by {gap:.2e} (relative); "
                         "check conjugation and the normalisation of your transform")
    _ok("adjoint")


def in_kernel(forward: Callable, z, *, rtol: float = 1e-8) -> None:
    """Check that ``z`` is a nonzero vector with ``forward(z) = 0`` up to ``rtol * ||z||``."""
    z = _as_tensor("z", z)
    nz = float(z.norm())
    if nz == 0.0:
        raise CheckError("z: the zero vector lies in every kernel; find a nonzero one")
    residual = float(_as_tensor("forward(z)", forward(z)).norm())
    if not residual <= rtol * nz:
        raise CheckError(f"z: ||A z|| / ||z|| = {residual / nz:.2e}, but a kernel vector needs ||A z|| = 0")
    _ok("z lies in the kernel")


def projector(apply: Callable, x_shape: Sequence[int], *, onto_kernel_of: Callable | None = None,
              seed: int = 0, rtol: float = 1e-10) -> None:
    """Check that ``apply`` is an orthogonal projector (P^2 = P, P^* = P), optionally onto the kernel of a map."""
    x = _device.randn(*x_shape, seed=seed, dtype=torch.complex128)
    w = _device.randn(*x_shape, seed=seed + 1, dtype=torch.complex128)
    px = _as_tensor("P(x)", apply(x)).to(torch.complex128)
    scale = float(x.norm())
    if float((apply(px) - px).norm()) > rtol * scale:
        raise CheckError("projector: P(P(x)) differs from P(x): your map is not idempotent")
    pw = apply(w).to(torch.complex128)
    if abs(complex(torch.sum(px.conj() * w) - torch.sum(x.conj() * pw))) > rtol * scale * float(w.norm()):
        raise CheckError("projector: <P x, w> differs from <x, P w>: the projection is not orthogonal")
    if onto_kernel_of is not None and float(_as_tensor("A(P x)", onto_kernel_of(px)).norm()) > rtol * scale:
        raise CheckError("projector: A(P(x)) is not zero, so P does not map into the kernel of A")
    _ok("orthogonal projector")


# ---------------------------------------------------------------------------------------
# Chapter 2: Lipschitz estimates, soft thresholding, FISTA, LASSO optimality
# ---------------------------------------------------------------------------------------
def _number(name: str, value) -> float:
    """One real number from ``value`` (a float, an int or a one-element tensor), or a CheckError."""
    v = _as_tensor(name, value)
    if v.numel() != 1:
        raise CheckError(f"{name}: expected one number, got a tensor of shape {tuple(v.shape)}")
    if v.is_complex():
        if float(v.imag.abs()) > 1e-12 * max(1.0, float(v.real.abs())):
            raise CheckError(f"{name}: expected a real number, got the complex value {complex(v.item()):.4g}")
        v = v.real
    number = float(v)
    if number != number or number in (float("inf"), float("-inf")):
        raise CheckError(f"{name}: expected a finite number, got {number}")
    return number


def _agree(name: str, value, reference, *, rtol: float, atol: float = 0.0, hint: str = "") -> None:
    """Compare ``value`` with a reference that a check computed itself, without printing it.

    A failure says how the answer is wrong (shape, too large, too small, which entry) but never
    states the reference, so the message cannot be pasted back as the answer. ``hint`` says what
    to look at.
    """
    v = _as_tensor(name, value)
    e = _as_tensor("reference", reference).detach()
    if v.numel() == 1 and e.numel() == 1:
        v, e = v.reshape(()), e.reshape(())
    if v.shape != e.shape:
        raise CheckError(f"{name}: expected shape {tuple(e.shape)}, got {tuple(v.shape)}")
    v = v.detach().to(torch.complex128 if (v.is_complex() or e.is_complex()) else torch.float64)
    e = e.to(v.dtype).to(v.device)
    finite = torch.isfinite(e) if not e.is_complex() else torch.isfinite(torch.view_as_real(e)).all(-1)
    deviation = (v - e).abs()
    allowed = atol + rtol * e.abs()
    bad = ~((v == e) | (finite & (deviation <= allowed)))       # NaN in v is always wrong
    if not bool(bad.any()):
        return
    tail = f". {hint[:1].upper()}{hint[1:]}" if hint else ""
    if v.numel() == 1:
        if v.is_complex():
            raise CheckError(f"{name}: got {complex(v):.6g}, which is wrong{tail}")
        side = "too large" if float(v) > float(e) else "too small"
        raise CheckError(f"{name}: got {float(v):.6g}, which is {side}{tail}")
    index = int(bad.flatten().nonzero()[0])
    raise CheckError(f"{name}: {int(bad.sum())} of {v.numel()} entries are wrong, the first at "
                     f"flat index {index}{tail}")


def defined(namespace: dict, *names: str) -> list:
    """The values of ``names`` in a notebook's namespace; a clear error for any not defined.

    Hidden checks call this on the student's ``globals()`` before testing what they find.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.defined({"A": 1, "P": 2}, "P", "A")
    [2, 1]
    >>> checks.defined({"A": 1}, "A", "P", "psi")
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: P, psi: not defined; run the cells of the task that define them
    """
    if not isinstance(namespace, dict):
        raise TypeError(f"namespace must be a dict (a notebook's globals()), "
                        f"got {type(namespace).__name__}")
    missing = [name for name in names if name not in namespace]
    if missing:
        raise CheckError(f"{', '.join(missing)}: not defined; run the cells of the task that "
                         "define them")
    return [namespace[name] for name in names]


def lipschitz_estimate(name: str, estimate, exact, *, within: float = 0.05, rtol: float = 1e-6) -> None:
    """Check an estimate of a Lipschitz constant that was computed from evaluated ratios.

    Every ratio ``||Psi(y + e) - Psi(y)|| / ||e||`` with ``0 < ||e|| <= eps`` is a lower bound
    on the local constant ``L^eps(Psi, y)``, so an honest estimate never exceeds the exact
    value (up to rounding, ``rtol``); a good search also comes close to it.

    Parameters
    ----------
    name : str
        What the estimate is, for the messages.
    estimate : float or one-element tensor
        The student's estimate.
    exact : float or one-element tensor
        The exact constant.
    within : float
        The estimate must be at least ``(1 - within) * exact``; ``within=1`` accepts every
        valid lower bound, however poor.
    rtol : float
        Relative rounding allowance above ``exact``.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.lipschitz_estimate("estimate", 0.998, 1.0)
    ✔ estimate: correct
    """
    _lipschitz_estimate(name, estimate, exact, within=within, rtol=rtol, reveal=True)


def _lipschitz_estimate(name: str, estimate, exact, *, within: float, rtol: float,
                        reveal: bool) -> None:
    """:func:`lipschitz_estimate`; with ``reveal=False`` no message states the exact constant."""
    value = _number(name, estimate)
    target = _number("exact", exact)
    shown = f" {target:.6g}" if reveal else ""
    if value < 0:
        raise CheckError(f"{name}: got {value:.6g}, but a ratio of norms is never negative")
    if value > target * (1 + rtol) + 1e-12:
        raise CheckError(
            f"{name}: {value:.6g} exceeds the exact constant{shown}. Every ratio "
            "||Psi(y + e) - Psi(y)|| / ||e|| is at most the Lipschitz constant, so an estimate built "
            "from such ratios cannot be larger: divide by ||e|| (not by ||e||^2 or eps^2), and use "
            "the perturbation e that was actually applied")
    if value < (1 - within) * target:
        share = f"{value / target if target > 0 else 0.0:.1%} of" if reveal else "below"
        raise CheckError(
            f"{name}: {value:.6g} is {share} the exact constant{shown}. It is a valid lower "
            f"bound, but this task asks for one within {within:.0%}: run more ascent steps or restarts")
    _ok(name)


def _soft_reference(z: torch.Tensor, t: float) -> torch.Tensor:
    from .solvers.prox import soft_threshold   # the package's own prox, tested against its definition

    return soft_threshold(z, t)


def soft_threshold(fn: Callable, *, seed: int = 0) -> None:
    """Check an implementation ``fn(z, t)`` of soft thresholding on real tensors.

    ``soft_t(z) = sign(z) max(|z| - t, 0)``, the proximal map of ``t ||.||_1``. Common slips
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
    >>> checks.soft_threshold(lambda z, t: torch.sign(z) * torch.clamp(z.abs() - t, min=0))
    ✔ soft thresholding: correct
    """
    t = 0.7
    z = torch.cat([torch.tensor([-2.0, -0.7, -0.3, 0.0, 0.3, 0.7, 2.0], dtype=torch.float64),
                   3 * _device.randn(25, seed=seed, dtype=torch.float64)])
    out = _as_tensor("soft(z, t)", fn(z.clone(), t))
    if out.shape != z.shape:
        raise CheckError(f"soft thresholding: the output must have the shape of z, {tuple(z.shape)}; "
                         f"got {tuple(out.shape)}")
    out = out.to(torch.float64)
    expected = _soft_reference(z, t)
    if torch.allclose(out, expected, rtol=1e-10, atol=1e-12):
        _ok("soft thresholding")
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


def _fista_reference(A, y, lam, step, c, z, t):
    grad = A.T @ (A @ z - y)
    c_next = _soft_reference(z - step * grad, step * lam)
    t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
    return c_next, c_next + (t - 1) / t_next * (c_next - c), t_next, grad


def fista_step(fn: Callable, *, seed: int = 0) -> None:
    """Check one FISTA iteration for the LASSO ``min_c 1/2 ||A c - y||^2 + lam ||c||_1``.

    ``fn(A, y, lam, step, c, z, t)`` must return ``(c_next, z_next, t_next)`` with

    * ``c_next = soft(z - step A^T (A z - y), step lam)``,
    * ``t_next = (1 + sqrt(1 + 4 t^2)) / 2``,
    * ``z_next = c_next + (t - 1) / t_next (c_next - c)``

    (Beck and Teboulle, 2009). It is tried on a small random problem at two states (the first
    step, ``t = 1``, and a later one), and the usual slips are named in the message.

    Parameters
    ----------
    fn : callable
        The student's step; ``A`` is a real ``(m, n)`` tensor, ``y`` shape ``(m,)``, ``c`` and
        ``z`` shape ``(n,)``, ``t`` a float.
    seed : int
        Seed of the test problem.
    """
    A = _device.randn(12, 20, seed=seed, dtype=torch.float64) / 12 ** 0.5
    y = _device.randn(12, seed=seed + 1, dtype=torch.float64)
    lam = 0.3
    step = 1 / float(torch.linalg.matrix_norm(A, 2)) ** 2
    c = _device.randn(20, seed=seed + 2, dtype=torch.float64) * (torch.arange(20) % 3 == 0)
    z = c + 0.5 * _device.randn(20, seed=seed + 3, dtype=torch.float64)
    for t in (1.0, 3.7):
        out = fn(A.clone(), y.clone(), lam, step, c.clone(), z.clone(), t)
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise CheckError("fista_step: return the three values (c_next, z_next, t_next)")
        c_next = _as_tensor("c_next", out[0]).to(torch.float64)
        z_next = _as_tensor("z_next", out[1]).to(torch.float64)
        t_next = _number("t_next", out[2])
        ref_c, ref_z, ref_t, grad = _fista_reference(A, y, lam, step, c, z, t)
        for label, value in (("c_next", c_next), ("z_next", z_next)):
            if value.shape != c.shape:
                raise CheckError(f"fista_step: {label} must have shape {tuple(c.shape)}, got {tuple(value.shape)}")

        def same(u: torch.Tensor, v: torch.Tensor) -> bool:
            return bool(torch.allclose(u, v, rtol=1e-9, atol=1e-12))

        if not same(c_next, ref_c):
            if same(c_next, _soft_reference(z - step * grad, lam)):
                hint = "threshold at step * lam (the prox of step * lam ||.||_1), not at lam"
            elif same(c_next, z - step * grad):
                hint = "you took the gradient step but forgot the soft thresholding"
            elif same(c_next, _soft_reference(z + step * grad, step * lam)):
                hint = "the gradient step must go downhill: z - step * grad, not z + step * grad"
            elif same(c_next, _soft_reference(c - step * (A.T @ (A @ c - y)), step * lam)):
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
    _ok("FISTA step")


def lasso_optimality(A, y, lam: float, x, *, tol: float = 1e-3) -> None:
    """Check that ``x`` minimises ``1/2 ||A x - y||^2 + lam ||x||_1`` (real ``A``, ``y``, ``x``).

    ``x`` is a minimiser if and only if ``g = A^T (y - A x)`` satisfies ``g_i = lam sign(x_i)``
    where ``x_i != 0`` and ``|g_i| <= lam`` where ``x_i = 0``. Both are tested up to
    ``tol * lam``, and the message names the worst coordinate.

    Parameters
    ----------
    A : torch.Tensor, shape (m, n)
        The matrix.
    y : torch.Tensor, shape (m,)
        The data.
    lam : float
        The weight of the l1 term (``> 0``).
    x : torch.Tensor, shape (n,)
        The candidate minimiser.
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
    A = _as_tensor("A", A).to(torch.float64)
    y = _as_tensor("y", y).to(torch.float64)
    x = _as_tensor("x", x)
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
    _ok("LASSO optimality conditions")


# ---------------------------------------------------------------------------------------
# Chapter 1: kernel components and approximate kernels
# ---------------------------------------------------------------------------------------
def kernel_part(A, detail, z, *, rtol: float = 1e-8) -> None:
    """Check that ``z`` is the orthogonal projection of ``detail`` onto the kernel of ``A``.

    Two conditions characterise ``z = P_N(A) detail``: ``z`` lies in the kernel (``A z = 0``) and
    the rest ``detail - z`` has no kernel part left (it is orthogonal to ``N(A)``). The second
    is tested with :func:`tk_lessons.kernel.project`, so this check works for every operator
    of the course; the message says which condition fails.

    Parameters
    ----------
    A : tk_lessons.operators.LinearOperator
        The forward operator.
    detail : torch.Tensor, shape (B, *A.domain_shape)
        The detail that was projected.
    z : torch.Tensor, same shape as ``detail``
        The student's kernel part (real or complex).
    rtol : float
        Relative tolerance for both conditions.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import Inpainting
    >>> A = Inpainting(torch.tensor([True, False, True]))
    >>> d = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.float64)
    >>> checks.kernel_part(A, d, torch.tensor([[[0.0, 2.0, 0.0]]], dtype=torch.float64))
    ✔ kernel part of the detail: correct
    """
    from . import kernel as _kernel

    d = _as_tensor("detail", detail)
    z = _as_tensor("z", z)
    if z.shape != d.shape:
        raise CheckError(f"z: expected the shape of the detail, {tuple(d.shape)}; got {tuple(z.shape)}")
    if not (z.is_floating_point() or z.is_complex()):
        raise CheckError(f"z: expected a floating-point tensor, got dtype {z.dtype}")
    if not bool(torch.isfinite(torch.view_as_real(z) if z.is_complex() else z).all()):
        raise CheckError("z contains NaN or inf")
    wide = torch.complex128 if (z.is_complex() or d.is_complex()) else torch.float64
    z, d = z.to(wide), d.to(wide)
    scale = float(d.norm())
    if z.is_complex() and not A.domain_complex:
        raise CheckError(f"z: expected a real image for {type(A).__name__} (a real-valued space), got a complex one")
    z_norm = float(z.norm())
    if z_norm > 0:
        gain = float(A(z).norm()) / z_norm
        if gain > rtol * A.norm():
            raise CheckError(
                f"z is not in the kernel: ||A z|| / ||z|| = {gain:.2e}, but A z must vanish. "
                "Remove from the detail everything the operator measures (z = d - A^* A d when A A^* = I)")
    rest = d - z
    leftover = float(_kernel.project(A, rest, tol=min(rtol, 1e-8)).norm())
    if leftover > rtol * max(scale, 1e-300):
        if z_norm == 0:
            raise CheckError("z is zero, but the detail has a kernel part of relative size "
                             f"{leftover / scale:.2e}: project the detail, do not discard it")
        raise CheckError(
            f"z lies in the kernel but is not the orthogonal projection of the detail: the rest d - z "
            f"still has a kernel part of relative size {leftover / scale:.2e}. The projection keeps all "
            "of the detail's kernel part (did you rescale z, or drop part of it?)")
    _ok("kernel part of the detail")


def approximate_kernel(forward: Callable, z, tau: float, *, rtol: float = 1e-9,
                       unit_norm: bool = False) -> None:
    """Check that ``z`` is a nonzero real image in the approximate kernel: ``||A z|| <= tau ||z||``.

    Parameters
    ----------
    forward : callable
        ``z -> A z``.
    z : torch.Tensor
        The candidate, real and nonzero.
    tau : float
        The gain threshold, ``> 0``.
    rtol : float
        Relative rounding allowance above ``tau``.
    unit_norm : bool
        Also require ``||z|| = 1`` (up to ``1e-6``).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> checks.approximate_kernel(lambda v: 1e-3 * v, torch.ones(4, dtype=torch.float64), 1e-2)
    ✔ z lies in the approximate kernel: correct
    """
    z = _as_tensor("z", z)
    tau = _number("tau", tau)
    if z.is_complex():
        raise CheckError("z: expected a real image, got a complex tensor (take a real combination, e.g. the real part)")
    if not z.is_floating_point():
        raise CheckError(f"z: expected a floating-point tensor, got dtype {z.dtype}")
    z = z.to(torch.float64)
    z_norm = float(z.norm())
    if not z_norm > 0 or z_norm != z_norm:
        raise CheckError("z: the zero image is trivially invisible; find a nonzero one")
    if unit_norm and not abs(z_norm - 1.0) <= 1e-6:
        raise CheckError(f"z: ||z|| = {z_norm:.6g}, but the task asks for an image of norm 1: "
                         "divide z by its norm")
    gain = float(_as_tensor("A z", forward(z)).norm()) / z_norm
    if not gain <= tau * (1 + rtol):
        raise CheckError(
            f"z: ||A z|| / ||z|| = {gain:.3e} is above tau = {tau:.3e}, so the operator still sees z. "
            "Keep only directions with singular value <= tau (for a blur: the highest frequencies)")
    _ok("z lies in the approximate kernel")


# ---------------------------------------------------------------------------------------
# Chapter 3: jitter, comparisons of reconstruction methods
# ---------------------------------------------------------------------------------------
def jitter(fn: Callable, *, eta: float = 2.0, m: int = 400, draws: int = 4000, seed: int = 0) -> None:
    """Check a jitter function ``fn(y, eta, generator) -> y + eta * s * g / sqrt(m)``.

    The noise must be drawn from ``generator``, with one ``s ~ U[0, 1]`` per measurement
    vector (row of ``y``) and complex ``g ~ N(0, I_m)`` with ``E |g_j|^2 = 1``, so that
    ``E ||noise||^2 = eta^2 / 3`` and ``||noise|| / eta`` is close to ``s``. The check
    draws ``draws`` noise vectors of length ``m`` and tests these statistics, that the
    output has the shape and dtype of ``y``, and that the noise does not depend on ``y``.

    Parameters
    ----------
    fn : callable
        ``fn(y, eta, generator)`` for complex ``y`` of shape ``(B, m)``.
    eta : float
        The jitter level used in the test.
    m, draws : int
        Length and number of the test measurement vectors.
    seed : int
        Seed of the generators handed to ``fn``.

    Examples
    --------
    >>> import math, torch
    >>> from tk_lessons import checks
    >>> def fn(y, eta, gen):
    ...     s = torch.rand(y.shape[0], 1, generator=gen, dtype=torch.float64)
    ...     g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    ...     return y + eta * s * g / math.sqrt(y.shape[1])
    >>> checks.jitter(fn)
    ✔ jitter: correct
    """
    y0 = torch.zeros(draws, m, dtype=torch.complex128)
    out = _as_tensor("jitter(y, eta, generator)", fn(y0, eta, _device.generator(seed)))
    if out.shape != y0.shape:
        raise CheckError(f"jitter: the output must have the shape of y, {tuple(y0.shape)}, got {tuple(out.shape)}")
    if not out.is_complex():
        raise CheckError("jitter: complex measurements need complex noise, but the output is real "
                         "(draw g with torch.randn(..., dtype=y.dtype))")
    noise = out.to(torch.complex128) - y0
    if float(noise.imag.abs().max()) == 0.0:
        raise CheckError("jitter: the noise has no imaginary part; draw complex g "
                         "(torch.randn(..., dtype=y.dtype) gives E |g_j|^2 = 1)")
    y1 = _device.randn(draws, m, seed=seed + 1, dtype=torch.complex128)
    out1 = _as_tensor("jitter(y, eta, generator)", fn(y1, eta, _device.generator(seed)))
    if out1.shape != y1.shape or not torch.allclose(out1.to(torch.complex128) - y1, noise, atol=1e-6):
        raise CheckError("jitter: with a generator of the same seed, jitter(y) - y must be the same noise "
                         "for every y. Draw s and g from the generator you are given (not torch's global "
                         "random state), and add the noise to y")
    r2 = (noise.abs() ** 2).sum(dim=1) / eta**2          # s^2 ||g||^2 / m per row
    mean_r2 = float(r2.mean())
    if mean_r2 > 10:
        raise CheckError(f"jitter: E ||noise||^2 / eta^2 = {mean_r2:.4g}, about m / 3 = {m / 3:.4g}: "
                         "divide g by sqrt(m), the number of entries of one measurement vector")
    if abs(mean_r2 - 1.0) < 0.1:
        raise CheckError(f"jitter: E ||noise||^2 / eta^2 = {mean_r2:.3f}, about 1 instead of 1/3: "
                         "multiply by a random level s ~ U[0, 1] (torch.rand)")
    if abs(mean_r2 - 2 / 3) < 0.05:
        raise CheckError(f"jitter: E ||noise||^2 / eta^2 = {mean_r2:.3f}, about 2/3 instead of 1/3: your g "
                         "has E |g_j|^2 = 2 (variance 1 in the real and in the imaginary part); "
                         "torch.randn with a complex dtype already gives E |g_j|^2 = 1")
    if abs(mean_r2 - 1 / 3) > 0.03:
        raise CheckError(f"jitter: E ||noise||^2 / eta^2 = {mean_r2:.3f}, expected 1/3 "
                         "(E s^2 = 1/3 and E ||g||^2 / m = 1)")
    r = r2.sqrt()
    if float(r.std()) < 0.15:
        raise CheckError(f"jitter: ||noise|| / eta hardly varies between rows (std {float(r.std()):.3f}, "
                         "expected about 0.29 for s ~ U[0, 1]): draw one s per measurement vector "
                         "(shape (B, 1)), not one per entry or one for the whole batch")
    for q in (0.25, 0.5, 0.75):
        share = float((r < q).double().mean())
        if abs(share - q) > 0.04:
            raise CheckError(f"jitter: {share:.1%} of the rows have ||noise|| / eta < {q}, expected about "
                             f"{q:.0%}: the level s must be uniform on [0, 1]")
    _ok("jitter")


def at_least(name: str, value, bound, *, hint: str = "") -> None:
    """Check that the number ``value`` is at least ``bound``; ``hint`` is added to the message.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.at_least("error growth", 3.2, 2.0)
    ✔ error growth: correct
    """
    v = _number(name, value)
    b = _number("bound", bound)
    if not v >= b:
        raise CheckError(f"{name}: expected at least {b:.4g}, got {v:.4g}" + (f". {hint}" if hint else ""))
    _ok(name)


# ---------------------------------------------------------------------------------------
# Chapter 4: adversarial perturbations and random noise
# ---------------------------------------------------------------------------------------
def error_growth(recon: Callable, y, x, e, eps, *, factor: float = 2.0, rtol: float = 1e-6) -> None:
    """Check a data perturbation ``e`` of size at most ``eps`` that multiplies the error by ``factor``.

    The relative error ``||recon(y + e) - x|| / ||x||`` must be at least ``factor`` times the
    error ``||recon(y) - x|| / ||x||`` of the clean data, for every sample of the batch, and
    ``||e|| <= eps`` (up to ``rtol``) for every sample.

    Parameters
    ----------
    recon : callable
        The reconstructor, measurements in, images out.
    y : torch.Tensor, shape (B, ...)
        The clean measurements.
    x : torch.Tensor
        The true images, shape of ``recon(y)``.
    e : torch.Tensor, shape of ``y``
        The student's perturbation of the measurements.
    eps : float
        The budget.
    factor : float
        The required growth of the error.
    rtol : float
        Relative rounding allowance on the budget.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> y, x = torch.ones(1, 4), torch.full((1, 4), 2.0)      # the clean error is 50%
    >>> checks.error_growth(lambda v: v, y, x, torch.full((1, 4), -0.1), eps=0.2, factor=1.05)
    ✔ error growth: correct
    """
    y = _as_tensor("y", y)
    x = _as_tensor("x", x)
    e = _as_tensor("e", e)
    eps = _number("eps", eps)
    if e.shape != y.shape:
        raise CheckError(f"e: expected the shape of the measurements y, {tuple(y.shape)}; got {tuple(e.shape)}. "
                         "Perturb the data, not the image")
    flat = torch.view_as_real(e.resolve_conj()) if e.is_complex() else e
    if not bool(torch.isfinite(flat).all()):
        raise CheckError("e contains NaN or inf")
    size = flat.reshape(e.shape[0], -1).double().norm(dim=1)
    worst = int(size.argmax())
    if float(size[worst]) > eps * (1 + rtol):
        raise CheckError(f"e: ||e|| = {float(size[worst]):.6g} (sample {worst}) exceeds the budget eps = {eps:.6g}. "
                         "Keep the perturbation in the ball, e.g. e * min(1, eps / ||e||)")
    with torch.no_grad():
        clean = _as_tensor("recon(y)", recon(y))
        perturbed = _as_tensor("recon(y + e)", recon(y + e.to(y.dtype)))
    if clean.shape != x.shape:
        raise CheckError(f"x: expected the shape of recon(y), {tuple(clean.shape)}; got {tuple(x.shape)}")

    def error(out):   # any shape (B, ...): tk.metrics.rel_error wants image or signal batches
        return (out - x).reshape(x.shape[0], -1).double().norm(dim=1) / x.reshape(x.shape[0], -1).double().norm(dim=1)

    before, after = error(clean), error(perturbed)
    growth = after / before
    low = int(growth.argmin())
    if not float(growth[low]) >= factor:
        raise CheckError(
            f"error growth: the relative error of sample {low} goes from {float(before[low]):.2%} to "
            f"{float(after[low]):.2%}, a factor {float(growth[low]):.2f}, but this task asks for {factor:g}. "
            "Use the whole budget (||e|| = eps), run more ascent steps or use a larger step")
    _ok("error growth")


def random_direction(fn: Callable, *, m: int = 200, draws: int = 3000, seed: int = 0) -> None:
    """Check ``fn(y, size, generator) -> y + e`` with ``e = size * g / ||g||``, ``g`` complex Gaussian.

    Such an ``e`` is uniformly distributed on the sphere of radius ``size`` of ``C^m`` (viewed as
    ``R^{2m}``): every draw has norm exactly ``size``, each real coordinate carries on average
    ``1 / (2m)`` of the energy, and real and imaginary parts carry half each. The check also
    requires that the draws come from ``generator`` (same seed, same draws), that each row of a
    batch gets its own direction and that the noise does not depend on ``y``.

    Parameters
    ----------
    fn : callable
        ``fn(y, size, generator)`` for complex ``y`` of shape ``(B, m)``.
    m, draws : int
        Length and number of the test vectors.
    seed : int
        Seed of the generators handed to ``fn``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> def fn(y, size, gen):
    ...     g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    ...     return y + size * g / g.abs().norm(dim=1, keepdim=True)
    >>> checks.random_direction(fn)
    ✔ random direction: correct
    """
    y0 = torch.zeros(draws, m, dtype=torch.complex128)
    size = 0.7
    out = _as_tensor("fn(y, size, generator)", fn(y0, size, torch.Generator().manual_seed(seed)))
    if out.shape != y0.shape or not out.is_complex():
        raise CheckError(f"random direction: expected a complex tensor of the shape of y, {tuple(y0.shape)}; "
                         f"got {tuple(out.shape)} ({out.dtype}). Draw complex noise (dtype=y.dtype)")
    e = (out - y0).to(torch.complex128)
    norms = e.abs().norm(dim=1)
    if float((norms - size).abs().max()) > 1e-6 * size:
        raise CheckError(f"random direction: the rows of e have norms from {float(norms.min()):.4g} to "
                         f"{float(norms.max()):.4g}, but every one must be exactly size = {size}: divide each "
                         "row by its own norm (dim=1), then multiply by size")
    again = _as_tensor("fn(y, size, generator)", fn(y0, size, torch.Generator().manual_seed(seed)))
    if not torch.equal(again, out):
        raise CheckError("random direction: the same generator seed gave different noise; draw every random "
                         "number from the generator you are given (generator=...)")
    shifted = _as_tensor("fn(y + 1, size, generator)", fn(y0 + 1, size, torch.Generator().manual_seed(seed)))
    if float((shifted - 1 - out).abs().max()) > 1e-9:
        raise CheckError("random direction: the noise changed when y changed; it must not depend on y")
    if float((e[1:] - e[:-1]).abs().max()) < 1e-9:
        raise CheckError("random direction: every row got the same perturbation; draw one direction per row")
    energy_real = float(e.real.square().sum() / e.abs().square().sum())
    if abs(energy_real - 0.5) > 0.02:
        raise CheckError(f"random direction: the real parts carry {energy_real:.1%} of the energy, expected 50%: "
                         "draw real and imaginary parts independently (torch.randn with a complex dtype)")
    per_entry = e.abs().square().mean(dim=0) / size**2                   # expected 1 / m each
    spread = float((per_entry * m - 1).abs().max())
    if spread > 0.25:
        raise CheckError(f"random direction: the mean energy per entry varies by up to {spread:.0%} from "
                         f"1/m across entries; a uniform direction treats every entry alike (use a Gaussian, "
                         "not uniform noise, before normalising)")
    mean = float(e.mean(dim=0).abs().max()) * m**0.5 / size
    if mean > 0.15:
        raise CheckError("random direction: the noise is not centred (its mean is far from 0); "
                         "use torch.randn, not torch.rand")
    _ok("random direction")
