"""Precomputed search results that the chapters re-evaluate, checked by sha256.

A *record* is a small tensor file ``NAME.pt`` (perturbations, search traces) next to a
``NAME.json`` card with the recipe (inputs, seeds, budgets), the summary numbers the search
produced, the command that regenerates it and the file's sha256. Searches that are too slow
for a chapter's 90 s budget on a 2-core CPU are run once; the chapter loads the
perturbations and evaluates them again with a forward pass, so every number it prints is
computed, and the card's numbers are only compared with.

* ``ch02_equal_effort``: certified lower bounds for chapter 2's five maps (zero filling,
  Tikhonov, l1-wavelets, TV, sqrt-LASSO) on its 25% Fourier problem, all searched alike
  (``python -m tk_lessons.records.ch02_equal_effort``).
* ``ch04_equal_budget``: certified lower bounds on the local Lipschitz constant of the U-Net
  ``unet_radial64`` and of 300-iteration TV, both searched with the same budget
  (``python -m tk_lessons.records.ch04_equal_budget``).
* ``lab_worst_case``: the laboratory's networks (trained with no, low and high noise, and the
  control) and TV under worst-case measurement noise of 2-8 %, certified Lipschitz bounds, the
  searches' convergence and false positives and negatives, all searched alike
  (``python -m tk_lessons.records.lab_worst_case``).
* ``ch08_tv_family``: certified Lipschitz lower bounds for TV over five weights on the
  laboratory's test signals, with the searches' convergence, at the laboratory's effort
  (``python -m tk_lessons.records.ch08_tv_family``).
* ``ch13_equal_budget``: certified lower bounds for a 200-layer FIRENET on chapter 4's problem,
  searched with chapter 4's effort (``python -m tk_lessons.records.ch13_equal_budget``).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import torch

from .._checksum import ChecksumError, sha256, verified_bytes

__all__ = ["RECORDS_DIR", "ChecksumError", "available", "load", "info", "save"]

#: Where the records live (inside the installed package).
RECORDS_DIR = Path(__file__).resolve().parent
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def available() -> list[str]:
    """The names of the shipped records.

    Examples
    --------
    >>> from tk_lessons import records
    >>> records.available()
    ['ch02_equal_effort', 'ch04_equal_budget', 'ch08_tv_family', 'ch13_equal_budget', 'lab_worst_case']
    """
    return sorted(p.stem for p in RECORDS_DIR.glob("*.json"))


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must be a record name such as 'ch04_equal_budget', got {name!r}")
    return name


def info(name: str) -> dict[str, Any]:
    """The card ``NAME.json``: recipe, summary, command and sha256 of the tensor file."""
    path = RECORDS_DIR / f"{_check_name(name)}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no record {name!r} in {RECORDS_DIR}; "
                                f"the shipped ones are {available()}")
    return json.loads(path.read_text())


def load(name: str, device: torch.device | str = "cpu") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The tensors of record ``name`` (checked against the card's sha256) and its card.

    Raises :class:`ChecksumError` when the file's sha256 differs from the card's.
    """
    card = info(name)
    data = verified_bytes(RECORDS_DIR / card["file"], card["sha256"],
                          remedy=f"Regenerate it with `{card['command']}`")
    tensors = torch.load(io.BytesIO(data), map_location=device, weights_only=True)
    return tensors, card


def save(name: str, tensors: dict[str, torch.Tensor], card: dict[str, Any], *,
         directory: str | Path | None = None) -> Path:
    """Write ``NAME.pt`` and ``NAME.json`` (the card gets ``file``, ``bytes`` and ``sha256``).

    ``directory``: where (default :data:`RECORDS_DIR`, the shipped records).
    """
    _check_name(name)
    folder = RECORDS_DIR if directory is None else Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, buffer)
    data = buffer.getvalue()
    (folder / f"{name}.pt").write_bytes(data)
    card = {**card, "file": f"{name}.pt", "bytes": len(data), "sha256": sha256(data)}
    path = folder / f"{name}.json"
    path.write_text(json.dumps(card, indent=1, sort_keys=True) + "\n")
    return path
