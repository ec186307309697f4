"""Record ``ch13_equal_budget``: the FIRENET searched for its worst data perturbation as chapter 4 searched the U-Net.

Chapter 13 attacks the FIRENET (``solvers.firenet``, Haar wavelets with 3 levels,
``lam = 0.01``, 8 restarts of 25 primal-dual steps: 200 layers) on chapter 4's problem: the
operator of ``unet_radial64`` (10 golden-angle radial spokes), the first four test heads
(``HeadsDataset(4, size=64, seed=3)``) and the radius ``eps = 0.05 * mean ||A x||``. Three
searches, all :func:`tk_lessons.attacks.lipschitz_lower_bound` on the sphere ``||e|| = eps``
with step length 1 and seed 0, differentiated through every layer or iteration:

1. ``firenet``: chapter 4's effort (100 steps, 8 restarts) on the heads, so the FIRENET's
   bound stands beside the U-Net's and TV's of ``ch04_equal_budget``;
2. ``long_*``: the convergence check, one start (the first of the eight) continued to 400
   steps, four times the effort, for the FIRENET, the U-Net and TV alike;
3. ``sparse``: chapter 4's effort on the images the FIRENET theorem is about, the best
   100-term Haar approximations of the same heads (:func:`tk_lessons.kernel.best_terms`),
   with ``eps = 0.05 * mean ||A x_s||``.

Every ratio is a certified lower bound on ``L^eps(Psi, A x)``; the record keeps the best
perturbation of each head and the ratio of every iterate.

Regenerate (about 20 minutes on one CPU thread)::

    python -m tk_lessons.records.ch13_equal_budget
"""

from __future__ import annotations

import platform
import time

import torch

from .. import attacks, data, kernel, operators, solvers, zoo
from . import save
from .ch04_equal_budget import BUDGET, HEAD_SEED, LR, N_HEADS, RESTARTS, SEED, STEPS
from .ch04_equal_budget import setting as chapter_4_setting

__all__ = ["setting", "main"]

NAME = "ch13_equal_budget"
LAM = 0.01
N_OUTER = 8
N_INNER = 25
LEVELS = 3
LONG_STEPS = 400            # the convergence check: 4 x the steps, one start
SPARSITY = 100             # Haar terms kept for the sparse heads


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


def _search(recon, y, eps, steps, restarts):
    start = time.perf_counter()
    res = attacks.lipschitz_lower_bound(recon, y, eps, n_iter=steps, restarts=restarts, lr=LR, seed=SEED)
    return res, round(time.perf_counter() - start, 1)


def main() -> None:
    torch.set_num_threads(1)
    firenet, A, W, X, y, eps = setting()
    methods, *_ = chapter_4_setting()
    tensors, ratios, seconds = {}, {}, {}

    res, seconds["FIRENET"] = _search(firenet, y, eps, STEPS, RESTARTS)
    tensors["e_firenet"], tensors["ratio_history_firenet"] = res.e, res.history["ratio"]
    ratios["FIRENET"] = [round(float(r), 4) for r in res.ratio]
    print(f"FIRENET: ratios {ratios['FIRENET']} in {seconds['FIRENET']} s")

    for name, recon in {"FIRENET": firenet, **methods}.items():
        key = name.lower().replace("-", "")
        res, seconds[f"long {name}"] = _search(recon, y, eps, LONG_STEPS, 1)
        tensors[f"long_history_{key}"] = res.history["ratio"][0]            # (LONG_STEPS + 1, heads)
        ratios[f"long {name}"] = [round(float(r), 4) for r in res.ratio]
        print(f"long {name}: ratios {ratios[f'long {name}']} in {seconds[f'long {name}']} s")

    X_sparse = kernel.best_terms(X, W, SPARSITY)
    y_sparse = A(X_sparse)
    eps_sparse = BUDGET * y_sparse.abs().flatten(1).norm(dim=1).mean().item()
    res, seconds["sparse FIRENET"] = _search(firenet, y_sparse, eps_sparse, STEPS, RESTARTS)
    tensors["e_sparse"], tensors["ratio_history_sparse"] = res.e, res.history["ratio"]
    ratios["sparse FIRENET"] = [round(float(r), 4) for r in res.ratio]
    print(f"sparse FIRENET: ratios {ratios['sparse FIRENET']} in {seconds['sparse FIRENET']} s")

    card = {
        "description": __doc__.split("\n")[0],
        "command": f"python -m tk_lessons.records.{NAME}",
        "recipe": {"search": "tk_lessons.attacks.lipschitz_lower_bound", "sphere": True, "steps": STEPS,
                   "restarts": RESTARTS, "lr": LR, "seed": SEED, "operator": "unet_radial64.A",
                   "firenet": {"lam": LAM, "n_outer": N_OUTER, "n_inner": N_INNER, "wavelet": "haar",
                               "levels": LEVELS, "real": True},
                   "heads": f"HeadsDataset({N_HEADS}, size=64, seed={HEAD_SEED})",
                   "eta": f"{BUDGET} * mean ||A x||", "eta_value": eps,
                   "data_norms": [round(float(v), 6) for v in y.abs().flatten(1).norm(dim=1)],
                   "long": {"steps": LONG_STEPS, "restarts": 1,
                            "maps": "the FIRENET, and the U-Net and TV of ch04_equal_budget.setting"},
                   "sparse": {"images": f"kernel.best_terms(heads, W, {SPARSITY})",
                              "eta": f"{BUDGET} * mean ||A x_s||", "eta_value": eps_sparse}},
        "result": {"ratio": ratios, "seconds": seconds, "threads": torch.get_num_threads(),
                   "torch": torch.__version__, "machine": platform.machine()},
        "tensors": {"e_firenet, e_sparse": "the best perturbation found for each head, complex, shape of y",
                    "ratio_history_firenet, ratio_history_sparse":
                        "||Psi(y + e) - Psi(y)|| / ||e|| of every iterate, (restarts, steps + 1, heads)",
                    "long_history_firenet, long_history_unet, long_history_tv":
                        "the same ratio along the 400-step search from the first start, (401, heads)"},
    }
    print(save(NAME, tensors, card))


if __name__ == "__main__":
    main()
