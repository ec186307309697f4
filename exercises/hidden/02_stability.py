"""Hidden checks for exercises/source/02_stability.md (instructor only).

``python tools/grade.py exercises/source/02_stability.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: ``pinv_lipschitz`` at other widths (0.7, 1.3) against the dense pseudo-inverse,
  and ``inverse`` on a random batch of three signals (``B(inverse(v)) = v``);
* task 2: ``tikhonov_lipschitz`` for another matrix (7 x 12, seed 5) and other ``lam``;
* task 3: ``soft`` and ``fista_step`` against the reference with other seeds;
* task 4: the attack estimates are valid lower bounds of ``L^2 = 1/2``;
* task 5: ``x_tik`` lies in the row space of ``F`` (``F^* F x_tik = x_tik``), the reason the
  kernel share vanishes, checked without the student's ``kernel_share``.
"""

from __future__ import annotations

import torch

import tk_lessons as tk
from tk_lessons import checks
from tk_lessons.checks import CheckError


def task1_other_widths(ns):
    """pinv_lipschitz for sigma = 0.7, 1.3; inverse on a random batch."""
    pinv_lipschitz, inverse, B, N = checks.defined(ns, "pinv_lipschitz", "inverse", "B", "N")
    for sigma in (0.7, 1.3):
        dense = tk.operators.Blur((N,), sigma).to_dense(torch.float64)
        exact = torch.linalg.matrix_norm(torch.linalg.pinv(dense), 2)
        checks.close(f"L for sigma = {sigma}", pinv_lipschitz(sigma), exact, rtol=1e-6)
    v = torch.randn(3, 1, N, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    checks.close("B(inverse(v)) for a batch of 3 random signals", B(inverse(v)), v,
                 rtol=1e-6, atol=1e-8)


def task2_other_matrix(ns):
    """tikhonov_lipschitz for a 7 x 12 matrix and lam = 0.03, 3."""
    (tikhonov_lipschitz,) = checks.defined(ns, "tikhonov_lipschitz")
    M = torch.randn(7, 12, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    for lam in (0.03, 3.0):
        R = torch.linalg.solve(M.T @ M + lam * torch.eye(12, dtype=torch.float64), M.T)
        checks.close(f"||Psi_lam|| for a 7 x 12 matrix, lam = {lam}",
                     tikhonov_lipschitz(torch.linalg.svdvals(M), lam),
                     torch.linalg.matrix_norm(R, 2), rtol=1e-6)


def task3_other_seeds(ns):
    """soft and fista_step against the reference on other random problems."""
    soft, fista_step = checks.defined(ns, "soft", "fista_step")
    for seed in (3, 8):
        checks.soft_threshold_rule(soft, seed=seed)
        checks.fista_step(fista_step, seed=seed)


def task4_lower_bounds(ns):
    """Both attack estimates are lower bounds of L^2(relu, -1) = 1/2."""
    estimate_1, estimate_100 = checks.defined(ns, "estimate_1", "estimate_100")
    for name, value in (("estimate_1", estimate_1), ("estimate_100", estimate_100)):
        checks.lipschitz_estimate(f"{name} (any valid lower bound)", value, 0.5, within=1.0)


def task5_row_space(ns):
    """x_tik = F^* F x_tik: the Tikhonov reconstruction has no kernel part."""
    F, x_tik, x = checks.defined(ns, "F", "x_tik", "x")
    if not isinstance(x_tik, torch.Tensor) or tuple(x_tik.shape) != tuple(x.shape):
        raise CheckError(f"x_tik must be a tensor of the shape of x, {tuple(x.shape)}")
    checks.close("F^* F x_tik", F.H(F(x_tik)).real, x_tik, rtol=1e-8, atol=1e-10)
