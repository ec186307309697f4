"""tk_lessons.checks.firenets (Chapter 13): right answers pass, wrong ones fail with a useful message.

The references here are independent of the checks: a primal-dual step checked against its
optimality meaning (a fixed point is a saddle point of the square-root LASSO), rates from
numpy's polyfit, and FIRENET errors from a plain loop over restarts.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tk_lessons as tk
from tk_lessons import checks
from tk_lessons.checks import CheckError

F64 = torch.float64


def cp_step(B, y, c, d, tau, sigma, thresh):
    v = c - tau * B.T @ d
    c_new = torch.sign(v) * torch.clamp(v.abs() - tau * thresh, min=0)
    u = d + sigma * (B @ (2 * c_new - c) - y)
    return c_new, u / max(1.0, float(u.norm()))


def restart_rate(errors):
    e = np.asarray(errors, dtype=float)
    return float(-np.polyfit(np.arange(1, len(e) + 1), np.log(e), 1)[0])


def firenet_errors(A, W, x, lam, n_inner, n_outer):
    out = []
    for n in range(1, n_outer + 1):          # a fresh run per depth: the restarts are deterministic
        x_n = tk.solvers.firenet(A, A(x), lam, W, n_outer=n, n_inner=n_inner, real=True)
        out.append(float((x_n - x).norm() / x.norm()))
    return out


def test_right_answers_pass(capsys):
    checks.cp_step_function(cp_step)
    checks.restart_rate_function(restart_rate)
    checks.firenet_errors_function(firenet_errors)
    assert capsys.readouterr().out.count("correct") == 3


def test_the_step_solves_the_sqrt_lasso():
    """Iterating the reference step converges to a point with the square-root LASSO's optimality."""
    g = torch.Generator().manual_seed(5)
    B = torch.randn(5, 8, generator=g, dtype=F64)
    B = B / torch.linalg.matrix_norm(B, 2)
    y, lam = torch.randn(5, generator=g, dtype=F64), 0.2
    c, d = torch.zeros(8, dtype=F64), torch.zeros(5, dtype=F64)
    for _ in range(20000):
        c, d = cp_step(B, y, c, d, 1.0, 1.0, lam)
    r = B @ c - y
    assert r.norm() > 1e-6
    grad = B.T @ (r / r.norm())                      # subgradient of ||Bc - y||
    on = c.abs() > 1e-8
    assert torch.allclose(grad[on], -lam * c[on].sign(), atol=1e-6)
    assert (grad[~on].abs() <= lam + 1e-6).all()


@pytest.mark.parametrize("wrong, message", [
    (lambda B, y, c, d, tau, sigma, thresh: (c - tau * B.T @ d, d), "c_new"),
    (lambda B, y, c, d, tau, sigma, thresh: (cp_step(B, y, c, d, tau, sigma, thresh)[0],
                                             d + sigma * (B @ c - y)), "d_new"),
    (lambda B, y, c, d, tau, sigma, thresh: cp_step(B, y, c, d, tau, sigma, thresh)[0], "pair"),
])
def test_wrong_steps_fail(wrong, message):
    with pytest.raises(CheckError, match=message):
        checks.cp_step_function(wrong)


def test_wrong_rates_fail():
    with pytest.raises(CheckError, match="least squares"):
        checks.restart_rate_function(lambda e: float(torch.log(e[0] / e[-1])) / (len(e) - 1))
    with pytest.raises(CheckError, match="too small"):
        checks.restart_rate_function(lambda e: -restart_rate(e))


def test_wrong_errors_fail():
    with pytest.raises(CheckError, match="relative error"):
        checks.firenet_errors_function(
            lambda A, W, x, lam, p, n: [v * float(x.norm()) for v in firenet_errors(A, W, x, lam, p, n)])
    with pytest.raises(CheckError, match="shape"):
        checks.firenet_errors_function(lambda A, W, x, lam, p, n: firenet_errors(A, W, x, lam, p, n)[1:])
    with pytest.raises(CheckError, match="no answer"):
        checks.firenet_errors_function(lambda *args: ...)
