"""Record ``ch02_equal_effort``: chapter 2's five maps searched for their worst perturbation alike.

Chapter 2 compares five reconstruction maps on its 25% Fourier problem: the 64 x 64
Shepp-Logan phantom, ``A = P_Omega F`` with ``sampling.multilevel(64, 0.25)``, data
``y = A x + e`` with ``||e|| = 1%`` of ``||A x||`` (noise seed 1), and the maps of the
chapter: zero filling ``A^*``, Tikhonov (``lam = 0.1``), l1-wavelet by FISTA
(``lam = 1e-3``), TV by ADMM (``lam = 3e-3``) and the square-root LASSO by primal-dual
(``lam = 1e-2``), each nonlinear map 100 iterations from the usual start, Haar wavelets.
Every map gets the *same* search, :func:`tk_lessons.attacks.lipschitz_lower_bound` on the
sphere ``||e|| = eps = 0.02 ||y||`` with the same steps, step length and seed, hence the same
random starting directions; the restarts run side by side as a batch of copies of ``y`` (each
copy has its own random start and its own step length, exactly as separate restarts would),
and the nonlinear maps are differentiated through all 100 of their iterations. Every ratio
the search evaluates is a certified lower bound on ``L^eps(Psi, y)``; the record keeps the
best perturbation of each map and the ratio of every iterate of every restart, so the chapter
can show the bound against steps and restarts and recompute each bound with one forward pass.

Regenerate (about 3 minutes on one CPU thread)::

    python -m tk_lessons.records.ch02_equal_effort
"""

from __future__ import annotations

import functools
import platform
import time

import torch

from .. import attacks, data, device as tk_device, operators, sampling, solvers
from . import save

__all__ = ["setting", "main"]

NAME = "ch02_equal_effort"
STEPS = 200
RESTARTS = 4
LR = 1.0
SEED = 0
SIZE = 64
RATE = 0.25
NOISE_LEVEL = 0.01          # ||e|| = 1% of ||A x||
NOISE_SEED = 1
BUDGET = 0.02               # eps = BUDGET * ||y||
N_ITER = 100
LAMS = {"Tikhonov": 0.1, "l1-wavelet": 1e-3, "TV": 3e-3, "sqrt-LASSO": 1e-2}
#: map name -> key of its tensors in the record
KEYS = {"zero filling": "zero_filling", "Tikhonov": "tikhonov", "l1-wavelet": "l1_wavelet",
        "TV": "tv", "sqrt-LASSO": "sqrt_lasso"}


def setting(device: torch.device | str = "cpu"):
    """The chapter's 25% problem: the maps, the operator, the phantom, the data and eps."""
    x = data.shepp_logan(SIZE, device=device).double()
    A = operators.SubsampledFourier(sampling.multilevel(SIZE, RATE)).to(device=device,
                                                                      dtype=torch.float64)
    clean = A(x)
    e = tk_device.randn(*clean.shape, seed=NOISE_SEED, dtype=clean.dtype, device=device)
    y = clean + NOISE_LEVEL * clean.norm() * e / e.norm()
    W = operators.Wavelet(SIZE, "haar").to(device)
    fixed = dict(W=W, n_iter=N_ITER, real=True)
    maps = {
        "zero filling": A.H,
        "Tikhonov": functools.partial(solvers.tikhonov, A, lam=LAMS["Tikhonov"]),
        "l1-wavelet": functools.partial(solvers.fista, A, lam=LAMS["l1-wavelet"], **fixed),
        "TV": functools.partial(solvers.tv, A, lam=LAMS["TV"], n_iter=N_ITER, real=True),
        "sqrt-LASSO": functools.partial(solvers.sqrt_lasso, A, lam=LAMS["sqrt-LASSO"],
                                        **fixed),
    }
    eps = BUDGET * y.norm().item()
    return maps, A, x, y, eps


def main() -> None:
    torch.set_num_threads(1)
    maps, A, x, y, eps = setting()
    batch = y.expand(RESTARTS, *y.shape[1:]).clone()          # one copy of y per restart
    tensors, summary, seconds = {}, {}, {}
    for name, recon in maps.items():
        key = KEYS[name]
        start = time.perf_counter()
        res = attacks.lipschitz_lower_bound(recon, batch, eps, n_iter=STEPS, lr=LR, seed=SEED)
        seconds[name] = round(time.perf_counter() - start, 1)
        history = res.history["ratio"][0].T.contiguous()      # (restarts, steps + 1)
        best = int(res.ratio.argmax())
        tensors[f"e_{key}"] = res.e[best:best + 1].clone()   # not the batch
        tensors[f"ratio_history_{key}"] = history
        summary[name] = [round(float(r), 6) for r in res.ratio]
        print(f"{name}: ratios {summary[name]} in {seconds[name]} s", flush=True)
    card = {
        "description": __doc__.split("\n")[0],
        "command": f"python -m tk_lessons.records.{NAME}",
        "recipe": {"search": "tk_lessons.attacks.lipschitz_lower_bound", "sphere": True,
                   "steps": STEPS, "restarts": RESTARTS, "lr": LR, "seed": SEED,
                   "restarts_as": "a batch of copies of y, one random start each",
                   "image": f"data.shepp_logan({SIZE}).double()",
                   "mask": f"sampling.multilevel({SIZE}, {RATE})",
                   "noise": f"{NOISE_LEVEL} * ||A x||, tk_lessons.device.randn seed {NOISE_SEED}",
                   "maps": {"zero filling": "A^*", **{k: {"lam": v} for k, v in LAMS.items()}},
                   "n_iter": N_ITER, "wavelet": "haar",
                   "eps": f"{BUDGET} * ||y||", "eps_value": eps},
        "result": {"ratio": summary, "seconds": seconds, "threads": torch.get_num_threads(),
                   "torch": torch.__version__, "machine": platform.machine()},
        "tensors": {"e_<key>": "the best perturbation found for each map, complex, shape of y",
                    "ratio_history_<key>":
                        "||Psi(y + e) - Psi(y)|| / ||e|| of every iterate, (restarts, steps + 1)"},
        "keys": KEYS,
    }
    print(save(NAME, tensors, card))


if __name__ == "__main__":
    main()
