"""Learned reconstruction: U-Nets, post-processing, the unrolled ItNet, the memoriser, training.

* :class:`UNet` (1-D and 2-D), :func:`to_channels` / :func:`from_channels` for complex data;
* :class:`PostProcessing` ``Psi(y) = net(A^H y)`` (or ``net(FBP y)``), :class:`ItNet` (unrolled
  U-Net steps and learnable data-consistency steps), :class:`Memoriser` (nearest training
  image), :class:`LearnedLinear` (least squares);
* :class:`MLP` and :func:`fit_interpolant`: tiny ReLU networks fitted to a few training
  pairs (Chapter 11);
* :func:`train` (MSE, Adam, jitter of level ``eta``) returning a :class:`History`, and
  :func:`evaluate`.

The pretrained models that ship with the course, and the recipes that train them, are in
:mod:`tk_lessons.zoo` (``tk.zoo.load(name)``). Every model maps measurements to real images,
so a network is a reconstructor the attacks accept as it is.
"""

from .unet import ComplexAsChannels, UNet, from_channels, to_channels
from .wrappers import PostProcessing, first_guess
from .itnet import ItNet
from .memoriser import Memoriser
from .learned_linear import LearnedLinear
from .training import History, add_jitter, as_tensor, evaluate, train
from .interpolants import MLP, fit_interpolant

__all__ = [
    "UNet", "to_channels", "from_channels", "ComplexAsChannels",
    "PostProcessing", "first_guess", "ItNet", "Memoriser", "LearnedLinear",
    "train", "History", "add_jitter", "evaluate", "as_tensor", "MLP", "fit_interpolant",
]
