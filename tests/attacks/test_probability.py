"""tk_lessons.attacks.probability and attacks.sphere_scores against independent references.

* The exact ball probability against closed forms (n = 1: a difference of normal CDFs; n = 2:
  the Rice distribution), scipy's noncentral chi-square where it does not underflow, and an
  arbitrary-precision Poisson mixture (mpmath) where it does.
* The lower bound against a direct evaluation; the isotropic ceiling against exact cap measures.
* clopper_pearson against its closed form at 0 successes and its symmetry.
* sphere_scores reproduces the draws of ball_test and random_noise_test with the same seed.
* Bad input gets errors naming the parameter.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from scipy import special, stats

from tk_lessons import attacks
from tk_lessons.attacks import probability as P


@pytest.mark.parametrize("sigma,t,r", [(1.0, 2.0, 0.5), (0.3, 1.0, 0.1), (2.0, 0.0, 1.0), (0.5, 3.0, 4.0)])
def test_one_dimension_is_a_difference_of_normal_cdfs(sigma, t, r):
    want = stats.norm.cdf((t + r) / sigma) - stats.norm.cdf((t - r) / sigma)
    got = 10 ** P.gaussian_ball_log10_probability(1, sigma, t, r)
    assert got == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("sigma,t,r", [(1.0, 1.0, 0.1), (0.5, 2.0, 1.0), (1.0, 0.0, 0.7)])
def test_two_dimensions_is_the_rice_distribution(sigma, t, r):
    want = stats.rice.cdf(r / sigma, t / sigma)
    got = 10 ** P.gaussian_ball_log10_probability(2, sigma, t, r)
    assert got == pytest.approx(want, rel=1e-8)


@pytest.mark.parametrize("n", [3, 10, 64, 128])
@pytest.mark.parametrize("ratio", [0.3, 0.7, 1.2])
def test_agrees_with_scipy_where_it_does_not_underflow(n, ratio):
    sigma = 1.3 / math.sqrt(n)
    want = stats.ncx2.cdf((ratio / sigma) ** 2, n, (1.0 / sigma) ** 2)
    if want < 1e-250:
        pytest.skip("scipy underflows here")
    got = P.gaussian_ball_log10_probability(n, sigma, 1.0, ratio)
    assert got == pytest.approx(math.log10(want), abs=1e-7)


def _mp_log10(n: int, sigma: float, t: float, r: float) -> float:
    """Poisson mixture of regularised lower incomplete gammas, in 60-digit arithmetic."""
    mpmath.mp.dps = 60
    x = mpmath.mpf(r) ** 2 / sigma ** 2 / 2
    half = mpmath.mpf(t) ** 2 / sigma ** 2 / 2
    total = mpmath.mpf(0)
    for j in range(0, int(half + 40 * math.sqrt(half) + 60)):
        w = mpmath.exp(-half + j * mpmath.log(half) - mpmath.loggamma(j + 1))
        total += w * mpmath.gammainc(n / 2 + j, 0, x, regularized=True)
    return float(mpmath.log10(total))


@pytest.mark.parametrize("n,sigma,ratio", [(128, 1 / math.sqrt(128), 0.5), (128, 0.05, 0.25), (400, 0.04, 0.5)])
def test_deep_tail_agrees_with_arbitrary_precision(n, sigma, ratio):
    got = P.gaussian_ball_log10_probability(n, sigma, 1.0, ratio)
    assert got < -30                                  # far below what scipy can return
    assert got == pytest.approx(_mp_log10(n, sigma, 1.0, ratio), abs=1e-6)


def test_the_lower_bound_is_the_formula_and_below_the_exact_value():
    for n in (1, 2, 5, 128, 2000):
        for sigma in (0.02, 0.1, 1.0):
            for t, r in ((1.0, 0.5), (1.0, 0.1), (0.0, 0.3), (2.0, 3.0)):
                if t == 0.0 and n > 100 and sigma < 0.05:
                    continue
                bound = P.gaussian_ball_log10_bound(n, sigma, t, r)
                direct = (0.5 * n * math.log(math.pi) + n * math.log(r) - special.gammaln(n / 2 + 1)
                          - 0.5 * n * math.log(2 * math.pi * sigma ** 2) - (t + r) ** 2 / (2 * sigma ** 2))
                assert bound == pytest.approx(min(0.0, direct / math.log(10)), abs=1e-9)
                assert bound <= P.gaussian_ball_log10_probability(n, sigma, t, r) + 1e-9


def _log10_cap(n: int, eps: float) -> float:
    """Normalised measure of {u in S^(n-1): u_1 >= eps} = I_{1 - eps^2}((n - 1) / 2, 1 / 2) / 2."""
    mpmath.mp.dps = 30
    return float(mpmath.log10(0.5 * mpmath.betainc((n - 1) / 2, 0.5, 0, 1 - mpmath.mpf(eps) ** 2,
                                                   regularized=True)))


@pytest.mark.parametrize("n", [2, 3, 10, 128, 1000])
@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.9])
def test_the_isotropic_ceiling_bounds_caps_and_the_best_gaussian(n, ratio):
    ceiling = P.isotropic_ball_log10_bound(n, 1.0, ratio)
    assert _log10_cap(n, math.sqrt(1 - ratio ** 2)) <= ceiling + 1e-12
    best, sigma = P.gaussian_ball_log10_max(n, 1.0, ratio)
    assert best <= ceiling
    # the search really is a maximum: nearby sigmas do no better
    for f in (0.8, 1.25):
        assert P.gaussian_ball_log10_probability(n, sigma * f, 1.0, ratio) <= best + 1e-7


def test_a_too_large_ceiling_is_caught_by_the_caps():
    """A ceiling without the 1/2, exp(-n (1 - r^2/t^2)), is smaller than a true cap measure."""
    n, ratio = 50, 0.9
    wrong = -n * (1 - ratio ** 2) / math.log(10)
    assert _log10_cap(n, math.sqrt(1 - ratio ** 2)) > wrong


def test_scale_invariance_and_monotonicity():
    a = P.gaussian_ball_log10_probability(50, 0.2, 1.0, 0.4)
    assert P.gaussian_ball_log10_probability(50, 2.0, 10.0, 4.0) == pytest.approx(a, abs=1e-9)
    assert P.gaussian_ball_log10_probability(50, 0.2, 1.0, 0.5) > a
    assert P.gaussian_ball_log10_probability(50, 0.2, 1.2, 0.4) < a


def test_clopper_pearson():
    low, high = P.clopper_pearson(0, 500)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 500))
    a = P.clopper_pearson(7, 40)
    b = P.clopper_pearson(33, 40)
    assert a[0] == pytest.approx(1 - b[1]) and a[1] == pytest.approx(1 - b[0])
    assert P.clopper_pearson(40, 40)[1] == 1.0
    assert a[0] < 7 / 40 < a[1]


@pytest.mark.parametrize("call,match", [
    (lambda: P.gaussian_ball_log10_probability(0, 1.0, 1.0, 1.0), "n_real"),
    (lambda: P.gaussian_ball_log10_probability(2.5, 1.0, 1.0, 1.0), "n_real"),
    (lambda: P.gaussian_ball_log10_probability(2, -1.0, 1.0, 1.0), "sigma"),
    (lambda: P.gaussian_ball_log10_probability(2, 1.0, -1.0, 1.0), "centre_norm"),
    (lambda: P.gaussian_ball_log10_bound(2, 1.0, 1.0, 0.0), "radius"),
    (lambda: P.gaussian_ball_log10_probability(2, 1e-6, 1e3, 1.0), "centre_norm / sigma"),
    (lambda: P.isotropic_ball_log10_bound(2, 0.0, 1.0), "centre_norm"),
    (lambda: P.clopper_pearson(5, 3), "successes"),
    (lambda: P.clopper_pearson(1, 3, confidence=1.5), "confidence"),
])
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def _toy():
    torch.manual_seed(0)
    M = torch.randn(6, 5, dtype=torch.complex64)
    recon = lambda v: torch.tanh((v @ M.T).real)[:, None, :]        # noqa: E731
    y = torch.randn(3, 5, dtype=torch.complex64)
    x = recon(y) + 0.1
    return recon, y, x


def test_sphere_scores_reproduces_ball_test_and_random_noise_test():
    recon, y, x = _toy()
    e = 0.3 * torch.randn(3, 5, dtype=torch.complex64)

    def score(v):
        truth = x.repeat(v.shape[0] // x.shape[0], 1, 1)
        return (recon(v) - truth).flatten(1).norm(dim=1) / truth.flatten(1).norm(dim=1)

    radii = [0.0, 0.5, 1.0]
    ball = attacks.ball_test(recon, y, e, x, radii, trials=7, relative=True, seed=4)
    got = attacks.sphere_scores(score, y, radii, centre=e, unit=e.abs().flatten(1).norm(dim=1), trials=7,
                                seed=4, batch_size=6)                   # two samples per call: chunks
    assert torch.allclose(got, ball.errors.double(), atol=1e-6)
    noise = attacks.random_noise_test(recon, y, x, [0.1, 0.2], trials=5, relative=True, seed=9)
    got = attacks.sphere_scores(score, y, [0.1, 0.2], unit=y.abs().flatten(1).norm(dim=1), trials=5, seed=9)
    assert torch.allclose(got, noise.errors.double(), atol=1e-6)


def test_sphere_scores_bad_input():
    recon, y, x = _toy()
    ok = lambda v: v.abs().flatten(1).norm(dim=1)       # noqa: E731
    with pytest.raises(ValueError, match="unit"):
        attacks.sphere_scores(ok, y, [1.0], unit=torch.ones(2))
    with pytest.raises(ValueError, match="centre"):
        attacks.sphere_scores(ok, y, [1.0], centre=torch.zeros(2, 5, dtype=y.dtype))
    with pytest.raises(ValueError, match="score must return one number"):
        attacks.sphere_scores(lambda v: v.abs(), y, [1.0], trials=2)
    with pytest.raises(TypeError, match="score"):
        attacks.sphere_scores("not a function", y, [1.0])
    with pytest.raises(ValueError, match="eps"):
        attacks.sphere_scores(ok, y, [-1.0])
    with pytest.raises((ValueError, TypeError), match="trials"):
        attacks.sphere_scores(ok, y, [1.0], trials=0)
