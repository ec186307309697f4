"""Hidden checks for exercises/source/09_not_rare.md (instructor only).

``python tools/grade.py exercises/source/09_not_rare.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: ``log10_bound`` on other cases (seed 1), including one far below any float;
* task 2: ``p`` for the task's ball (the visible check again, recorded by the grader);
* task 3: ``n_star`` is the smallest dimension below 10^-6 (the visible check again, so that
  grading records it);
* task 4: ``rates`` is monotone up to one ||e~|| (a ball test, not a noise test).
"""

from __future__ import annotations

from tk_lessons import checks
from tk_lessons.checks import CheckError


def task1_other_cases(ns):
    """log10_bound on the cases of seed 1."""
    (log10_bound,) = checks.defined(ns, "log10_bound")
    checks.gaussian_bound_function(log10_bound, seed=1)


def task2_probability(ns):
    """p for the task's ball, m = 3 complex entries."""
    p, m, sigma, t, r = checks.defined(ns, "p", "m", "sigma", "t", "r")
    checks.ball_probability_value(p, m, sigma, t, r)


def task3_dimension(ns):
    """n_star is the smallest dimension below 10^-6."""
    (n_star,) = checks.defined(ns, "n_star")
    checks.dimension_below(n_star, ratio=0.5, log10_level=-6.0)


def task4_shape_of_the_curve(ns):
    """rates: one per radius, 1 at rho = 0 (the centre fails by construction), not increasing up to ||e~||."""
    rates, radii = checks.defined(ns, "rates", "radii")
    values = [float(v) for v in rates]
    if len(values) != len(radii):
        raise CheckError(f"rates must have one entry per radius ({len(radii)}), got {len(values)}")
    if values[0] != 1.0:
        raise CheckError(f"at rho = 0 every draw is e_adv itself and must fail (rate 1), got {values[0]:.3f}")
    upto = [v for rho, v in zip(radii, values) if rho <= 1.0]
    if any(b > a + 1e-12 for a, b in zip(upto, upto[1:])):
        raise CheckError("the failure rate grows between two radii up to ||e~||: is the threshold per signal "
                         "and are the draws centred at e_adv?")
