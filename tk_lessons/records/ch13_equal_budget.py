"""Record ``ch13_equal_budget``: the FIRENET searched for its worst data perturbation as chapter 4 searched the U-Net.

Chapter 13 attacks the FIRENET (``solvers.firenet``, Haar wavelets with 3 levels,
``lam = 0.01``, 8 restarts of 25 primal-dual steps: 200 layers) on chapter 4's problem: the
operator of ``unet_radial64`` (10 golden-angle radial spokes), the first four test heads
(``HeadsDataset(4, size=64, seed=3)``) and the radius ``eps = 0.05 * mean ||A x||``. The
search is chapter 4's, with chapter 4's effort: :func:`tk_lessons.attacks.lipschitz_lower_bound`
on the sphere ``||e|| = eps``, 100 steps, 8 restarts, step length 1, seed 0, differentiated
through all 200 layers. Every ratio is a certified lower bound on ``L^eps(Psi, A x)``; the
record keeps the best perturbation of each head and the ratio of every iterate.

Regenerate (about 6 minutes on one CPU thread)::

    python -m tk_lessons.records.ch13_equal_budget
"""

from __future__ import annotations

import platform
import time

import torch

from .. import attacks, data, operators, solvers, zoo
from . import save
from .ch04_equal_budget import BUDGET, HEAD_SEED, LR, N_HEADS, RESTARTS, SEED, STEPS

__all__ = ["setting", "main"]

NAME = "ch13_equal_budget"
LAM = 0.01
N_OUTER = 8
N_INNER = 25
LEVELS = 3


def setting(device: torch.device | str = "cpu"):
    """The chapter's setting: the FIRENET map, operator, wavelet, heads, data and radius."""
    A = zoo.load("unet_radial64", device=device).A
    W = operators.Wavelet((64, 64), "haar", levels=LEVELS)
    heads = data.HeadsDataset(N_HEADS, size=64, seed=HEAD_SEED)
    X = torch.stack([heads[i] for i in range(len(heads))]).to(device)
    y = A(X)
    eps = BUDGET * y.abs().flatten(1).norm(dim=1).mean().item()

    def firenet(v):
        return solvers.firenet(A, v, LAM, W, n_outer=N_OUTER, n_inner=N_INNER, real=True)

    return firenet, A, W, X, y, eps


def main() -> None:
    torch.set_num_threads(1)
    firenet, A, W, X, y, eps = setting()
    start = time.perf_counter()
    res = attacks.lipschitz_lower_bound(firenet, y, eps, n_iter=STEPS, restarts=RESTARTS, lr=LR, seed=SEED)
    seconds = round(time.perf_counter() - start, 1)
    ratio = [round(float(r), 4) for r in res.ratio]
    print(f"FIRENET: ratios {ratio} in {seconds} s")
    card = {
        "description": __doc__.split("\n")[0],
        "command": f"python -m tk_lessons.records.{NAME}",
        "recipe": {"search": "tk_lessons.attacks.lipschitz_lower_bound", "sphere": True, "steps": STEPS,
                   "restarts": RESTARTS, "lr": LR, "seed": SEED, "operator": "unet_radial64.A",
                   "firenet": {"lam": LAM, "n_outer": N_OUTER, "n_inner": N_INNER, "wavelet": "haar",
                               "levels": LEVELS, "real": True},
                   "heads": f"HeadsDataset({N_HEADS}, size=64, seed={HEAD_SEED})",
                   "eta": f"{BUDGET} * mean ||A x||", "eta_value": eps,
                   "data_norms": [round(float(v), 6) for v in y.abs().flatten(1).norm(dim=1)]},
        "result": {"ratio": {"FIRENET": ratio}, "seconds": {"FIRENET": seconds},
                   "threads": torch.get_num_threads(), "torch": torch.__version__,
                   "machine": platform.machine()},
        "tensors": {"e_firenet": "the best perturbation found for each head, complex, shape of y",
                    "ratio_history_firenet":
                        "||Psi(y + e) - Psi(y)|| / ||e|| of every iterate, (restarts, steps + 1, heads)"},
    }
    print(save(NAME, {"e_firenet": res.e, "ratio_history_firenet": res.history["ratio"]}, card))


if __name__ == "__main__":
    main()
