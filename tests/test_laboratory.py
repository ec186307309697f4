"""The laboratory's table (``tk_lessons.zoo.laboratory``), checked against independent references.

* a LINEAR map ``R`` has a computable worst case: for fixed ``x``,
  ``||R y - x|| <= max_{||e|| <= r} ||R (y + e) - x|| <= ||R y - x|| + r ||R||``, and the
  maximiser reaches at least ``sqrt(||R y - x||^2 + r^2 ||R||^2)`` (the top singular direction
  with the sign that does not shrink ``R y - x``); the Lipschitz search must reach ``||R||``;
* the clean level is the plain reconstruction error of the network and of ``solvers.tv``
  computed here; the same seed gives the same table, another seed another one;
* the formatter prints every method and level; bad input raises errors naming the parameter;
  the command runs with ``--quick``.

All at tiny effort (a few steps, 1-2 samples), one torch thread.
"""

from __future__ import annotations

import pytest
import torch

from tk_lessons import metrics, solvers, zoo
from tk_lessons.zoo import laboratory


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _linear():
    """A random 6 x 4 matrix R (known norm), data y and targets x that R y does not hit."""
    gen = torch.Generator().manual_seed(1)
    R = torch.randn(4, 6, generator=gen, dtype=torch.float64)
    y = torch.randn(2, 1, 6, generator=gen, dtype=torch.float64)       # batches (B, C, N)
    x = torch.randn(2, 1, 4, generator=gen, dtype=torch.float64)
    return R, y, x, float(torch.linalg.matrix_norm(R, ord=2))


def _exact_worst(R: torch.Tensor, a: torch.Tensor, radius: float) -> float:
    """``max_{||e|| <= radius} ||a + R e||`` (a trust-region problem), by bisection on its multiplier.

    The maximiser solves ``(R^T R - mu I) e = -R^T a`` with ``mu > ||R||^2`` and ``||e|| = radius``;
    ``||e(mu)||`` decreases in ``mu``, so bisection finds it (``R^T a`` has a component along the
    top singular vector for random data).
    """
    s, V = torch.linalg.eigh(R.T @ R)
    b = V.T @ (R.T @ a)
    size = lambda mu: float(((b / (mu - s)) ** 2).sum().sqrt())  # noqa: E731
    lo, hi = float(s.max()) * (1 + 1e-12) + 1e-12, float(s.max()) + float(b.norm()) / radius + 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if size(mid) > radius else (lo, mid)
    e = -V @ (b / (s - hi))
    return float((a + R @ e).norm())


def test_the_exact_worst_case_reference():
    R, y, x, r_norm = _linear()
    a = (y[0, 0] @ R.T - x[0, 0])
    worst = _exact_worst(R, a, 0.3)
    gen = torch.Generator().manual_seed(0)
    sampled = max(float((a + R @ (0.3 * e / e.norm())).norm())
                  for e in torch.randn(20000, 6, generator=gen, dtype=torch.float64))
    assert sampled <= worst * (1 + 1e-9) and sampled >= 0.99 * worst            # brute force agrees
    assert worst <= float(a.norm()) + 0.3 * r_norm


@pytest.mark.parametrize("optimizer", ["adam", "pgd"])
def test_linear_map_worst_case_lies_between_the_bounds(optimizer):
    R, y, x, r_norm = _linear()
    levels = (0.0, 0.05, 0.1, 0.2)
    lab = laboratory.compare({"R": lambda v: v @ R.T}, x, y, eps=levels, n_iter=40, restarts=2,
                             optimizer=optimizer, lr=0.5 if optimizer == "adam" else 1.0)
    clean = (y @ R.T - x).flatten(1).norm(dim=1)
    for i, level in enumerate(levels):
        radius = level * y.flatten(1).norm(dim=1)
        found = lab.error["R"][i] * x.flatten(1).norm(dim=1)                  # back to absolute errors
        assert torch.all(found >= clean * (1 - 1e-9)), (level, found, clean)
        assert torch.all(found <= (clean + radius * r_norm) * (1 + 1e-9)), (level, found, clean + radius * r_norm)
        exact = torch.tensor([_exact_worst(R, (y[b, 0] @ R.T - x[b, 0]), float(radius[b])) if level else
                              float(clean[b]) for b in range(2)], dtype=torch.float64)
        assert torch.all(found <= exact * (1 + 1e-9)), (level, found, exact)
        share = 0.999 if optimizer == "pgd" else 0.9                 # Adam stalls short of a round ball's maximiser
        assert torch.all(found >= share * exact), (level, optimizer, found / exact)


def test_levels_are_searched_from_the_largest_down():
    R, y, x, _ = _linear()
    sizes = []

    def recording(v):
        sizes.append(float(((v.detach() - y).flatten(1).norm(dim=1) / y.flatten(1).norm(dim=1)).max()))
        return v @ R.T

    laboratory.compare({"R": recording}, x, y, eps=(0, 0.05, 0.2), n_iter=2, restarts=1, optimizer="adam")
    attack = [size for size in sizes if size > 1e-9]
    assert attack[0] == pytest.approx(0.2, rel=1e-6)            # the first search: the largest ball
    # n_iter + 1 evaluations and the final one per level, then the next level inside its own ball
    assert max(attack[:4]) == pytest.approx(0.2, rel=1e-6) and max(attack[4:8]) <= 0.05 * (1 + 1e-6)


def test_both_searches_keep_the_larger_error_and_its_perturbation():
    R, y, x, _ = _linear()
    lab = laboratory.compare({"R": lambda v: v @ R.T}, x, y, eps=(0, 0.1, 0.2), n_iter=5, restarts=2)
    assert lab.optimizer == "both" and set(lab.by_optimizer["R"]) == {"adam", "pgd"}
    found = torch.maximum(lab.by_optimizer["R"]["adam"], lab.by_optimizer["R"]["pgd"])
    assert torch.allclose(lab.error["R"][1:], torch.maximum(found, lab.error["R"][0]))
    # the stored perturbations lie in their balls and reproduce the errors with one forward pass
    for i, level in enumerate(lab.eps):
        e = lab.perturbations["R"][i]
        assert torch.all(e.flatten(1).norm(dim=1) <= level * y.flatten(1).norm(dim=1) * (1 + 1e-9))
        again = ((y + e) @ R.T - x).flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)
        assert torch.allclose(again, lab.error["R"][i], rtol=1e-9) or level == 0
    # Adam with 5 steps stalls short of normalised ascent on a linear map; the table says by how much
    assert lab.shortfall("R", "pgd") <= 1e-9 < lab.shortfall("R", "adam")
    with pytest.raises(ValueError, match="optimizer 'adam' was not run"):
        laboratory.compare({"R": lambda v: v @ R.T}, x, y, eps=(0, 0.1), n_iter=2, optimizer="pgd").shortfall("R")


def test_linear_map_lipschitz_bound_reaches_the_norm():
    R, y, x, r_norm = _linear()
    lab = laboratory.compare({"R": lambda v: v @ R.T}, x, y, eps=(0.0,), n_iter=30, restarts=1)
    bound = lab.lipschitz["R"]
    assert torch.all(bound <= r_norm * (1 + 1e-9)) and torch.all(bound >= 0.97 * r_norm), (bound, r_norm)
    # a map twice as steep gets twice the bound: the search measures the map, not a constant
    lab2 = laboratory.compare({"2R": lambda v: 2 * v @ R.T}, x, y, eps=(0.0,), n_iter=30, restarts=1)
    assert torch.allclose(lab2.lipschitz["2R"], 2 * bound, rtol=1e-6)


@pytest.fixture(scope="module")
def lab():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield laboratory.measure(["unet_radial64"], tv=True, eps=(0, 0.02, 0.04), n_iter=2, restarts=1, samples=2)
    torch.set_num_threads(threads)


def test_clean_level_is_the_plain_reconstruction_error(lab):
    net = zoo.load("unet_radial64")
    x = zoo.recipes.test_set("unet_radial64")[:2]
    y = net.A(x)
    lam = zoo.info("unet_radial64")["metrics"]["tv_lam"]
    with torch.no_grad():
        plain = {"unet_radial64": net(y), "TV": solvers.tv(net.A, y, lam, n_iter=300, real=True)}
    assert lab.methods == ["unet_radial64", "TV"] and lab.lam == lam and lab.samples == 2
    for name, x_rec in plain.items():
        plain_error = (x_rec - x).flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)
        assert torch.allclose(lab.error[name][0], plain_error, rtol=1e-5), name
        assert lab.psnr[name] == pytest.approx(float(metrics.psnr(x_rec, x, 1.0).double().mean()), rel=1e-5)
        # the worst case never falls below the clean error, and TV errs more than the network
        assert torch.all(lab.error[name][1:] >= lab.error[name][0] - 1e-7)
    assert lab.mean_error("TV")[0] > lab.mean_error("unet_radial64")[0]


def test_the_same_seed_gives_the_same_table_another_seed_another():
    R, y, x, _ = _linear()

    def table(seed):
        out = laboratory.compare({"R": lambda v: v @ R.T}, x, y, eps=(0, 0.1), n_iter=3, restarts=2, seed=seed)
        out.seconds = {}
        return out

    first, again, other = table(0), table(0), table(1)
    assert laboratory.format_table(first) == laboratory.format_table(again)
    assert torch.equal(first.error["R"], again.error["R"]) and torch.equal(first.lipschitz["R"], again.lipschitz["R"])
    assert not torch.equal(first.lipschitz["R"], other.lipschitz["R"])


def test_the_formatter_prints_every_method_level_and_the_effort(lab):
    text = laboratory.format_table(lab)
    lines = text.splitlines()
    assert "unet_radial64" in lines[0] and "TV" in lines[0]
    for level, i in ((0, 0), (2, 1), (4, 2)):
        row = next(line for line in lines if line.startswith(f"worst-case ||e||/||y|| = {level} %"))
        assert f"{100 * lab.mean_error('TV')[i]:.1f} %" in row
        assert f"{100 * lab.mean_error('unet_radial64')[i]:.1f} %" in row
    for words in ("L^eps lower bound, 5 %", "2nd half of the steps", "best restart vs 1st", "2 steps x 1 restarts",
                  "2 test samples", "seed 0", "lam 0.01", "wall time"):
        assert words in text, words


@pytest.mark.parametrize("call, match", [
    (lambda: laboratory.measure(["no_such_model"]), "models: unknown model 'no_such_model'"),
    (lambda: laboratory.measure(["unet_radial64", "unet_fourier_halluc"]), "models must share one operator"),
    (lambda: laboratory.measure([]), "models must name at least one"),
    (lambda: laboratory.measure(["unet_radial64"], eps=(0, -0.02)), r"eps must hold relative noise levels in \[0, 1\)"),
    (lambda: laboratory.measure(["unet_radial64"], eps=(0, 2)), r"eps must hold .* got 2"),
    (lambda: laboratory.measure(["unet_radial64"], samples=0), "samples must be an integer >= 1, got 0"),
    (lambda: laboratory.measure(["unet_radial64"], samples=101), "samples must be at most 100"),
    (lambda: laboratory.measure(["unet_radial64"], n_iter=1), "n_iter must be an integer >= 2, got 1"),
    (lambda: laboratory.measure(["unet_radial64"], tv=False, lam=0.1), "lam is TV's weight, but tv=False"),
    (lambda: laboratory.measure(["unet_radial64"], lam=-1.0), "lam must be a finite number > 0"),
    (lambda: laboratory.measure(["unet_radial64"], optimizer="sgd"), "optimizer"),
    (lambda: laboratory.format_table("table"), "lab must be a LabTable"),
])
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_command_quick_run(capsys):
    assert laboratory.main(["unet_radial64", "--quick", "--levels", "0,4", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "worst-case ||e||/||y|| = 4 %" in out and "4 steps x 2 restarts" in out and "2 test samples" in out


@pytest.mark.parametrize("argv, message", [
    (["unet_radial64", "--levels", "0,-2"], "--levels"),
    (["unet_radial64", "--levels", "a,b"], "--levels"),
    (["unknown_net", "--quick"], "unknown model 'unknown_net'"),
    (["unet_radial64", "--quick", "--threads", "0"], "--threads must be an integer >= 1"),
])
def test_command_bad_input(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        laboratory.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
