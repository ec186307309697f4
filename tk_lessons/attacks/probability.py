"""How likely is random noise to land in a ball of bad perturbations?

If a continuous reconstruction map fails at a perturbation ``e_adv``, it fails on a whole
ball ``B(e_adv, r)`` around it, so Gaussian noise ``e ~ N(0, sigma^2 I_n)`` triggers the
failure with positive probability (the topic "instabilities are not rare events" of
Gottschling, Antun, Hansen & Adcock, *The troublesome kernel*). This module computes that
probability in the real dimension ``n`` of the noise (a complex vector of ``m`` entries
counts as ``n = 2 m`` reals), always as a base-10 logarithm, because in high dimension it
underflows any float:

* :func:`gaussian_ball_log10_probability`: the exact ``P(||e - e_adv|| <= r)``, a
  noncentral chi-square distribution function, summed as a Poisson mixture in log space;
* :func:`gaussian_ball_log10_bound`: the elementary lower bound
  ``vol(B_r) (2 pi sigma^2)^(-n/2) exp(-(||e_adv|| + r)^2 / (2 sigma^2))``;
* :func:`isotropic_ball_log10_bound`: an upper bound ``exp(-n (1 - r^2/||e_adv||^2) / 2)``
  valid for *every* rotation-invariant noise law (every ``sigma``): "positive probability"
  is not "likely";
* :func:`gaussian_ball_log10_max`: the largest exact probability over ``sigma``;
* :func:`clopper_pearson`: an exact confidence interval for a failure rate measured by
  sampling (so that "0 failures in 10,000 draws" is reported as an upper bound, not as 0).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

from .. import _validate

__all__ = ["gaussian_ball_log10_probability", "gaussian_ball_log10_bound", "isotropic_ball_log10_bound",
           "gaussian_ball_log10_max", "clopper_pearson"]

_LN10 = math.log(10.0)
#: Poisson terms beyond the mean plus this many standard deviations are dropped (their weight
#: is below 1e-300 of the total).
_TAIL_SD = 40.0
_MAX_TERMS = 5_000_000


def _check(n_real, sigma, centre_norm, radius) -> tuple[int, float, float, float]:
    n_real = _validate.positive_int("n_real", n_real)
    sigma = _validate.positive("sigma", sigma)
    centre_norm = _validate.positive("centre_norm", centre_norm, allow_zero=True)
    radius = _validate.positive("radius", radius)
    return n_real, sigma, centre_norm, radius


def _log_gammainc(a: np.ndarray, z: float) -> np.ndarray:
    """``log P(a, z)`` (regularised lower incomplete gamma) for an array ``a``, without underflow.

    Where ``P`` is representable, its logarithm; below that, the series
    ``P(a, z) = z^a e^(-z) / Gamma(a + 1) * sum_k z^k / ((a + 1) ... (a + k))``, whose terms
    shrink geometrically there because ``z`` is much smaller than ``a``.
    """
    a = np.asarray(a, dtype=float)
    value = special.gammainc(a, z)
    out = np.full(a.shape, -np.inf)
    ok = value > 1e-280
    out[ok] = np.log(value[ok])
    if (~ok).any():
        b = a[~ok]
        term = np.ones_like(b)
        total = np.ones_like(b)
        for k in range(1, 100_000):
            term = term * z / (b + k)
            total = total + term
            if np.all(term < 1e-17 * total):
                break
        out[~ok] = b * math.log(z) - z - special.gammaln(b + 1) + np.log(total)
    return out


def gaussian_ball_log10_probability(n_real: int, sigma: float, centre_norm: float, radius: float) -> float:
    """``log10 P(||e - c|| <= radius)`` for ``e ~ N(0, sigma^2 I_n)`` and a centre ``c`` of norm ``centre_norm``.

    ``||e - c||^2 / sigma^2`` is noncentral chi-square with ``n_real`` degrees of freedom and
    noncentrality ``lam = centre_norm^2 / sigma^2``, so the probability is its distribution
    function at ``radius^2 / sigma^2``. It is summed as the Poisson mixture
    ``sum_j Poisson(j; lam / 2) P_chi2(n + 2 j)`` in log space, so values far below the
    smallest float (``1e-5000`` in the paper's dimension) come out as their logarithms.

    Parameters
    ----------
    n_real : int
        Real dimension of the noise (``2 m`` for ``m`` complex measurements).
    sigma : float
        Standard deviation of each real coordinate of the noise (``> 0``).
    centre_norm : float
        Norm of the ball's centre (``>= 0``), e.g. of an adversarial perturbation.
    radius : float
        Radius of the ball (``> 0``).

    Returns
    -------
    float
        The base-10 logarithm of the probability (``<= 0``).

    Examples
    --------
    >>> from scipy import stats
    >>> p = 10 ** gaussian_ball_log10_probability(1, 1.0, 2.0, 0.5)   # |e - 2| <= 0.5
    >>> round(p, 6), round(float(stats.norm.cdf(2.5) - stats.norm.cdf(1.5)), 6)
    (0.060598, 0.060598)
    >>> round(gaussian_ball_log10_probability(21882, 1.0, 148.0, 74.0))   # far below any float
    -6703
    """
    n_real, sigma, centre_norm, radius = _check(n_real, sigma, centre_norm, radius)
    x = (radius / sigma) ** 2
    half_lam = 0.5 * (centre_norm / sigma) ** 2
    a0 = n_real / 2.0
    if half_lam == 0.0:
        return float(_log_gammainc(np.array([a0]), x / 2)[0] / _LN10)
    top = int(math.ceil(half_lam + _TAIL_SD * math.sqrt(half_lam) + 50))
    if top > _MAX_TERMS:
        raise ValueError(f"centre_norm / sigma must be at most about {math.sqrt(2 * _MAX_TERMS):.0f}, got "
                         f"{centre_norm / sigma:.4g} (the Poisson sum would need {top} terms)")
    j = np.arange(top + 1, dtype=float)
    log_weight = -half_lam + j * math.log(half_lam) - special.gammaln(j + 1)
    log_terms = log_weight + _log_gammainc(a0 + j, x / 2)
    return float(min(0.0, special.logsumexp(log_terms)) / _LN10)


def gaussian_ball_log10_bound(n_real: int, sigma: float, centre_norm: float, radius: float) -> float:
    """``log10`` of the lower bound ``vol(B_r) (2 pi sigma^2)^(-n/2) exp(-(||c|| + r)^2 / (2 sigma^2))``.

    The Gaussian density is smallest on the ball ``B(c, r)`` at its point farthest from 0,
    at distance ``||c|| + r``; times the ball's volume
    ``pi^(n/2) r^n / Gamma(n/2 + 1)`` this bounds ``P(||e - c|| <= r)`` from below.
    Arguments as in :func:`gaussian_ball_log10_probability`.

    Examples
    --------
    >>> import math
    >>> b = gaussian_ball_log10_bound(2, 1.0, 1.0, 0.1)       # pi r^2 / (2 pi) e^(-1.1^2 / 2)
    >>> round(10 ** b, 6), round(0.01 * math.pi / (2 * math.pi) * math.exp(-1.21 / 2), 6)
    (0.00273, 0.00273)
    """
    n_real, sigma, centre_norm, radius = _check(n_real, sigma, centre_norm, radius)
    log_volume = 0.5 * n_real * math.log(math.pi) + n_real * math.log(radius) - special.gammaln(n_real / 2 + 1)
    log_density = -0.5 * n_real * math.log(2 * math.pi * sigma ** 2) - (centre_norm + radius) ** 2 / (2 * sigma ** 2)
    return float(min(0.0, log_volume + log_density) / _LN10)


def isotropic_ball_log10_bound(n_real: int, centre_norm: float, radius: float) -> float:
    """``log10`` of ``exp(-n (1 - r^2 / ||c||^2) / 2)``, a bound on ``P(e in B(c, r))`` for every isotropic law.

    For ``r < ||c||`` the points of ``B(c, r)`` on a sphere of radius ``s`` around 0 make up
    a cap ``{u : <u, c / ||c||> >= sqrt(1 - r^2 / ||c||^2)}`` of it at most, whose share of
    the sphere is at most ``exp(-n (1 - r^2/||c||^2) / 2)`` (a standard estimate of cap
    measures); a rotation-invariant law, such as ``N(0, sigma^2 I_n)`` for any ``sigma``, is a
    mixture of uniform laws on spheres. For ``r >= ||c||`` the bound is 1 (``log10 = 0``).

    Parameters
    ----------
    n_real : int
        Real dimension of the noise.
    centre_norm : float
        Norm of the ball's centre (``> 0``).
    radius : float
        Radius of the ball (``> 0``).

    Returns
    -------
    float
        The base-10 logarithm of the bound.

    Examples
    --------
    >>> round(isotropic_ball_log10_bound(128, 1.0, 0.5), 2)        # -48 / ln(10)
    -20.85
    >>> isotropic_ball_log10_bound(128, 1.0, 1.0)
    0.0
    """
    n_real = _validate.positive_int("n_real", n_real)
    centre_norm = _validate.positive("centre_norm", centre_norm)
    radius = _validate.positive("radius", radius)
    if radius >= centre_norm:
        return 0.0
    return float(-0.5 * n_real * (1 - (radius / centre_norm) ** 2) / _LN10)


def gaussian_ball_log10_max(n_real: int, centre_norm: float, radius: float) -> tuple[float, float]:
    """The largest ``log10 P(||e - c|| <= r)`` over ``sigma`` for ``e ~ N(0, sigma^2 I_n)``, and that ``sigma``.

    A bounded search over ``log sigma`` around ``sigma = ||c|| / sqrt(n)`` (where the noise has
    the centre's norm on average) for ``r < ||c||``; for ``r >= ||c||`` the ball holds the
    origin and the probability tends to 1 as ``sigma -> 0`` (returned as ``(0.0, 0.0)``).

    Examples
    --------
    >>> best, sigma = gaussian_ball_log10_max(2, 1.0, 0.1)
    >>> best > gaussian_ball_log10_probability(2, 1.0, 1.0, 0.1), 0.5 < sigma < 1.2
    (True, True)
    """
    n_real = _validate.positive_int("n_real", n_real)
    centre_norm = _validate.positive("centre_norm", centre_norm)
    radius = _validate.positive("radius", radius)
    if radius >= centre_norm:
        return 0.0, 0.0
    mid = math.log(centre_norm / math.sqrt(n_real))
    found = optimize.minimize_scalar(
        lambda s: -gaussian_ball_log10_probability(n_real, math.exp(s), centre_norm, radius),
        bounds=(mid - 4.0, mid + 4.0), method="bounded", options={"xatol": 1e-6})
    return float(-found.fun), float(math.exp(found.x))


def clopper_pearson(successes: int, trials: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) confidence interval for a probability from ``successes`` of ``trials`` draws.

    With no success the interval is ``[0, 1 - ((1 - confidence) / 2)^(1 / trials)]``, about
    ``3.7 / trials`` at 95 %: a rate measured as 0 is only bounded, not shown to vanish.

    Examples
    --------
    >>> low, high = clopper_pearson(0, 1000)
    >>> low, round(high, 5)
    (0.0, 0.00368)
    >>> [round(v, 4) for v in clopper_pearson(5, 10)]
    [0.1871, 0.8129]
    """
    trials = _validate.positive_int("trials", trials)
    if isinstance(successes, bool) or not isinstance(successes, (int, np.integer)) or not 0 <= successes <= trials:
        raise ValueError(f"successes must be an integer in [0, trials={trials}], got {successes!r}")
    confidence = _validate.fraction("confidence", confidence)
    alpha = 1.0 - confidence
    low = 0.0 if successes == 0 else float(stats.beta.ppf(alpha / 2, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(stats.beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return low, high
