"""Retrain a shipped model from its recipe: :func:`run`, what ``python -m tk_lessons.zoo NAME`` does.

The recipe (:mod:`tk_lessons.zoo.recipes`) gives the data, the model spec and the training
phases; :func:`run` builds the model from its seeded spec, trains it phase by phase with
:func:`tk_lessons.networks.train`, evaluates it (:mod:`tk_lessons.zoo.evaluation`) and, with
``save``, writes its weights and manifest entry (:func:`tk_lessons.zoo.register`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..networks import History, train
from ..operators import LinearOperator
from .. import _validate
from .lab import LAB_MODELS, SCALES, lab_recipe, setting
from .recipes import RECIPES
from .registry import build, register

__all__ = ["run", "RunResult"]


@dataclass
class RunResult:
    """What :func:`run` returns: the trained model, its operator, test metrics and training history."""

    model: nn.Module
    A: LinearOperator
    metrics: dict[str, Any]
    history: History


def run(name: str, *, quick: bool = False, progress: bool = False, device: torch.device | str | None = None,
        save: bool = True, weights_dir: Any = None, preset: str = "laptop", size: int | None = None) -> RunResult:
    """Train the registered model ``name`` from scratch, evaluate it and (with ``save``) register it.

    Parameters
    ----------
    name : str
        A key of :data:`~tk_lessons.zoo.recipes.RECIPES`.
    quick : bool
        A smoke run: a few images, one epoch per phase, short classical solvers (for tests).
    progress : bool
        Show progress bars.
    device : torch.device or str, optional
        Train there (default CPU).
    save : bool
        Write the weights and the manifest entry.
    weights_dir : path, optional
        Where to save (default: the package's weights folder).
    preset : {"laptop", "paper"}
        For the laboratory's models (:data:`~tk_lessons.zoo.lab.LAB_MODELS`): the setting
        (:func:`tk_lessons.zoo.lab.setting`); ``"paper"`` is the paper's, for a GPU. Other
        models have only ``"laptop"``.
    size : int, optional
        With a laboratory model: shrink the setting to this size (a test of the paper path).

    Returns
    -------
    RunResult

    Examples
    --------
    >>> import tempfile
    >>> result = run("unet1d_tumour", quick=True, weights_dir=tempfile.mkdtemp())
    >>> "test_psnr" in result.metrics
    True
    """
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    _validate.choice("preset", preset, tuple(SCALES))
    if name not in LAB_MODELS and (preset != "laptop" or size is not None):
        raise ValueError(f"preset and size apply to the laboratory's models {LAB_MODELS}; {name!r} has only "
                         f"preset='laptop' and size=None, got preset={preset!r}, size={size!r}")
    start = time.perf_counter()
    if name in LAB_MODELS and (preset != "laptop" or size is not None):
        recipe = lab_recipe(name, quick, lab_setting=setting(preset, size=size))
    else:
        recipe = RECIPES[name](quick=quick)
    setup = time.perf_counter() - start
    A, model = build(recipe.spec)
    history = History()
    for k, phase in enumerate(recipe.phases):
        history.extend(train(model, A, recipe.train, val_dataset=recipe.val, seed=recipe.seed + k,
                             progress=progress, device=device, **phase))
    model.cpu()
    A.cpu()
    start = time.perf_counter()
    result = recipe.evaluate(model, A)
    result.update({"train_seconds": round(history.seconds, 1), "data_seconds": round(setup, 1),
                   "eval_seconds": round(time.perf_counter() - start, 1),
                   "epochs": len(history.train_loss), "threads": torch.get_num_threads(),
                   "device": str(device or "cpu"), "quick": quick})
    result = {k: (round(v, 4) if isinstance(v, float) and math.isfinite(v) else v) for k, v in result.items()}
    if save:
        register(name, model, recipe.spec, result, curve=history.as_dict(), seed=recipe.seed, data=recipe.data,
                 notes=recipe.description, weights_dir=weights_dir,
                 command=f"python -m tk_lessons.zoo {name}" + (" --quick" if quick else "")
                 + (f" --scale {preset}" if preset != "laptop" else "") + (f" --size {size}" if size else ""))
    return RunResult(model, A, result, history)
