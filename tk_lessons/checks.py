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
