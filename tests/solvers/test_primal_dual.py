"""The generic Chambolle–Pock iteration on problems with known solutions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tk_lessons.operators import Identity, MatrixOperator
from tk_lessons.solvers import chambolle_pock


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Tiny problems: starting threads costs more than it saves (and test machines are shared).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _least_squares_prox(b):
    # f = 1/2 ||. - b||^2:  prox_{sigma f*}(v) = (v - sigma b) / (1 + sigma)
    return lambda v, s: (v - s * b) / (1 + s)


def test_box_projection_known_solution():
    # min_x 1/2 ||x - u||^2 + indicator_[0,1](x): f = 0, all the work in prox_g
    u = torch.tensor([[-1.0, 0.25, 0.5, 2.0], [3.0, -0.5, 0.9, 0.1]], dtype=torch.float64)
    prox_g = lambda w, t: ((w + t * u) / (1 + t)).clamp(0, 1)
    x, v = chambolle_pock(Identity((4,)), prox_g, lambda w, s: torch.zeros_like(w), torch.zeros_like(u),
                          tau=1.0, sigma=1.0, n_iter=60)
    torch.testing.assert_close(x, u.clamp(0, 1), rtol=0, atol=1e-12)
    assert torch.count_nonzero(v) == 0


@pytest.mark.parametrize("ergodic", [False, True])
def test_least_squares_matches_lstsq(ergodic):
    # min_x 1/2 ||M x - b||^2 as f(K x) with g = 0: the dual carries the whole problem
    gen = np.random.default_rng(0)
    M = gen.standard_normal((30, 10))
    b = gen.standard_normal(30)
    K = MatrixOperator(torch.from_numpy(M))
    step = 1 / K.norm()
    x, v = chambolle_pock(K, lambda w, t: w, _least_squares_prox(torch.from_numpy(b)[None]),
                          torch.zeros(1, 10, dtype=torch.float64), tau=step, sigma=step,
                          n_iter=3000 if not ergodic else 20000, ergodic=ergodic)
    expected = np.linalg.lstsq(M, b, rcond=None)[0]
    tol = 1e-8 if not ergodic else 1e-2      # the ergodic average converges only like O(1/n)
    assert np.linalg.norm(x[0].numpy() - expected) <= tol * np.linalg.norm(expected)
    # optimality: the dual solution is the residual M x - b
    assert np.allclose(v[0].numpy(), M @ x[0].numpy() - b, atol=10 * tol)


def test_callables_with_stacked_dual():
    # min_x 1/2 ||x - a||^2 + 1/2 ||x - b||^2 = f1(x) + f2(x): K = [I; I], solution (a + b) / 2
    a = torch.tensor([[1.0, 2.0, -3.0]], dtype=torch.float64)
    b = torch.tensor([[3.0, 0.0, 1.0]], dtype=torch.float64)
    pa, pb = _least_squares_prox(a), _least_squares_prox(b)
    K = (lambda x: (x, x), lambda v: v[0] + v[1])          # ||K|| = sqrt 2, found by power iteration
    x, (v1, v2) = chambolle_pock(K, lambda w, t: w, lambda v, s: (pa(v[0], s), pb(v[1], s)),
                                 torch.zeros_like(a), tau=0.7, sigma=0.7, n_iter=500)
    torch.testing.assert_close(x, (a + b) / 2, rtol=0, atol=1e-10)
    torch.testing.assert_close(v1, x - a, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="tau"):           # 0.8 * 0.8 * 2 > 1
        chambolle_pock(K, lambda w, t: w, lambda v, s: v, torch.zeros_like(a), tau=0.8, sigma=0.8, n_iter=1)


def test_real_primal_takes_real_part_of_complex_adjoint():
    # K: R^2 -> C^1, K x = x_1 + i x_2; min 1/2 |K x - c|^2 over real x gives (Re c, Im c).
    # (On complex input ||K|| = sqrt 2, the norm the step check uses.)
    c = torch.tensor([[2.0 - 1.0j]], dtype=torch.complex128)
    M = torch.tensor([[1.0, 1.0j]], dtype=torch.complex128)
    K = MatrixOperator(M)
    x, _ = chambolle_pock(K, lambda w, t: w, _least_squares_prox(c), torch.zeros(1, 2, dtype=torch.float64),
                          tau=0.7, sigma=0.7, n_iter=300)
    assert not x.is_complex()
    torch.testing.assert_close(x, torch.tensor([[2.0, -1.0]], dtype=torch.float64), rtol=0, atol=1e-10)


def test_step_size_condition_error():
    K = 2.0 * Identity((3,))                                # ||K|| = 2
    with pytest.raises(ValueError, match=r"tau \* sigma \* \|\|K\|\|\^2 <= 1"):
        chambolle_pock(K, lambda w, t: w, lambda v, s: v, torch.zeros(1, 3), tau=0.5, sigma=1.5, n_iter=1)
    # at the boundary tau * sigma * ||K||^2 = 1 it runs
    chambolle_pock(K, lambda w, t: w, lambda v, s: v, torch.zeros(1, 3), tau=0.5, sigma=0.5, n_iter=1)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(theta=1.5), ValueError, "theta"),
    (dict(n_iter=0), ValueError, "n_iter"),
    (dict(tau=-1.0), ValueError, "tau"),
    (dict(sigma=0.0), ValueError, "sigma"),
])
def test_bad_parameters(kwargs, exc, match):
    args = dict(tau=0.5, sigma=0.5, n_iter=1) | kwargs
    with pytest.raises(exc, match=match):
        chambolle_pock(Identity((3,)), lambda w, t: w, lambda v, s: v, torch.zeros(1, 3), **args)


def test_bad_operator_type():
    with pytest.raises(TypeError, match="K must be"):
        chambolle_pock(torch.eye(3), lambda w, t: w, lambda v, s: v, torch.zeros(1, 3), tau=0.5, sigma=0.5,
                       n_iter=1)
