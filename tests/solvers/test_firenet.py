"""FIRENET: the restart schedule against a NumPy transcription of its pseudo-code, convergence to the
cvxpy optimum, geometric decay of the error with the number of restarts, and differentiability."""

import math

import cvxpy as cp
import numpy as np
import pytest
import torch

from tk_lessons import sampling
from tk_lessons.operators import Identity, SubsampledFourier, Wavelet
from tk_lessons.solvers import firenet
from tk_lessons.solvers import level_weights

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")   # tests/conftest.py


def add_noise(y, level, seed):
    g = torch.Generator().manual_seed(seed)
    e = torch.randn(y.shape, generator=g, dtype=y.dtype)
    return y + level * y.norm() * e / e.norm()


def sparse_in_haar_1d(seed=0, n=128, levels=4, s=8):
    """A Fourier-subsampled 1-D signal with s non-zero Haar coefficients in the coarse bands."""
    A = SubsampledFourier(sampling.variable_density(n, 0.4, seed=seed))
    W = Wavelet((n,), "haar", levels=levels)
    g = torch.Generator().manual_seed(seed)
    c = torch.zeros(1, 1, n, dtype=F64)
    c[0, 0, torch.randperm(n // 4, generator=g)[:s]] = torch.randn(s, generator=g, dtype=F64)
    return A, W, W.H(c)


def firenet_numpy(B, y, lam, w, n, p, tau, sigma, L, eps0, delta):
    """ANCHORS-LIBRARIES §b.3 written out with dense NumPy matrices (coefficients, complex)."""
    psi = np.zeros(B.shape[1], dtype=complex)
    eps = eps0
    for _ in range(n):
        eps = np.exp(-1) * (delta + eps)
        beta = eps / (2 * L)
        alpha = 1 / (beta * p)
        y_s, x = alpha * y, alpha * psi
        d = np.zeros_like(y_s)
        total = np.zeros_like(x)
        for _ in range(p):
            v = x - tau * (B.conj().T @ d)
            t = tau * lam * w
            x_new = np.where(np.abs(v) > t, v - t * v / np.maximum(np.abs(v), 1e-300), 0)
            u = d + sigma * (B @ (2 * x_new - x)) - sigma * y_s
            d = u * min(1.0, 1.0 / np.linalg.norm(u))
            total += x_new
            x = x_new
        psi = total / p / alpha
    return psi


def test_matches_numpy_transcription():
    A = SubsampledFourier(sampling.variable_density(32, 0.5, seed=3))
    W = Wavelet((32,), "haar", levels=3)
    w = level_weights(W, [1, 2, 4, 8], dtype=F64)
    x = torch.linspace(-1, 1, 32, dtype=F64).reshape(1, 1, 32).sin() + (torch.arange(32) > 20)
    y = add_noise(A(x), 0.05, 0)
    # tau != sigma: catches swapped step sizes; L > ||A|| and a non-default eps0 and delta
    out = firenet(A, y, 0.02, W, weights=w, n_outer=4, n_inner=6, tau=0.5, sigma=1.5, L=1.3,
                  eps0=2.0, delta=1e-3)
    B = A.to_dense(torch.complex128).numpy() @ W.to_dense(F64).numpy().T
    psi = firenet_numpy(B, y.numpy().ravel(), 0.02, w.numpy().ravel(), 4, 6, 0.5, 1.5, 1.3, 2.0, 1e-3)
    expected = W.to_dense(F64).numpy().T @ psi
    np.testing.assert_allclose(out.numpy().ravel(), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("real", [True, False])
def test_objective_approaches_cvxpy_optimum(real):
    """16 x 16, sparse in Haar, 0.1 % noise: the sqrt-LASSO gap falls with the number of restarts."""
    A = SubsampledFourier(sampling.variable_density((16, 16), 0.4, seed=1))
    W = Wavelet(16, "haar", levels=2)
    g = torch.Generator().manual_seed(0)
    c = torch.zeros(1, 1, 16, 16, dtype=F64)
    c[0, 0, :4, :4] = torch.randn(4, 4, generator=g, dtype=F64)
    c.view(-1)[torch.randperm(256, generator=g)[:6]] += torch.randn(6, generator=g, dtype=F64)
    y = add_noise(A(W.H(c)), 1e-3, 1)
    w = level_weights(W, [4, 6, 24], dtype=F64)
    lam = 0.05

    Ad, Wd = A.to_dense(torch.complex128).numpy(), W.to_dense(F64).numpy()
    xv = cp.Variable(256, complex=not real)
    problem = cp.Problem(cp.Minimize(cp.norm(Ad @ xv - y.numpy().ravel(), 2)
                                     + lam * cp.norm1(cp.multiply(w.numpy().ravel(), Wd @ xv))))
    problem.solve(solver="CLARABEL")
    best = problem.value

    x, info = firenet(A, y, lam, W, weights=w, n_outer=12, n_inner=20, real=real, return_info=True)
    gaps = [(f - best) / best for f in info.objective]
    print(f"real={real}: cvxpy {best:.6f}; relative gaps per restart", " ".join(f"{g:.1e}" for g in gaps))
    assert gaps[0] > 3 * gaps[2] > 9 * gaps[4]          # falls fast at first
    assert abs(gaps[-1]) <= 1e-3
    assert max(gaps[6:]) <= 1e-3                          # and stays there
    # the recorded objective is the objective of the returned image
    xn = x.numpy().ravel()
    ours = np.linalg.norm(Ad @ xn - y.numpy().ravel()) + lam * np.sum(w.numpy().ravel() * np.abs(Wd @ xn))
    assert info.objective[-1] == pytest.approx(ours, rel=1e-9)


def test_error_decays_geometrically_with_restarts():
    """Exactly sparse, noiseless: log ||psi_k - x|| is linear in k with slope about -1 (eps_k ~ e^-k)."""
    A, W, x = sparse_in_haar_1d()
    _, iterates = firenet(A, A(x), 0.05, W, n_outer=14, n_inner=10, real=True, return_iterates=True)
    errors = np.array([float((it - x).norm() / x.norm()) for it in iterates])
    k = np.arange(1, len(errors) + 1)
    slope, intercept = np.polyfit(k, np.log(errors), 1)
    fit = slope * k + intercept
    r2 = 1 - np.sum((np.log(errors) - fit) ** 2) / np.sum((np.log(errors) - np.log(errors).mean()) ** 2)
    print(f"relative errors {' '.join(f'{e:.1e}' for e in errors)}; slope {slope:.3f} per restart, R^2 {r2:.4f}")
    assert -1.3 < slope < -0.8 and r2 > 0.98
    assert errors[-1] < 1e-6


def test_decay_stops_at_the_noise_floor():
    A, W, x = sparse_in_haar_1d(seed=1)
    y = add_noise(A(x), 1e-4, 2)
    _, iterates = firenet(A, y, 0.05, W, n_outer=14, n_inner=10, real=True, return_iterates=True)
    errors = np.array([float((it - x).norm() / x.norm()) for it in iterates])
    above = errors > 1e-3                                   # well above the floor
    slope = np.polyfit(np.flatnonzero(above), np.log(errors[above]), 1)[0]
    print(f"noisy: relative errors {' '.join(f'{e:.1e}' for e in errors)}; slope above the floor {slope:.3f}")
    assert above.sum() >= 3 and slope < -0.5
    assert errors[-1] < 1e-3 and errors[-1] > 1e-6          # reaches the floor, does not beat the noise
    assert np.ptp(errors[-4:]) < 0.1 * errors[-1]           # flat at the floor


def test_one_step_is_complex_modulus_soft_threshold():
    """restarts = inner = 1 on A = I from x0 = z: one prox step, x = z max(0, 1 - t / |z|) with
    t = tau lam / alpha_1 (the dual starts at 0), so every phase is kept."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(1, 12, generator=g, dtype=torch.complex128)
    y = torch.randn(1, 12, generator=g, dtype=torch.complex128)
    lam, delta = 2.0, 1e-9
    x = firenet(Identity((12,), complex=True), y, lam, n_outer=1, n_inner=1, x_init=z, delta=delta)
    alpha = 1 / ((delta + float(y.norm())) / math.e / 2)        # L = tau = 1, p = 1
    t = lam / alpha
    expected = torch.where(z.abs() > t, (z.abs() - t) * z / z.abs(), torch.zeros_like(z))
    assert 0 < int((expected != 0).sum()) < 12
    torch.testing.assert_close(x, expected, atol=1e-14, rtol=1e-12)


def test_recovers_complex_coefficients_with_their_phases():
    """A complex signal sparse in Haar, noiseless: FIRENET recovers moduli and phases."""
    A = SubsampledFourier(sampling.variable_density(128, 0.4, seed=0))
    W = Wavelet((128,), "haar", levels=4)
    g = torch.Generator().manual_seed(5)
    c = torch.zeros(1, 1, 128, dtype=torch.complex128)
    support = torch.randperm(32, generator=g)[:8]
    c[0, 0, support] = (1 + torch.rand(8, generator=g, dtype=F64)) * torch.exp(
        2j * math.pi * torch.rand(8, generator=g, dtype=F64))
    x = firenet(A, A(W.H(c)), 0.05, W, n_outer=14, n_inner=10)
    c_hat = W(x)
    assert float((c_hat - c).norm() / c.norm()) < 1e-5
    phase_error = (c_hat[0, 0, support] / c[0, 0, support]).angle().abs().max()
    assert float(phase_error) < 1e-5


@pytest.mark.parametrize("real", [True, False])
def test_gradcheck(real):
    A = SubsampledFourier(sampling.variable_density((8, 8), 0.5, seed=0))
    W = Wavelet(8, "haar", levels=2)
    y = A(torch.rand(1, 1, 8, 8, dtype=F64, generator=torch.Generator().manual_seed(0)))
    y = y.detach().requires_grad_(True)

    def net(v):
        return firenet(A, v, 0.05, W, n_outer=2, n_inner=2, real=real)

    assert torch.autograd.gradcheck(net, (y,))


def test_batch_iterates_and_info():
    A, W, x = sparse_in_haar_1d()
    y = torch.cat([A(x), 0.1 * A(x.flip(-1))])
    out, iterates, info = firenet(A, y, 0.05, W, n_outer=3, n_inner=4, return_iterates=True, return_info=True)
    assert len(iterates) == 3 and torch.equal(iterates[-1], out)
    assert info.n_iter == 3 and len(info.objective) == 3 and len(info.residual) == 3
    # the schedule: eps_1 = (delta + ||y||) / e, largest over the batch
    assert info.extra["epsilon"][0] == pytest.approx((1e-9 + float(A(x).norm())) / math.e, rel=1e-12)
    for i in range(2):
        alone = firenet(A, y[i:i + 1], 0.05, W, n_outer=3, n_inner=4)
        torch.testing.assert_close(out[i:i + 1], alone, atol=1e-12, rtol=1e-10)


# -- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(lam=-1.0), ValueError, "lam"),
    (dict(n_outer=0), ValueError, "n_outer"),
    (dict(n_inner=0), ValueError, "n_inner"),
    (dict(n_outer=2.5), TypeError, "n_outer"),
    (dict(tau=1.0, sigma=1.5), ValueError, "tau"),
    (dict(weights=torch.ones(1, 4, 4, dtype=F64)), ValueError, "weights"),
    (dict(weights=torch.full((1, 8, 8), -1.0, dtype=F64)), ValueError, "weights"),
    (dict(W=Wavelet(16, "haar")), ValueError, "W"),
    (dict(delta=-1e-9), ValueError, "delta"),
    (dict(L=0.5), ValueError, "L"),
    (dict(eps0=0.0), ValueError, "eps0"),
    (dict(return_iterates="yes"), TypeError, "return_iterates"),
])
def test_bad_input(kwargs, error, match):
    A = SubsampledFourier(sampling.variable_density((8, 8), 0.5, seed=0))
    y = A(torch.rand(1, 1, 8, 8, dtype=F64))
    args = dict(lam=0.1, W=Wavelet(8, "haar", levels=1))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        firenet(A, y, **args)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    A, W, x = sparse_in_haar_1d()
    w = level_weights(W, [1, 2, 4, 8, 16], dtype=F64)
    y = add_noise(A(x), 1e-3, 0)
    cpu = firenet(A, y, 0.05, W, weights=w, n_outer=4, n_inner=5)
    gpu = firenet(A.to("cuda"), y.cuda(), 0.05, W.to("cuda"), weights=w, n_outer=4, n_inner=5)
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-10, rtol=1e-8)
