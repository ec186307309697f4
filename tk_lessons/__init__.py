"""tk_lessons: the helper package of the course *The Troublesome Kernel*.

Every chapter starts with ``import tk_lessons as tk`` and ``tk.setup(seed=0)``.
Submodules are imported on first use (``tk.operators``, ``tk.plot``, ...), so
``import tk_lessons`` costs little beyond ``import torch`` and never pulls in
matplotlib or ipywidgets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public submodules, loaded lazily by ``__getattr__`` below.
_SUBMODULES = (
    "attacks",
    "checks",
    "checks_instabilities",
    "checks_kernel",
    "checks_learned",
    "checks_stability",
    "data",
    "device",
    "kernel",
    "metrics",
    "networks",
    "operators",
    "plot",
    "records",
    "sampling",
    "solvers",
    "widgets",
)

__all__ = ["__version__", "glue", "setup", *_SUBMODULES]

if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers only
    from . import device, operators, plot, widgets  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if name in ("setup", "glue"):
        from . import _setup

        return getattr(_setup, name)
    raise AttributeError(f"module 'tk_lessons' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
