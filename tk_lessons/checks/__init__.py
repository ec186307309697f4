"""Self-checks for the exercises: each passes quietly with a short confirmation, or raises
:class:`CheckError` with a message that says what is wrong and what was expected.

Every check is reachable as ``tk.checks.<name>``; the modules group them by topic, and a new
chapter adds its checks in a new topic module (re-exported here):

* :mod:`~tk_lessons.checks.basics`: a value against an expected one, a lower bound, the names
  a hidden check needs from a notebook;
* :mod:`~tk_lessons.checks.linear_maps`: linear maps (Chapter 1): adjoints, co-isometries,
  projectors, kernel dimensions, traces, singular values;
* :mod:`~tk_lessons.checks.kernel_vectors`: vectors in a kernel (Chapter 1): kernel vectors,
  the kernel part of a detail, images with the same data, the approximate kernel;
* :mod:`~tk_lessons.checks.reconstruction_maps`: a student's reconstruction map (Chapter 1):
  exact on an image, its error on an image;
* :mod:`~tk_lessons.checks.stability`: Lipschitz constants, pseudo-inverses, Tikhonov
  regularisation (Chapter 2);
* :mod:`~tk_lessons.checks.sparse_recovery`: soft thresholding, FISTA, the LASSO's optimality
  conditions (Chapter 2);
* :mod:`~tk_lessons.checks.learned`: training noise, networks against TV, unrolled networks
  (Chapter 3);
* :mod:`~tk_lessons.checks.instabilities`: adversarial and random perturbations, nested
  sampling patterns (Chapter 4);
* :mod:`~tk_lessons.checks.kernel_sizes`: kernel sizes, worst-case errors, Chebyshev centres,
  average kernel sizes (Chapter 5);
* :mod:`~tk_lessons.checks.hallucinations`: a memoriser's transferred detail, both sides of the
  no-free-lunch inequality, transfer maps (Chapter 6);
* :mod:`~tk_lessons.checks.false_positives`: false positives, the two-image bound, the
  dichotomy for Tikhonov on the line, certified bounds from attacks (Chapter 7);
* :mod:`~tk_lessons.checks.tradeoff`: the two-point cliff's interpolant, kernel sizes at a
  data radius, the trade-off curve, a map's place on the cliff (Chapter 8);
* :mod:`~tk_lessons.checks.not_rare`: the Gaussian lower bound on a ball's probability, the
  exact probability with complex noise, the dimension where it becomes negligible, the failure
  rates of a ball test (Chapter 9);
* :mod:`~tk_lessons.checks.training_pairs`: the minimiser of the training loss over all maps, the
  expected jittered loss of a linear map, near-kernel pair counts, the shares drawn by the pair
  networks (Chapter 10);
* :mod:`~tk_lessons.checks.optimal_training`: the worst case of interpolants of a training
  set, the best and worst training set, continuous maps on the jump class (Chapter 11);
* :mod:`~tk_lessons.checks.ill_conditioned`: kernel sizes at a level, Tikhonov's Lipschitz
  constant from singular values, shares in the approximate kernel, the trade-off (Chapter 12);
* :mod:`~tk_lessons.checks.firenets`: one primal-dual step of the square-root LASSO, the rate
  per restart, FIRENET errors after each restart (Chapter 13);

Checks that take the expected value from the caller (:func:`close`, :func:`at_least`,
:func:`lipschitz_estimate`) belong in hidden checks; a visible check cell calls a check that
computes its reference itself, so that it shows no answer. Instructors use the same functions
in hidden checks (``exercises/hidden/``).

Examples
--------
>>> import tk_lessons as tk
>>> tk.checks.close("kernel dimension", 3, 3)
✔ kernel dimension: correct
"""

from __future__ import annotations

from ._core import CheckError
from .accuracy_bounds import (detection_at, pixel_range_values, score_function,
                              toy_kernel_sizes)
from .basics import at_least, close, defined
from .false_positives import (certified_bound, false_positive_data, line_dichotomy,
                              two_image_bound)
from .firenets import cp_step_function, firenet_errors_function, restart_rate_function
from .hallucinations import memoriser_transfer, transfer_map_function, transfer_sides
from .ill_conditioned import approximate_share, level_kernel_size_value, tikhonov_lipschitz, tradeoff_floor
from .instabilities import (attack_beats_random, error_growth, lipschitz_ratios, nested_sampling,
                            random_direction, random_errors)
from .kernel_vectors import approximate_kernel, in_kernel, kernel_part, same_data
from .not_rare import (ball_failure_rates, ball_probability_value, dimension_below,
                       gaussian_bound_function)
from .learned import (data_step, jitter, mean_noise_ratio, out_of_distribution, psnr_comparison,
                      risk_minimiser, unrolled_itnet)
from .optimal_training import (forced_error_function, jump_bound_function,
                               jump_worst_case_function, training_set_range)
from .linear_maps import (adjoint, coisometry, kernel_dimension, projector, singular_value_count,
                          trace)
from .kernel_sizes import (average_kernel_size_function, chebyshev_three, kernel_size_function,
                           worst_case_error_function)
from .reconstruction_maps import exact_on, reconstruction_error
from .training_pairs import erm_outputs, jitter_loss, pair_count, pair_shares
from .sparse_recovery import fista_step, lasso_optimality, soft_threshold_rule
from .tradeoff import (cliff_interpolant_function, cliff_placement, near_kernel_size_value,
                       tradeoff_curve_values)
from .stability import (blur_inverse, blur_inverse_estimate, blur_pinv_lipschitz, lam_for_bound,
                        lipschitz_estimate, relu_attack_estimate, relu_lipschitz,
                        tikhonov_kernel_share, tikhonov_norm)

__all__ = [
    "CheckError",
    # basics
    "at_least", "close", "defined",
    # linear_maps
    "adjoint", "coisometry", "kernel_dimension", "projector", "singular_value_count", "trace",
    # kernel_vectors
    "approximate_kernel", "in_kernel", "kernel_part", "same_data",
    # reconstruction_maps
    "exact_on", "reconstruction_error",
    # stability
    "blur_inverse", "blur_inverse_estimate", "blur_pinv_lipschitz", "lam_for_bound",
    "lipschitz_estimate", "relu_attack_estimate", "relu_lipschitz", "tikhonov_kernel_share",
    "tikhonov_norm",
    # sparse_recovery
    "fista_step", "lasso_optimality", "soft_threshold_rule",
    # learned
    "data_step", "jitter", "mean_noise_ratio", "out_of_distribution", "psnr_comparison",
    "risk_minimiser", "unrolled_itnet",
    # instabilities
    "attack_beats_random", "error_growth", "lipschitz_ratios", "nested_sampling",
    "random_direction", "random_errors",
    # kernel_sizes
    "average_kernel_size_function", "chebyshev_three", "kernel_size_function",
    "worst_case_error_function",
    # hallucinations
    "memoriser_transfer", "transfer_map_function", "transfer_sides",
    # false_positives
    "certified_bound", "false_positive_data", "line_dichotomy", "two_image_bound",
    # optimal_training
    "forced_error_function", "jump_bound_function", "jump_worst_case_function",
    "training_set_range",
    # tradeoff
    "cliff_interpolant_function", "cliff_placement", "near_kernel_size_value", "tradeoff_curve_values",
    # ill_conditioned
    "approximate_share", "level_kernel_size_value", "tikhonov_lipschitz", "tradeoff_floor",
    # not_rare
    "ball_failure_rates", "ball_probability_value", "dimension_below", "gaussian_bound_function",
    # firenets
    "cp_step_function", "firenet_errors_function", "restart_rate_function",
    # accuracy_bounds
    "detection_at", "pixel_range_values", "score_function", "toy_kernel_sizes",
    # training
    "erm_outputs", "jitter_loss", "pair_count", "pair_shares",
]
