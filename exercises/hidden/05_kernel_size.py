"""Hidden checks for exercises/source/05_kernel_size.md (instructor only).

``python tools/grade.py exercises/source/05_kernel_size.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals). Each one calls the task's check on classes (or triangles) built from other seeds
than the visible check, so a function tuned to the visible cases fails here:

* task 1: ``kernel_size_of`` on two other classes, with and without noise;
* task 2: ``worst_case_error`` on two other classes;
* task 3: ``centre_of_three`` on other random triangles;
* task 4: ``average_kernel_size`` on two other classes, for p = 1 and 2.
"""

from __future__ import annotations

from tk_lessons import checks


def task1_other_classes(ns):
    """kernel_size_of on classes from seeds 11 and 12."""
    (kernel_size_of,) = checks.defined(ns, "kernel_size_of")
    for seed in (11, 12):
        checks.kernel_size_function(kernel_size_of, seed=seed)


def task2_other_classes(ns):
    """worst_case_error on classes from seeds 21 and 22."""
    (worst_case_error,) = checks.defined(ns, "worst_case_error")
    for seed in (21, 22):
        checks.worst_case_error_function(worst_case_error, seed=seed)


def task3_other_triangles(ns):
    """centre_of_three on random triangles from seeds 31 to 34."""
    (centre_of_three,) = checks.defined(ns, "centre_of_three")
    for seed in (31, 32, 33, 34):
        checks.chebyshev_three(centre_of_three, seed=seed)


def task4_other_classes(ns):
    """average_kernel_size on classes from seeds 41 and 42."""
    (average_kernel_size,) = checks.defined(ns, "average_kernel_size")
    for seed in (41, 42):
        checks.average_kernel_size_function(average_kernel_size, seed=seed)
