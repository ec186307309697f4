"""Unstable versus stable reconstructors: a memoriser breaks under tiny worst-case noise, TV and l1 do not.

The printed numbers (run with ``-s``) are the ones quoted in the course.
"""

from __future__ import annotations

from functools import partial

import pytest
import torch

from tk_lessons import kernel, sampling
from tk_lessons.attacks import (adversarial_perturbation, lipschitz_lower_bound, measurement_attack,
                                random_noise_test)
from tk_lessons.operators import SubsampledFourier

pytestmark = pytest.mark.usefixtures("one_thread")   # tests/conftest.py


def gen(seed):
    return torch.Generator().manual_seed(seed)


def memoriser_problem(sharpness=40):
    """A memoriser trained on two pairs of 8 x 8 images with almost the same Fourier data (40 %).

    Each pair is ``x_j`` and ``x_j + z_j``, with ``z_j`` a random image's kernel component plus
    5 % of its visible part: ``||A z_j||`` is small, ``||z_j||`` is not. The memoriser returns
    the training image whose data are nearest, made differentiable as a softmax-weighted
    average; it reconstructs all four training images well, so (theorem T2) it must be unstable.
    """
    A = SubsampledFourier(sampling.uniform((8, 8), 0.4, seed=0)).to(torch.float64)
    x = torch.rand(2, 1, 8, 8, generator=gen(0), dtype=torch.float64).to(torch.complex128)
    d = torch.rand(2, 1, 8, 8, generator=gen(1), dtype=torch.float64)
    invisible = kernel.project(A, d)
    z = invisible + 0.05 * (d - invisible)
    X = torch.cat([x, x + z])
    Y = A(X)
    gaps = torch.cdist(torch.view_as_real(Y).flatten(1), torch.view_as_real(Y).flatten(1))
    nearest = float(gaps[0, 1:].min())                     # data distance from x_0 to its nearest neighbour
    temperature = nearest ** 2 / sharpness                  # 40: weight e^-20 on the neighbours at y_0

    def recon(y):
        d2 = (y[:, None] - Y[None]).abs().square().sum(-1)
        weights = torch.softmax(-d2 / (2 * temperature), dim=1).to(X.dtype)
        return torch.einsum("bk,kn->bn", weights, X.flatten(1)).reshape(y.shape[0], 1, 8, 8)

    return A, recon, x, nearest


@pytest.mark.parametrize("optimizer", ["adam", "pgd"])
def test_attack_beats_random_noise_of_the_same_norm_on_a_memoriser(optimizer):
    A, recon, x, nearest = memoriser_problem()
    y = A(x)
    eps = 0.6 * nearest                                     # enough to cross into a neighbour's cell
    attack = measurement_attack(recon, y, x, eps, n_iter=60, seed=0, optimizer=optimizer)
    noise = random_noise_test(recon, y, x, eps, trials=50, seed=0)
    factor = attack.error / noise.worst_error[0]
    print(f"\nmemoriser ({optimizer}): eps/||y|| = {(eps / y.abs().square().sum(1).sqrt()).tolist()}, "
          f"attack error {attack.error.tolist()}, worst of 50 noise draws {noise.worst_error[0].tolist()}, "
          f"factor {factor.tolist()}, amplification ||dPsi||/||e|| = {attack.ratio.tolist()}")
    assert torch.all(attack.norm_e <= eps * (1 + 1e-6))
    assert torch.all(attack.error > 0.5)                    # the partner training image appears
    assert torch.all(factor > 1000)
    assert torch.all(attack.ratio > 50)                     # amplification: compare TV and l1 below


def test_image_domain_attack_on_a_memoriser():
    # the PNAS ascent takes unnormalised gradient steps, which stall where a sharp memoriser is
    # flat (gradients of 1e-9 at y_0); a softer one (weight e^-2 on the neighbours) keeps a slope
    A, recon, x, nearest = memoriser_problem(sharpness=4)
    res = adversarial_perturbation(recon, A, x, lam=0.0, lr=1.0, n_iter=100, eps=0.6 * nearest, seed=0)
    # random image-domain perturbations of the same norm hardly move the output
    r = torch.randn(x.shape, generator=gen(1), dtype=torch.float64)
    r = r * (res.norm_e / r.flatten(1).norm(dim=1))[:, None, None, None]
    random_diff = (recon(A(x + r)) - recon(A(x))).flatten(1).norm(dim=1)
    print(f"\nmemoriser, image domain: ||r|| = {res.norm_e.tolist()}, output change {res.norm_diff.tolist()} "
          f"against {random_diff.tolist()} for a random r of the same norm")
    assert torch.all(res.norm_diff > 5 * random_diff)


def test_lipschitz_bound_of_the_memoriser_is_large():
    A, recon, x, nearest = memoriser_problem()
    y = A(x)
    # nonconvex: some starts climb to a flat local maximum (ratio ~1e-7), restarts find the neighbour
    res = lipschitz_lower_bound(recon, y, 0.6 * nearest, n_iter=30, restarts=4, seed=0)
    print(f"\nmemoriser: certified L^eps >= {res.ratio.tolist()} (eps = 0.6 x nearest data gap)")
    assert torch.all(res.ratio > 50)


# ---------------------------------------------------------------------------------------
# stable methods: many iterations of TV and l1 (unrolled and differentiated through)
# ---------------------------------------------------------------------------------------
def stable_problem(kind):
    A = SubsampledFourier(sampling.variable_density((16, 16), 0.4, seed=0)).to(torch.float64)
    x = torch.zeros(1, 1, 16, 16, dtype=torch.float64)
    if kind == "l1":                                        # 10 spikes: sparse in the pixels
        index = torch.randperm(256, generator=gen(0))[:10]
        x.view(-1)[index] = 1 + torch.rand(10, generator=gen(1), dtype=torch.float64)
        from tk_lessons.solvers import fista
        return A, partial(fista, A, lam=1e-2, n_iter=200, real=True), x
    x[0, 0, 3:9, 4:12] = 1.0                                # two blocks: a small gradient
    x[0, 0, 10:14, 2:7] = 0.5
    from tk_lessons.solvers import tv
    return A, partial(tv, A, lam=1e-2, n_iter=200, real=True), x


@pytest.mark.parametrize("kind", ["l1", "tv"])
def test_amplification_of_tv_and_l1_stays_bounded(kind):
    pytest.importorskip(f"tk_lessons.solvers.{'proximal_gradient' if kind == 'l1' else 'total_variation'}")
    A, recon, x = stable_problem(kind)
    y = A(x)
    eps = 0.05 * float(y.abs().square().sum().sqrt())      # 5 % of the data, as in the v4 figure
    attack = measurement_attack(recon, y, x, eps, n_iter=12, optimizer="pgd", seed=0)
    bound = lipschitz_lower_bound(recon, y, eps, n_iter=12, seed=0)
    print(f"\n{kind} (200 iterations): clean error {attack.error_rec.tolist()}, error under the worst 5 % "
          f"noise {attack.error.tolist()}, amplification {attack.ratio.tolist()}, certified L^eps >= "
          f"{bound.ratio.tolist()}")
    assert torch.all(attack.error_rec < 0.05)
    assert torch.all(attack.ratio < 4) and torch.all(bound.ratio < 4)
    assert torch.all(attack.error < 0.25)
