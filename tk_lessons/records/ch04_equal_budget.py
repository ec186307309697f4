"""Record ``ch04_equal_budget``: the U-Net and TV searched for their worst data perturbation alike.

Chapter 4 compares the shipped U-Net ``unet_radial64`` with the TV reconstruction it reports
(``solvers.tv`` with the manifest's tuned weight, 300 ADMM iterations from the usual start),
on the first four test heads (``HeadsDataset(4, size=64, seed=3)``) at the budget
``eps = 0.05 * mean ||A x||``. Both maps get the *same* search,
:func:`tk_lessons.attacks.lipschitz_lower_bound` on the sphere ``||e|| = eps`` with the same
steps, restarts, step length and seed (the same random starting directions), TV
differentiated through all 300 of its iterations. Every ratio the search evaluates is a
certified lower bound on ``L^eps(Psi, A x)``; the record keeps the best perturbation of each
head and the ratio of every iterate, so the chapter can show the bound against steps and
restarts and recompute the final bound with one forward pass.

Regenerate (about 4 minutes on one CPU thread)::

    python -m tk_lessons.records.ch04_equal_budget
"""

from __future__ import annotations

import platform
import time

import torch

from .. import attacks, data, solvers, zoo
from . import save

__all__ = ["setting", "main"]

NAME = "ch04_equal_budget"
STEPS = 100
RESTARTS = 8
LR = 1.0
SEED = 0
BUDGET = 0.05               # eps = BUDGET * mean ||A x|| over the heads
N_HEADS = 4
HEAD_SEED = 3               # the recipes' test heads
TV_ITERATIONS = 300


def setting(device: torch.device | str = "cpu"):
    """The chapter's setting: network, operator, TV map, heads, data and budget."""
    net = zoo.load("unet_radial64", device=device)
    A = net.A
    tv_lam = zoo.info("unet_radial64")["metrics"]["tv_lam"]
    heads = data.HeadsDataset(N_HEADS, size=64, seed=HEAD_SEED)
    X = torch.stack([heads[i] for i in range(len(heads))]).to(device)
    y = A(X)
    eps = BUDGET * y.abs().flatten(1).norm(dim=1).mean().item()

    def tv(v):
        return solvers.tv(A, v, tv_lam, n_iter=TV_ITERATIONS, real=True)

    return {"U-Net": net, "TV": tv}, A, X, y, eps, tv_lam


def main() -> None:
    torch.set_num_threads(1)
    methods, A, X, y, eps, tv_lam = setting()
    tensors, summary, seconds = {}, {}, {}
    for name, recon in methods.items():
        key = name.lower().replace("-", "")
        start = time.perf_counter()
        res = attacks.lipschitz_lower_bound(recon, y, eps, n_iter=STEPS, restarts=RESTARTS, lr=LR, seed=SEED)
        seconds[name] = round(time.perf_counter() - start, 1)
        tensors[f"e_{key}"] = res.e
        tensors[f"ratio_history_{key}"] = res.history["ratio"]          # (restarts, steps + 1, heads)
        summary[name] = [round(float(r), 4) for r in res.ratio]
        print(f"{name}: ratios {summary[name]} in {seconds[name]} s")
    card = {
        "description": __doc__.split("\n")[0],
        "command": f"python -m tk_lessons.records.{NAME}",
        "recipe": {"search": "tk_lessons.attacks.lipschitz_lower_bound", "sphere": True, "steps": STEPS,
                   "restarts": RESTARTS, "lr": LR, "seed": SEED, "network": "unet_radial64",
                   "tv": {"lam": tv_lam, "n_iter": TV_ITERATIONS, "method": "admm"},
                   "heads": f"HeadsDataset({N_HEADS}, size=64, seed={HEAD_SEED})",
                   "eta": f"{BUDGET} * mean ||A x||", "eta_value": eps,    # the card's keys, as recorded
                   "data_norms": [round(float(v), 6) for v in y.abs().flatten(1).norm(dim=1)]},
        "result": {"ratio": summary, "seconds": seconds, "threads": torch.get_num_threads(),
                   "torch": torch.__version__, "machine": platform.machine()},
        "tensors": {"e_unet, e_tv": "the best perturbation found for each head, complex, shape of y",
                    "ratio_history_unet, ratio_history_tv":
                        "||Psi(y + e) - Psi(y)|| / ||e|| of every iterate, (restarts, steps + 1, heads)"},
    }
    print(save(NAME, tensors, card))


if __name__ == "__main__":
    main()
