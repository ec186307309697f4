"""Chapter 11, checked on the chapter's own class, networks and grid with independent recomputation.

The chapter is executed once (module fixture, about 35 s on one thread); its class ``X``, its
trained networks' rows and its jump-class networks are then re-examined with numpy: a dense
DFT matrix for the data, loops over pairs for the fibres, and brute-force maxima.

* prop-interpolants-worst-case: the fibres are the chapter's 12 segments of 5 members (dense
  DFT); e_T recomputed by loops equals the chapter's column; every network's worst-case error
  (recomputed from its outputs) is within its training error of e_T (part 3), and
  optimum <= e_T <= kersize with both ends attained by the "centres" and "ends" sets (part 2).
  A wrong formula for the forced error (the largest radius instead of the largest distance
  to the picked member) is rejected by the trained networks. The chapter's sentences: the
  networks range from the optimum to the kernel size, and seeds and sizes agree on one set.
  The exact probability of e_T = kersize is recomputed by enumerating the largest fibre.
* prop-lipschitz-optimum-attained and thm-jump-no-continuous-optimum: on the jump class the
  continuous maps (the chapter's networks, the map (t, 0), random ReLU networks, steep
  ramps) all have worst-case error >= 1 on the grid, and part 1's bound holds at random t;
  the exact (discontinuous) map reaches 0, so the claim "error >= 1" rejects it, and the
  bound without its correction term (">= 1 for every map") is rejected by the exact map.
  The region of large error of the largest network is narrower than the smallest's.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

CHAPTER = "11_optimal_maps"        # the `ns` fixture (tests/theorems/conftest.py) runs it


def flat(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().reshape(len(t), -1).numpy().astype(np.float64)


@pytest.fixture(scope="module")
def fibres(ns):
    """Classes of equal data, with a dense centred DFT matrix and loops over pairs."""
    mask = ns["A"].mask.cpu().numpy().reshape(-1)
    n = mask.size
    F = np.fft.fftshift(np.fft.fft(np.eye(n), norm="ortho"), axes=0)[mask]
    X = flat(ns["X"])
    data = X @ F.T
    groups: list[list[int]] = []
    for i in range(len(X)):
        for g in groups:
            if np.linalg.norm(data[i] - data[g[0]]) < 1e-9:
                g.append(i)
                break
        else:
            groups.append([i])
    return X, groups


def forced(X: np.ndarray, groups: list[list[int]], train: list[int]) -> float:
    """e_T by loops: the largest distance from a fibre's picked member to its members."""
    worst = 0.0
    for g in groups:
        (j,) = [i for i in g if i in train]
        worst = max(worst, max(np.linalg.norm(X[i] - X[j]) for i in g))
    return worst


def test_the_class_is_twelve_segments_of_five(ns, fibres):
    X, groups = fibres
    assert len(groups) == 12 and all(len(g) == 5 for g in groups)
    for g in groups:                         # equally spaced on a line: middle is the centre
        d = X[g] - X[g[2]]
        assert np.allclose(d[0], -d[4]) and np.allclose(d[1], -d[3]) and np.allclose(d[0], 2 * d[1])


def test_interpolants_have_the_forced_worst_case(ns, fibres):
    X, groups = fibres
    kersize = max(np.linalg.norm(X[i] - X[j]) for g in groups for i in g for j in g)
    optimum = max(np.linalg.norm(X[g[0]] - X[g[2]]) for g in groups)     # segment radius
    assert ns["sizes"].worst == pytest.approx(kersize, rel=1e-9)
    assert ns["optimum"] == pytest.approx(optimum, rel=1e-6)
    for name, train in ns["sets"].items():
        e_T = forced(X, groups, train.tolist())
        assert optimum - 1e-9 <= e_T <= kersize + 1e-9
        if name == "centres":
            assert e_T == pytest.approx(optimum, rel=1e-9)
        if name == "ends":
            assert e_T == pytest.approx(kersize, rel=1e-9)
    for (name, _, train_error, worst, e_T), run in zip(ns["rows"], ns["runs"]):
        assert e_T == pytest.approx(forced(X, groups, ns["sets"][name].tolist()), rel=1e-12)
        assert abs(worst - e_T) <= train_error + 1e-9                     # part 3


def test_a_wrong_forced_error_is_rejected(ns, fibres):
    """The largest radius is not the worst case of an interpolant: part 3 fails with it."""
    X, groups = fibres
    wrong = max(np.linalg.norm(X[g[0]] - X[g[2]]) for g in groups)
    assert any(abs(worst - wrong) > train_error + 1e-3
               for _, _, train_error, worst, _ in ns["rows"])


def test_worst_cases_recomputed_from_a_trained_network(ns, fibres):
    X, groups = fibres
    net = ns["networks"].MLP(ns["A"], hidden=64, layers=2, seed=0)
    train = ns["sets"]["random draw 1"]
    train_error = ns["networks"].fit_interpolant(net, ns["A"], ns["X"][train], n_iter=3000,
                                                 lr=3e-3)
    with torch.no_grad():
        out = flat(net(ns["A"](ns["X"])))
    worst = max(np.linalg.norm(out[i] - X[i]) for i in range(len(X)))
    assert abs(worst - forced(X, groups, train.tolist())) <= train_error + 1e-9
    assert train_error < 1e-2


def test_the_chapters_sentences_on_trained_networks(ns):
    rows = ns["rows"]
    worsts = [r[3] for r in rows]
    assert min(worsts) <= ns["optimum"] + 1e-2              # near the optimum ...
    assert max(worsts) >= ns["sizes"].worst - 1e-2          # ... to near the kernel size
    assert max(r[2] for r in rows) < 1e-2                   # all near-zero training error
    draw1 = [r[3] for r in rows if r[0] == "random draw 1"]
    assert len(draw1) == 3 and max(draw1) - min(draw1) < 1e-2
    assert ns["optimum"] + 0.05 < min(draw1) < ns["sizes"].worst - 0.05   # strictly between


def test_exact_probability_of_the_kernel_size(ns, fibres):
    X, groups = fibres
    kersize = ns["sizes"].worst
    # the picks of one fibre that reach kersize, by loops; all fibres independent
    reach = [sum(max(np.linalg.norm(X[i] - X[j]) for i in g) > kersize - 1e-6 for j in g)
             for g in groups]
    p_not = math.prod(1 - r / 5 for r in reach)
    assert ns["exact_kersize"] == pytest.approx(1 - p_not, abs=1e-12)
    assert abs((ns["forced"] > kersize - 1e-6).double().mean().item() - (1 - p_not)) < 0.05


def _second_pass(ns, net):
    grid = ns["grid"]
    with torch.no_grad():
        out = net(grid)
    member = np.where(grid.numpy() <= 0, 1.0, -1.0)
    err = np.hypot(out[:, 0].numpy() - grid[:, 0].numpy(), out[:, 1].numpy() - member[:, 0])
    return err


def test_every_continuous_map_errs_by_one_on_the_jump(ns):
    grid = ns["grid"]
    assert (grid == 0).any() and (grid > 0).any() and grid[grid > 0].min() <= 1e-12
    for row in ns["jump_rows"]:
        assert row[2] >= 1 - 1e-6 and row[3] >= 1 - 1e-6
    flat_map = torch.cat([grid, torch.zeros_like(grid)], dim=1)
    assert np.abs(ns["kernel"].jump_error(flat_map, grid).numpy() - 1).max() < 1e-12
    J = ns["J"]
    for seed, L in itertools.product(range(3), (1.0, 1e3, 1e9)):
        net = ns["networks"].MLP(J, hidden=8, layers=2, seed=seed)
        assert _second_pass(ns, net).max() >= 1 - 1e-6
        t = grid[:, 0]
        ramp = torch.stack([t, -torch.clamp(L * t, -1, 1)], dim=1)          # continuous
        assert ns["kernel"].jump_error(ramp, grid).max() >= 1 - 1e-9


def test_part_one_bound_and_a_discontinuous_map(ns):
    J, kernel = ns["J"], ns["kernel"]
    gen = torch.Generator().manual_seed(0)
    ts = torch.rand(50, 1, generator=gen, dtype=torch.float64) * 0.1 + 1e-15
    zero = torch.zeros(1, 1, dtype=torch.float64)
    maps = [ns["networks"].MLP(J, hidden=16, layers=2, seed=s) for s in range(3)]
    exact = kernel.jump_member
    maps.append(exact)
    for psi in maps:
        with torch.no_grad():
            at0, att = psi(zero), psi(ts)
        left = torch.maximum(kernel.jump_error(at0.expand_as(att), zero.expand_as(ts)),
                             kernel.jump_error(att, ts))
        right = 1 - (att - at0).norm(dim=1) / 2
        assert (left >= right - 1e-12).all()
    # the exact map is discontinuous and reaches 0: the continuous-map claim rejects it,
    # and part 1 without its correction term would be false
    grid = ns["grid"]
    assert kernel.jump_error(exact(grid), grid).max() == 0
    assert not kernel.jump_error(exact(grid), grid).max() >= 1 - 1e-6


def test_larger_networks_shrink_the_bad_region(ns):
    rows = ns["jump_rows"]
    assert rows[-1][4] < rows[0][4] / 10
