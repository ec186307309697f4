"""tk_lessons: the helper package of the course *The Troublesome Kernel*.

Every chapter starts with ``import tk_lessons as tk`` and ``tk.setup(seed=0)``.
Submodules are imported on first use (``tk.operators``, ``tk.plot``, ...), so
``import tk_lessons`` costs little beyond ``import torch`` and never pulls in
matplotlib or ipywidgets.

The package in layers, each using only the ones above it: ``device``, ``operators``,
``sampling`` and ``data`` (the problems); ``solvers`` and ``kernel`` (the classical maps and
the kernel of :math:`A`); ``networks`` and ``zoo`` (learned maps, the shipped models);
``attacks`` (any map ``recon`` under test); ``metrics``, ``plot``, ``widgets``, ``checks`` and
``records`` (for the chapters and the exercises).

**Vocabulary.** One idea, one name, in every signature, result field and chapter. Names used
by one function are listed with their meanings in ``tk_lessons/_vocabulary.py``;
``CONTRIBUTING.md`` shows this table too.

====================  ==================================================================
name                  meaning
====================  ==================================================================
``A``                 the forward operator, a LinearOperator
``W``                 a sparsifying transform (a LinearOperator, e.g. Wavelet)
``x``                 ground-truth image or signal, a batch (B, ...)
``y``                 measurements of x (clean unless said)
``e``                 a perturbation of the measurements
``x_rec``             a reconstruction (of y)
``x_adv``             a reconstruction of y + e
``y_adv``             perturbed measurements y + e
``x_init``            warm start of an iterative solver
``recon``             a reconstruction map y -> x_rec (any callable)
``lam``               regularisation weight
``eta``               noise level of the data model: norm(A x - y) <= eta (BPDN, kernel sizes, jitter)
``eps``               radius of a perturbation an attack or a random test may use
``n_iter``            number of iterations: solvers, attacks, Krylov, unrolled networks
``n_outer``           outer cycles of a nested method (FIRENET)
``n_inner``           inner iterations per outer cycle of a nested method (FIRENET)
``restarts``          random restarts of an attack, the best kept
``adaptive_restart``  FISTA's gradient-based momentum restart (True/False)
``trials``            number of random draws
``tol``               relative tolerance
``size``              grid size: an int (square image, signal length) or a tuple
``n``                 number of samples to generate; datasets and generators take (n, size) (a matrix dimension in GaussianMatrix(m, n), as in the papers)
``x_shape``           tensor shape of one input sample (no batch axis)
``domain_shape``      tensor shape of one sample of an operator's domain (no batch axis)
``range_shape``       tensor shape of one sample of an operator's range (no batch axis)
``seed``              an int, a torch.Generator or None
``device``            a torch device or its name
``real``              iterate on real images (default False in every solver)
``progress``          show a tqdm progress bar
``return_info``       also return a SolverInfo
``lr``                learning rate, the step of an optimiser-driven attack or of training
``step``              step size of a proximal-gradient method
``tau``               primal step of a primal-dual method (in the kernel tools: the gain threshold of the approximate kernel, Chapter 1)
``sigma``             dual step of a primal-dual method (in Blur and ssim: the width of a Gaussian)
``weights``           per-coefficient weights of an l1 term
``mask``              boolean sampling mask
``rate``              sampling rate in (0, 1]
``data_range``        peak value for PSNR and SSIM
====================  ==================================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public submodules, loaded lazily by ``__getattr__`` below.
_SUBMODULES = (
    "attacks",
    "checks",
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
    "zoo",
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
