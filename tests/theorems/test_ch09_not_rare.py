"""Chapter 9, checked on concrete instances and against the chapter's own numbers.

* thm-bad-ball: for a linear map with known Lipschitz constant, the ball of radius gamma / L'
  around a failing perturbation fails everywhere (sampled, and at the worst point exactly), and a
  ball of radius 1.5 gamma / L' does not: the radius is sharp, and the claim with 2 gamma / L'
  is false. For a discontinuous map part 1 fails (a failure at a single point).
* prop-gaussian-ball: the exact probability against Monte Carlo with *complex* noise in C^m
  (n = 2m reals); the variants with the wrong dimension (n = m) or sigma^2 for sigma are
  rejected by the same Monte Carlo; the lower bound is below the exact value.
* prop-isotropic-unlikely: the best Gaussian probability and a uniform law on a sphere stay
  below the ceiling (Monte Carlo in small n).
* The laboratory: the chapter's data dimension is the rank computed here from the DFT directly;
  each comparative sentence of sections 2 and 3 holds on the chapter's numbers.
"""

from __future__ import annotations

import math

import pytest
import torch

from tk_lessons import attacks

CHAPTER = "09_not_rare"


# ---------------------------------------------------------------- thm-bad-ball on a linear map
def test_ball_radius_gamma_over_lipschitz_is_sharp_for_a_linear_map():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(8, 6, generator=g, dtype=torch.float64)
    L = torch.linalg.matrix_norm(M, ord=2).item()         # exact Lipschitz constant
    _, _, Vh = torch.linalg.svd(M)
    top = Vh[0]                                             # the direction of largest gain
    x = torch.zeros(8, dtype=torch.float64)
    e_adv = 0.5 * top
    kappa = (M @ e_adv - x).norm().item()                  # the failure at e_adv
    gamma = 0.4 * kappa
    r = gamma / L
    # sampled points of the ball B(e_adv, r) all keep error >= kappa - gamma
    u = torch.randn(2000, 6, generator=g, dtype=torch.float64)
    u = u / u.norm(dim=1, keepdim=True) * r * torch.rand(2000, 1, generator=g, dtype=torch.float64)
    errors = (M @ (e_adv + u).T).T.norm(dim=1)
    assert errors.min().item() >= kappa - gamma - 1e-12
    # the worst point of the ball is exactly at kappa - gamma ...
    assert (M @ (e_adv - r * top)).norm().item() == pytest.approx(kappa - gamma, rel=1e-12)
    # ... so a larger radius (the claim with 2 gamma / L') is false
    assert (M @ (e_adv - 1.5 * r * top)).norm().item() < kappa - gamma


def test_without_continuity_a_failure_can_be_a_single_point():
    """Part 1 needs continuity: this map fails only at e_adv itself."""
    e_adv = torch.tensor([0.3, -0.2])
    psi = lambda e: torch.tensor(1.0) if torch.equal(e, e_adv) else torch.tensor(0.0)   # noqa: E731
    assert psi(e_adv) == 1.0
    for rho in (1e-3, 1e-6):
        assert psi(e_adv + torch.tensor([rho, 0.0])) == 0.0


# ---------------------------------------------------------- prop-gaussian-ball by Monte Carlo
def _monte_carlo(m: int, sigma: float, t: float, r: float, draws: int = 400_000) -> tuple[float, float]:
    """P(||e - c|| <= r) for complex e in C^m with independent N(0, sigma^2) real and imaginary parts."""
    g = torch.Generator().manual_seed(1)
    c = torch.zeros(m, dtype=torch.complex128)
    c[0] = t
    e = sigma * torch.complex(torch.randn(draws, m, generator=g, dtype=torch.float64),
                              torch.randn(draws, m, generator=g, dtype=torch.float64))
    hit = ((e - c).abs().pow(2).sum(dim=1) <= r * r).double()
    p = hit.mean().item()
    return p, math.sqrt(max(p * (1 - p), 1e-12) / draws)


CASES = [(1, 0.8, 1.0, 0.6), (3, 0.5, 1.0, 0.7), (5, 0.35, 1.0, 0.8)]


@pytest.mark.parametrize("m,sigma,t,r", CASES)
def test_exact_probability_matches_monte_carlo_with_complex_noise(m, sigma, t, r):
    p, se = _monte_carlo(m, sigma, t, r)
    exact = 10 ** attacks.gaussian_ball_log10_probability(2 * m, sigma, t, r)
    assert abs(exact - p) <= 5 * se
    assert 10 ** attacks.gaussian_ball_log10_bound(2 * m, sigma, t, r) <= exact


@pytest.mark.parametrize("m,sigma,t,r", CASES)
def test_broken_variants_are_rejected_by_monte_carlo(m, sigma, t, r):
    p, se = _monte_carlo(m, sigma, t, r)
    wrong_dimension = 10 ** attacks.gaussian_ball_log10_probability(m, sigma, t, r)        # n = m
    wrong_scale = 10 ** attacks.gaussian_ball_log10_probability(2 * m, sigma ** 2, t, r)  # sigma^2
    assert abs(wrong_dimension - p) > 10 * se
    assert abs(wrong_scale - p) > 10 * se


def test_the_first_version_exercise_numbers():
    """e~ = (1, 0), r = 0.1, e ~ N(0, I_2): exact about 0.0031, bound about 0.00273."""
    exact = 10 ** attacks.gaussian_ball_log10_probability(2, 1.0, 1.0, 0.1)
    bound = 10 ** attacks.gaussian_ball_log10_bound(2, 1.0, 1.0, 0.1)
    assert bound == pytest.approx(math.pi * 0.01 / (2 * math.pi) * math.exp(-1.21 / 2), rel=1e-9)
    assert exact == pytest.approx(0.0031, abs=1e-4) and bound < exact


def test_isotropic_ceiling_against_uniform_sphere_draws():
    g = torch.Generator().manual_seed(2)
    n, ratio = 6, 0.6
    c = torch.zeros(n, dtype=torch.float64)
    c[0] = 1.0
    ceiling = 10 ** attacks.isotropic_ball_log10_bound(n, 1.0, ratio)
    for s in (0.5, 0.8, 1.0, 1.3):                         # uniform laws on spheres: isotropic
        u = torch.randn(200_000, n, generator=g, dtype=torch.float64)
        u = s * u / u.norm(dim=1, keepdim=True)
        assert ((u - c).norm(dim=1) <= ratio).double().mean().item() <= ceiling


# ------------------------------------------------------------------------ the chapter's claims
def test_laboratory_dimensions(ns):
    A = ns["A"]
    eye = torch.eye(256).reshape(256, 1, 256)
    with torch.no_grad():
        cols = A(eye)
    dense = torch.fft.fftshift(torch.fft.fft(torch.eye(256, dtype=torch.float64), norm="ortho"), dim=1)
    freq = torch.fft.fftshift(torch.fft.fftfreq(256, d=1 / 256))
    kept = dense[:, (freq >= -32) & (freq < 32)]          # the 64 lowest frequencies
    assert torch.allclose(cols.abs().double(), kept.abs(), atol=1e-5)   # same frequencies
    assert torch.allclose(cols.abs().double().pow(2).sum(0), torch.ones(64, dtype=torch.float64), atol=1e-5)
    real = torch.cat([kept.real, kept.imag], dim=1)
    assert int(torch.linalg.matrix_rank(real)) == ns["n_data"] == 65
    assert ns["n_noise"] == 128


def test_probability_table(ns):
    for n, ratio, exact, bound, best, ceiling in ns["rows"]:
        assert bound <= exact <= best + 1e-9 <= ceiling + 1e-9
    lab = {ratio: row for n, ratio, *row in ns["rows"] if n == 128}
    exact, bound, best, ceiling = lab[0.5]
    assert exact - bound > 10                              # "correct but far from sharp"
    assert best < -30                                      # "no experiment could ever observe"
    values = ns["curves"]["exact, best sigma"]
    assert all(a > b for a, b in zip(values, values[1:]))  # falls with the dimension


def test_ball_test_sentences(ns):
    ball, noise, stats, RHO, NOISE = ns["ball"], ns["noise"], ns["stats"], ns["RHO"], ns["NOISE"]
    half, one = RHO.index(0.5), RHO.index(1.0)
    for label in ball:
        # "every draw ... fails for most signals", "TV included"
        assert ball[label][half].median().item() == 1.0 and ball[label][half].min().item() >= 0.9
        assert ball[label][one].mean().item() >= 0.9
        # "pure noise of the size of e~ fails in at most ... : the failures sit around e~"
        assert noise[label][NOISE.index(1.0)].mean().item() <= 0.1
        # "far out, random noise alone crosses the thresholds"
        assert noise[label][-1].mean().item() >= 0.5
    # "at every level and for every method ... whatever the level"
    for rate in ns["at_levels"].values():
        assert rate[0].min().item() >= 0.9 and rate[1].mean().item() >= 0.8
    # "the network's worst case is a sharper peak"
    no, tv = stats["no noise"], stats["TV"]
    assert no["adv"] - no["half"] > 2 * (tv["adv"] - tv["half"])
    # "in our 128 dimensions it is not harmless"
    assert ns["excess"]["no noise"] >= 0.25 and ns["excess"]["TV"] >= 0.25
    assert max(ns["noise_three"].values()) >= 0.5
    # the worst-case ordering the chapter relies on (from the record): no noise loses most
    assert no["adv"] > max(s["adv"] for k, s in stats.items() if k != "no noise")
    # "the network trained without noise loses far more than TV at every level" (Chapter 4's table)
    found = ns["found"]
    for i in range(1, len(ns["card"]["recipe"]["levels"])):
        net = found["detail_lab_nonoise_error"][i].double().mean().item()
        tv = found["detail_TV_error"][i].double().mean().item()
        assert net > 1.5 * tv


def test_random_false_positive_sentences(ns):
    hits, rates, levels = ns["hits"], ns["rates"], ns["RANDOM_LEVELS"]
    i4, i8 = levels.index(0.04), levels.index(0.08)
    # "probabilities one can measure": dozens of hits for the no-noise network at 4 %
    assert hits["no noise"][i4] >= 30
    # more false positives without noise in training than with, and than TV, at 2, 4 and 8 %
    for i in range(1, len(levels)):
        assert hits["no noise"][i] > hits["low noise"][i] >= hits["high noise"][i]
        assert hits["no noise"][i] > hits["TV"][i]
    # "even then ... a small fraction of the draws"
    assert max(r[i8] for r in rates.values()) < 0.1
    # "TV, too, draws half a detail once the noise is large enough"
    assert hits["TV"][i8] > 0
    # "at 0.5 %, about the size of the attack's budget": no random false positive at all
    assert levels[0] == 0.005 and all(h[0] == 0 for h in hits.values())
    fp_relative = ns["card"]["result"]["detail"]["false_detections"]["radius_fp_relative"]
    assert min(fp_relative) < levels[0] * 1.2 and max(fp_relative) < 2 * levels[0]
    # "far more often than the theorem's ball alone would give"
    full, log_p = ns["ball_fp"]["no noise"]
    assert full > 0 and log_p < math.log10(rates["no noise"][i4]) - 10
    # the runtime budget
    assert ns["runtime"] < 90
