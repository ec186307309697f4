"""Chapter 5, checked on the chapter's own classes with quantities recomputed independently.

The chapter is executed once (module fixture); its classes ``X`` (signals), ``X2`` (heads) and
its reconstruction maps are then re-examined here with dense DFT matrices (numpy), loops over
pairs and closed-form Chebyshev radii, never with ``tk.kernel``'s own answers.

* lem-noise-pairs: the explicit noises e, e' of the proof give Ax + e = Ax' + e'; the kernel
  size with noise eta uses the threshold 2 eta, and with the threshold eta (the factor-2
  slip) the chapter's class gives a different, smaller value.
* thm-kernel-size-bounds: every map of the chapter has worst-case error >= sup_y rad(F_y) >=
  kersize / 2; the Chebyshev map attains the optimum (closed-form radii of pairs and
  triangles); the farthest selection attains kersize; the optimum lies strictly between the
  bounds and below kersize / sqrt 2 (Jung). A constant larger than the optimum is rejected,
  and a "map" that is handed the truth beats the bound (it is not a map of the data).
* thm-average-kernel-size: p-mean errors >= avg_p / 2 for p = 1, 2, 3 with avg_p by loops; the
  mean map's root-mean-square error equals avg_2 / sqrt 2 and perturbing it makes it worse;
  the bound avg_2 (instead of avg_2 / 2) is rejected.
* prop-sample-estimate: the estimates from nested samples never decrease and never exceed the
  whole class's kernel size, recomputed by brute force.
* The chapter's sentences: classical methods lie above kersize; the heads' fibres are pairs, so
  the Chebyshev map errs by exactly kersize / 2; the small-sample estimate is far below the
  class's value; the kernel size of the heads falls with the number of spokes.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

CHAPTER = "05_kernel_size"        # the `ns` fixture (tests/theorems/conftest.py) runs it


def dense(mask: torch.Tensor) -> np.ndarray:
    """The rows of the centred unitary DFT selected by a 1-D mask, as a dense matrix."""
    n = mask.numel()
    F = np.fft.fftshift(np.fft.fft(np.eye(n), norm="ortho"), axes=0)
    return F[mask.cpu().numpy()]


def flat(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().reshape(len(t), -1).numpy().astype(np.float64)


def fibres(M: np.ndarray, X: np.ndarray, tol: float = 1e-9) -> list[list[int]]:
    """Classes of equal data, by loops."""
    data = X @ M.T
    groups: list[list[int]] = []
    for i in range(len(X)):
        for g in groups:
            if np.linalg.norm(data[g[0]] - data[i]) <= tol:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def radius(points: np.ndarray) -> float:
    """Chebyshev radius of one, two or three points (closed form, any dimension)."""
    if len(points) == 1:
        return 0.0
    if len(points) == 2:
        return float(np.linalg.norm(points[0] - points[1]) / 2)
    assert len(points) == 3
    a, b, c = points
    sides = [(np.linalg.norm(u - v), w, u, v) for u, v, w in ((a, b, c), (b, c, a), (c, a, b))]
    for length, w, u, v in sides:
        if np.dot(u - w, v - w) <= 0:                    # obtuse or right at w
            return float(length / 2)
    la, lb, lc = (s[0] for s in sides)
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a)) if a.size == 3 else \
        0.5 * math.sqrt(max(np.dot(b - a, b - a) * np.dot(c - a, c - a)
                            - np.dot(b - a, c - a) ** 2, 0.0))
    return float(la * lb * lc / (4 * area))          # circumradius


def kersize(M: np.ndarray, X: np.ndarray, threshold: float) -> float:
    data = X @ M.T
    best = 0.0
    for i, j in itertools.combinations(range(len(X)), 2):
        if np.linalg.norm(data[i] - data[j]) <= threshold + 1e-9:
            best = max(best, float(np.linalg.norm(X[i] - X[j])))
    return best


@pytest.fixture(scope="module")
def signal_class(ns):
    M = dense(ns["mask"])
    X = flat(ns["X"])
    groups = fibres(M, X)
    kappa = kersize(M, X, 0.0)
    optimum = max(radius(X[g]) for g in groups)
    return M, X, groups, kappa, optimum


def test_noise_pairs_lemma_and_the_factor_two(ns, signal_class):
    M, X, _, kappa, _ = signal_class
    eta = ns["eta"]
    rng = np.random.default_rng(0)
    for _ in range(20):
        i, j = rng.choice(len(X), 2, replace=False)
        d = M @ (X[i] - X[j])
        e, e2 = -d / 2, d / 2
        assert np.allclose(M @ X[i] + e, M @ X[j] + e2)
        assert np.linalg.norm(e) <= np.linalg.norm(d) / 2 + 1e-12
    right = kersize(M, X, 2 * eta)
    assert ns["noisy"].worst == pytest.approx(right, rel=1e-9)
    assert right > kappa + 1e-3                           # the chapter's "larger than"
    slip = kersize(M, X, eta)                             # threshold eta: the factor-2 slip
    assert slip < right - 1e-3
    # every map of the chapter pays half the noisy kernel size at the midpoint data
    i, j = ns["noisy"].worst_pair
    assert np.linalg.norm(M @ (X[i] - X[j])) <= 2 * eta + 1e-9
    y_mid = torch.as_tensor((M @ X[i] + M @ X[j]) / 2)[None]
    for name, psi in ns["maps"].items():
        out = flat(psi(y_mid.to(ns["Y"].dtype)))[0]
        assert max(np.linalg.norm(out - X[i]), np.linalg.norm(out - X[j])) >= right / 2 - 1e-9


def test_every_map_lies_between_the_bounds(ns, signal_class):
    M, X, groups, kappa, optimum = signal_class
    assert ns["sizes"].worst == pytest.approx(kappa, rel=1e-9)
    assert ns["optimum"] == pytest.approx(optimum, rel=1e-6)
    assert kappa / 2 < optimum - 1e-3                     # strictly between ...
    assert optimum < kappa / math.sqrt(2)                 # ... and below Jung's bound
    Y = ns["Y"]
    for name, psi in ns["maps"].items():
        if name == "Chebyshev map":
            psi = ns["kernel"].feasible_set_map(ns["A"], ns["X"])   # the noiseless one
        out = flat(psi(Y))
        worst = float(np.linalg.norm(out - X, axis=1).max())
        assert worst >= optimum - 1e-6 >= kappa / 2, name
        if name == "Chebyshev map":
            assert worst == pytest.approx(optimum, abs=1e-6)
            assert not worst >= 1.05 * optimum            # a wrong, larger constant fails
        if name == "farthest selection":
            assert worst == pytest.approx(kappa, rel=1e-9)
        if name.endswith("selection"):
            assert worst <= kappa + 1e-9
    # the zero-filled data are computed from a dense matrix, not by the operator
    zf = (np.linalg.pinv(M) @ (M @ X.T)).T.real
    assert np.linalg.norm(zf - flat(ns["maps"]["zero filling"](Y)), axis=1).max() < 1e-9
    # not a map of the data: told the truth, it beats the bound
    assert float(np.linalg.norm(X - X, axis=1).max()) < kappa / 2


def test_the_chapter_sentences_on_signals(ns, signal_class):
    _, X, groups, kappa, optimum = signal_class
    worst = {name: err.worst for name, err in ns["errors"].items()}
    for name in ("zero filling", "Tikhonov", "TV"):
        assert worst[name] > kappa                        # "far above both lines"
    largest = max(groups, key=lambda g: max((np.linalg.norm(X[i] - X[j])
                                             for i, j in itertools.combinations(g, 2)),
                                            default=0.0))
    assert len(largest) == len(ns["fibre"]) == 3
    assert worst["first selection"] > optimum and worst["first selection"] < kappa
    assert worst["mean map"] > worst["Chebyshev map"] + 1e-3        # mean not optimal
    rms = {name: err.average for name, err in ns["errors"].items()}
    assert rms["mean map"] < rms["Chebyshev map"]                   # ... but best in RMS


def test_average_kernel_size_bound_and_the_mean_map(ns, signal_class):
    M, X, groups, _, _ = signal_class
    B = len(X)

    def avg(p):
        total = 0.0
        for g in groups:
            pairs = sum(np.linalg.norm(X[i] - X[j]) ** p for i in g for j in g)
            total += len(g) * pairs / len(g) ** 2
        return (total / B) ** (1 / p)

    Y = ns["Y"]
    outs = {name: flat(psi(Y)) for name, psi in ns["maps"].items()
            if name != "Chebyshev map"}
    for p in (1.0, 2.0, 3.0):
        a = avg(p)
        for name, out in outs.items():
            err_p = float(np.mean(np.linalg.norm(out - X, axis=1) ** p) ** (1 / p))
            assert err_p >= a / 2 - 1e-9, (name, p)
    a2 = avg(2.0)
    assert ns["average"] == pytest.approx(a2, rel=1e-9)
    mean_map = np.empty_like(X)
    for g in groups:
        mean_map[g] = X[g].mean(axis=0)
    rms = float(np.sqrt(np.mean(np.linalg.norm(mean_map - X, axis=1) ** 2)))
    assert rms == pytest.approx(a2 / math.sqrt(2), rel=1e-9)
    assert ns["errors"]["mean map"].average == pytest.approx(rms, rel=1e-9)
    rng = np.random.default_rng(1)
    for _ in range(5):                                    # the mean is the best answer
        shifted = mean_map + 0.01 * rng.standard_normal(X.shape)
        assert np.sqrt(np.mean(np.linalg.norm(shifted - X, axis=1) ** 2)) > rms
    assert not rms >= a2                                  # the bound avg_2 itself is wrong


def test_sample_estimates_are_lower_bounds(ns):
    M = dense(ns["mask"])
    population = flat(ns["population"])
    order = ns["order"].numpy()
    worsts = [e.worst for e in ns["estimates"]]
    assert all(a <= b + 1e-12 for a, b in zip(worsts, worsts[1:]))
    # the full class, by brute force over pairs with ||A(x - x')|| <= 2 eta (vectorised)
    data = population @ M.T
    D = np.linalg.norm(data[:, None] - data[None], axis=2)
    dist = np.linalg.norm(population[:, None] - population[None], axis=2)
    whole = float(dist[D <= 2 * 0.05 + 1e-9].max())
    assert worsts[-1] == pytest.approx(whole, rel=1e-9)
    for n, w in zip(ns["sample_sizes"], worsts):
        sub = order[:n]
        assert w == pytest.approx(float(dist[np.ix_(sub, sub)][D[np.ix_(sub, sub)]
                                                              <= 0.1 + 1e-9].max()), abs=1e-12)
        assert w <= whole + 1e-12
    assert worsts[0] < 0.5 * whole                        # "far below the truth"
    assert ns["estimates"][0].average < ns["estimates"][-1].average


def test_heads_pairs_attain_half_the_kernel_size(ns):
    errs = ns["errors_2d"]
    half = ns["sizes_10"].worst / 2
    assert errs["Chebyshev map"].worst == pytest.approx(half, rel=1e-5)
    for name, err in errs.items():
        assert err.worst >= half * (1 - 1e-6), name
    # kernel parts recomputed with numpy's FFT: the kernel size is their largest norm
    mask = ns["sampling"].symmetrise(ns["sampling"].radial(64, 10)).numpy()
    letters = ns["letters"].cpu().numpy()[:, 0].astype(np.float64)
    spectrum = np.fft.fftshift(np.fft.fft2(letters, norm="ortho"), axes=(-2, -1))
    spectrum[:, mask] = 0
    parts = np.fft.ifft2(np.fft.ifftshift(spectrum, axes=(-2, -1)), norm="ortho").real
    assert ns["sizes_10"].worst == pytest.approx(np.linalg.norm(parts.reshape(24, -1),
                                                                axis=1).max(), rel=1e-4)
    assert all(a > b for a, b in zip(ns["sizes_2d"], ns["sizes_2d"][1:]))
    assert errs["TV"].worst > 2 * ns["sizes_10"].worst
