"""Classical reconstruction: the stable reference methods the course compares networks against.

Every solver takes an operator ``A`` from :mod:`tk_lessons.operators` and a batch ``y``,
runs an explicit number of iterations, stays differentiable (no hidden ``torch.no_grad``:
attacks backpropagate through solvers) and returns ``x`` or, with ``return_info=True``,
``(x, SolverInfo)``.
"""

from ._common import SolverInfo
from .prox import proj_l2_ball, soft_threshold
from .linear import cg, pinv, tikhonov
from .fista import fista, ista
from .primal_dual import chambolle_pock
from .tv import tv
from .bpdn import bpdn
from .sqrt_lasso import level_weights, sqrt_lasso
from .firenet import firenet

__all__ = ["SolverInfo", "soft_threshold", "proj_l2_ball", "cg", "pinv", "tikhonov", "ista", "fista",
           "chambolle_pock", "tv", "bpdn", "sqrt_lasso", "level_weights", "firenet"]
