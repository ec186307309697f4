"""Hidden checks for exercises/source/03_learned.md (instructor only).

``python tools/grade.py exercises/source/03_learned.md SUBMISSIONS --hidden --out ...`` runs
each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: ``jitter`` against the reference statistics for other ``eta``, ``m`` and seeds,
  and on a batch of nonzero measurements (the noise is added to ``y``, not replacing it);
* task 3: ``data_step`` with other steps ``k`` of the ItNet on other random images, and
  ``my_itnet`` on images that are not heads (ellipse phantoms).
"""

from __future__ import annotations

import torch

from tk_lessons import checks, data


def task1_other_parameters(ns):
    """jitter for eta = 0.5, m = 150 and eta = 4, m = 60; noise added to nonzero data."""
    (jitter,) = checks.defined(ns, "jitter")
    checks.jitter(jitter, eta=0.5, m=150, seed=9)
    checks.jitter(jitter, eta=4.0, m=60, seed=10)
    y = torch.full((5, 30), 2.0 + 1.0j, dtype=torch.complex64)
    out = jitter(y, 0.0, torch.Generator().manual_seed(1))
    checks.close("jitter(y, eta=0) = y", out, y, rtol=1e-6, atol=1e-6)


def task3_other_inputs(ns):
    """data_step for steps k = 0, 2 on other images; my_itnet on ellipse phantoms."""
    data_step, my_itnet, itnet, A = checks.defined(ns, "data_step", "my_itnet", "itnet", "A")
    gen = torch.Generator().manual_seed(12)
    images = torch.rand(3, 1, 64, 64, generator=gen)
    y = A(torch.rand(3, 1, 64, 64, generator=gen))
    ellipses = torch.cat([data.ellipses(64, seed=s) for s in (4, 5)]).float()
    with torch.no_grad():
        for k in (0, itnet.n_iter - 1):
            checks.close(f"data_step with the step of iteration {k}",
                         data_step(images, y, itnet.lam[k]), itnet.data_step(images, y, k),
                         rtol=1e-5, atol=1e-6)
        checks.close("my_itnet on two ellipse phantoms", my_itnet(A(ellipses)),
                     itnet(A(ellipses)), rtol=1e-4, atol=1e-5)
