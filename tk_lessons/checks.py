"""Self-checks for the exercises: each passes quietly with a short confirmation, or raises
:class:`CheckError` with a message that says what is wrong and what was expected.

Instructors can use the same functions in hidden tests.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from . import device as _device


class CheckError(AssertionError):
    """Raised when an exercise answer fails a check; the message explains why."""


def _ok(name: str) -> None:
    print(f"\u2714 {name}: correct")


def _as_tensor(name: str, value) -> torch.Tensor:
    if value is Ellipsis or value is None:
        raise CheckError(f"{name}: no answer yet (got {value!r}); replace the placeholder with your code")
    if not isinstance(value, torch.Tensor):
        try:
            value = torch.as_tensor(value)
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
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = torch.tensor(float(value), dtype=torch.float64)   # as_tensor would round to float32
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
    value = _number(name, estimate)
    target = _number("exact", exact)
    if value < 0:
        raise CheckError(f"{name}: got {value:.6g}, but a ratio of norms is never negative")
    if value > target * (1 + rtol) + 1e-12:
        raise CheckError(
            f"{name}: {value:.6g} exceeds the exact constant {target:.6g}. Every ratio "
            "||Psi(y + e) - Psi(y)|| / ||e|| is at most the Lipschitz constant, so an estimate built "
            "from such ratios cannot be larger: divide by ||e|| (not by ||e||^2 or eps^2), and use "
            "the perturbation e that was actually applied")
    if value < (1 - within) * target:
        share = value / target if target > 0 else 0.0
        raise CheckError(
            f"{name}: {value:.6g} is {share:.1%} of the exact constant {target:.6g}. It is a valid lower "
            f"bound, but this task asks for one within {within:.0%}: run more ascent steps or restarts")
    _ok(name)


def _soft_reference(z: torch.Tensor, t: float) -> torch.Tensor:
    magnitude = z.abs()
    return z * torch.clamp(1 - t / torch.clamp(magnitude, min=torch.finfo(magnitude.dtype).tiny), min=0)


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


def approximate_kernel(forward: Callable, z, tau: float, *, rtol: float = 1e-9) -> None:
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
    gain = float(_as_tensor("A z", forward(z)).norm()) / z_norm
    if not gain <= tau * (1 + rtol):
        raise CheckError(
            f"z: ||A z|| / ||z|| = {gain:.3e} is above tau = {tau:.3e}, so the operator still sees z. "
            "Keep only directions with singular value <= tau (for a blur: the highest frequencies)")
    _ok("z lies in the approximate kernel")
