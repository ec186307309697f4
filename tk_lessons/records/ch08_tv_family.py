"""Record ``ch08_tv_family``: certified Lipschitz lower bounds for TV over its weight, on the laboratory.

Chapter 8 places a family of total-variation maps (``solvers.tv`` with weights
:data:`LAMS`, :data:`TV_N_ITER` ADMM iterations, differentiated through all of them) on the
accuracy-stability plane of the laboratory (:mod:`tk_lessons.zoo.lab`). The clean errors are
cheap and the chapter computes them; the local Lipschitz constants are not, so this record
holds, for the first :data:`SIGNALS` test signals of the laboratory's detail class (the
signals of :mod:`tk_lessons.records.lab_worst_case`) and each weight:

* the perturbation ``e`` attaining a certified lower bound on ``L^eps(TV_lam, y)`` at
  ``||e|| = eps = 5 %`` of the mean ``||y||``, found by
  :func:`tk_lessons.attacks.lipschitz_lower_bound` with the effort of ``lab_worst_case``'s
  Lipschitz search (:data:`STEPS` steps x :data:`RESTARTS` restarts, step 1, seed 0): every
  ratio ``||Psi(y + e) - Psi(y)|| / ||e||`` it evaluates is attained, hence a lower bound;
* the search's convergence: the mean over the signals of the best ratio so far, per restart
  and step.

The weight ``0.01`` is ``lab_worst_case``'s TV; with the same signals, effort and seed its
search repeats that record's exactly, a cross-check the tests make.

Regenerate (about 5 minutes on one CPU thread)::

    python -m tk_lessons.records.ch08_tv_family
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from typing import Any, Callable

import torch

from .. import _validate, attacks
from ..zoo import build_operator
from ..zoo import lab as laboratory_setting
from . import save

__all__ = ["NAME", "LAMS", "STEPS", "RESTARTS", "SIGNALS", "TV_N_ITER", "LIPSCHITZ_EPS", "tv_map", "signals",
           "compute", "reevaluate", "main"]

NAME = "ch08_tv_family"
#: TV weights of the family (0.01 is the laboratory's tuned weight).
LAMS = (0.001, 0.003, 0.01, 0.03, 0.1)
#: The effort of ``lab_worst_case``'s Lipschitz search.
STEPS, RESTARTS, LR, SEED = 200, 4, 1.0, 0
#: Test signals searched (those of ``lab_worst_case``).
SIGNALS = 12
#: ADMM iterations of every TV map.
TV_N_ITER = 300
#: Radius of the search relative to the mean ``||y||`` of the signals.
LIPSCHITZ_EPS = 0.05


def tv_map(lam: float, A: Any = None, n_iter: int = TV_N_ITER) -> Callable[[torch.Tensor], torch.Tensor]:
    """TV with weight ``lam`` on the laboratory's operator (``A``: default the laptop setting's).

    Examples
    --------
    >>> tv = tv_map(0.01)
    >>> x = signals(2)
    >>> tuple(tv(tv.A(x)).shape)
    (2, 1, 256)
    """
    return laboratory_setting.tv_map(lam, A, n_iter)


def signals(n: int = SIGNALS) -> torch.Tensor:
    """The first ``n`` test signals of the laboratory's detail class (``lab_worst_case``'s).

    Examples
    --------
    >>> tuple(signals(3).shape)
    (3, 1, 256)
    """
    n = _validate.positive_int("n", n)
    return laboratory_setting.lab_data("test", n=n).signals


def compute(*, lams: tuple[float, ...] = LAMS, n_iter: int = STEPS, restarts: int = RESTARTS,
            samples: int = SIGNALS, tv_n_iter: int = TV_N_ITER,
            progress: bool = False) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Run the searches; returns ``(tensors, card)`` for :func:`tk_lessons.records.save`.

    The keyword arguments override the effort (the tests use tiny ones).
    """
    x = signals(samples)
    A = build_operator(laboratory_setting.setting().operator)
    y = A(x)
    eps = LIPSCHITZ_EPS * float(y.abs().flatten(1).norm(dim=1).mean())
    tensors: dict[str, torch.Tensor] = {"x": x}
    result: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for lam in lams:
        tv = tv_map(lam, A, tv_n_iter)
        start = time.perf_counter()
        found = attacks.lipschitz_lower_bound(tv, y, eps, n_iter=n_iter, restarts=restarts, lr=LR, seed=SEED)
        key = f"{lam:g}"
        seconds[key] = round(time.perf_counter() - start, 1)
        history = found.history["ratio"].detach().double()              # (restarts, steps + 1, B)
        tensors[f"lam{key}_e"] = found.e.detach()
        tensors[f"lam{key}_lipschitz"] = found.ratio.detach()
        tensors[f"lam{key}_curve"] = torch.cummax(history, dim=1).values.mean(dim=2).float()
        with torch.no_grad():
            clean = (tv(y) - x).flatten(1).norm(dim=1)
        result[key] = {"lipschitz_min_mean_max": [round(float(f(found.ratio.double())), 4)
                                                  for f in (torch.min, torch.mean, torch.max)],
                       "clean_error_max": round(float(clean.max()), 5)}
        if progress:
            print(f"lam {key}: {result[key]} in {seconds[key]} s", file=sys.stderr, flush=True)
    card = {
        "description": __doc__.split("\n")[0],
        "command": f"python -m tk_lessons.records.{NAME}",
        "recipe": {"lams": list(lams), "tv_n_iter": tv_n_iter, "signals": samples,
                   "test": "tk_lessons.zoo.lab.lab_data('test', n=signals)",
                   "search": "tk_lessons.attacks.lipschitz_lower_bound", "sphere": True, "steps": n_iter,
                   "restarts": restarts, "lr": LR, "seed": SEED, "lipschitz_eps": LIPSCHITZ_EPS,
                   "eps_value": eps},
        "result": {"lams": result, "seconds": seconds, "threads": torch.get_num_threads(),
                   "torch": torch.__version__, "machine": platform.machine()},
        "tensors": {"x": "the test signals",
                    "lam{lam}_e": "the best perturbation per signal, ||e|| = eps (complex, shape of y)",
                    "lam{lam}_lipschitz": "its ratio ||Psi(y + e) - Psi(y)|| / ||e||: the certified bound",
                    "lam{lam}_curve": "mean over the signals of the best ratio so far, (restarts, steps + 1)"},
    }
    return tensors, card


@torch.no_grad()
def reevaluate(tensors: dict[str, torch.Tensor], card: dict[str, Any]) -> dict[float, torch.Tensor]:
    """Each weight's certified bounds recomputed by forward passes: ``{lam: ratio per signal}``.

    Examples
    --------
    >>> from tk_lessons import records
    >>> tensors, card = records.load(NAME)
    >>> one = dict(card, recipe=dict(card["recipe"], lams=[0.01]))    # one weight only
    >>> round(float(reevaluate(tensors, one)[0.01].max()), 2)
    2.67
    """
    x = tensors["x"]
    A = build_operator(laboratory_setting.setting().operator)
    y = A(x)
    out: dict[float, torch.Tensor] = {}
    for lam in card["recipe"]["lams"]:
        tv = tv_map(lam, A, card["recipe"]["tv_n_iter"])
        e = tensors[f"lam{lam:g}_e"]
        out[lam] = (tv(y + e) - tv(y)).flatten(1).norm(dim=1) / e.abs().flatten(1).norm(dim=1)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: run the searches and save the record; returns the exit status."""
    parser = argparse.ArgumentParser(prog=f"python -m tk_lessons.records.{NAME}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None, help="write the record there (default: the package's records)")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be an integer >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    tensors, card = compute(progress=args.progress)
    card["result"]["seconds"]["total"] = round(time.perf_counter() - start, 1)
    print(save(NAME, tensors, card, **({"directory": args.out} if args.out else {})))
    return 0


if __name__ == "__main__":
    sys.exit(main())
