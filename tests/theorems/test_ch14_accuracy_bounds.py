"""Chapter 14, checked on concrete instances independently of the chapter's own cells.

* thm-pixel-score: on the three shipped hallucinating networks, with the feasible set and its
  pixel range recomputed here with NumPy (not tk.kernel.pixel_range), dist(x_rec, range) <=
  |x_rec - x| <= score at every pixel when the truth x is in the sample. Wrong variants are
  rejected: without the truth in the sample (the training image only) the upper bound fails, and
  a score without the spread (the distance alone) is not an upper bound.
* thm-kernel-size-bounds with prop-sample-estimate on the enriched radial-MRI class: the worst-case
  kernel size recomputed here from all pairs with NumPy; zero filling, TV, the shipped U-Net and
  the Chebyshev map all err by at least half of it (the Chebyshev map exactly half), while the
  wrong claim "every method errs by at least the kernel size" fails for the Chebyshev map.
* prop-multivalued-floor: the feasible-set decoder judged by its worst point errs by the whole
  kernel size (above half of it), judged by its best point by 0 (the wrong measure has no
  floor); the ensemble of zero filling, TV and the U-Net is above half.
* The chapter's sentences: the plain sample has kernel size 0; the nested worst-case estimates
  never decrease; the indicator flags more of the letters with the truth in the sample than with
  the training image only, and more of the letters than of the other pixels; on flagged letter
  pixels the spread outweighs the distance term, which alone flags under 1% of the other pixels;
  the network's error exceeds the threshold on under 90% of the letters (partial transfer); with the training
  image in the set the spread is larger on the letters than elsewhere (more than twice its mean),
  and more so than without it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tk_lessons as tk
from tk_lessons import data, kernel, solvers
from tk_lessons.zoo import recipes


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def letters(n, seed):
    g = torch.Generator().manual_seed(seed)
    corners = torch.randint(8, 40, (n, 2), generator=g)
    sizes = torch.randint(10, 17, (n,), generator=g)
    levels = 0.2 + 0.6 * torch.rand(n, generator=g)
    return torch.cat([data.text(64, "TK", position=(int(r), int(c)), fontsize=int(f),
                                intensity=float(v)) for (r, c), f, v in zip(corners, sizes, levels)])


def kernel_part(A, d):
    if "Radon" in type(A).__name__:
        return d - solvers.tikhonov(A, A(d), 1e-3)
    return kernel.project(A, d).real


def numpy_range(A, S, y, eta):
    """Members with ||A s - y|| <= eta (loop, NumPy norms) and their pixel-wise min and max."""
    AS = A(S).detach().numpy().reshape(len(S), -1)
    yv = y.detach().numpy().ravel()
    inside = [n for n in range(len(S)) if np.linalg.norm(AS[n] - yv) <= eta]
    F = S.detach().numpy()[inside]
    return F.min(axis=0), F.max(axis=0), inside


NETWORKS = ["unet_fourier_halluc", "fbpunet_radon_halluc", "unet_hadamard_halluc"]


@pytest.fixture(scope="module")
def cases():
    out = {}
    for name in NETWORKS:
        net = tk.zoo.load(name)
        extra = getattr(recipes, name)().extra
        x_clean, z = extra["x_clean"], extra["kernel_detail"]
        with torch.no_grad():
            x_rec = net(net.A(x_clean))
        details = kernel_part(net.A, letters(12, seed=7))
        eta = 2 * float(np.linalg.norm(net.A(z).detach().numpy())) + 1e-3
        samples = {"only": x_clean + z, "truth": torch.cat([x_clean, x_clean + details]),
                   "all": torch.cat([x_clean + z, x_clean, x_clean + details])}
        out[name] = dict(A=net.A, x=x_clean.numpy()[0], x_rec=x_rec.numpy()[0], eta=eta,
                         samples=samples, mask=(extra["detail"].abs() > 0).numpy()[0])
    return out


def scores(case, sample):
    low, high, inside = numpy_range(case["A"], case["samples"][sample],
                                    case["A"](torch.from_numpy(case["x"])[None]), case["eta"])
    v = case["x_rec"]
    dist = np.maximum(low - v, 0) + np.maximum(v - high, 0)
    return high - low, dist, inside


@pytest.mark.parametrize("name", NETWORKS)
def test_pixel_score_bounds_the_error_when_the_truth_is_feasible(cases, name):
    case = cases[name]
    err = np.abs(case["x_rec"] - case["x"])
    for sample in ("truth", "all"):
        spread, dist, inside = scores(case, sample)
        assert len(inside) >= 13
        assert (dist <= err + 1e-6).all() and (err <= spread + dist + 1e-6).all()
        assert (err > spread + 1e-3).any() or sample == "all"   # the distance term is needed
        assert not (err <= dist + 1e-6).all(), "the distance alone would be an upper bound"
    spread, dist, inside = scores(case, "only")
    assert len(inside) == 1
    assert not (err <= spread + dist + 1e-6).all(), "truth outside F: the bound must fail"


def test_detection_sentences(cases):
    for case in cases.values():
        m = case["mask"]
        rates = {}
        for sample in ("only", "truth", "all"):
            spread, dist, _ = scores(case, sample)
            flagged = spread + dist > 0.1
            rates[sample] = (flagged[m].mean(), flagged[~m].mean())
        assert rates["truth"][0] > rates["only"][0] + 0.3      # the failure mode
        assert rates["truth"][0] > rates["truth"][1]           # lights up on the letters
        spread, dist, _ = scores(case, "truth")                 # the two terms
        on = m & (spread + dist > 0.1)
        assert dist[on].mean() < spread[on].mean()              # mostly the spread
        err = np.abs(case["x_rec"] - case["x"])
        assert (dist > 0.1)[~m].mean() < 0.01 < (dist > 0.1)[m].mean()   # precise, certified
        assert (err > 0.1)[m].mean() < 0.9                         # partial transfer
        spread, _, _ = scores(case, "all")
        spread_truth, _, _ = scores(case, "truth")
        ratio_all = spread[m].mean() / spread[~m].mean()           # the spread marks the letters
        assert ratio_all > 2 and ratio_all > spread_truth[m].mean() / spread_truth[~m].mean()


def test_methods_against_half_the_kernel_size():
    unet = tk.zoo.load("unet_radial64")
    A = unet.A
    T = recipes.test_set("unet_radial64")[:40]
    X = torch.cat([T, T + kernel_part(A, letters(40, seed=1))])
    eta = 0.005 * float(A(T).abs().flatten(1).norm(dim=1).mean())
    assert kernel.kernel_size(A, T).worst == 0.0                  # plain heads: 0
    AX = torch.view_as_real(A(X)).numpy().reshape(len(X), -1).astype(np.float64)
    Xv = X.numpy().reshape(len(X), -1).astype(np.float64)
    worst = 0.0
    for i in range(len(X)):
        close = np.linalg.norm(AX - AX[i], axis=1) <= 2 * eta + 1e-5 * np.abs(AX).max()
        worst = max(worst, float(np.linalg.norm(Xv[close] - Xv[i], axis=1).max()))
    assert worst > 1.0
    with torch.no_grad():
        Y = A(X)
        recs = {"zero filling": A.H(Y).real, "TV": solvers.tv(A, Y, 0.003, n_iter=50, real=True),
                "U-Net": unet(Y), "Chebyshev": kernel.feasible_set_map(A, X, eta)(Y)}
    errs = {k: float(np.linalg.norm((r - X).numpy().reshape(len(X), -1), axis=1).max())
            for k, r in recs.items()}
    for k, e in errs.items():
        assert e >= worst / 2 - 1e-4, k
    assert errs["Chebyshev"] == pytest.approx(worst / 2, rel=1e-3)
    assert errs["Chebyshev"] < worst                               # ">= kernel size" is false
    assert min(errs["zero filling"], errs["TV"]) > errs["U-Net"]     # the U-Net is the closest
    # prop-multivalued-floor: the feasible-set decoder, by its worst point and by its best point
    worst_point = best_point = 0.0
    for i in range(len(X)):
        inside = np.linalg.norm(AX - AX[i], axis=1) <= eta + 1e-5 * np.abs(AX).max()
        d = np.linalg.norm(Xv[inside] - Xv[i], axis=1)
        worst_point, best_point = max(worst_point, d.max()), max(best_point, d.min())
    assert worst_point >= worst / 2 and worst_point == pytest.approx(worst, rel=1e-6)
    assert best_point == 0.0 < worst / 2                             # best point: no floor
    ensemble = max(errs["zero filling"], errs["TV"], errs["U-Net"])
    assert ensemble >= worst / 2


def test_nested_estimates_never_decrease():
    A = tk.zoo.load("unet_radial64").A
    T = recipes.test_set("unet_radial64")[:40]
    X = torch.cat([T, T + kernel_part(A, letters(40, seed=1))])
    eta = 0.005 * float(A(T).abs().flatten(1).norm(dim=1).mean())
    w = [kernel.kernel_size(A, torch.cat([X[:n], X[40:40 + n]]), eta).worst for n in (5, 10, 20, 40)]
    assert all(a <= b + 1e-9 for a, b in zip(w, w[1:])) and w[-1] > w[0]
