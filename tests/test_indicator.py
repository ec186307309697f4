"""tk.kernel.indicator: the pixel range of an empirical feasible set, the score and detection rates.

References are computed independently by loops over NumPy arrays: the feasible set by testing
each image's data distance, the range by scanning its members pixel by pixel, the rates by
counting flagged pixels.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tk_lessons import kernel
from tk_lessons.operators import MatrixOperator


def _problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    M = torch.randn(3, 6, generator=g, dtype=torch.float64)
    A = MatrixOperator(M)
    X = torch.randn(12, 6, generator=g, dtype=torch.float64)
    z = torch.linalg.svd(M).Vh[-1]                      # a kernel vector
    X = torch.cat([X, X[:4] + 2 * z, X[:2] - z])        # some collisions
    return A, M.numpy(), X


def _brute_range(M, X, y, eta):
    Xn, yn = X.numpy(), y.numpy()[0]
    members = [n for n in range(len(Xn)) if np.linalg.norm(M @ Xn[n] - yn) <= eta + 1e-9]
    low = [min(Xn[n][i] for n in members) for i in range(Xn.shape[1])]
    high = [max(Xn[n][i] for n in members) for i in range(Xn.shape[1])]
    return members, np.array(low), np.array(high)


@pytest.mark.parametrize("eta", [0.0, 0.5, 3.0])
def test_pixel_range_against_brute_force(eta):
    A, M, X = _problem()
    for k in (0, 1, 5):
        y = A(X[k:k + 1])
        got = kernel.pixel_range(A, X, y, eta)
        members, low, high = _brute_range(M, X, y, eta)
        assert got.members.tolist() == members
        np.testing.assert_allclose(got.low[0].numpy(), low)
        np.testing.assert_allclose(got.high[0].numpy(), high)
        np.testing.assert_allclose(got.spread[0].numpy(), high - low)


def test_score_by_cases_and_the_bound():
    A, M, X = _problem(1)
    y = A(X[0:1])
    rng = kernel.pixel_range(A, X, y, 0.0)
    g = torch.Generator().manual_seed(3)
    x_rec = 4 * torch.randn(1, 6, generator=g, dtype=torch.float64)
    s = rng.score(x_rec)[0].numpy()
    lo, hi, v = rng.low[0].numpy(), rng.high[0].numpy(), x_rec[0].numpy()
    for i in range(6):
        dist = lo[i] - v[i] if v[i] < lo[i] else (v[i] - hi[i] if v[i] > hi[i] else 0.0)
        assert s[i] == pytest.approx(hi[i] - lo[i] + dist)
    for n in rng.members.tolist():                      # every member: error <= score
        assert (np.abs(v - X[n].numpy()) <= s + 1e-12).all()
    # a truth outside the feasible set breaks the bound (the hypothesis matters)
    outsider = X[0] + 10.0
    assert not (np.abs(v - outsider.numpy()) <= s + 1e-12).all()


def test_detection_rates_by_counting():
    g = torch.Generator().manual_seed(4)
    score = torch.rand(7, 9, generator=g)
    score[::2, ::3] = 0.3                               # ties: flagged means strictly above
    mask = torch.rand(7, 9, generator=g) > 0.7
    thresholds = torch.tensor([0.0, 0.3, 0.9, 1.0])
    hit, false_alarm = kernel.detection_rates(score, mask, thresholds)
    s, m = score.numpy().ravel(), mask.numpy().ravel()
    for k, t in enumerate(thresholds.tolist()):
        inside = [s[i] > t for i in range(len(s)) if m[i]]
        outside = [s[i] > t for i in range(len(s)) if not m[i]]
        assert hit[k].item() == pytest.approx(sum(inside) / len(inside))
        assert false_alarm[k].item() == pytest.approx(sum(outside) / len(outside))


def test_errors_name_the_parameter():
    A, _, X = _problem()
    with pytest.raises(ValueError, match="no image of X"):
        kernel.pixel_range(A, X, A(X[:1]) + 100.0, 0.0)
    with pytest.raises(ValueError, match="one measurement"):
        kernel.pixel_range(A, X, A(X[:2]), 0.0)
    with pytest.raises(ValueError, match="mask must mark"):
        kernel.detection_rates(torch.rand(4), torch.ones(4, dtype=torch.bool), torch.tensor([0.1]))
    with pytest.raises(ValueError, match="one shape"):
        kernel.detection_rates(torch.rand(4), torch.ones(3, dtype=torch.bool), torch.tensor([0.1]))
