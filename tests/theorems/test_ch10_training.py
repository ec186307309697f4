"""Chapter 10, checked on concrete instances independently of the chapter's own cells.

* prop-erm-all-maps: the minimiser of the weighted training loss over all maps against a least-squares
  solve over lookup tables (torch.linalg.lstsq on group indicators); the pair share l / (k + l); the
  unweighted mean (a broken variant) must fail for unequal weights; a small ReLU network trained by Adam
  on a pair with identical data converges to x + z/2.
* prop-jitter-random: E ||W (y + xi) - x||^2 = ||W y - x||^2 + s^2 ||W||_F^2 by Monte Carlo with the
  course's jitter (tk.networks.add_jitter), s^2 = eta^2 / (3 m); the variant without E[s^2] = 1/3 must
  fail; the ridge minimiser W = X Y^* (Y Y^* + K s^2 I)^-1 has zero gradient.
* real_kernel_part: A z = 0 to rounding and z is the orthogonal projection onto the real kernel, against
  a dense SVD of [Re A; Im A]; the real part of the complex projection (a broken variant) is not in the
  kernel of the laboratory's low-pass operator.
* near_kernel_pairs against a double loop; jitter_minimiser against weights from scipy quadrature.
* thm-train-instability on the laboratory's training data (every close pair: quotient >= bound), and
  thm-train-hallucination on the shipped MRI and CT networks (both sides).
* The chapter's sentences: pairs_both draws about half the detail on the marked signals, pairs_one
  nearly all, shares on other and new signals near zero, jitter lowers the share and raises the error,
  the all-maps jitter minimiser keeps the full detail, pairs_both's loss is near its floor, the
  highnoise network's forced bound is below the no-noise one's, close pairs grow like n^2.
"""

from __future__ import annotations

import math

import pytest
import torch

import tk_lessons as tk
from tk_lessons.networks import add_jitter
from tk_lessons.operators import MatrixOperator
from tk_lessons.zoo import build_operator, pairs
from tk_lessons.zoo.lab import SCALES, lab_data

CHAPTER = "10_training"
F64 = torch.float64


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------------
# the minimiser over all maps
# ---------------------------------------------------------------------------------------------
def test_erm_against_lstsq_over_lookup_tables():
    g = gen(0)
    groups = torch.tensor([0, 0, 1, 2, 2, 2, 1])
    Y = torch.randn(3, 4, generator=g, dtype=F64)[groups]
    X = torch.randn(7, 5, generator=g, dtype=F64)
    w = torch.rand(7, generator=g, dtype=F64) + 0.1
    out, got_groups = pairs.erm_over_all_maps(Y, X, w)
    G = torch.nn.functional.one_hot(groups).double()          # a map on 3 data = a 3 x 5 table
    sw = w.sqrt()[:, None]
    table = torch.linalg.lstsq(sw * G, sw * X).solution
    assert torch.allclose(out, G @ table, atol=1e-12)
    assert torch.equal(got_groups, groups)
    unweighted = G @ torch.linalg.lstsq(G, X).solution          # broken variant: weights ignored
    assert not torch.allclose(unweighted, out, atol=1e-3)


@pytest.mark.parametrize("k, l", [(1, 1), (3, 1), (1, 4), (2, 5)])
def test_pair_share_is_l_over_k_plus_l(k, l):
    A = build_operator(SCALES["laptop"].operator)
    d = pairs.pair_data("both", A, n_plain=4, n_marked=1, repeats=1)
    p, z = d.plain[:1], d.z
    train = torch.cat([p.repeat(k, 1, 1), (p + z).repeat(l, 1, 1), d.plain[1:]])
    out, _ = pairs.erm_over_all_maps(A(train), train, tol=1e-6)
    share = tk.zoo.lab.detail_share(out[:1], p, z)
    assert abs(float(share) - l / (k + l)) < 1e-5
    assert abs(float(share) - 0.5) > 1e-3 or k == l                # not always one half


def test_trained_small_network_reaches_half():
    g = gen(1)
    M = torch.randn(3, 6, generator=g, dtype=F64)
    _, _, Vh = torch.linalg.svd(M)
    z = 2.0 * Vh[-1]                                              # M z = 0
    x1, x2 = torch.randn(6, generator=g, dtype=F64), torch.randn(6, generator=g, dtype=F64)
    X = torch.stack([x1, x1 + z, x2])
    Y = X @ M.T
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 32), torch.nn.ReLU(), torch.nn.Linear(32, 6)).double()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(1500):
        opt.zero_grad()
        loss = ((net(Y) - X) ** 2).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        share = float((net(Y[:1])[0] - x1) @ z / (z @ z))
    assert abs(share - 0.5) < 0.02, share
    assert torch.allclose(net(Y[:1]).detach()[0], x1 + z / 2, atol=0.05)


# ---------------------------------------------------------------------------------------------
# jitter
# ---------------------------------------------------------------------------------------------
def test_expected_jitter_loss_by_monte_carlo():
    g = gen(2)
    m, n, eta = 8, 5, 1.5
    W = torch.complex(torch.randn(n, m, generator=g, dtype=F64), torch.randn(n, m, generator=g, dtype=F64))
    y = torch.complex(torch.randn(m, generator=g, dtype=F64), torch.randn(m, generator=g, dtype=F64))
    x = torch.randn(n, generator=g, dtype=F64)
    draws = 200_000
    noisy = add_jitter(y.expand(draws, m).clone(), eta, seed=3)
    losses = ((noisy @ W.T) - x).abs().pow(2).sum(1)
    mc, se = float(losses.mean()), float(losses.std() / math.sqrt(draws))
    s2 = pairs.jitter_variance(eta, m)
    assert s2 == pytest.approx(eta ** 2 / (3 * m))
    exact = pairs.expected_jitter_loss(W, y, x, s2)
    assert abs(mc - exact) < 4 * se
    wrong = pairs.expected_jitter_loss(W, y, x, eta ** 2 / m)     # forgetting E[s^2] = 1/3
    assert abs(mc - wrong) > 20 * se


def test_ridge_minimiser_of_the_expected_loss():
    g = gen(4)
    m, n, K, s2 = 4, 3, 6, 0.3
    Y = torch.randn(m, K, generator=g, dtype=F64)
    X = torch.randn(n, K, generator=g, dtype=F64)
    W = X @ Y.T @ torch.linalg.inv(Y @ Y.T + K * s2 * torch.eye(m, dtype=F64))
    W.requires_grad_(True)
    loss = sum(pairs.expected_jitter_loss(W.detach(), Y[:, k], X[:, k], s2) for k in range(K))
    # the function returns floats; differentiate the same expression directly
    total = ((W @ Y - X) ** 2).sum() + K * s2 * (W ** 2).sum()
    (grad,) = torch.autograd.grad(total, W)
    assert float(grad.abs().max()) < 1e-10
    assert loss == pytest.approx(total.item(), rel=1e-12)


def test_jitter_minimiser_against_quadrature():
    integrate = pytest.importorskip("scipy.integrate")
    Y = torch.tensor([[0.0], [0.7], [1.5]], dtype=F64)
    X = torch.tensor([[1.0], [2.0], [4.0]], dtype=F64)
    eta = 1.2

    def density(r):       # one real dimension: sigma_s = eta s
        return integrate.quad(lambda s: math.exp(-r ** 2 / (2 * (eta * s) ** 2)) / (math.sqrt(2 * math.pi)
                                                                                   * eta * s), 0, 1)[0]
    for u in (0.4, 1.1, 2.0):          # away from the data: the density is infinite at distance 0
        w = [density(abs(u - float(yj))) for yj in Y[:, 0]]
        expected = sum(wj * float(xj) for wj, xj in zip(w, X[:, 0])) / sum(w)
        got = float(pairs.jitter_minimiser(Y, X, torch.tensor([[u]], dtype=F64), eta))
        assert got == pytest.approx(expected, rel=1e-3)


# ---------------------------------------------------------------------------------------------
# the kernel detail and the pair counts
# ---------------------------------------------------------------------------------------------
def test_real_kernel_part_against_dense_projection():
    A = build_operator(SCALES["laptop"].operator)
    d = pairs.fixed_detail().double()
    z = pairs.real_kernel_part(A, d)
    assert float(A(z).abs().max()) < 1e-10
    M = A(torch.eye(256, dtype=F64).reshape(256, 1, 256)).reshape(256, -1).T      # (m, N) complex
    B = torch.cat([M.real, M.imag])
    U, S, Vh = torch.linalg.svd(B)
    rank = int((S > 1e-8).sum())
    kernel_basis = Vh[rank:]
    reference = kernel_basis.T @ (kernel_basis @ d.flatten())
    assert torch.allclose(z.flatten(), reference, atol=1e-8)
    broken = tk.kernel.project(A, d).real                         # real part of the complex projection
    assert float(A(broken).abs().max()) > 1e-3


def test_near_kernel_pairs_against_double_loop():
    g = gen(5)
    M = torch.randn(2, 6, generator=g, dtype=F64)
    A = MatrixOperator(M)
    X = torch.randn(40, 6, generator=g, dtype=F64)
    for eta, gap in ((1.0, 0.0), (1.5, 2.0), (0.5, 1.0)):
        count = 0
        for a in range(40):
            for b in range(a + 1, 40):
                if (M @ (X[a] - X[b])).norm() <= eta and (X[a] - X[b]).norm() >= gap:
                    count += 1
        assert pairs.near_kernel_pairs(A, X, eta, gap, chunk=7) == count
    assert pairs.near_kernel_pairs(A, X, 1.0, 0.0) > 0


def test_bad_input_is_named():
    A = build_operator(SCALES["laptop"].operator)
    with pytest.raises(ValueError, match="kind"):
        pairs.pair_data("three", A)
    with pytest.raises(ValueError, match="n_marked"):
        pairs.pair_data("both", A, n_plain=2, n_marked=3)
    with pytest.raises(ValueError, match="weights"):
        pairs.erm_over_all_maps(torch.zeros(2, 1), torch.zeros(2, 1), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="d must be real"):
        pairs.real_kernel_part(A, torch.zeros(1, 1, 256, dtype=torch.complex64))


# ---------------------------------------------------------------------------------------------
# the chapter's demos and sentences
# ---------------------------------------------------------------------------------------------
def test_forced_bounds_hold_on_every_close_pair(ns):
    for name, f in ns["forced"].items():
        assert bool((f["quotient"] >= f["bound"] - 1e-9).all()), name
    assert float(ns["forced"]["lab_highnoise"]["bound"].max()) < float(ns["forced"]["lab_nonoise"]["bound"].max())
    nn = ns["forced"]["lab_nonoise"]
    assert float(ns["uniform"]) < float(nn["bound"].max())        # the uniform form is weaker
    assert int(ns["close"].sum()) > 0
    # "These forced bounds are below what an attack certifies"
    assert float(nn["bound"].max()) < float(ns["cert_no"].min())


def test_close_pairs_grow_quadratically(ns):
    q = ns["q"]
    for n, c in zip(ns["sizes"], ns["counts"]):
        if n >= 400:
            assert 0.5 < c / (q * n * (n - 1) / 2) < 2.0, (n, c)
    finite = [b for b in ns["best"] if math.isfinite(b)]
    assert finite[-1] > finite[0]
    # the counts agree with the pairs the chapter found at full size
    assert ns["counts"][-1] == int(ns["close"].sum())


def test_hallucination_theorem_on_shipped_networks(ns):
    for label, f in ns["family"].items():
        assert bool((f["lhs"] <= f["rhs"] + 1e-4).all()), label
        assert bool((f["err"] >= f["low"] - 1e-4).all()), label
        assert float(f["share"].min()) > 0.4, label                 # the detail is drawn on all of them
    assert float(ns["family"]["Fourier"]["c"].max()) < 1e-3          # the data coincide


def test_pair_networks_as_the_prose_states(ns):
    r = ns["results"]
    both, one = r["pairs_both"], r["pairs_one"]
    assert 0.4 < float(both["marked"].mean()) < 0.6                 # "the half hallucination"
    assert float(one["marked"].mean()) > 0.8                        # "nearly all"
    assert float(ns["predicted"]["both"].mean()) == pytest.approx(0.5, abs=1e-4)
    assert float(ns["predicted"]["one"].mean()) == pytest.approx(1.0, abs=1e-4)
    for name in ("pairs_both", "pairs_one"):                       # "close to zero" elsewhere
        assert abs(float(r[name]["unmarked"])) < 0.1 and abs(float(r[name]["test"])) < 0.1
        assert float(r[name]["marked"].mean()) == pytest.approx(r[name]["card"]["metrics"]["share_marked"],
                                                               abs=2e-3)
    shares, errors = ns["shares_by_jitter"], ns["errors_by_jitter"]
    assert shares[0] > shares[1] > shares[2]                        # "falls"
    assert errors[0] < errors[1] < errors[2]                        # "rises"
    for value in ns["jitter_pred"].values():                        # the all-maps minimiser keeps it
        assert float(value) > 0.99
    assert 1.0 <= ns["last"]["pairs_both"] / ns["floor"] < 1.5     # "reached the compromise"
    # "least on the signal on which pairs_both lags too"
    assert int(r["pairs_one_jitter"]["marked"].argmin()) == int((both["marked"] - 0.5).abs().argmax())
    assert float(ns["A"](ns["z"]).abs().max()) < 1e-6
