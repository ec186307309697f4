"""Hidden checks for exercises/source/13_firenets.md (instructor only).

``python tools/grade.py exercises/source/13_firenets.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals). Each one calls the task's check on problems built from other seeds than the visible
check, so a function tuned to the visible cases fails here:

* task 1: ``cp_step`` on other random matrices and points;
* task 2: ``firenet_errors`` on other sampling masks and sparse signals;
* task 3: ``restart_rate`` on other noisy geometric sequences.
"""

from __future__ import annotations

from tk_lessons import checks


def task1_other_steps(ns):
    """cp_step on problems from seeds 11 and 12."""
    (cp_step,) = checks.defined(ns, "cp_step")
    for seed in (11, 12):
        checks.cp_step_function(cp_step, seed=seed)


def task2_other_signals(ns):
    """firenet_errors on problems from seeds 21 and 22."""
    (firenet_errors,) = checks.defined(ns, "firenet_errors")
    for seed in (21, 22):
        checks.firenet_errors_function(firenet_errors, seed=seed)


def task3_other_sequences(ns):
    """restart_rate on sequences from seeds 31 and 32."""
    (restart_rate,) = checks.defined(ns, "restart_rate")
    for seed in (31, 32):
        checks.restart_rate_function(restart_rate, seed=seed)
