"""Classical reconstruction: the stable reference methods the course compares networks against.

Every solver takes an operator ``A`` from :mod:`tk_lessons.operators` and a batch ``y``,
runs an explicit number of iterations, stays differentiable (no hidden ``torch.no_grad``:
attacks backpropagate through solvers) and returns ``x_rec`` or, with ``return_info=True``,
``(x_rec, SolverInfo)``. Solvers ask the operator what it is (``A.orthonormal_rows``,
``A.isometry``, ``A.gram_symbol()``) to take exact shortcuts.
"""

from ._common import SolverInfo
from .prox import proj_l2_ball, soft_threshold
from .krylov import KrylovState, cg
from .least_squares import pinv, tikhonov
from .proximal_gradient import fista, ista
from .primal_dual import chambolle_pock
from .total_variation import tv
from .basis_pursuit import bpdn
from .square_root_lasso import level_weights, sqrt_lasso
from .restarted_primal_dual import firenet

__all__ = ["SolverInfo", "soft_threshold", "proj_l2_ball", "KrylovState", "cg", "pinv", "tikhonov", "ista",
           "fista", "chambolle_pock", "tv", "bpdn", "sqrt_lasso", "level_weights", "firenet"]
