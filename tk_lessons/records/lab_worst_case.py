"""Record ``lab_worst_case``: the laboratory's networks and TV under worst-case noise, at one effort for all.

The laboratory (:mod:`tk_lessons.zoo.lab`) trains a 1-D U-Net without noise, with 1 % and with
5 % jitter on signals that carry a near-kernel detail, and a control network on the same
signals without it. This record holds, for the first :data:`SIGNALS` test signals of each
class, what :func:`tk_lessons.zoo.laboratory.compare` finds with the same search for every
method (TV differentiated through all its ADMM iterations):

* the worst perturbation found at each relative noise level ``||e|| <= eps ||y||``,
  ``eps = 2, 4, 8 %`` (projected Adam *and* projected normalised ascent, :data:`STEPS` steps x
  :data:`RESTARTS` restarts each, levels from the largest down, warm-started; the larger error
  per signal is kept): every error is attained by a stored perturbation, so it is a certified
  lower bound on the worst case;
* the perturbation attaining a certified lower bound on the local Lipschitz constant
  ``L^eps(Psi, y)`` at ``eps = 5 %`` of the mean ``||y||``;
* the convergence evidence: the best error against the steps of every restart at 8 %, and a
  continuation of the best 8 % perturbation by :data:`LONG_STEPS` more steps of normalised
  ascent (the paper's 1000 steps in all);
* false positives and negatives: on each signal without the detail, the perturbation of size
  at most half the detail's data ``||A d|| / 2`` that draws the most of a detail ``d`` (the
  detail of the next test signal that has one); on each signal with the detail, the one that
  removes the most of it.

Chapters 3-4 and 8-10 reload the perturbations and recompute every number with forward passes.

Regenerate (about 20 minutes on one CPU thread)::

    python -m tk_lessons.records.lab_worst_case

At the paper's scale, after training the four ``lab_*`` models there (``python -m tk_lessons.zoo
lab_nonoise --scale paper --device cuda --weights-dir W``, and so on)::

    python -m tk_lessons.records.lab_worst_case --scale paper --weights-dir W --out OUT --device cuda
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import torch

from .. import _validate, attacks, metrics
from ..zoo import lab as laboratory_setting
from ..zoo import laboratory, registry
from . import RECORDS_DIR, info, save

__all__ = ["compute", "maps", "reevaluate", "Reevaluated", "main", "NAME", "SIGNALS", "STEPS", "RESTARTS", "LONG_STEPS", "NETWORKS"]

NAME = "lab_worst_case"
#: Test signals of each class that are attacked.
SIGNALS = 12
#: Steps per restart and restarts of every search (each optimiser), and the continuation's steps.
STEPS, RESTARTS, LONG_STEPS = 200, 4, 800
#: The networks of the detail class, and their column names.
NETWORKS = {"lab_nonoise": "no noise", "lab_lownoise": "low noise", "lab_highnoise": "high noise"}
SEED = 0


class _Coefficient(torch.nn.Module):
    """``<Psi(y) - plain, d> / ||d||^2`` as a 1-entry "image": the share of the detail ``d`` drawn."""

    def __init__(self, recon: Callable, plain: torch.Tensor, d: torch.Tensor):
        super().__init__()
        self.recon, self.plain, self.d = recon, plain, d

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return laboratory_setting.detail_share(self.recon(y), self.plain, self.d)[:, None]


def _detail_search(recon: Callable, y: torch.Tensor, plain: torch.Tensor, d: torch.Tensor, radius: torch.Tensor,
                   goal: float, steps: int, restarts: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The perturbation within ``radius`` (per signal) that pushes the share of ``d`` drawn towards ``goal``.

    ``measurement_attack`` maximises ``|share - target|^2``; a target far on the other side of
    ``goal`` (``-10`` to draw the detail, ``+10`` to remove it) turns that into pushing the
    share towards ``goal``. Returns ``(e, share drawn at y + e)``.
    """
    share = _Coefficient(recon, plain, d)
    target = torch.full((y.shape[0], 1), -10.0 if goal > 0 else 10.0, dtype=plain.dtype)
    # one absolute radius per signal: scale the problem so that every ball is the unit ball
    scaled = lambda v: share(y + radius.reshape(-1, *([1] * (y.ndim - 1))) * (v - y))  # noqa: E731
    found = attacks.measurement_attack(scaled, y, target, 1.0, n_iter=steps, restarts=restarts, lr=1.0,
                                       optimizer="pgd", seed=SEED)
    e = found.e * radius.reshape(-1, *([1] * (y.ndim - 1)))
    with torch.no_grad():
        return e, share(y + e)[:, 0]


def compute(preset: str = "laptop", *, size: int | None = None, weights_dir: Any = None,
            device: torch.device | str = "cpu", n_iter: int | None = None, restarts: int | None = None,
            long_n_iter: int | None = None, samples: int | None = None,
            progress: bool = False) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Run every search of the record; returns ``(tensors, card)`` for :func:`tk_lessons.records.save`.

    ``preset``, ``size``: the laboratory's setting (:func:`tk_lessons.zoo.lab.setting`); the
    models are loaded from ``weights_dir`` (default: the shipped ones). ``n_iter``,
    ``restarts``, ``long_n_iter`` and ``samples`` override the effort (the tests use tiny ones);
    the defaults are :data:`STEPS`, :data:`RESTARTS`, :data:`LONG_STEPS`, :data:`SIGNALS` at the
    laptop scale and the setting's own (the paper's 1000 steps x 6 restarts) at the paper's.
    """
    lab = laboratory_setting.setting(preset, size=size)
    paper_like = preset != "laptop" or size is not None
    steps = n_iter or (lab.attack_n_iter if paper_like else STEPS)
    restarts = restarts or (lab.attack_restarts if paper_like else RESTARTS)
    long_steps = LONG_STEPS if long_n_iter is None else long_n_iter
    n = samples or (lab.attack_samples if paper_like else SIGNALS)
    tensors: dict[str, torch.Tensor] = {}
    result: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for cls, models in (("detail", list(NETWORKS)), ("control", ["lab_control"])):
        test = laboratory_setting.lab_data("test", lab, with_detail=cls == "detail" and lab.with_detail, n=n)
        x = test.signals.to(device)
        lam = registry.info(models[0], weights_dir=weights_dir)["metrics"]["tv_lam"]
        recons = maps(cls, lam, lab.tv_n_iter, weights_dir=weights_dir, device=device)
        A = recons["TV"].A
        y = A(x)
        start = time.perf_counter()
        table = laboratory.compare(recons, x, y, eps=lab.levels, lipschitz_eps=lab.lipschitz_eps, n_iter=steps,
                                   restarts=restarts, seed=SEED, optimizer="both", lam=lam, progress=progress)
        seconds[f"{cls}_table"] = round(time.perf_counter() - start, 1)
        tensors[f"{cls}_x"] = x
        tensors[f"{cls}_on"] = test.has_detail
        tensors[f"{cls}_detail"] = test.detail
        summary: dict[str, Any] = {"tv_lam": lam, "levels": list(lab.levels)}
        for method in table.methods:
            key = f"{cls}_{method}"
            tensors[f"{key}_e"] = table.perturbations[method]
            tensors[f"{key}_error"] = table.error[method]
            tensors[f"{key}_lipschitz_e"] = table.lipschitz_e[method]
            tensors[f"{key}_lipschitz"] = table.lipschitz[method]
            for optimizer, curve in table.curves[method].items():
                tensors[f"{key}_curve_{optimizer}"] = curve.float()
            summary[method] = {
                "psnr": round(table.psnr[method], 3),
                "mean_error": [round(v, 5) for v in table.mean_error(method)],
                "lipschitz_min_mean_max": [round(float(f(table.lipschitz[method].double())), 4)
                                           for f in (torch.min, torch.mean, torch.max)],
                "adam_short_by_percent": round(table.shortfall(method), 2),
                "gain_second_half_percent": round(table.gain_steps[method], 2),
                "gain_best_restart_percent": round(table.gain_restarts[method], 2),
                "lipschitz_gain_second_half_percent": round(table.lipschitz_gain_steps[method], 2)}
            # the continuation: the best perturbation at the largest level, LONG_STEPS more steps
            if long_steps:
                t0 = time.perf_counter()
                top = max(lab.levels)
                start_e = table.perturbations[method][list(table.eps).index(top)].to(y.device)
                # a warm start that holds exactly the stored perturbation
                warm = replace(attacks.measurement_attack(recons[method], y, x, top, relative=True, n_iter=1,
                                                          restarts=1, optimizer="pgd", seed=SEED),
                               candidates=start_e[None])
                more = attacks.measurement_attack(recons[method], y, x, top, relative=True, n_iter=long_steps,
                                                  restarts=1, keep_init=1, lr=1.0, optimizer="pgd",
                                                  warm_start=warm, seed=SEED)
                history = more.history["error"][0]                  # (long_steps + 1, B), absolute
                best_so_far = torch.cummax(history, dim=0).values / x.flatten(1).norm(dim=1)
                tensors[f"{key}_long_curve"] = best_so_far.mean(dim=1).float()
                final = float(torch.maximum(more.error.cpu(), table.error[method][-1]).double().mean())
                summary[method]["long_run_error"] = round(final, 5)
                summary[method]["long_run_gain_percent"] = round(100 * (final / table.mean_error(method)[-1] - 1), 3)
                seconds[f"{key}_long"] = round(time.perf_counter() - t0, 1)
        if cls == "detail" and lab.with_detail and bool(test.has_detail.any()) and bool((~test.has_detail).any()):
            _false_detections(recons, A, test, y, tensors, summary, steps, restarts, device)
        result[cls] = summary
    card = {
        "description": __doc__.split("\n")[0],
        "command": f"python -m tk_lessons.records.{NAME}" + (f" --scale {preset}" if preset != "laptop" else "")
                   + (f" --size {size}" if size else ""),
        "recipe": {"scale": lab.name, "size": lab.size, "operator": lab.operator, "signals": n,
                   "test": "tk_lessons.zoo.lab.lab_data('test', ...)", "levels": list(lab.levels),
                   "lipschitz_eps": lab.lipschitz_eps, "steps": steps, "restarts": restarts,
                   "optimizers": {"adam": laboratory.LR["adam"], "pgd": laboratory.LR["pgd"]},
                   "long_steps": long_steps, "seed": SEED, "tv_n_iter": lab.tv_n_iter,
                   "search": "tk_lessons.zoo.laboratory.compare(optimizer='both')"},
        "result": {**result, "seconds": seconds, "threads": torch.get_num_threads(), "torch": torch.__version__,
                   "machine": platform.machine(), "device": str(device)},
        "tensors": {
            "{class}_x, {class}_on, {class}_detail": "test signals, which carry the detail, the detail (class: "
                                                     "detail or control)",
            "{class}_{method}_e": "worst perturbation found per level (level 0: zero), (levels, signals, ...)",
            "{class}_{method}_error": "its relative error ||Psi(y + e) - x|| / ||x||, (levels, signals)",
            "{class}_{method}_lipschitz_e, _lipschitz": "perturbation and certified L^eps lower bound per signal",
            "{class}_{method}_long_curve": "mean best relative error at the largest level over the continuation",
            "{class}_{method}_curve_{adam,pgd}": "mean best relative error so far at the largest level, per "
                                                "restart and step, (restarts, steps + 1)",
            "detail_{method}_fp_e, _fp_share": "false positive: perturbation and share of the detail drawn",
            "detail_{method}_fn_e, _fn_share": "false negative: perturbation and share of the detail left"},
    }
    return tensors, card


def _false_detections(maps: dict[str, Callable], A: Any, test: Any, y: torch.Tensor,
                      tensors: dict[str, torch.Tensor], summary: dict[str, Any], steps: int, restarts: int,
                      device: torch.device | str) -> None:
    """False positives on the plain signals, false negatives on the signals with the detail."""
    on = test.has_detail
    plain_idx = (~on).nonzero()[:, 0]
    detail_idx = on.nonzero()[:, 0]
    # each plain signal borrows the detail of a signal that has one (cycling through them)
    borrowed = test.detail[detail_idx[torch.arange(len(plain_idx)) % len(detail_idx)]].to(device)
    plain = test.plain.to(device)
    tensors["detail_fp_index"], tensors["detail_fp_detail"] = plain_idx, borrowed
    tensors["detail_fn_index"] = detail_idx
    radius_fp = A(borrowed).abs().flatten(1).norm(dim=1) / 2
    d_fn = test.detail[detail_idx].to(device)
    radius_fn = A(d_fn).abs().flatten(1).norm(dim=1) / 2
    y_rel = y.abs().flatten(1).norm(dim=1)
    summary["false_detections"] = {
        "radius_fp_relative": [round(float(v), 5) for v in radius_fp / y_rel[plain_idx]],
        "radius_fn_relative": [round(float(v), 5) for v in radius_fn / y_rel[detail_idx]]}
    for method, recon in maps.items():
        with torch.no_grad():
            clean_fp = _Coefficient(recon, plain[plain_idx], borrowed)(y[plain_idx])[:, 0]
            clean_fn = _Coefficient(recon, plain[detail_idx], d_fn)(y[detail_idx])[:, 0]
        e_fp, fp = _detail_search(recon, y[plain_idx], plain[plain_idx], borrowed, radius_fp, 1.0, steps, restarts)
        e_fn, fn = _detail_search(recon, y[detail_idx], plain[detail_idx], d_fn, radius_fn, 0.0, steps, restarts)
        tensors[f"detail_{method}_fp_e"], tensors[f"detail_{method}_fp_share"] = e_fp, fp
        tensors[f"detail_{method}_fn_e"], tensors[f"detail_{method}_fn_share"] = e_fn, fn
        summary[method]["false_positive_share"] = {"clean": round(float(clean_fp.mean()), 4),
                                                   "attacked": round(float(fp.mean()), 4)}
        summary[method]["false_negative_share"] = {"clean": round(float(clean_fn.mean()), 4),
                                                   "attacked": round(float(fn.mean()), 4)}


def maps(cls: str, lam: float, tv_n_iter: int, *, weights_dir: Any = None,
         device: torch.device | str = "cpu") -> dict[str, Callable]:
    """The maps of class ``cls`` (``"detail"``: the three networks; ``"control"``: the control) and TV.

    TV is ``solvers.tv`` with weight ``lam`` and ``tv_n_iter`` ADMM iterations, on the networks'
    operator (the same for all); every map has the operator as ``.A``.

    Examples
    --------
    >>> card = info(NAME)
    >>> list(maps("control", card["result"]["control"]["tv_lam"], 300))
    ['lab_control', 'TV']
    """
    _validate.choice("cls", cls, ("detail", "control"))
    models = list(NETWORKS) if cls == "detail" else ["lab_control"]
    out: dict[str, Callable] = {m: registry.load(m, device=device, weights_dir=weights_dir) for m in models}
    out["TV"] = laboratory_setting.tv_map(lam, out[models[0]].A, tv_n_iter)
    return out


@dataclass
class Reevaluated:
    """The record's numbers recomputed by forward passes (:func:`reevaluate`).

    Attributes
    ----------
    levels : list of float
        The relative noise levels.
    error : dict of str to torch.Tensor
        Per ``"class/method"``, the relative error at each level per signal, ``(levels, signals)``.
    lipschitz : dict of str to torch.Tensor
        Per ``"class/method"``, ``||Psi(y + e) - Psi(y)|| / ||e||`` per signal: the certified bound.
    level_lipschitz : dict of str to torch.Tensor
        Per ``"class/method"``, the same ratio for the worst perturbation found at each level,
        ``(levels, signals)``: a certified lower bound on the local constant
        ``L^eps(Psi, y)`` at that level's radius ``eps = level * ||y||`` (0 at the level 0, whose
        perturbation is zero). The searches maximise the error, not this ratio, and still
        certify more than the dedicated Lipschitz search at some signals: a local constant is a
        supremum over the whole ball, and the dedicated search looks only on its sphere.
    psnr : dict of str to float
        Per ``"class/method"``, the mean clean PSNR on the attacked signals.
    fp_share, fn_share : dict of str to torch.Tensor
        Per method of the detail class, the share of the detail drawn on the plain signals under
        the false-positive perturbation, and left on the detail signals under the false-negative one.
    """

    levels: list[float]
    error: dict[str, torch.Tensor]
    lipschitz: dict[str, torch.Tensor]
    psnr: dict[str, float]
    fp_share: dict[str, torch.Tensor]
    fn_share: dict[str, torch.Tensor]
    level_lipschitz: dict[str, torch.Tensor]

    def mean_error(self, key: str) -> list[float]:
        """Mean relative error over the signals at each level, for ``"class/method"``."""
        return [float(v) for v in self.error[key].double().mean(dim=1)]


@torch.no_grad()
def reevaluate(tensors: dict[str, torch.Tensor], card: dict[str, Any], *, weights_dir: Any = None,
               device: torch.device | str = "cpu") -> Reevaluated:
    """Apply every stored perturbation again (forward passes only) and recompute the record's numbers.

    Examples
    --------
    >>> from tk_lessons import records
    >>> again = reevaluate(*records.load(NAME))
    >>> sorted(again.error)[:2]
    ['control/TV', 'control/lab_control']
    """
    levels = card["recipe"]["levels"]
    out = Reevaluated(levels, {}, {}, {}, {}, {}, {})
    for cls in ("detail", "control"):
        x = tensors[f"{cls}_x"].to(device)
        found = maps(cls, card["result"][cls]["tv_lam"], card["recipe"]["tv_n_iter"], weights_dir=weights_dir,
                     device=device)
        for method, recon in found.items():
            key, stem = f"{cls}/{method}", f"{cls}_{method}"
            y = recon.A(x)
            x_rec = recon(y)
            scale = x.flatten(1).norm(dim=1)
            out.error[key] = torch.stack([(recon(y + e.to(device)) - x).flatten(1).norm(dim=1) / scale
                                          for e in tensors[f"{stem}_e"]]).cpu()
            ratios = []
            for e in tensors[f"{stem}_e"]:
                size = e.abs().flatten(1).norm(dim=1).to(device)
                change = (recon(y + e.to(device)) - x_rec).flatten(1).norm(dim=1)
                ratios.append(torch.where(size > 0, change / size.clamp(min=1e-30), torch.zeros_like(size)))
            out.level_lipschitz[key] = torch.stack(ratios).cpu()
            e = tensors[f"{stem}_lipschitz_e"].to(device)
            out.lipschitz[key] = ((recon(y + e) - x_rec).flatten(1).norm(dim=1) / e.abs().flatten(1).norm(dim=1)).cpu()
            out.psnr[key] = float(metrics.psnr(x_rec, x, data_range=1.0).double().mean())
            if cls == "detail" and f"detail_{method}_fp_e" in tensors:
                plain = (x - tensors["detail_detail"].to(device))
                fp, fn = tensors["detail_fp_index"], tensors["detail_fn_index"]
                out.fp_share[method] = _Coefficient(recon, plain[fp], tensors["detail_fp_detail"].to(device))(
                    y[fp] + tensors[f"detail_{method}_fp_e"].to(device))[:, 0].cpu()
                out.fn_share[method] = _Coefficient(recon, plain[fn], tensors["detail_detail"][fn].to(device))(
                    y[fn] + tensors[f"detail_{method}_fn_e"].to(device))[:, 0].cpu()
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: run the searches and save the record; returns the exit status."""
    parser = argparse.ArgumentParser(prog=f"python -m tk_lessons.records.{NAME}", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("laptop", "paper"), default="laptop")
    parser.add_argument("--size", type=int, default=None, help="shrink the setting (a test of the paper path)")
    parser.add_argument("--weights-dir", default=None, help="the lab_* models' weights (default: shipped)")
    parser.add_argument("--out", default=None, help="write the record there (default: the package's records)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be an integer >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    tensors, card = compute(args.scale, size=args.size, weights_dir=args.weights_dir, device=args.device,
                            progress=args.progress)
    out = Path(args.out) if args.out else RECORDS_DIR
    print(save(NAME, tensors, card, directory=out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
