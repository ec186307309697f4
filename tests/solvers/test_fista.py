"""ISTA/FISTA against LASSO optimality conditions, cvxpy optima and an imaging benchmark."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import torch

from tk_lessons import sampling
from tk_lessons.data import shepp_logan
from tk_lessons.metrics import psnr
from tk_lessons.operators import MatrixOperator, SubsampledFourier, Wavelet
from tk_lessons.solvers import fista, ista


def lasso_problem(m: int, n: int, complex_: bool, seed: int = 0, batch: int = 1):
    """Random (m, n) matrix, operator, and measurements of a sparse vector plus noise."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros((batch, n))
    for b in range(batch):
        x[b, rng.choice(n, 5, replace=False)] = rng.standard_normal(5)
    if complex_:
        M = M + 1j * rng.standard_normal((m, n)) / np.sqrt(m)
        x = x * np.exp(2j * np.pi * rng.random((batch, n)))
    noise = 0.05 * rng.standard_normal((batch, m))
    Y = x @ M.T + (noise * (1 + 1j) / np.sqrt(2) if complex_ else noise)
    return M, MatrixOperator(torch.from_numpy(M)), Y, torch.from_numpy(Y)


def lasso_objective(M, Y, lam, x, weights=None) -> float:
    w = 1.0 if weights is None else weights
    return float(0.5 * np.linalg.norm(M @ x - Y) ** 2 + lam * np.sum(w * np.abs(x)))


def cvxpy_lasso(M, Y, lam, *, complex_var: bool, W=None, weights=None) -> float:
    x = cp.Variable(M.shape[1], complex=complex_var)
    coeffs = x if W is None else W @ x
    l1 = cp.norm1(coeffs) if weights is None else cp.sum(cp.multiply(weights, cp.abs(coeffs)))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(M @ x - Y) + lam * l1))
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value)


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
def test_lasso_kkt_conditions(complex_):
    M, A, Y, y = lasso_problem(20, 50, complex_)
    lam = 0.1 * float(np.abs(M.conj().T @ Y[0]).max())
    x = fista(A, y, lam, n_iter=3000, adaptive_restart=True)[0].numpy()
    g = M.conj().T @ (M @ x - Y[0])                     # gradient of the data term
    support = np.abs(x) > 1e-9
    assert 0 < support.sum() < 50
    # 0 ∈ g + lam ∂||x||_1: g_i = -lam x_i/|x_i| on the support, |g_i| <= lam off it
    assert np.abs(g[support] + lam * x[support] / np.abs(x[support])).max() < 1e-6 * lam
    assert np.abs(g[~support]).max() <= lam * (1 + 1e-6)


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
def test_objective_matches_cvxpy(complex_):
    M, A, Y, y = lasso_problem(25, 60, complex_, seed=1)
    lam = 0.05
    x, info = fista(A, y, lam, n_iter=2000, return_info=True)
    ours = lasso_objective(M, Y[0], lam, x[0].numpy())
    assert info.objective[-1] == pytest.approx(ours, rel=1e-10)     # history = the pinned objective
    reference = cvxpy_lasso(M, Y[0], lam, complex_var=complex_)
    assert abs(ours - reference) <= 1e-4 * reference


def test_restart_reaches_the_same_optimum_faster():
    M, A, Y, y = lasso_problem(25, 60, False, seed=2)
    lam = 0.05
    reference = cvxpy_lasso(M, Y[0], lam, complex_var=False)
    _, plain = fista(A, y, lam, n_iter=300, return_info=True)
    _, restarted = fista(A, y, lam, n_iter=300, adaptive_restart=True, return_info=True)
    assert abs(restarted.objective[-1] - reference) <= 1e-4 * reference
    assert restarted.objective[-1] <= plain.objective[-1] + 1e-12


def test_real_images_with_fourier_data_match_cvxpy():
    # real=True: the minimiser over *real* images of ½||F_Ω x - y||² + lam ||x||_1, with complex F_Ω
    A = SubsampledFourier(sampling.variable_density((8, 8), 0.4, seed=3))
    gen = torch.Generator().manual_seed(0)
    x_true = (torch.rand(1, 1, 8, 8, generator=gen, dtype=torch.float64) > 0.8).double()
    y = A(x_true) + 0.02 * torch.randn(1, A.m, generator=gen, dtype=torch.complex128)
    lam = 0.02
    x = fista(A, y, lam, n_iter=3000, real=True, adaptive_restart=True)
    assert x.dtype == torch.float64
    F = A.to_dense(torch.complex128).numpy()
    stacked = np.vstack([F.real, F.imag])                  # |F x - y|² = |Re|² + |Im|² for real x
    target = np.concatenate([y[0].real.numpy(), y[0].imag.numpy()])
    ours = lasso_objective(stacked, target, lam, x.reshape(-1).numpy())
    reference = cvxpy_lasso(stacked, target, lam, complex_var=False)
    assert abs(ours - reference) <= 1e-4 * reference
    # a complex image would fit the data better: the constraint is active
    complex_x = fista(A, y, lam, n_iter=3000, adaptive_restart=True)
    assert complex_x.is_complex() and float(complex_x.imag.abs().max()) > 1e-4


def test_wavelet_synthesis_matches_cvxpy():
    rng = np.random.default_rng(4)
    W = Wavelet(8, "db2", levels=2)
    Wd = W.to_dense(torch.float64).numpy()                 # 64 x 64 orthogonal matrix
    c_true = np.zeros(64)
    c_true[rng.choice(64, 6, replace=False)] = rng.standard_normal(6)
    M = rng.standard_normal((32, 64)) / np.sqrt(32)
    Y = M @ (Wd.T @ c_true) + 0.02 * rng.standard_normal(32)
    A = MatrixOperator(torch.from_numpy(M), (1, 8, 8))
    lam = 0.02
    x = fista(A, torch.from_numpy(Y)[None], lam, W, n_iter=3000, adaptive_restart=True)
    assert x.shape == (1, 1, 8, 8)
    flat = x.reshape(-1).numpy()
    ours = float(0.5 * np.linalg.norm(M @ flat - Y) ** 2 + lam * np.abs(Wd @ flat).sum())
    reference = cvxpy_lasso(M, Y, lam, complex_var=False, W=Wd)
    assert abs(ours - reference) <= 1e-4 * reference


def test_weighted_l1_matches_cvxpy():
    M, A, Y, y = lasso_problem(25, 60, True, seed=5)
    weights = torch.from_numpy(np.random.default_rng(5).uniform(0.2, 3.0, 60))
    lam = 0.05
    x = fista(A, y, lam, n_iter=3000, adaptive_restart=True, weights=weights)
    ours = lasso_objective(M, Y[0], lam, x[0].numpy(), weights.numpy())
    reference = cvxpy_lasso(M, Y[0], lam, complex_var=True, weights=weights.numpy())
    assert abs(ours - reference) <= 1e-4 * reference


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
def test_ista_objective_is_monotone_and_slower(complex_):
    M, A, Y, y = lasso_problem(25, 60, complex_, seed=6)
    _, info = ista(A, y, 0.05, n_iter=200, return_info=True)
    f = np.array(info.objective)
    assert np.all(np.diff(f) <= 1e-12 * f[0])
    _, accelerated = fista(A, y, 0.05, n_iter=200, return_info=True)
    assert accelerated.objective[-1] < f[-1]


def test_batch_items_are_independent_problems():
    M, A, Y, y = lasso_problem(20, 40, True, seed=7, batch=3)
    lams = 0.05
    together = fista(A, y, lams, n_iter=100, adaptive_restart=True)
    for i in range(3):
        alone = fista(A, y[i:i + 1], lams, n_iter=100, adaptive_restart=True)
        assert torch.allclose(together[i:i + 1], alone, atol=1e-12)


def test_unrolled_fista_gradients_match_finite_differences():
    M, _, Y, y = lasso_problem(6, 10, False, seed=8)
    A = MatrixOperator(torch.from_numpy(M), (1, 10))
    W = Wavelet((10,), "haar", levels=1)
    y = y.clone().requires_grad_(True)
    for transform in (None, W):
        def recon(v):
            return fista(A, v, 0.05, transform, n_iter=50)
        x = recon(y)
        (grad,) = torch.autograd.grad(x.square().sum(), y)
        assert torch.isfinite(grad).all() and float(grad.abs().max()) > 0
        assert torch.autograd.gradcheck(recon, (y,), eps=1e-6, atol=1e-6)


def test_phantom_l1_haar_beats_zero_filling_by_10db(capsys):
    x = shepp_logan(128)
    A = SubsampledFourier(sampling.variable_density((128, 128), 0.25, seed=0))
    y = A(x)
    W = Wavelet(128, "haar")
    zero_filling = float(psnr(A.H(y).abs(), x, data_range=1.0))
    real = float(psnr(fista(A, y, 1e-3, W, n_iter=100, real=True), x, data_range=1.0))
    complex_ = float(psnr(fista(A, y, 1e-3, W, n_iter=100).abs(), x, data_range=1.0))
    with capsys.disabled():
        print(f"\nPSNR 128x128 Shepp-Logan, 25% variable density: zero filling {zero_filling:.2f} dB, "
              f"FISTA l1-Haar (real) {real:.2f} dB, (complex, |x|) {complex_:.2f} dB")
    assert real >= zero_filling + 10
    assert complex_ >= zero_filling + 10


def test_bad_input():
    M, A, Y, y = lasso_problem(6, 10, False)
    with pytest.raises(ValueError, match="lam"):
        fista(A, y, -0.1)
    with pytest.raises(ValueError, match="n_iter"):
        fista(A, y, 0.1, n_iter=0)
    with pytest.raises(ValueError, match="y must have shape"):
        fista(A, y[:, :4], 0.1)
    with pytest.raises(ValueError, match="W must act on A's domain"):
        fista(A, y, 0.1, Wavelet(8, "haar"))
    with pytest.raises(TypeError, match="W must be"):
        fista(A, y, 0.1, torch.eye(10))
    with pytest.raises(ValueError, match="x_init must have shape"):
        fista(A, y, 0.1, x_init=torch.zeros(1, 11))
    L = A.norm() ** 2
    with pytest.raises(ValueError, match="step"):
        fista(A, y, 0.1, step=2.5 / L)
    with pytest.raises(ValueError, match="step"):
        ista(A, y, 0.1, step=-1.0)
    with pytest.warns(UserWarning, match="step"):
        fista(A, y, 0.1, step=1.5 / L, n_iter=2)
    with pytest.raises(TypeError, match="A must be"):
        fista(M, y, 0.1)
    with pytest.raises(ValueError, match="weights"):
        fista(A, y, 0.1, weights=-torch.ones(10))
    with pytest.raises(ValueError, match="weights"):
        fista(A, y, 0.1, weights=torch.ones(3))
    with pytest.raises(TypeError, match="real"):
        fista(A, y, 0.1, real="yes")


@pytest.mark.cuda
def test_cuda_matches_cpu():
    M, A, Y, y = lasso_problem(20, 40, True, seed=9, batch=2)
    cpu = fista(A, y, 0.05, n_iter=50, adaptive_restart=True)
    gpu = fista(A.to("cuda"), y.to("cuda"), 0.05, n_iter=50, adaptive_restart=True)
    assert gpu.device.type == "cuda"
    assert torch.allclose(gpu.cpu(), cpu, atol=1e-10)
