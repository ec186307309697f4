"""Checks for "instabilities are not rare events": balls of bad perturbations and their probability (Chapter 9).

Each check computes its reference itself (the Gaussian bound from its formula with scipy's
log-gamma, the exact probability with :func:`tk_lessons.attacks.gaussian_ball_log10_probability`,
failure rates with :func:`tk_lessons.attacks.sphere_scores`), so the visible check cell holds
no expression that a student could paste as the answer. A failure says what is wrong without
printing the reference.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from scipy import special

from .. import attacks
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["gaussian_bound_function", "ball_probability_value", "dimension_below", "ball_failure_rates"]


def _bound_reference(n: int, sigma: float, t: float, r: float) -> float:
    log = (0.5 * n * math.log(math.pi) + n * math.log(r) - special.gammaln(n / 2 + 1)
           - 0.5 * n * math.log(2 * math.pi * sigma ** 2) - (t + r) ** 2 / (2 * sigma ** 2))
    return log / math.log(10)


def gaussian_bound_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(n, sigma, t, r)``: :math:`\log_{10}` of the Gaussian lower bound on a ball's probability.

    The bound is :math:`\mathrm{vol}(B_r)(2\pi\sigma^2)^{-n/2}e^{-(t + r)^2/(2\sigma^2)}` with
    :math:`\mathrm{vol}(B_r) = \pi^{n/2}r^n/\Gamma(n/2 + 1)`; ``fn`` returns its base-10
    logarithm as a float. Tried in small dimensions and in one where the bound itself
    underflows (so it must be computed in logarithms); ``seed`` varies the cases.

    Examples
    --------
    >>> import math
    >>> from scipy import special
    >>> from tk_lessons import checks
    >>> def bound(n, sigma, t, r):
    ...     log = (n / 2 * math.log(math.pi) + n * math.log(r) - special.gammaln(n / 2 + 1)
    ...            - n / 2 * math.log(2 * math.pi * sigma**2) - (t + r)**2 / (2 * sigma**2))
    ...     return log / math.log(10)
    >>> checks.gaussian_bound_function(bound)
    ✔ Gaussian lower bound: correct
    >>> checks.gaussian_bound_function(lambda n, sigma, t, r: bound(n, sigma**0.5, t, r))
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: Gaussian lower bound (n = 2, sigma = 0.7, t = 1, r = 0.2): got -1.99077, which is too large. Take log10 of vol(B_r) (2 pi sigma^2)^(-n/2) exp(-(t + r)^2 / (2 sigma^2)), vol(B_r) = pi^(n/2) r^n / Gamma(n/2 + 1); sigma is the standard deviation, not the variance
    """
    g = torch.Generator().manual_seed(900 + int(seed))
    cases = [(2, 0.7, 1.0, 0.2), (7, 0.4, 1.0, 0.3), (2000, 0.02, 1.0, 0.5)]
    if seed:
        cases = [(n, s * float(1 + 0.5 * torch.rand(1, generator=g)), t, r) for n, s, t, r in cases]
    for n, sigma, t, r in cases:
        name = f"Gaussian lower bound (n = {n}, sigma = {sigma:.3g}, t = {t:g}, r = {r:g})"
        try:
            value = fn(n, sigma, t, r)
        except Exception as err:       # noqa: BLE001 - any failure of the student's function is the finding
            raise CheckError(f"{name}: the function raised {type(err).__name__}: {err}") from err
        if isinstance(value, float) and value == float("-inf"):
            raise CheckError(f"{name}: got -inf: the bound underflows; add the logarithms of its factors "
                             "(math.lgamma or scipy.special.gammaln for Gamma) instead of multiplying them")
        agree(name, as_number("the returned value", value), _bound_reference(n, sigma, t, r), rtol=1e-6,
              atol=1e-9, hint="take log10 of vol(B_r) (2 pi sigma^2)^(-n/2) exp(-(t + r)^2 / (2 sigma^2)), "
                              "vol(B_r) = pi^(n/2) r^n / Gamma(n/2 + 1); sigma is the standard deviation, "
                              "not the variance")
    ok("Gaussian lower bound")


def ball_probability_value(value: object, m: int, sigma: float, centre_norm: float, radius: float) -> None:
    r"""Check ``P(||e - c|| <= radius)`` for complex Gaussian noise ``e`` in :math:`\mathbb C^m`.

    The real and imaginary parts of each entry are independent :math:`\mathcal N(0, \sigma^2)`,
    so the real dimension is ``2 m``; the reference is
    :func:`tk_lessons.attacks.gaussian_ball_log10_probability` with ``n = 2 m``.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> from tk_lessons.attacks import gaussian_ball_log10_probability as log_p
    >>> checks.ball_probability_value(10 ** log_p(6, 0.5, 1.0, 0.7), 3, 0.5, 1.0, 0.7)
    ✔ probability of the ball: correct
    >>> checks.ball_probability_value(10 ** log_p(3, 0.5, 1.0, 0.7), 3, 0.5, 1.0, 0.7)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: probability of the ball: got 0.10792, which is too large. C^m is a real space of dimension 2 m: count the real and the imaginary part of each entry
    """
    p = as_number("value", value)
    if not 0 <= p <= 1:
        raise CheckError(f"probability of the ball: got {p:.6g}, which is not a probability (expected a number "
                         "in [0, 1]; did you return a logarithm?)")
    reference = 10 ** attacks.gaussian_ball_log10_probability(2 * int(m), sigma, centre_norm, radius)
    agree("probability of the ball", p, reference, rtol=1e-5, atol=1e-12,
          hint="C^m is a real space of dimension 2 m: count the real and the imaginary part of each entry")
    ok("probability of the ball")


def dimension_below(value: object, ratio: float = 0.5, log10_level: float = -6.0) -> None:
    r"""Check the smallest dimension ``n`` at which the best Gaussian probability of ``B(c, ratio ||c||)`` is below ``10^log10_level``.

    "Best" is the maximum over the noise level :math:`\sigma`
    (:func:`tk_lessons.attacks.gaussian_ball_log10_max`).

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.dimension_below(1, ratio=0.5, log10_level=0.0)
    ✔ smallest dimension: correct
    >>> checks.dimension_below(3, ratio=0.5, log10_level=-0.5)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: smallest dimension: got 3, which is too large. At n - 1 the best probability is already below the level: go down in n
    """
    n = as_number("value", value)
    if n != int(n) or n < 1:
        raise CheckError(f"smallest dimension: expected a positive integer, got {n:g}")
    n = int(n)
    best = lambda k: attacks.gaussian_ball_log10_max(k, 1.0, ratio)[0]    # noqa: E731
    if best(n) >= log10_level:
        raise CheckError(f"smallest dimension: got {n}, which is too small. At n = {n} the best probability over "
                         "sigma is not yet below the level; maximise over sigma (gaussian_ball_log10_max), not at "
                         "one sigma")
    if n > 1 and best(n - 1) < log10_level:
        raise CheckError(f"smallest dimension: got {n}, which is too large. At n - 1 the best probability is "
                         "already below the level: go down in n")
    ok("smallest dimension")


def ball_failure_rates(value: object, recon: Callable, y: torch.Tensor, x: torch.Tensor, e_adv: torch.Tensor,
                       eps: list[float], *, trials: int, seed: int) -> None:
    r"""Check the mean failure rate per radius of the ball test ``e_adv + rho g / ||g||`` (``rho`` in ``eps``, units of ``||e_adv||``).

    A draw fails when its relative error exceeds the midpoint between the signal's clean error
    and its error at ``e_adv``. The reference draws with
    :func:`tk_lessons.attacks.sphere_scores` (``trials``, ``seed``), so the same call gives
    exactly the same rates.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> y, x = torch.ones(2, 3), torch.ones(2, 3)
    >>> e = torch.full((2, 3), 0.5)
    >>> checks.ball_failure_rates(torch.tensor([1.0, 1.0]), lambda v: v, y, x, e, [0.0, 0.5],
    ...                           trials=4, seed=0)
    ✔ failure rates of the ball test: correct
    """
    rates = as_tensor("value", value)
    norms = lambda v: v.abs().flatten(1).norm(dim=1)      # noqa: E731

    def score(v):
        truth = x.repeat(v.shape[0] // x.shape[0], *([1] * (x.ndim - 1)))
        return norms(recon(v) - truth) / norms(truth)

    with torch.no_grad():
        threshold = ((score(y) + score(y + e_adv)) / 2).double().cpu()
    draws = attacks.sphere_scores(score, y, eps, centre=e_adv, unit=norms(e_adv), trials=trials, seed=seed)
    reference = (draws > threshold).double().mean(dim=(1, 2))
    if rates.numel() == reference.numel() * y.shape[0]:
        raise CheckError("failure rates of the ball test: expected one mean rate per radius, shape "
                         f"({len(eps)},), got {tuple(rates.shape)}: average over the signals as well")
    agree("failure rates of the ball test", rates.reshape(-1), reference, rtol=0, atol=1e-6,
          hint="a draw fails when its relative error exceeds (clean error + error at e_adv) / 2 of its signal; "
               "use attacks.sphere_scores with the given trials and seed, then average over draws and signals")
    ok("failure rates of the ball test")
