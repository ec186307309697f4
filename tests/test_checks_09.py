"""tk_lessons.checks.not_rare (Chapter 9): right answers pass, the usual mistakes fail with a useful message.

The references here are independent of the package where possible: the bound from its formula
with math.lgamma, the exact probability from scipy's noncentral chi-square, the dimension by a
direct search over the exact probability, the failure rates by a loop over draws.
"""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from tk_lessons import attacks, checks
from tk_lessons.checks import CheckError


def _bound(n, sigma, t, r):
    log = (n / 2 * math.log(math.pi) + n * math.log(r) - math.lgamma(n / 2 + 1)
           - n / 2 * math.log(2 * math.pi * sigma ** 2) - (t + r) ** 2 / (2 * sigma ** 2))
    return log / math.log(10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gaussian_bound_accepts_the_formula(seed, capsys):
    checks.gaussian_bound_function(_bound, seed=seed)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong,match", [
    (lambda n, s, t, r: _bound(n, s ** 0.5, t, r), "standard deviation"),           # variance for sigma
    (lambda n, s, t, r: _bound(n, s, t, r) * math.log(10), "too small"),            # natural log
    (lambda n, s, t, r: _bound(n, s, t - r, r), "too large"),                        # ||e|| <= t - r
    (lambda n, s, t, r: math.log10(max(10 ** _bound(n, s, t, r), 0.0) or 0.0) if n < 100 else float("-inf"),
     "underflows"),                                                                  # no logarithms
    (lambda n, s, t, r: 1 / 0, "raised ZeroDivisionError"),
    (lambda n, s, t, r: [1.0, 2.0], "one number"),
])
def test_gaussian_bound_rejects_mistakes(wrong, match):
    with pytest.raises(CheckError, match=match):
        checks.gaussian_bound_function(wrong)


def test_ball_probability_value(capsys):
    m, sigma, t, r = 3, 0.5, 1.0, 0.7
    right = stats.ncx2.cdf(r ** 2 / sigma ** 2, 2 * m, t ** 2 / sigma ** 2)
    checks.ball_probability_value(float(right), m, sigma, t, r)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="2 m"):           # n = m, the complex-dimension slip
        checks.ball_probability_value(float(stats.ncx2.cdf(r ** 2 / sigma ** 2, m, t ** 2 / sigma ** 2)),
                                      m, sigma, t, r)
    with pytest.raises(CheckError, match="not a probability"):
        checks.ball_probability_value(math.log10(right), m, sigma, t, r)
    with pytest.raises(CheckError, match="no answer yet"):
        checks.ball_probability_value(..., m, sigma, t, r)


def _smallest(level, ratio):
    n = 1
    while max(attacks.gaussian_ball_log10_probability(n, s, 1.0, ratio)
              for s in [k / (200 * math.sqrt(n)) for k in range(20, 400)]) >= level:
        n += 1
    return n


def test_dimension_below(capsys):
    n = _smallest(-3.0, 0.5)                                # a grid search over sigma, independent
    checks.dimension_below(n, ratio=0.5, log10_level=-3.0)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="too large"):
        checks.dimension_below(n + 1, ratio=0.5, log10_level=-3.0)
    with pytest.raises(CheckError, match="too small"):
        checks.dimension_below(n - 1, ratio=0.5, log10_level=-3.0)
    # the answer at one sigma (sigma = t / sqrt(n)) is too small: the best sigma does better
    at_one = 1
    while attacks.gaussian_ball_log10_probability(at_one, 1 / math.sqrt(at_one), 1.0, 0.5) >= -6:
        at_one += 1
    assert at_one < _smallest(-6.0, 0.5)
    with pytest.raises(CheckError, match="maximise over sigma"):
        checks.dimension_below(at_one, ratio=0.5, log10_level=-6.0)
    with pytest.raises(CheckError, match="positive integer"):
        checks.dimension_below(2.5)


def _toy():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(4, 3, generator=g, dtype=torch.float64)
    recon = lambda v: torch.tanh(3 * v @ M.T)[:, None, :]           # noqa: E731
    y = torch.randn(5, 3, generator=g, dtype=torch.float64)
    x = recon(y) + 0.05
    e = 0.4 * torch.randn(5, 3, generator=g, dtype=torch.float64)
    return recon, y, x, e


def test_ball_failure_rates_against_a_loop(capsys):
    recon, y, x, e = _toy()
    radii = [0.0, 0.5, 1.0, 3.0]
    err = lambda v: (recon(v) - x).flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)   # noqa: E731
    threshold = (err(y) + err(y + e)) / 2
    # the draws of sphere_scores: per trial, one Gaussian direction per sample, the same for every radius
    g = torch.Generator().manual_seed(7)
    dirs = []
    for _ in range(6):
        u = torch.randn(y.shape, generator=g, dtype=y.dtype)
        dirs.append(u / u.norm(dim=1, keepdim=True))
    rates = []
    for rho in radii:
        fails = [(err(y + e + rho * e.norm(dim=1, keepdim=True) * u) > threshold).double() for u in dirs]
        rates.append(torch.stack(fails).mean().item())
    checks.ball_failure_rates(torch.tensor(rates), recon, y, x, e, radii, trials=6, seed=7)
    assert "correct" in capsys.readouterr().out
    assert rates[0] == (err(y + e) > threshold).double().mean().item()   # the centre itself
    with pytest.raises(CheckError, match="one mean rate per radius"):
        checks.ball_failure_rates(torch.ones(4, 5), recon, y, x, e, radii, trials=6, seed=7)
    # a single threshold for all signals (the mean midpoint) gives other rates
    wrong = [(torch.stack([(err(y + e + rho * e.norm(dim=1, keepdim=True) * u) > threshold.mean()).double()
                           for u in dirs])).mean().item() for rho in radii]
    if wrong != rates:
        with pytest.raises(CheckError, match="threshold|midpoint|exceeds"):
            checks.ball_failure_rates(torch.tensor(wrong), recon, y, x, e, radii, trials=6, seed=7)
    # radii in absolute units instead of multiples of ||e_adv||
    absolute = []
    for rho in radii:
        absolute.append(torch.stack([(err(y + e + rho * u) > threshold).double() for u in dirs]).mean().item())
    assert absolute != rates
    with pytest.raises(CheckError):
        checks.ball_failure_rates(torch.tensor(absolute), recon, y, x, e, radii, trials=6, seed=7)
