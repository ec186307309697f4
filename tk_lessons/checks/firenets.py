r"""Checks of the restarted primal-dual method behind FIRENETs (Chapter 13).

Each check builds its own small problem from ``seed`` and computes the reference itself: one
Chambolle-Pock step of the square-root LASSO with dense matrices, the least-squares rate of a
geometric error sequence, and the errors of :func:`tk_lessons.solvers.firenet` after each
restart on a 1-D Haar-sparse signal. Failure messages say what is wrong, never the reference.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import solvers
from ..operators import SubsampledFourier, Wavelet
from ._core import CheckError, agree, as_tensor, ok

__all__ = ["cp_step_function", "firenet_errors_function", "restart_rate_function"]


def _step_reference(B, y, c, d, tau, sigma, thresh):
    """One primal-dual step for min lam ||c||_1 + ||B c - y|| with dense real matrices."""
    v = c - tau * B.T @ d
    c_new = v.sign() * (v.abs() - tau * thresh).clamp(min=0)
    u = d + sigma * (B @ (2 * c_new - c) - y)
    return c_new, u / max(1.0, float(u.norm()))


def cp_step_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(B, y, c, d, tau, sigma, thresh)``: one primal-dual step of the square-root LASSO.

    The step is :math:`c^+ = \operatorname{soft}_{\tau t}(c - \tau B^T d)`,
    :math:`d^+ = \Pi_{\{\lVert d \rVert \le 1\}}(d + \sigma(B(2c^+ - c) - y))` for a real matrix
    ``B``; ``fn`` returns ``(c_new, d_new)``. Two cases: the dual update inside the unit ball
    and outside it.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> def cp_step(B, y, c, d, tau, sigma, thresh):
    ...     v = c - tau * B.T @ d
    ...     c_new = torch.sign(v) * torch.clamp(v.abs() - tau * thresh, min=0)
    ...     u = d + sigma * (B @ (2 * c_new - c) - y)
    ...     return c_new, u / max(1.0, float(u.norm()))
    >>> checks.cp_step_function(cp_step)
    ✔ one primal-dual step: correct
    """
    g = torch.Generator().manual_seed(1300 + int(seed))
    B = torch.randn(6, 10, generator=g, dtype=torch.float64)
    B = B / torch.linalg.matrix_norm(B, 2)
    for scale, case in ((0.05, "dual update inside the ball"), (5.0, "dual update outside the ball")):
        y = scale * torch.randn(6, generator=g, dtype=torch.float64)
        c = torch.randn(10, generator=g, dtype=torch.float64)
        d = 0.1 * torch.randn(6, generator=g, dtype=torch.float64)
        out = fn(B, y, c, d, 0.9, 0.9, 0.3)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise CheckError(f"one primal-dual step ({case}): expected a pair (c_new, d_new), "
                             f"got {type(out).__name__}")
        c_ref, d_ref = _step_reference(B, y, c, d, 0.9, 0.9, 0.3)
        agree(f"c_new ({case})", as_tensor("c_new", out[0]), c_ref, rtol=1e-8, atol=1e-10,
              hint="soft-threshold c - tau B^T d at tau * thresh")
        agree(f"d_new ({case})", as_tensor("d_new", out[1]), d_ref, rtol=1e-8, atol=1e-10,
              hint="use the new c in B(2 c_new - c), then project onto the unit ball")
    ok("one primal-dual step")


def restart_rate_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(errors)``: the least-squares slope of :math:`-\ln(\text{error})` per restart.

    ``errors[k - 1]`` is the error after restart ``k``; the answer is the slope ``r`` of the
    least-squares line through the points :math:`(k, -\ln \text{errors}[k-1])`, so that the
    error falls by about :math:`e^{r}` per restart. Tried on two noisy geometric sequences.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> def restart_rate(errors):
    ...     k = torch.arange(1, len(errors) + 1, dtype=torch.float64)
    ...     v = -torch.as_tensor(errors, dtype=torch.float64).log()
    ...     return float(((k - k.mean()) * (v - v.mean())).sum() / ((k - k.mean()) ** 2).sum())
    >>> checks.restart_rate_function(restart_rate)
    ✔ rate per restart: correct
    """
    g = torch.Generator().manual_seed(1310 + int(seed))
    for rate in (1.0, 0.4):
        n = 12
        k = torch.arange(1, n + 1, dtype=torch.float64)
        noise = 0.3 * torch.randn(n, generator=g, dtype=torch.float64)
        errors = 0.5 * torch.exp(-rate * k + noise)
        v = -errors.log()
        reference = ((k - k.mean()) * (v - v.mean())).sum() / ((k - k.mean()) ** 2).sum()
        agree(f"rate per restart (true rate {rate})", fn(errors.clone()), reference, rtol=1e-6,
              hint="fit a straight line to -ln(error) against k = 1, 2, ... by least squares "
                   "and return its slope")
    ok("rate per restart")


def firenet_errors_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(A, W, x, lam, n_inner, n_outer)``: relative errors of FIRENET after each restart.

    ``fn`` returns a tensor of shape ``(n_outer,)`` with
    :math:`\lVert x_k - x \rVert / \lVert x \rVert` for the image :math:`x_k` after restart
    :math:`k` of ``solvers.firenet(A, A(x), lam, W, n_outer=n_outer, n_inner=n_inner,
    real=True)``, for one signal ``x`` of shape ``(1, 1, 64)``. Tried on a Haar-sparse signal
    with a long and a short inner block.

    Examples
    --------
    >>> import torch
    >>> import tk_lessons as tk
    >>> from tk_lessons import checks
    >>> def firenet_errors(A, W, x, lam, n_inner, n_outer):
    ...     _, its = tk.solvers.firenet(A, A(x), lam, W, n_outer=n_outer, n_inner=n_inner,
    ...                                 real=True, return_iterates=True)
    ...     return torch.stack([(it - x).norm() / x.norm() for it in its])
    >>> checks.firenet_errors_function(firenet_errors)
    ✔ FIRENET errors after each restart: correct
    """
    g = torch.Generator().manual_seed(1320 + int(seed))
    mask = torch.zeros(64, dtype=torch.bool)
    mask[24:40] = True
    mask[torch.randperm(64, generator=g)[:12]] = True
    A, W = SubsampledFourier(mask), Wavelet((64,), "haar", levels=3)
    c = torch.zeros(1, 1, 64, dtype=torch.float64)
    c[0, 0, torch.randperm(64, generator=g)[:4]] = torch.randn(4, generator=g, dtype=torch.float64)
    x = W.H(c)
    for n_inner in (20, 3):
        _, its = solvers.firenet(A, A(x), 1e-3, W, n_outer=6, n_inner=n_inner, real=True,
                                 return_iterates=True)
        reference = torch.stack([(it - x).norm() / x.norm() for it in its])
        value = as_tensor("errors", fn(A, W, x.clone(), 1e-3, n_inner, 6))
        agree(f"errors after each restart (n_inner={n_inner})", value.reshape(-1), reference,
              rtol=1e-5, atol=1e-12,
              hint="one relative error ||x_k - x|| / ||x|| per restart, in order; ask "
                   "solvers.firenet for return_iterates=True")
    ok("FIRENET errors after each restart")
