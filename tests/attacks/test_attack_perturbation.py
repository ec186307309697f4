"""adversarial_perturbation (PNAS 2020): the update rule, its gradient, stopping norms, reproducibility."""

from __future__ import annotations

import pytest
import torch

from tk_lessons import sampling
from tk_lessons.attacks import adversarial_perturbation
from tk_lessons.operators import MatrixOperator, SubsampledFourier

pytestmark = pytest.mark.usefixtures("one_thread")   # tests/conftest.py


def gen(seed):
    return torch.Generator().manual_seed(seed)


def real_problem():
    """A 6 x 10 real matrix and a smooth two-layer reconstructor."""
    A = MatrixOperator(torch.randn(6, 10, generator=gen(0), dtype=torch.float64))
    W1 = torch.randn(8, 6, generator=gen(1), dtype=torch.float64) / 2
    W2 = torch.randn(10, 8, generator=gen(2), dtype=torch.float64) / 2
    recon = lambda y: torch.tanh(y @ W1.T) @ W2.T                             # noqa: E731
    x = torch.rand(2, 10, generator=gen(3), dtype=torch.float64)
    return A, recon, x


def fourier_problem():
    """Subsampled Fourier (complex data) and a smooth reconstructor of the zero-filled image."""
    A = SubsampledFourier(sampling.uniform((8, 8), 0.4, seed=0)).to(torch.float64)
    recon = lambda y: torch.tanh(2 * A.H(y).real) + 0.5 * A.H(y).imag ** 2    # noqa: E731
    x = torch.rand(2, 1, 8, 8, generator=gen(4), dtype=torch.float64)
    return A, recon, x


PROBLEMS = {"real": real_problem, "fourier": fourier_problem}


def Q(recon, A, x, r, ref, lam):
    """The PNAS objective 1/2 ||recon(A(x + r)) - ref||^2 - lam/2 ||r||^2, per sample."""
    out = recon(A(x + r)) - ref
    return 0.5 * out.abs().square().flatten(1).sum(1) - 0.5 * lam * r.square().flatten(1).sum(1)


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("reference", ["pred", "true"])
def test_one_step_is_lr_times_the_gradient_which_matches_finite_differences(problem, reference):
    A, recon, x = PROBLEMS[problem]()
    lam, lr = 0.3, 1e-3
    r0 = 0.1 * torch.randn(x.shape, generator=gen(5), dtype=torch.float64)
    res = adversarial_perturbation(recon, A, x, lam=lam, lr=lr, momentum=0.0, n_iter=1, init=r0,
                                   reference=reference)
    grad = (res.e - r0) / lr                     # r_1 = r_0 + lr * grad Q(r_0)
    ref = recon(A(x)) if reference == "pred" else x
    assert torch.allclose(res.history["objective"][0], Q(recon, A, x, r0, ref, lam), rtol=1e-12)
    h = 1e-6
    for k in range(4):                                      # central differences along random directions
        d = torch.randn(x.shape, generator=gen(10 + k), dtype=torch.float64)
        fd = (Q(recon, A, x, r0 + h * d, ref, lam) - Q(recon, A, x, r0 - h * d, ref, lam)) / (2 * h)
        assert torch.allclose((grad * d).flatten(1).sum(1), fd, rtol=1e-6, atol=1e-9)


def test_heavy_ball_and_nesterov_updates():
    A, recon, x = real_problem()
    r0 = 0.1 * torch.randn(x.shape, generator=gen(5), dtype=torch.float64)
    lam, lr, gamma = 0.3, 1e-2, 0.9

    def grad_Q(r):
        r = r.clone().requires_grad_()
        (g,) = torch.autograd.grad(Q(recon, A, x, r, recon(A(x)), lam).sum(), r)
        return g

    # the same three steps by hand
    r, v = r0.clone(), torch.zeros_like(r0)
    rn, vn = r0.clone(), torch.zeros_like(r0)
    for _ in range(3):
        v = gamma * v + lr * grad_Q(r)
        r = r + v
        g = grad_Q(rn)
        vn = gamma * vn + lr * g
        rn = rn + gamma * vn + lr * g
    heavy = adversarial_perturbation(recon, A, x, lam=lam, lr=lr, momentum=gamma, n_iter=3, init=r0)
    nesterov = adversarial_perturbation(recon, A, x, lam=lam, lr=lr, momentum=gamma, n_iter=3, init=r0, nesterov=True)
    assert torch.allclose(heavy.e, r, rtol=1e-12) and torch.allclose(heavy.velocity, v, rtol=1e-12)
    assert torch.allclose(nesterov.e, rn, rtol=1e-12)


def test_objective_never_decreases_for_small_steps_without_momentum():
    A, recon, x = real_problem()
    res = adversarial_perturbation(recon, A, x, lam=0.5, lr=1e-3, momentum=0.0, n_iter=40, init="randn",
                                   init_scale=0.1, seed=0)
    q = res.history["objective"]
    assert q.shape == (41, 2)
    assert torch.all(q[1:] >= q[:-1] - 1e-12)
    assert torch.all(q[-1] > q[0])


def test_max_norm_is_never_exceeded_and_stops_each_sample():
    A, recon, x = fourier_problem()
    res = adversarial_perturbation(recon, A, x, lam=0.0, lr=0.05, n_iter=200, eps=0.5, seed=0)
    assert torch.all(res.norm_e <= 0.5 * (1 + 1e-6))
    assert torch.allclose(res.norm_e, torch.full((2,), 0.5, dtype=torch.float64))
    assert torch.all(res.history["norm_e"] <= 0.5 * (1 + 1e-6))
    assert res.n_iter < 200                                  # stopped early, once both samples reached it
    assert res.history["norm_e"].shape[0] == res.n_iter + 1


def test_max_diff_stops_at_the_first_iterate_that_reaches_it():
    A, recon, x = real_problem()
    res = adversarial_perturbation(recon, A, x, lam=0.0, lr=0.01, n_iter=500, max_diff=0.3, seed=0)
    diff = res.history["norm_diff"]
    assert res.n_iter < 500
    assert torch.all(res.norm_diff >= 0.3)
    for b in range(2):                                      # frozen from the first crossing on
        first = int(torch.nonzero(diff[:, b] >= 0.3)[0])
        assert torch.all(diff[:first, b] < 0.3)
        assert torch.allclose(diff[first:, b], diff[first, b].expand(diff.shape[0] - first))


def test_data_perturbation_lies_in_the_range_of_a_tall_operator():
    # a tall A (20 x 6) has a 6-dimensional range in R^20: y_adv - y must stay in it
    M = torch.randn(20, 6, generator=gen(7), dtype=torch.float64)
    A = MatrixOperator(M)
    recon = lambda y: torch.tanh(y[:, :6]) * torch.tanh(y[:, 6:12])           # noqa: E731
    x = torch.rand(3, 6, generator=gen(8), dtype=torch.float64)
    res = adversarial_perturbation(recon, A, x, lam=0.1, lr=0.01, n_iter=30, seed=0)
    e = res.y_adv - res.y
    Qm = torch.linalg.qr(M).Q                               # orthonormal basis of range(A)
    outside = lambda v: v - (v @ Qm) @ Qm.T                 # noqa: E731  (component orthogonal to the range)
    assert float(outside(e).norm()) <= 1e-10 * float(e.norm())
    assert torch.allclose(e, A(res.e), rtol=1e-10)
    # and a generic data vector is not in the range, so the check can fail
    g = torch.randn(1, 20, generator=gen(9), dtype=torch.float64)
    assert float(outside(g).norm()) > 0.1 * float(g.norm())


def test_same_seed_same_perturbation_and_warm_start_continues_the_run():
    A, recon, x = fourier_problem()
    kw = dict(lam=0.1, lr=0.01, n_iter=10)
    a = adversarial_perturbation(recon, A, x, seed=3, **kw)
    b = adversarial_perturbation(recon, A, x, seed=3, **kw)
    c = adversarial_perturbation(recon, A, x, seed=4, **kw)
    assert torch.equal(a.e, b.e) and a.seed == 3
    assert not torch.equal(a.e, c.e)
    # 10 + 10 warm-started steps are the same as 20 steps (momentum carried over)
    twenty = adversarial_perturbation(recon, A, x, seed=3, **{**kw, "n_iter": 20})
    again = adversarial_perturbation(recon, A, x, warm_start=a, **kw)
    assert torch.allclose(again.e, twenty.e, rtol=1e-12, atol=1e-15)
    # no seed: one is drawn from torch's global generator and recorded, so the run can be repeated
    torch.manual_seed(0)
    d = adversarial_perturbation(recon, A, x, **kw)
    assert torch.equal(adversarial_perturbation(recon, A, x, seed=d.seed, **kw).e, d.e)


def test_divergence_is_reported_not_silent():
    A = MatrixOperator(torch.eye(3, dtype=torch.float64))
    with pytest.warns(RuntimeWarning, match="non-finite"):
        res = adversarial_perturbation(lambda y: y ** 4, A, torch.ones(1, 3, dtype=torch.float64),
                                       lam=0.0, lr=1.0, n_iter=30, seed=0)
    assert not torch.isfinite(res.history["objective"]).all()


def test_result_fields_and_history_shapes():
    A, recon, x = fourier_problem()
    res = adversarial_perturbation(recon, A, x, lam=0.1, lr=0.01, n_iter=5, seed=0)
    assert res.e.shape == x.shape and res.y_adv.shape == res.y.shape == (2, A.m)
    assert res.x_adv.shape == res.x_rec.shape == x.shape
    assert set(res.history) == {"norm_e", "norm_diff", "ratio", "objective"}
    assert all(h.shape == (6, 2) for h in res.history.values())
    assert torch.allclose(res.history["norm_diff"][-1], res.norm_diff)
    assert torch.allclose(res.history["norm_e"][-1], res.norm_e)
    assert torch.allclose(res.ratio_image, res.norm_diff / res.norm_e)
    assert torch.allclose(res.x_adv, recon(res.y_adv)) and torch.allclose(res.x_rec, recon(A(x)))
    text = repr(res)
    assert text.startswith("AttackResult(method='adversarial_perturbation'") and "seed=0" in text
    assert len(res.summary().splitlines()) == 4
