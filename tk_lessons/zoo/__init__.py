"""The course's pretrained models: shipped weights, their manifest, the recipes that train them.

* :func:`load` / :func:`available` / :func:`info`: the models shipped in
  ``tk_lessons/zoo/weights``, checked by sha256 and loaded offline;
* :func:`register` and :func:`build` (:func:`build_operator`, :func:`build_model`,
  :func:`build_mask`): how a model is saved, and rebuilt from its spec;
* ``tk.zoo.recipes`` (how each model is trained: data, spec, schedule; its test images:
  ``recipes.test_set(name)``), ``tk.zoo.evaluation`` (how it is scored) and
  ``tk.zoo.retrain`` (``run(name)``), loaded on first use: they build data sets and solvers;
  ``tk.zoo.laboratory`` measures the laboratory's table (accuracy, worst-case noise, Lipschitz
  bounds of shipped models and TV at equal effort): ``python -m tk_lessons.zoo.laboratory``;
  ``tk.zoo.pairs`` builds the training-pair experiments of Chapter 10 (an image and its copy
  with a kernel detail in one training set) and the small computations they need.

Retrain a model with ``python -m tk_lessons.zoo NAME`` (``--list`` lists them). Every model
maps measurements to real images, so ``recon = tk.zoo.load(name)`` is a reconstructor the
attacks accept as it is.

Examples
--------
>>> import tk_lessons as tk
>>> "unet_radial64" in tk.zoo.available()
True
>>> tk.zoo.info("unet_radial64")["spec"]["operator"]["mask"]
{'kind': 'radial', 'size': 64, 'spokes': 10}
"""

from __future__ import annotations

import importlib
from typing import Any

from .registry import (MANIFEST, WEIGHTS_DIR, ChecksumError, available, build, build_mask, build_model,
                       build_operator, info, load, register)

__all__ = ["load", "available", "info", "register", "build", "build_operator", "build_model", "build_mask",
           "ChecksumError", "WEIGHTS_DIR", "MANIFEST", "recipes", "evaluation", "retrain", "laboratory", "pairs"]

_LAZY = ("recipes", "evaluation", "retrain", "laboratory", "pairs")


def __getattr__(name: str) -> Any:
    # the recipes build data sets and solvers: load them only when asked for
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")   # not "from . import": that recurses
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
