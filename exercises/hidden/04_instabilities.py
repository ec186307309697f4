"""Hidden checks for exercises/source/04_instabilities.md (instructor only).

``python tools/grade.py exercises/source/04_instabilities.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: ``e_adv`` is a complex perturbation of the shape of ``y`` within the budget
  ``eta``, checked on its own (the visible check measures the error growth);
* task 2: ``random_perturbation`` against the reference statistics for another length and
  seed, on a batch of several rows (each row scaled to the radius), and reproducible from
  the generator's seed.
"""

from __future__ import annotations

import torch

from tk_lessons import checks
from tk_lessons.checks import CheckError


def task1_budget(ns):
    """e_adv has the shape and dtype of y and norm at most eta."""
    e_adv, y, eta = checks.defined(ns, "e_adv", "y", "eta")
    if not isinstance(e_adv, torch.Tensor) or tuple(e_adv.shape) != tuple(y.shape):
        raise CheckError(f"e_adv must be a tensor of the shape of y, {tuple(y.shape)}")
    if not e_adv.is_complex():
        raise CheckError("e_adv must be complex, like the measurements")
    norm = float(e_adv.abs().norm())
    if not norm <= eta * (1 + 1e-6):
        raise CheckError(f"||e_adv|| = {norm:.4g} exceeds the budget eta = {eta:.4g}")


def task2_other_sizes(ns):
    """random_perturbation for m = 75 and on a batch of 4 rows of radius 0.3."""
    (random_perturbation,) = checks.defined(ns, "random_perturbation")
    checks.random_direction(random_perturbation, m=75, seed=6)
    y = torch.randn(4, 33, dtype=torch.complex64, generator=torch.Generator().manual_seed(2))
    first = random_perturbation(y, 0.3, torch.Generator().manual_seed(8))
    again = random_perturbation(y, 0.3, torch.Generator().manual_seed(8))
    checks.close("norm of each row of the perturbation", (first - y).abs().norm(dim=1),
                 torch.full((4,), 0.3), rtol=1e-4, atol=1e-6)
    checks.close("the same generator seed gives the same perturbation", first, again)
