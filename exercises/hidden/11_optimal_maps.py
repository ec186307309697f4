"""Hidden checks for exercises/source/11_optimal_maps.md (instructor only).

``python tools/grade.py exercises/source/11_optimal_maps.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals). Each one calls the task's function on cases other than the visible check's, so a
function tuned to the visible cases fails here:

* task 1: ``forced_error`` on classes from two other seeds;
* task 2: ``best_and_worst`` on classes from two other seeds;
* task 3: ``jump_worst_case`` for random ReLU networks on a random grid around 0;
* task 4: ``jump_bound`` for the same networks at random ``t``.
"""

from __future__ import annotations

import torch

from tk_lessons import checks, kernel, networks


def _nets() -> list:
    J = kernel.jump_operator()
    return [networks.MLP(J, hidden=8, layers=2, seed=seed) for seed in (51, 52)]


def task1_other_classes(ns):
    """forced_error on classes from seeds 11 and 12."""
    (forced_error,) = checks.defined(ns, "forced_error")
    for seed in (11, 12):
        checks.forced_error_function(forced_error, seed=seed)


def task2_other_classes(ns):
    """best_and_worst on classes from seeds 21 and 22."""
    (best_and_worst,) = checks.defined(ns, "best_and_worst")
    for seed in (21, 22):
        checks.training_set_range(best_and_worst, seed=seed)


def task3_random_networks(ns):
    """jump_worst_case for two random networks on a random grid that contains 0."""
    (jump_worst_case,) = checks.defined(ns, "jump_worst_case")
    g = torch.Generator().manual_seed(31)
    t = torch.cat([2 * torch.rand(50, generator=g, dtype=torch.float64) - 1,
                   torch.tensor([0.0, 1e-8], dtype=torch.float64)])[:, None]
    for k, net in enumerate(_nets()):
        with torch.no_grad():
            expected = float(kernel.jump_error(net(t), t).max())
            value = jump_worst_case(net, t.clone())
        checks.close(f"worst case of random network {k + 1}", value, expected, rtol=1e-9)


def task4_random_networks(ns):
    """jump_bound for two random networks at three random t."""
    (jump_bound,) = checks.defined(ns, "jump_bound")
    g = torch.Generator().manual_seed(41)
    for k, net in enumerate(_nets()):
        for t in (0.5 * torch.rand(3, generator=g, dtype=torch.float64)).tolist():
            with torch.no_grad():
                out = net(torch.tensor([[0.0], [t]], dtype=torch.float64))
                expected = 1 - float((out[1] - out[0]).norm()) / 2
                value = jump_bound(net, t)
            checks.close(f"bound of random network {k + 1} at t = {t:.3f}", value, expected,
                         rtol=1e-9)
