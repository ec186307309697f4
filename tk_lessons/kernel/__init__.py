r"""The kernel N(A) of a forward operator: projections, approximate kernels, kernel sizes (Chapter 1).

Two images that differ by an element of the kernel :math:`\mathcal{N}(A) = \{z : Az = 0\}`
give the same data, so no reconstruction method can tell them apart. This package computes
the objects the course builds on that fact:

* :func:`project` and :func:`component` (:mod:`.projection`): the part of an image the data
  cannot see;
* :func:`approximate` (:mod:`.approximation`): the approximate kernel of an ill-conditioned
  operator, spanned by the right singular vectors with singular value at most ``tau``;
* :func:`kernel_size` and :func:`feasible_sets` (:mod:`.sizes`): worst-case and average
  kernel sizes of a finite set of images, the accuracy limit of *every* method;
* :func:`chebyshev_centre` (:mod:`.chebyshev`): the centre of the smallest ball around a
  finite set, the optimal reconstruction of a finite feasible set;
* :func:`detail_transfer`, :func:`transferred_fraction` and :func:`transfer_map`
  (:mod:`.transfer`): how much of one image's kernel detail a reconstruction of another
  image with the same data carries (Chapter 6);
* :func:`feasible_set_map`, :func:`optimal_error` and :func:`map_error`
  (:mod:`.optimal_maps`): maps that answer from the feasible set (the Chebyshev-centre map is
  optimal), the optimal worst-case error, and any map's worst-case and mean error (Chapter 5);
* :func:`jump_operator`, :func:`jump_member` and :func:`jump_error` (:mod:`.jump_class`): the
  class with a jump on which no continuous map is optimal (Chapter 11);
* :func:`level_kernel_size`, :func:`tradeoff_bound`, :func:`tradeoff_lipschitz`,
  :func:`tikhonov_gains`, :func:`svd_tikhonov` and :func:`span_fraction` (:mod:`.approximate_sizes`): kernel sizes at a
  gain level and the accuracy–stability trade-off for ill-conditioned operators (Chapter 12);
* :func:`near_kernel_size`, :func:`noisy_tradeoff_bound`, :func:`cliff_error` and
  :func:`cliff_interpolant` (:mod:`.cliff`): the trade-off with noise on a finite class and the
  two-point cliff, the exact achievable region of accuracy and stability (Chapter 8);
* :func:`pixel_range` and :func:`detection_rates` (:mod:`.indicator`): the pixel-wise range of
  an empirical feasible set, a per-pixel hallucination indicator (Chapter 14);
* :func:`best_terms` and :func:`support_floor` (:mod:`.sparse_floor`): best ``s``-term
  approximations and the least Lipschitz constant of any map exact on a sparse support
  (Chapter 13).

Examples
--------
>>> import torch
>>> from tk_lessons import kernel
>>> from tk_lessons.operators import MatrixOperator
>>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 1e-3]], dtype=torch.float64))
>>> A_kernel = kernel.approximate(A, 0.01)   # A is invertible, but barely sees e_2
>>> A_kernel.singular_values
tensor([0.0010], dtype=torch.float64)
>>> A_kernel.basis.squeeze(1).abs()
tensor([0., 1.], dtype=torch.float64)
"""

from .approximation import ApproximateKernel, approximate
from .approximate_sizes import (LevelKernelSize, level_kernel_size, span_fraction, svd_tikhonov,
                               tikhonov_gains, tradeoff_bound, tradeoff_lipschitz)
from .chebyshev import chebyshev_centre
from .cliff import cliff_error, cliff_interpolant, near_kernel_size, noisy_tradeoff_bound
from .indicator import PixelRange, detection_rates, pixel_range
from .jump_class import jump_error, jump_member, jump_operator
from .optimal_maps import FeasibleSetMap, MapError, feasible_set_map, map_error, optimal_error
from .projection import component, project
from .sparse_floor import SupportFloor, best_terms, support_floor
from .sizes import KernelSize, feasible_sets, kernel_size
from .transfer import DetailTransfer, detail_transfer, transfer_map, transferred_fraction

__all__ = [
    "project", "component", "approximate", "ApproximateKernel", "kernel_size", "KernelSize",
    "feasible_sets", "chebyshev_centre", "detail_transfer", "DetailTransfer", "transfer_map",
    "transferred_fraction", "feasible_set_map", "FeasibleSetMap", "map_error", "MapError",
    "optimal_error", "pixel_range", "PixelRange", "detection_rates", "best_terms",
    "support_floor", "SupportFloor",
    "optimal_error", "jump_operator", "jump_member", "jump_error",
    "level_kernel_size", "LevelKernelSize", "tradeoff_bound", "tradeoff_lipschitz", "tikhonov_gains",
    "span_fraction", "svd_tikhonov",
    "near_kernel_size", "noisy_tradeoff_bound", "cliff_error", "cliff_interpolant",
]
