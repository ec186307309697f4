"""The laboratory's table: accuracy and worst-case noise of shipped models and TV, at equal effort.

    python -m tk_lessons.zoo.laboratory lab_nonoise lab_lownoise lab_highnoise --tv
    python -m tk_lessons.zoo.laboratory lab_control --tv                    # the control
    python -m tk_lessons.zoo.laboratory unet_radial64 itnet_radial64_nonoise --tv --quick

For shipped models (and TV with the weight ``tv_lam`` of the first model's manifest) on
held-out test samples (:func:`tk_lessons.zoo.recipes.test_set`: the laboratory's signals of
:mod:`tk_lessons.zoo.lab`, or the heads of the 2-D recipes), :func:`measure` computes the
clean accuracy; the worst-case relative error under measurement noise ``||e|| <= eps ||y||``
(:func:`tk_lessons.attacks.measurement_attack`, the levels from the largest down, each
warm-started from the level above, the protocol of the accuracy-stability figure of the
troublesome-kernel paper, v4; level 0 is the clean error), by projected Adam (the paper's) and
by projected normalised ascent, keeping the larger error per sample: projected Adam alone stops
short on networks, and the table says by how much; a certified lower bound on the local
Lipschitz constant (:func:`tk_lessons.attacks.lipschitz_lower_bound`); and the searches'
convergence (the gain over the second half of the steps, and of the best restart over the
first). Every method gets the same search (steps, restarts, step, random starts); TV
(``solvers.tv``, :data:`TV_N_ITER` ADMM iterations) is differentiated through its iterations.
:func:`compare` does the same for any maps; :func:`format_table` prints the table. The record
``lab_worst_case`` (:mod:`tk_lessons.records.lab_worst_case`) is this search at a larger effort.
"""

from __future__ import annotations

import argparse
import math
import numbers
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .. import _validate, attacks, metrics
from .._batch import norm
from . import recipes, registry
from .lab import tv_map

__all__ = ["LabTable", "measure", "compare", "format_table", "main", "TV_N_ITER", "EPS", "QUICK"]

#: ADMM iterations of the TV map (the map Chapter 4 reports); the attacks differentiate through all.
TV_N_ITER = 300
#: The default relative noise levels ``||e|| / ||y||``.
EPS = (0.0, 0.02, 0.04, 0.08)
#: The default effort (converged on the radial-64 laboratory; see the README).
N_ITER, RESTARTS, SAMPLES, SEED = 60, 3, 8, 0
#: The step of each optimiser in units of the ball (projected Adam; normalised ascent).
LR = {"adam": 0.5, "pgd": 1.0}
#: The smoke-run effort of ``--quick``.
QUICK = {"n_iter": 4, "restarts": 2, "samples": 2}


@dataclass
class LabTable:
    """What :func:`measure` found; :func:`format_table` prints it.

    Attributes
    ----------
    methods : list of str
        The columns: model names, then ``"TV"``.
    eps : tuple of float
        The relative noise levels ``||e|| / ||y||``, increasing.
    error : dict of str to torch.Tensor
        Per method, the relative error ``||recon(y + e) - x|| / ||x||`` under the worst
        perturbation found, shape ``(len(eps), samples)`` (row 0 is clean at level 0).
    psnr : dict of str to float
        Per method, the mean PSNR (data range 1) on clean data.
    lipschitz : dict of str to torch.Tensor
        Per method, the certified lower bound on ``L^eps(recon, y)`` per sample.
    lipschitz_eps : float
        The Lipschitz search's radius relative to the mean ``||y||``.
    gain_steps, gain_restarts, lipschitz_gain_steps, lipschitz_gain_restarts : dict of str to float
        Per method, in percent: the growth of the mean best value over the second half of the
        steps, and the excess of the best restart over the first (errors: the largest over the levels).
    n_iter, restarts, samples, seed, optimizer : int, int, int, int, str
        The effort, the same for every method (``optimizer``: the measurement attack's, ``"adam"``,
        ``"pgd"`` or ``"both"``, which runs both searches and keeps the larger error per sample).
    lr : dict of str to float
        The step of each optimiser, in units of the ball.
    perturbations : dict of str to torch.Tensor
        Per method, the worst perturbation found at each level, ``(len(eps), samples, ...)``
        (zero at level 0): ``recon(y + e)`` reproduces the errors with a forward pass.
    lipschitz_e : dict of str to torch.Tensor
        Per method, the perturbation that attains the Lipschitz bound of each sample.
    by_optimizer : dict of str to dict of str to torch.Tensor
        Per method and optimiser, the relative error each search found, ``(levels > 0, samples)``.
    curves : dict of str to dict of str to torch.Tensor
        Per method and optimiser, at the largest level: the mean over the samples of the best
        relative error so far, per restart and step, ``(restarts, n_iter + 1)``.
    lam, seconds, device, threads : float or None, dict of str to float, str, int
        TV's weight, wall time per method (``"total"``: all), where it ran, torch's CPU threads.
    """

    methods: list[str]
    eps: tuple[float, ...]
    error: dict[str, torch.Tensor]
    psnr: dict[str, float]
    lipschitz: dict[str, torch.Tensor]
    lipschitz_eps: float
    gain_steps: dict[str, float]
    gain_restarts: dict[str, float]
    lipschitz_gain_steps: dict[str, float]
    lipschitz_gain_restarts: dict[str, float]
    n_iter: int
    restarts: int
    samples: int
    seed: int
    optimizer: str
    lr: dict[str, float]
    lam: float | None
    perturbations: dict[str, torch.Tensor] = field(default_factory=dict)
    lipschitz_e: dict[str, torch.Tensor] = field(default_factory=dict)
    by_optimizer: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    curves: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"
    threads: int = 1

    def mean_error(self, method: str) -> list[float]:
        """The mean relative error over the samples at each level, for one method."""
        return [float(v) for v in self.error[method].double().mean(dim=1)]

    def shortfall(self, method: str, optimizer: str = "adam") -> float:
        """How far ``optimizer``'s search fell short of the best, in percent of the mean error (largest over the levels).

        Only with ``optimizer="both"``; 0 means it found the worst case on every sample.
        """
        if optimizer not in self.by_optimizer.get(method, {}):
            raise ValueError(f"optimizer {optimizer!r} was not run for {method!r}; run with optimizer='both'")
        mine = self.by_optimizer[method][optimizer].double().mean(dim=1)
        best = self.error[method][[i for i, level in enumerate(self.eps) if level > 0]].double().mean(dim=1)
        return float(100 * (1 - mine / best).max()) if mine.numel() else 0.0


def _gains(history: torch.Tensor, scale: torch.Tensor) -> tuple[float, float]:
    """(gain over the second half of the steps, gain of the best restart over the first), in percent.

    ``history`` is ``(restarts, n_iter + 1, samples)``; ``scale`` per sample (``||x||`` or 1).
    """
    history = history.detach().double().cpu() / scale.double().cpu()
    half = history.shape[1] // 2
    end = history.amax(dim=(0, 1)).mean()
    at_half = history[:, :half + 1].amax(dim=(0, 1)).mean()
    first = history[0].amax(dim=0).mean()
    return float(100 * (end / at_half - 1)), float(100 * (end / first - 1))


def _levels(eps: Any) -> tuple[float, ...]:
    if isinstance(eps, numbers.Real):
        eps = (eps,)
    if not isinstance(eps, (list, tuple)) or not eps:
        raise TypeError(f"eps must be a non-empty list of relative noise levels, got {eps!r}")
    for level in eps:
        if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 <= level < 1:
            raise ValueError(f"eps must hold relative noise levels in [0, 1) (0.02 for 2 %), got {level!r}")
    return tuple(sorted({float(level) for level in eps}))


def _check_models(models: Any) -> list[str]:
    if isinstance(models, str):
        models = [models]
    if not isinstance(models, (list, tuple)) or not models:
        raise ValueError(f"models must name at least one shipped model (the operator and test samples "
                         f"come from it), got {models!r}")
    known = registry.available()
    for name in models:
        if name not in known:
            raise ValueError(f"models: unknown model {name!r}; expected one of the shipped models: "
                             f"{', '.join(known)}")
    if len(set(models)) != len(models):
        raise ValueError(f"models must not repeat a name, got {list(models)}")
    operator = registry.info(models[0])["spec"]["operator"]
    for name in models[1:]:
        other = registry.info(name)["spec"]["operator"]
        if other != operator:
            raise ValueError(f"models must share one operator to be compared in one table: {models[0]!r} "
                             f"has {operator}, {name!r} has {other}")
    return list(models)


def _attack_level(recon: Callable, y: torch.Tensor, x: torch.Tensor, level: float, effort: dict[str, Any],
                  gen: torch.Generator, previous: dict[str, Any]) -> dict[str, Any]:
    """One noise level with each optimiser of the effort (warm-started from ``previous``); the best per sample."""
    results = {}
    for optimizer in effort["optimizers"]:
        results[optimizer] = attacks.measurement_attack(
            recon, y, x, level, relative=True, n_iter=effort["n_iter"], restarts=effort["restarts"],
            lr=effort["lr"][optimizer], optimizer=optimizer, warm_start=previous.get(optimizer), seed=gen)
    errors = torch.stack([r.error.detach().cpu() for r in results.values()])      # (optimisers, B)
    winner = errors.argmax(dim=0)
    e = torch.stack([r.e.detach() for r in results.values()])
    best_e = e[winner.to(e.device), torch.arange(e.shape[1], device=e.device)]
    return {"results": results, "error": errors.max(dim=0).values, "e": best_e.cpu(),
            "by_optimizer": {k: v.error.detach().cpu() for k, v in results.items()}}


def _search(recon: Callable, x: torch.Tensor, y: torch.Tensor, levels: tuple[float, ...], lipschitz_eps: float,
            effort: dict[str, Any]) -> dict[str, Any]:
    """Clean error, worst-case errors (largest level first, warm-started), Lipschitz bound: one method."""
    scale = norm(x.detach())
    with torch.no_grad():
        x_rec = recon(y)
    clean = metrics.rel_error(x_rec, x, magnitude=False).detach().cpu()   # as the attack measures it
    rows: dict[float, torch.Tensor] = {}
    perturbations: dict[float, torch.Tensor] = {}
    by_optimizer: dict[str, dict[float, torch.Tensor]] = {k: {} for k in effort["optimizers"]}
    gains: list[tuple[float, float]] = []
    gen = torch.Generator().manual_seed(effort["seed"])          # the same random starts for every method
    previous: dict[str, Any] = {}
    curves: dict[str, torch.Tensor] = {}
    for level in sorted(levels, reverse=True):
        if level == 0:
            rows[level] = clean
            perturbations[level] = torch.zeros_like(y).cpu()
            continue
        found = _attack_level(recon, y, x, level, effort, gen, previous)
        previous = found["results"]
        # e = 0 lies in every ball: the worst case is never below the clean error
        rows[level] = torch.maximum(found["error"], clean)
        perturbations[level] = found["e"]
        for optimizer, err in found["by_optimizer"].items():
            by_optimizer[optimizer][level] = err
        gains.extend(_gains(r.history["error"], scale) for r in found["results"].values())
        if level == max(levels):                 # the convergence curves of the largest level
            curves = {k: (torch.cummax(r.history["error"].detach().double().cpu(), dim=1).values
                          / scale.double().cpu()).mean(dim=2) for k, r in found["results"].items()}
    radius = lipschitz_eps * float(y.abs().flatten(1).norm(dim=1).mean())
    bound = attacks.lipschitz_lower_bound(recon, y, radius, n_iter=effort["n_iter"],
                                          restarts=effort["restarts"], lr=1.0, seed=effort["seed"])
    lip_gains = _gains(bound.history["ratio"], torch.ones(y.shape[0]))
    return {"error": torch.stack([rows[level] for level in levels]),
            "psnr": float(metrics.psnr(x_rec, x, data_range=1.0).double().mean()),
            "lipschitz": bound.ratio.detach().cpu(), "lipschitz_e": bound.e.detach().cpu(),
            "e": torch.stack([perturbations[level] for level in levels]),
            "by_optimizer": by_optimizer,
            "gains": (max(g[0] for g in gains) if gains else 0.0, max(g[1] for g in gains) if gains else 0.0),
            "lip_gains": lip_gains, "curves": curves}


def compare(maps: dict[str, Callable], x: torch.Tensor, y: torch.Tensor, *, eps: tuple[float, ...] = EPS,
            lipschitz_eps: float = 0.05, n_iter: int = N_ITER, restarts: int = RESTARTS, seed: int = SEED,
            optimizer: str = "both", lr: float | None = None, lam: float | None = None,
            progress: bool = False) -> LabTable:
    """The table for any reconstruction maps on images ``x`` with data ``y``, one effort for all.

    :func:`measure` calls it with shipped models and TV; ``maps`` is ``{column name: recon}``,
    ``lam`` is only recorded (TV's weight, for the table's footer). The other parameters are
    those of :func:`measure`.

    Examples
    --------
    >>> R = torch.tensor([[2.0, 0.0], [0.0, 0.5]], dtype=torch.float64)
    >>> x = torch.ones(2, 1, 2, dtype=torch.float64)        # a batch of two signals (B, C, N)
    >>> lab = compare({"R": lambda v: v @ R.T}, x, x, eps=(0, 0.1), n_iter=20, restarts=1)
    >>> round(float(lab.lipschitz["R"].mean()), 3)            # ||R|| = 2
    2.0
    """
    if not isinstance(maps, dict) or not maps:
        raise TypeError(f"maps must be a non-empty dict of name -> recon, got {type(maps).__name__}")
    for name, recon in maps.items():
        _validate.function(f"maps[{name!r}]", recon, "a reconstructor recon(y) -> x")
    if _validate.tensor("x", x).shape[0] != _validate.tensor("y", y).shape[0]:
        raise ValueError(f"x and y must hold the same number of samples, got {x.shape[0]} and {y.shape[0]}")
    levels = _levels(eps)
    lipschitz_eps = _validate.positive("lipschitz_eps", lipschitz_eps)
    n_iter = _validate.positive_int("n_iter", n_iter, minimum=2)
    restarts = _validate.positive_int("restarts", restarts)
    seed = _validate.positive_int("seed", seed, minimum=0)
    _validate.choice("optimizer", optimizer, ("adam", "pgd", "both"))
    optimizers = ("adam", "pgd") if optimizer == "both" else (optimizer,)
    steps = {k: LR[k] if lr is None else _validate.positive("lr", lr) for k in optimizers}
    progress = _validate.flag("progress", progress)
    effort = {"n_iter": n_iter, "restarts": restarts, "seed": seed, "optimizers": optimizers, "lr": steps}
    found, seconds = {}, {}
    start = time.perf_counter()
    for name, recon in maps.items():
        t0 = time.perf_counter()
        found[name] = _search(recon, x, y, levels, lipschitz_eps, effort)
        seconds[name] = round(time.perf_counter() - t0, 1)
        if progress:
            print(f"{name}: {seconds[name]} s", file=sys.stderr, flush=True)
    seconds["total"] = round(time.perf_counter() - start, 1)
    pick = lambda key, i=None: {k: (v[key] if i is None else v[key][i]) for k, v in found.items()}  # noqa: E731
    return LabTable(
        methods=list(maps), eps=levels, error=pick("error"), psnr=pick("psnr"), lipschitz=pick("lipschitz"),
        lipschitz_eps=lipschitz_eps, gain_steps=pick("gains", 0), gain_restarts=pick("gains", 1),
        lipschitz_gain_steps=pick("lip_gains", 0), lipschitz_gain_restarts=pick("lip_gains", 1),
        n_iter=n_iter, restarts=restarts, samples=int(x.shape[0]), seed=seed, optimizer=optimizer, lr=steps,
        lam=lam, perturbations=pick("e"), lipschitz_e=pick("lipschitz_e"),
        by_optimizer={k: {o: torch.stack([v["by_optimizer"][o][lv] for lv in levels if lv > 0])
                          if any(lv > 0 for lv in levels) else torch.zeros(0, x.shape[0])
                          for o in optimizers} for k, v in found.items()},
        curves=pick("curves"), seconds=seconds, device=str(y.device), threads=torch.get_num_threads())


def measure(models: list[str] | str, *, tv: bool = True, lam: float | None = None,
            eps: tuple[float, ...] = EPS, lipschitz_eps: float = 0.05, n_iter: int = N_ITER,
            restarts: int = RESTARTS, samples: int = SAMPLES, seed: int = SEED, optimizer: str = "both",
            lr: float | None = None, device: torch.device | str = "cpu", progress: bool = False) -> LabTable:
    """Measure the laboratory's table for shipped models (and TV) at one effort for all.

    Parameters
    ----------
    models : list of str
        Shipped model names (:func:`tk_lessons.zoo.available`), all with one operator; the
        first one's recipe gives the test samples, its manifest TV's weight.
    tv : bool
        Add total variation (``solvers.tv``, :data:`TV_N_ITER` ADMM iterations, real images).
    lam : float or None
        TV's weight; ``None`` takes ``metrics["tv_lam"]`` from the first model's manifest.
    eps : tuple of float
        Relative noise levels ``||e|| / ||y||`` in ``[0, 1)`` (``0.02`` is 2 %).
    lipschitz_eps : float
        Radius of the Lipschitz search relative to the mean ``||y||`` of the samples.
    n_iter, restarts : int
        Steps per restart and random restarts of every search (``n_iter >= 2``).
    samples : int
        How many held-out test samples (1 to 100).
    seed : int
        Seed of the random starts, the same for every method.
    optimizer : {"both", "adam", "pgd"}
        The measurement attack's optimiser: projected Adam (the paper's), projected normalised
        ascent, or both (the default), keeping the larger error per sample. Projected Adam alone
        can stop short on networks (see :func:`tk_lessons.attacks.measurement_attack`);
        :meth:`LabTable.shortfall` says by how much.
    lr : float or None
        The step size in units of the ball; ``None`` takes :data:`LR` for each optimiser.
    device : torch.device or str
        Where to run.
    progress : bool
        Print each method's time as it finishes.

    Returns
    -------
    LabTable

    Examples
    --------
    >>> lab = measure(["unet_radial64"], tv=False, eps=(0, 0.04), n_iter=2, restarts=1, samples=1)
    >>> lab.methods, len(lab.mean_error("unet_radial64"))
    (['unet_radial64'], 2)
    """
    models = _check_models(models)
    tv = _validate.flag("tv", tv)
    samples = _validate.positive_int("samples", samples)
    if samples > 100:
        raise ValueError(f"samples must be at most 100 (the recipes' test set), got {samples}")
    if tv:
        if lam is None:
            lam = registry.info(models[0]).get("metrics", {}).get("tv_lam")
            if lam is None:
                raise ValueError(f"lam: the manifest of {models[0]!r} records no tv_lam; pass lam= explicitly")
        lam = _validate.positive("lam", lam)
    elif lam is not None:
        raise ValueError(f"lam is TV's weight, but tv=False; got lam={lam!r}")
    maps: dict[str, Callable] = {name: registry.load(name, device=device) for name in models}
    A = maps[models[0]].A
    if tv:
        maps["TV"] = tv_map(lam, A, TV_N_ITER)
    x = recipes.test_set(models[0], quick=samples <= 4)[:samples].to(device)
    return compare(maps, x, A(x), eps=eps, lipschitz_eps=lipschitz_eps, n_iter=n_iter, restarts=restarts,
                   seed=seed, optimizer=optimizer, lr=lr, lam=lam, progress=progress)


_OPTIMIZER_NAMES = {"adam": "projected Adam", "pgd": "projected normalised ascent",
                    "both": "projected Adam and projected normalised ascent, the larger error per sample"}


def format_table(lab: LabTable) -> str:
    """The table of a :class:`LabTable`: methods as columns, noise levels as rows, then the rest.

    Examples
    --------
    >>> lab = measure(["unet_radial64"], tv=False, eps=(0, 0.04), n_iter=2, restarts=1, samples=1)
    >>> print(format_table(lab).splitlines()[2])  # doctest: +ELLIPSIS
    worst-case ||e||/||y|| = 0 %  ...
    """
    if not isinstance(lab, LabTable):
        raise TypeError(f"lab must be a LabTable (from measure), got {type(lab).__name__}")
    width = max(10, *(len(m) for m in lab.methods)) + 2
    label = 30

    def row(name: str, values: list[str]) -> str:
        return f"{name:<{label}}" + "".join(f"{v:>{width}}" for v in values)

    lines = [row("mean over the samples", lab.methods), row("clean PSNR (dB)",
                                                           [f"{lab.psnr[m]:.1f}" for m in lab.methods])]
    for i, level in enumerate(lab.eps):
        lines.append(row(f"worst-case ||e||/||y|| = {100 * level:g} %",
                         [f"{100 * lab.mean_error(m)[i]:.1f} %" for m in lab.methods]))
    lip = f"L^eps lower bound, {100 * lab.lipschitz_eps:g} %"
    lines.append(row(lip, [f"{float(lab.lipschitz[m].double().mean()):.2f}" for m in lab.methods]))
    lines.append(row("  (largest over the samples)", [f"{float(lab.lipschitz[m].max()):.2f}" for m in lab.methods]))
    lines.append("convergence (gain, %):")
    for name, gains in (("  error: 2nd half of the steps", lab.gain_steps),
                        ("  error: best restart vs 1st", lab.gain_restarts),
                        ("  L^eps: 2nd half of the steps", lab.lipschitz_gain_steps),
                        ("  L^eps: best restart vs 1st", lab.lipschitz_gain_restarts)):
        lines.append(row(name, [f"{gains[m]:.1f} %" for m in lab.methods]))
    if lab.optimizer == "both":
        lines.append(row("  projected Adam short by", [f"{lab.shortfall(m):.1f} %" for m in lab.methods]))
    tv = f"; TV: lam {lab.lam:g}, {TV_N_ITER} ADMM iterations, attacked through them" if lab.lam else ""
    lines.append(f"effort, the same for every method: {lab.n_iter} steps x {lab.restarts} restarts "
                 f"({_OPTIMIZER_NAMES[lab.optimizer]}, "
                 f"lr {', '.join(f'{v:g}' for v in lab.lr.values())}, levels from the largest down, warm-started), {lab.samples} test samples, "
                 f"seed {lab.seed}{tv}")
    lines.append(f"L^eps: lipschitz_lower_bound on ||e|| = {100 * lab.lipschitz_eps:g} % of the mean ||y||, "
                 f"same steps and restarts; error gains: the largest over the levels")
    per = ", ".join(f"{m} {lab.seconds[m]:g} s" for m in lab.methods if m in lab.seconds)
    lines.append(f"wall time {lab.seconds.get('total', 0):g} s ({per}) on {lab.device}, "
                 f"{lab.threads} thread(s)")
    return "\n".join(lines)


def _percent_list(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated percentages such as 0,2,4,8, got {text!r}")
    if not values or any(not math.isfinite(v) or v < 0 or v >= 100 for v in values):
        raise argparse.ArgumentTypeError(f"expected percentages in [0, 100) such as 0,2,4,8, got {text!r}")
    return tuple(v / 100 for v in values)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the table; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tk_lessons.zoo.laboratory", description=(
        "Print the laboratory's table for shipped models and TV, at one effort for all: clean accuracy, "
        "worst-case relative error under measurement noise ||e|| <= eps ||y|| (projected Adam with restarts, "
        "levels from the largest down, warm-started), a certified lower bound on the local Lipschitz "
        "constant, and the searches' convergence."))
    add = parser.add_argument
    add("models", nargs="+", help="shipped model names, one operator (python -m tk_lessons.zoo --list)")
    add("--tv", action="store_true", help="add TV (solvers.tv, attacked through its iterations)")
    add("--lam", type=float, default=None, help="TV's weight (default: tv_lam in the first model's manifest)")
    add("--levels", type=_percent_list, default=EPS, help="noise levels ||e||/||y|| in percent (default 0,2,4,8)")
    add("--lipschitz", type=float, default=5.0, help="Lipschitz radius, percent of the mean ||y|| (default 5)")
    add("--steps", type=int, default=None, help=f"steps per restart of every search (default {N_ITER})")
    add("--restarts", type=int, default=None, help=f"random restarts of every search (default {RESTARTS})")
    add("--samples", type=int, default=None, help=f"held-out test samples, 1 to 100 (default {SAMPLES})")
    add("--seed", type=int, default=SEED, help=f"seed of the random starts (default {SEED})")
    add("--optimizer", choices=("both", "adam", "pgd"), default="both",
        help="measurement attack: both (default: the larger error per sample), projected Adam (the paper's) "
             "or normalised ascent")
    add("--lr", type=float, default=None, help=f"attack step in units of the ball (default {LR})")
    add("--quick", action="store_true",
        help=f"smoke run: {QUICK['n_iter']} steps, {QUICK['restarts']} restarts, {QUICK['samples']} samples")
    add("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    add("--device", default="cpu", help="cpu (default) or cuda")
    add("--progress", action="store_true", help="print each method's time as it finishes")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else {"n_iter": N_ITER, "restarts": RESTARTS, "samples": SAMPLES}
    n_iter = base["n_iter"] if args.steps is None else args.steps
    restarts = base["restarts"] if args.restarts is None else args.restarts
    samples = base["samples"] if args.samples is None else args.samples
    if args.threads < 1:
        parser.error(f"--threads must be an integer >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    try:
        lab = measure(args.models, tv=args.tv, lam=args.lam, eps=args.levels, lipschitz_eps=args.lipschitz / 100,
                      n_iter=n_iter, restarts=restarts, samples=samples, seed=args.seed, optimizer=args.optimizer,
                      lr=args.lr, device=args.device, progress=args.progress)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    print(format_table(lab))
    return 0


if __name__ == "__main__":
    sys.exit(main())
