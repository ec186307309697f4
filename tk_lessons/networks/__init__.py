"""Learned reconstruction: U-Nets, post-processing, the unrolled ItNet, the memoriser, training, shipped models.

* :class:`UNet` (1-D and 2-D), :func:`to_channels` / :func:`from_channels` for complex data;
* :class:`PostProcessing` ``Psi(y) = net(A^H y)`` (or ``net(FBP y)``), :class:`ItNet` (unrolled
  U-Net steps and learnable data-consistency steps), :class:`Memoriser` (nearest training
  image), :class:`LearnedLinear` (least squares);
* :func:`train` (MSE, Adam, jitter) returning a :class:`History`;
* :func:`load` / :func:`available`: the pretrained models shipped in ``tk_lessons/weights``,
  each retrained by ``python -m tk_lessons.train NAME``;
* ``tk.networks.recipes``: how each shipped model was trained and evaluated (its test images:
  ``recipes.test_set(name)``), loaded on first use.

Every model maps measurements to real images, so ``recon = tk.networks.load(name)`` is a
reconstructor the attacks accept as it is.
"""

from .unet import ComplexAsChannels, UNet, from_channels, to_channels
from .wrappers import PostProcessing, first_guess
from .itnet import ItNet
from .memoriser import Memoriser
from .linear import LearnedLinear
from .train import History, add_jitter, evaluate, train
from .registry import ChecksumError, available, build, info, load, register

__all__ = [
    "UNet", "to_channels", "from_channels", "ComplexAsChannels",
    "PostProcessing", "first_guess", "ItNet", "Memoriser", "LearnedLinear",
    "train", "History", "add_jitter", "evaluate",
    "load", "available", "info", "register", "build", "ChecksumError", "recipes",
]


def __getattr__(name: str):
    # the recipes build data sets and solvers: load them only when a chapter asks for them
    if name == "recipes":
        import importlib

        return importlib.import_module(f"{__name__}.recipes")   # not "from . import": that recurses
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
