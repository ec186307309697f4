"""Chapter 4, checked on concrete instances independently of the chapter's own cells.

* prop-search-certificate: for any map Psi and ||A|| <= 1, ||Delta|| / ||A r|| <= L^{||A r||}(Psi, A x), and
  Q_lam(r) > 0 gives ||Delta|| / ||A r|| > sqrt(lam) ||r|| / ||A r|| >= sqrt(lam); checked on the
  perturbations that tk.attacks.adversarial_perturbation finds, for a linear map (exact constant from a
  dense matrix) and a small ReLU network (global Lipschitz bound from its weights). Also the remark
  behind it: the search never changes the kernel part of r beyond a scalar multiple of its start.
* prop-random-directions: E ||B u||^2 = ||B||_F^2 / n <= ||B||^2 for u uniform on the unit sphere,
  with equality exactly for a flat spectrum; by Monte Carlo against the trace formula, and through
  tk.attacks.random_noise_test, the way the chapter estimates it.

Exact values come from dense matrices and torch.linalg, never from the operators' own norm().
"""

from __future__ import annotations

import math

import pytest
import torch

from tk_lessons import sampling
from tk_lessons.attacks import adversarial_perturbation, local_lipschitz, random_noise_test
from tk_lessons.operators import SubsampledFourier

F64 = torch.float64
C128 = torch.complex128


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # tiny problems: a second thread only adds synchronisation (and stalls on a busy machine)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def symmetric_mask(n: int = 8) -> torch.Tensor:
    """A point-symmetric pattern (about the DC entry n // 2): real images then have a real kernel projector."""
    mask = torch.zeros(n, n, dtype=torch.bool)
    mask[n // 2 - 1:n // 2 + 2, n // 2 - 1:n // 2 + 2] = True
    mask[n // 2, 1] = mask[n // 2, n - 1] = True
    mask[2, n // 2] = mask[n - 2, n // 2] = True
    return mask


def fourier(n: int = 8, mask: torch.Tensor | None = None) -> SubsampledFourier:
    return SubsampledFourier(sampling.uniform((n, n), 0.4, seed=1) if mask is None else mask).to(F64)


def real_dense(recon, m: int) -> torch.Tensor:
    """The matrix of a real-linear map C^m -> R^N, with C^m viewed as R^{2m} (real parts, then imaginary)."""
    basis = torch.cat((torch.eye(m, dtype=C128), 1j * torch.eye(m, dtype=C128)))
    return recon(basis).reshape(2 * m, -1).T


def objective(recon, A, x, r, lam):
    delta = recon(A(x + r)) - recon(A(x))
    return 0.5 * delta.flatten(1).norm(dim=1) ** 2 - 0.5 * lam * r.flatten(1).norm(dim=1) ** 2, delta


# -- Proposition: what the search certifies ------------------------------------------------------
def _linear_case():
    A = fourier()
    M = torch.randn(64, 64, generator=gen(0), dtype=F64)

    def recon(y):
        v = A.H(y).real.reshape(y.shape[0], 64)
        return (v @ M.T).reshape(-1, 1, 8, 8)

    exact = float(torch.linalg.svdvals(real_dense(recon, A.m))[0])
    return A, recon, exact


def _relu_case():
    A = fourier()
    W1 = torch.randn(96, 64, generator=gen(1), dtype=F64) / 8
    W2 = torch.randn(64, 96, generator=gen(2), dtype=F64) / 8

    def recon(y):
        v = A.H(y).real.reshape(y.shape[0], 64)
        return (torch.relu(v @ W1.T) @ W2.T).reshape(-1, 1, 8, 8)

    # ||Re A^*|| <= 1, relu is 1-Lipschitz: a global Lipschitz constant, hence a bound on every L^eps
    bound = float(torch.linalg.svdvals(W1)[0] * torch.linalg.svdvals(W2)[0])
    return A, recon, bound


@pytest.mark.parametrize("case", ["linear", "relu"])
@pytest.mark.parametrize("lam", [0.1, 1.0])
def test_search_results_satisfy_the_certificate(case, lam):
    A, recon, upper = {"linear": _linear_case, "relu": _relu_case}[case]()
    x = torch.rand(3, 1, 8, 8, generator=gen(3), dtype=F64)
    res = adversarial_perturbation(recon, A, x, lam=lam, lr=0.05, steps=60, max_norm=0.5, seed=0)
    r = res.perturbation
    Q, delta = objective(recon, A, x, r, lam)
    # the recorded objective is Q_lam(r) of the final r
    assert torch.allclose(res.history["objective"][-1], Q, rtol=1e-9, atol=1e-12)
    Ar = A(r).abs().flatten(1).norm(dim=1)
    rn = r.flatten(1).norm(dim=1)
    ratio = delta.flatten(1).norm(dim=1) / Ar
    assert bool((Ar <= rn * (1 + 1e-12)).all())                         # ||A r|| <= ||r|| since A A^* = I
    assert torch.allclose(ratio, local_lipschitz(recon, A(x), A(r)), rtol=1e-9)
    assert bool((ratio <= upper * (1 + 1e-9)).all())                    # a lower bound never exceeds L
    positive = Q > 0
    assert bool(positive.any()), "the search should find some positive objective"
    assert bool((ratio[positive] > math.sqrt(lam) * rn[positive] / Ar[positive]).all())
    assert bool((ratio[positive] >= math.sqrt(lam) * (1 - 1e-12)).all())


def test_certificate_on_random_perturbations_of_a_nonlinear_map():
    """The implication Q > 0 => ratio > sqrt(lam) holds for every r, found by a search or not."""
    A, recon, bound = _relu_case()
    x = torch.rand(1, 1, 8, 8, generator=gen(4), dtype=F64).expand(400, -1, -1, -1)
    r = torch.randn(400, 1, 8, 8, generator=gen(5), dtype=F64)
    r = r * (0.01 + 2 * torch.rand(400, 1, 1, 1, generator=gen(6), dtype=F64)) / r.flatten(1).norm(dim=1)[:, None, None, None]
    _, delta = objective(recon, A, x, r, 0.0)
    gain2 = (delta.flatten(1).norm(dim=1) / r.flatten(1).norm(dim=1)) ** 2
    for q in (0.25, 0.5, 0.75):                    # lam inside the spread of the gains: both signs of Q occur
        lam = float(torch.quantile(gain2, q))
        Q, delta = objective(recon, A, x, r, lam)
        ratio = delta.flatten(1).norm(dim=1) / A(r).abs().flatten(1).norm(dim=1)
        assert bool((Q > 0).any()) and bool((Q <= 0).any())
        assert bool((ratio[Q > 0] > math.sqrt(lam)).all())
        assert bool((ratio <= bound * (1 + 1e-9)).all())


def test_the_search_only_adds_what_the_data_see():
    """With real images and a point-symmetric mask, P_N r_k stays a multiple of P_N r_0."""
    A = fourier(mask=symmetric_mask())
    x = torch.rand(2, 1, 8, 8, generator=gen(7), dtype=F64)
    M = torch.randn(64, 64, generator=gen(8), dtype=F64)

    def recon(y):
        return torch.tanh(A.H(y).real.reshape(-1, 64) @ M.T).reshape(-1, 1, 8, 8)

    def kernel_part(v):
        return v - A.H(A(v)).real

    r0 = 0.01 * torch.rand(2, 1, 8, 8, generator=gen(9), dtype=F64)
    res = adversarial_perturbation(recon, A, x, lam=0.5, lr=0.02, steps=40, init=r0)
    p0, p = kernel_part(r0).flatten(1), kernel_part(res.perturbation).flatten(1)
    cosine = (p0 * p).sum(1) / (p0.norm(dim=1) * p.norm(dim=1))
    assert torch.allclose(cosine.abs(), torch.ones(2, dtype=F64), atol=1e-9)   # parallel (momentum may flip the sign)
    assert bool((p.norm(dim=1) <= p0.norm(dim=1) * (1 + 1e-9)).all())  # lam > 0 only shrinks it
    assert bool((res.norm_pert > 10 * p0.norm(dim=1)).all())             # while r itself grew


# -- Proposition: random directions see the average gain -----------------------------------------
def _matrix_with_spectrum(s: torch.Tensor, N: int, seed: int) -> torch.Tensor:
    n = s.numel()
    U, _ = torch.linalg.qr(torch.randn(N, n, generator=gen(seed), dtype=F64))
    V, _ = torch.linalg.qr(torch.randn(n, n, generator=gen(seed + 1), dtype=F64))
    return U @ torch.diag(s) @ V.T


def _unit(draws: int, n: int, seed: int) -> torch.Tensor:
    g = torch.randn(draws, n, generator=gen(seed), dtype=F64)
    return g / g.norm(dim=1, keepdim=True)


@pytest.mark.parametrize("spectrum", ["decaying", "one large", "rank deficient"])
def test_mean_squared_gain_of_random_directions_is_the_mean_squared_singular_value(spectrum):
    n, N = 20, 30
    s = {"decaying": torch.logspace(0, -2, n, dtype=F64),
         "one large": torch.cat((torch.tensor([10.0], dtype=F64), torch.ones(n - 1, dtype=F64))),
         "rank deficient": torch.cat((torch.linspace(3, 1, 10, dtype=F64), torch.zeros(10, dtype=F64)))}[spectrum]
    B = _matrix_with_spectrum(s, N, seed=10)
    frobenius = float(torch.linalg.matrix_norm(B) ** 2 / n)
    assert frobenius == pytest.approx(float((s**2).mean()), rel=1e-12)
    u = _unit(200_000, n, seed=11)
    gains2 = ((u @ B.T) ** 2).sum(dim=1)
    # Monte Carlo: the standard error of the mean is std / sqrt(draws)
    assert float(gains2.mean()) == pytest.approx(frobenius, abs=5 * float(gains2.std()) / math.sqrt(2e5))
    top = float(torch.linalg.svdvals(B)[0] ** 2)
    assert frobenius < top                                           # the spectrum is not flat: strict
    assert float(gains2.max()) <= top * (1 + 1e-12)


def test_second_moment_of_a_uniform_direction_is_identity_over_n():
    n = 12
    u = _unit(400_000, n, seed=12)
    second = u.T @ u / u.shape[0]
    assert float((second - torch.eye(n, dtype=F64) / n).abs().max()) < 2e-3
    assert float(torch.trace(second)) == pytest.approx(1.0, abs=1e-12)


def test_flat_spectrum_is_the_equality_case_for_every_direction():
    n, N, c = 15, 25, 2.5
    Q, _ = torch.linalg.qr(torch.randn(N, n, generator=gen(13), dtype=F64))
    B = c * Q                                                          # B^T B = c^2 I
    u = _unit(1000, n, seed=14)
    gains2 = ((u @ B.T) ** 2).sum(dim=1)
    assert torch.allclose(gains2, torch.full_like(gains2, c**2), rtol=1e-12)
    assert float(torch.linalg.matrix_norm(B) ** 2 / n) == pytest.approx(float(torch.linalg.svdvals(B)[0] ** 2),
                                                                        rel=1e-12)


def test_random_noise_test_measures_the_root_mean_square_gain_of_a_complex_linear_map():
    """The chapter's estimate: gains = errors * ||Psi(y)|| / eps from random_noise_test (x = None)."""
    m, N = 16, 24
    B = torch.randn(N, m, generator=gen(15), dtype=C128) * torch.logspace(0, -1.5, m, dtype=F64)
    y = torch.randn(1, m, generator=gen(16), dtype=C128)

    def recon(v):
        return v @ B.T

    eps = 0.3
    res = random_noise_test(recon, y, None, eps, trials=4000, seed=0)
    gains = res.errors[0, :, 0] * recon(y).abs().norm() / eps
    real_matrix = real_dense(lambda v: torch.view_as_real(recon(v)), m)          # (2N, 2m) real
    frobenius = float(torch.linalg.matrix_norm(real_matrix) ** 2 / (2 * m))
    assert frobenius == pytest.approx(float(torch.linalg.matrix_norm(B) ** 2 / m), rel=1e-12)
    spread = float(gains.square().std()) / math.sqrt(4000)
    assert float(gains.square().mean()) == pytest.approx(frobenius, abs=5 * spread)
    assert float(gains.max()) <= float(torch.linalg.svdvals(B)[0]) * (1 + 1e-9)
