"""Measuring (in)stability: adversarial perturbations, worst-case noise, kernel pairs, Lipschitz constants.

Every function here works with *any* reconstructor, a callable ``recon(y) -> x`` that maps a
batch of measurements to a batch of images: a network, the memoriser, or a solver wrapped
with ``functools.partial``. The attacks differentiate through it with autograd and never
touch its parameters' gradients.

* :func:`adversarial_perturbation`: the PNAS 2020 stability test (image-domain ``r``,
  momentum ascent on ``1/2 ||Psi(A(x + r)) - Psi(A x)||^2 - lam/2 ||r||^2``).
* :func:`measurement_attack`: the worst data perturbation in an l2 ball (projected Adam,
  restarts, warm starts from a larger ball), as in the troublesome-kernel accuracy-stability
  figure.
* :func:`kernel_pair`, :func:`false_positive_negative`: two images with (almost) the same
  data, and the perturbations that turn one reconstruction into the other.
* :func:`two_images`, :class:`LineTikhonov`: the two-image bound of Chapter 7 and a
  family of maps with a known Lipschitz constant along a pair.
* :func:`random_noise_test`, :func:`ball_test`, :func:`sphere_scores`: failure rates under
  random perturbations; :func:`gaussian_ball_log10_probability` and its bounds: how likely
  Gaussian noise is to land in a ball of bad perturbations.
* :func:`local_lipschitz`, :func:`lipschitz_lower_bound`, :func:`jacobian_norm`: local
  Lipschitz constants: a ratio, a certified lower bound, the infinitesimal one.

Random starts are drawn on the CPU from ``seed`` and then moved, so the same seed gives
the same perturbation on every device; each result records its seed.
"""

from .kernel_pairs import FalsePositiveNegative, KernelPair, false_positive_negative, kernel_pair
from .lipschitz import jacobian_norm, lipschitz_lower_bound, local_lipschitz
from .measurement import measurement_attack
from .noise import NoiseTest, ball_test, random_noise_test, sphere_scores
from .probability import (clopper_pearson, gaussian_ball_log10_bound, gaussian_ball_log10_max,
                          gaussian_ball_log10_probability, isotropic_ball_log10_bound)
from .perturbation import adversarial_perturbation
from .result import AttackResult
from .dichotomy import LineTikhonov, TwoImages, two_images

__all__ = [
    "AttackResult", "adversarial_perturbation", "measurement_attack",
    "KernelPair", "kernel_pair", "FalsePositiveNegative", "false_positive_negative",
    "NoiseTest", "random_noise_test", "ball_test", "sphere_scores",
    "gaussian_ball_log10_probability", "gaussian_ball_log10_bound", "isotropic_ball_log10_bound",
    "gaussian_ball_log10_max", "clopper_pearson",
    "local_lipschitz", "lipschitz_lower_bound", "jacobian_norm",
    "TwoImages", "two_images", "LineTikhonov",
]
