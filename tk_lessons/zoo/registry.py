"""Shipped models: rebuild a network from its recipe spec and load its weights, offline and checked.

``tk_lessons/zoo/weights/manifest.json`` maps a model name to

* ``file``, ``sha256``, ``bytes``: the ``state_dict`` file next to the manifest;
* ``spec``: how to rebuild operator and model, e.g.
  ``{"operator": {"kind": "fourier", "mask": {"kind": "radial", "size": 64, "spokes": 10}},
  "model": {"kind": "postprocessing", "net": {"kind": "unet", ...}}}``;
* ``command``, ``seed``, ``data``: how it was trained (``python -m tk_lessons.zoo NAME``);
* ``metrics`` and ``curve``: the recorded test metrics and training curve.

:func:`load` checks the file's sha256 *before* reading it, then reads it with
``torch.load(..., weights_only=True)`` (tensors only, no code: a weight file can
never run anything). Nothing touches the network.
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import sampling
from .._checksum import ChecksumError, sha256, verified_bytes
from ..networks import ItNet, LearnedLinear, Memoriser, PostProcessing, UNet
from ..networks.learned_linear import real_features
from ..operators import LinearOperator, Radon, SubsampledFourier, SubsampledHadamard

__all__ = ["load", "available", "info", "register", "build", "build_operator", "build_model",
           "build_mask", "ChecksumError", "WEIGHTS_DIR", "MANIFEST"]

#: Where the shipped weights and their manifest live (inside the installed package).
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: The manifest's file name inside a weights folder.
MANIFEST = "manifest.json"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


# ----------------------------------------------------------------------------------------
# specs -> operators and models
# ----------------------------------------------------------------------------------------
def build_mask(spec: dict[str, Any]) -> torch.Tensor:
    """A sampling mask from its spec (the ``"mask"`` entry of a Fourier operator spec).

    Kinds: ``radial`` (``size``, ``spokes``), ``cartesian`` (``size``, ``rate``,
    ``center_fraction``, ``seed``), ``multilevel`` (``size``, ``rate``, ``levels``, ``a``,
    ``r0``, ``seed``), ``variable_density`` / ``uniform`` (``size``, ``rate``, ``seed``
    [, ``decay``]) and ``lowpass`` (``size`` (int: 1-D), ``rate``: the ``round(rate * N)``
    lowest frequencies of a 1-D signal). ``"symmetric": true`` adds the mirror image
    through the zero frequency (then real images have a real kernel).

    Examples
    --------
    >>> int(build_mask({"kind": "radial", "size": 64, "spokes": 10}).sum())
    673
    """
    spec = dict(spec)
    kind = spec.pop("kind", None)
    symmetric = bool(spec.pop("symmetric", False))
    size = spec.pop("size", None)
    if kind == "radial":
        mask = sampling.radial(size, spec.pop("spokes"), **spec)
    elif kind in ("cartesian", "multilevel", "variable_density", "uniform"):
        mask = getattr(sampling, kind)(size, spec.pop("rate"), **spec)
    elif kind == "lowpass":
        mask = sampling.lowpass(size, spec.pop("rate"), **spec)
    else:
        raise ValueError(f"unknown mask kind {kind!r}; expected radial, cartesian, multilevel, "
                         "variable_density, uniform or lowpass")
    return sampling.symmetrise(mask) if symmetric else mask


def build_operator(spec: dict[str, Any]) -> LinearOperator:
    """The forward operator of a spec: ``{"kind": "fourier", "mask": {...}}``, ``{"kind": "radon", ...}``
    or ``{"kind": "hadamard", "mask": {...}}``.

    A Hadamard spec's mask is built as a Fourier mask (:func:`build_mask`) and reordered by
    :func:`tk_lessons.sampling.walsh_layout` into sequency order, low sequencies where the Fourier mask has low
    frequencies.

    Examples
    --------
    >>> build_operator({"kind": "radon", "size": 32, "angles": 10}).range_shape
    (1, 46, 10)
    >>> build_operator({"kind": "hadamard", "mask": {"kind": "multilevel", "size": 32, "rate": 0.2}}).m
    205
    """
    if not isinstance(spec, dict):
        raise TypeError(f"an operator spec must be a dict, got {type(spec).__name__}")
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind == "fourier":
        return SubsampledFourier(build_mask(spec["mask"]))
    if kind == "radon":
        return Radon(spec.pop("size"), spec.pop("angles"), **spec)
    if kind == "hadamard":
        return SubsampledHadamard(sampling.walsh_layout(build_mask(spec["mask"])))
    raise ValueError(f"unknown operator kind {kind!r}; expected 'fourier', 'radon' or 'hadamard'")


def _unet(spec: dict[str, Any], seed_offset: int = 0) -> nn.Module:
    spec = dict(spec)
    if spec.pop("kind", "unet") != "unet":
        raise ValueError(f"sub-networks must be of kind 'unet', got {spec!r}")
    seed = spec.pop("seed", None)
    return UNet(**spec, seed=None if seed is None else seed + seed_offset)


def build_model(spec: dict[str, Any], A: LinearOperator) -> nn.Module:
    """A model (with fresh weights) from its spec and operator.

    Kinds: ``unet`` (the UNet keyword arguments, plus ``seed``), ``postprocessing``
    (``init``, ``input``, ``net``: a unet spec), ``itnet`` (``n_iter``, ``lam_init``,
    ``final_dc``, ``shared``, ``init``, ``net``: a unet spec; iteration ``k`` is seeded with
    ``seed + k``), ``linear`` and ``memoriser`` (``images``: how many, ``temperature``).
    The specs of the shipped ItNets, written before :class:`~tk_lessons.networks.ItNet` took
    ``n_iter``, spell it ``iterations``; both spellings are read, so that the manifest stays
    the data it was recorded as.

    Examples
    --------
    >>> A = build_operator({"kind": "fourier", "mask": {"kind": "radial", "size": 32, "spokes": 8}})
    >>> spec = {"kind": "postprocessing", "net": {"kind": "unet", "in_channels": 2, "base": 4, "depth": 2}}
    >>> type(build_model(spec, A)).__name__
    'PostProcessing'
    """
    if not isinstance(spec, dict):
        raise TypeError(f"a model spec must be a dict, got {type(spec).__name__}")
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind == "unet":
        return _unet(spec)
    if kind == "postprocessing":
        return PostProcessing(A, _unet(spec.pop("net")), **spec)
    if kind == "itnet":
        net = spec.pop("net")
        if "iterations" in spec:        # the shipped manifest's spelling of n_iter (see above)
            spec["n_iter"] = spec.pop("iterations")
        counter = itertools.count()           # iteration k's U-Net is seeded with seed + k
        return ItNet(A, lambda: _unet(net, next(counter)), **spec)
    if kind == "linear":
        return LearnedLinear(A, torch.zeros(math.prod(A.domain_shape), real_features(A)))
    if kind == "memoriser":
        return Memoriser(A, torch.zeros(spec.pop("images"), *A.domain_shape), **spec)
    raise ValueError(f"unknown model kind {kind!r}; expected unet, postprocessing, itnet, linear or memoriser")


def build(spec: dict[str, Any]) -> tuple[LinearOperator, nn.Module]:
    """``(A, model)`` from a full spec ``{"operator": {...}, "model": {...}}`` (weights freshly drawn).

    Examples
    --------
    >>> spec = {"operator": {"kind": "radon", "size": 32, "angles": 10},
    ...         "model": {"kind": "postprocessing", "init": "fbp", "net": {"kind": "unet", "base": 4, "depth": 2}}}
    >>> A, model = build(spec)
    >>> model(A(torch.zeros(1, 1, 32, 32))).shape
    torch.Size([1, 1, 32, 32])
    """
    if not isinstance(spec, dict) or set(spec) != {"operator", "model"}:
        raise ValueError(f"spec must be a dict with exactly the keys 'operator' and 'model', got {spec!r}")
    A = build_operator(spec["operator"])
    return A, build_model(spec["model"], A)


# ----------------------------------------------------------------------------------------
# the manifest
# ----------------------------------------------------------------------------------------
def _dir(weights_dir: str | os.PathLike | None) -> Path:
    return WEIGHTS_DIR if weights_dir is None else Path(weights_dir)


def _manifest(weights_dir: str | os.PathLike | None) -> dict[str, Any]:
    path = _dir(weights_dir) / MANIFEST
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
    if not isinstance(manifest, dict):
        raise ValueError(f"{path} must hold a JSON object (name -> entry), got {type(manifest).__name__}")
    return manifest


def available(weights_dir: str | os.PathLike | None = None) -> list[str]:
    """Names of the models in the manifest (sorted); empty while none are shipped.

    Examples
    --------
    >>> isinstance(available(), list)
    True
    """
    return sorted(_manifest(weights_dir))


def _entry(name: object, weights_dir: str | os.PathLike | None) -> dict[str, Any]:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    manifest = _manifest(weights_dir)
    if name not in manifest:
        known = ", ".join(sorted(manifest)) or "none yet (the manifest is empty)"
        raise ValueError(f"unknown model {name!r}; shipped models: {known}")
    return manifest[name]


def info(name: str, *, weights_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """The manifest entry of ``name`` (a copy): spec, training command, seed, data, metrics, curve."""
    return copy.deepcopy(_entry(name, weights_dir))


def _operator_keys(model: nn.Module) -> list[str]:
    """State-dict keys that belong to forward operators inside ``model`` (masks, angles, ...)."""
    prefixes = [f"{name}." for name, module in model.named_modules() if isinstance(module, LinearOperator)]
    return [key for key in model.state_dict() if any(key.startswith(p) for p in prefixes)]


def load(name: str, *, device: torch.device | str | None = None,
         weights_dir: str | os.PathLike | None = None) -> nn.Module:
    """A shipped model with its trained weights, in ``eval`` mode and with frozen parameters.

    Parameters
    ----------
    name : str
        A name from :func:`available`.
    device : torch.device or str, optional
        Where to put the model (default CPU).
    weights_dir : path, optional
        Another weights folder (default: the package's ``tk_lessons/zoo/weights``).

    Returns
    -------
    torch.nn.Module
        The model; call it on measurements, ``model(A(x))``, with ``A = model.A``.

    Raises
    ------
    ValueError
        Unknown name (the message lists the known ones), or a spec that does not
        rebuild the operator the weights were trained with.
    FileNotFoundError
        The weight file is missing.
    ChecksumError
        The file's sha256 differs from the manifest's.

    Examples
    --------
    >>> import tk_lessons as tk
    >>> names = tk.zoo.available()
    >>> models = [tk.zoo.load(n) for n in names[:1]]     # each checked, offline
    """
    entry = _entry(name, weights_dir)
    path = _dir(weights_dir) / entry["file"]
    if not path.is_file():
        raise FileNotFoundError(f"the weights of {name!r} are missing: {path} does not exist; "
                                f"retrain them with `python -m tk_lessons.zoo {name}`")
    data = verified_bytes(path, entry["sha256"], remedy="Reinstall the package or retrain with "
                          f"`python -m tk_lessons.zoo {name}`")
    # read the verified bytes themselves, not the file again
    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    _, model = build(entry["spec"])
    fresh = model.state_dict()
    for key in _operator_keys(model):
        if key not in state or state[key].shape != fresh[key].shape or not torch.equal(state[key], fresh[key]):
            raise ValueError(f"the spec of {name!r} does not rebuild the operator its weights were trained "
                             f"with ({key} differs)")
    model.load_state_dict(state)
    model.eval()
    model.requires_grad_(False)      # attacks differentiate with respect to the input, not the weights
    return model.to(device) if device is not None else model


def register(name: str, model: nn.Module, spec: dict[str, Any], metrics: dict[str, Any] | None = None, *,
             curve: dict[str, Any] | None = None, command: str | None = None, seed: int | None = None,
             data: str | None = None, notes: str | None = None,
             weights_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Save ``model``'s weights as ``NAME.pt`` and record them in the manifest (used by the training command).

    The spec is checked first: ``build(spec)`` must give a model into which these
    weights load, so that :func:`load` can rebuild it.

    Parameters
    ----------
    name : str
        Lower-case identifier (``[a-z][a-z0-9_]*``); an existing entry is replaced.
    model : torch.nn.Module
        The trained model.
    spec : dict
        ``{"operator": {...}, "model": {...}}`` as read by :func:`build`.
    metrics : dict, optional
        Recorded test metrics (JSON-serialisable).
    curve : dict, optional
        Training curve (e.g. ``History.as_dict()``).
    command, seed, data, notes : optional
        How the model was trained (``command`` defaults to ``python -m tk_lessons.zoo NAME``).
    weights_dir : path, optional
        Another weights folder (default: the package's).

    Returns
    -------
    dict
        The manifest entry.

    Examples
    --------
    >>> import tempfile
    >>> spec = {"operator": {"kind": "radon", "size": 16, "angles": 4},
    ...         "model": {"kind": "postprocessing", "init": "fbp",
    ...                   "net": {"kind": "unet", "base": 2, "depth": 1, "seed": 0}}}
    >>> _, model = build(spec)
    >>> folder = tempfile.mkdtemp()
    >>> entry = register("tiny", model, spec, {"psnr": 0.0}, weights_dir=folder)
    >>> available(folder)
    ['tiny']
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must match [a-z][a-z0-9_]*, got {name!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    state = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    _, rebuilt = build(spec)
    try:
        rebuilt.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(f"spec does not describe this model: its weights do not load into build(spec): "
                         f"{error}") from None
    buffer = io.BytesIO()
    torch.save(state, buffer)
    blob = buffer.getvalue()
    entry = {
        "file": f"{name}.pt",
        "sha256": sha256(blob),
        "bytes": len(blob),
        "architecture": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "spec": spec,
        "command": command or f"python -m tk_lessons.zoo {name}",
        "seed": seed,
        "data": data,
        "metrics": metrics or {},
        "curve": curve or {},
        "notes": notes,
        "torch": torch.__version__,
    }
    entry = json.loads(json.dumps(entry))           # fails now, before writing anything, if not JSON-serialisable
    manifest = _manifest(weights_dir)
    manifest[name] = entry
    folder = _dir(weights_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.pt").write_bytes(blob)
    tmp = folder / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(folder / MANIFEST)
    return entry
