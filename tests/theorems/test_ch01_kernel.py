"""Chapter 1 (inverse problems and their kernel): every labelled result, checked on concrete instances.

The oracles are independent of tk_lessons' own kernel code: dense matrices, numpy's SVD and
rank, and scipy's null_space.

* prop-orthonormal-projector: A A^* = I  =>  P = I - A^* A is the orthogonal projector onto N(A),
  dim N(A) = trace(P) = N - m.
* prop-fibre: {x' : A x' = A x} = x + N(A); for A A^* = I the zero-filled image A^* A x is its
  element of least norm.
* prop-half-distance: A x = A x'  =>  max(||Psi(Ax) - x||, ||Psi(Ax') - x'||) >= ||x - x'|| / 2 for
  every map Psi, with equality for the midpoint and error ||x - x'|| on x' for a map exact on x.
* prop-approximate-kernel: (i) ||A z|| <= tau ||z|| on span{v_i : sigma_i <= tau};
  (ii) ||A(x - x')|| <= 2 eta  =>  y = (Ax + Ax')/2 is eta-consistent with both and every Psi
  errs by >= ||x - x'|| / 2 on one of them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from tk_lessons import data, kernel, operators, sampling, solvers


def _dense(A) -> np.ndarray:
    """The matrix of A in float64 / complex128 (column j = A e_j)."""
    M = A.to_dense()
    return M.to(torch.complex128 if M.is_complex() else torch.float64).cpu().numpy()


def _random(shape, seed, complex_=False) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=gen, dtype=torch.float64)
    if complex_:
        x = x + 1j * torch.randn(*shape, generator=gen, dtype=torch.float64)
    return x


ORTHONORMAL = {
    "fourier-1d": lambda: operators.SubsampledFourier(sampling.uniform(32, 0.4, seed=1)),
    "fourier-2d-multilevel": lambda: operators.SubsampledFourier(sampling.multilevel(8, 0.3, seed=2)),
    "fourier-2d-radial": lambda: operators.SubsampledFourier(sampling.radial(8, 3)),
    "hadamard-1d": lambda: operators.SubsampledHadamard(sampling.uniform(16, 0.5, seed=3)),
    "hadamard-2d": lambda: operators.SubsampledHadamard(sampling.uniform((8, 8), 0.25, seed=4)),
    "inpainting": lambda: operators.Inpainting(sampling.uniform((8, 8), 0.6, seed=5)),
}


# ------------------------------------------------------------------------ prop-orthonormal-projector
@pytest.mark.parametrize("name", ORTHONORMAL)
def test_orthonormal_rows_give_the_kernel_projector_and_dimension(name):
    A = ORTHONORMAL[name]()
    M = _dense(A)
    m, N = M.shape
    assert np.allclose(M @ M.conj().T, np.eye(m), atol=1e-12)            # the hypothesis A A^* = I
    P = np.eye(N) - M.conj().T @ M
    assert np.linalg.norm(P @ P - P, 2) < 1e-12                           # idempotent
    assert np.linalg.norm(P - P.conj().T, 2) < 1e-12                      # self-adjoint
    assert np.linalg.norm(M @ P, 2) < 1e-12                               # range in N(A)
    Q = scipy.linalg.null_space(M)                                        # oracle basis of N(A)
    assert Q.shape[1] == N - m                                            # dim N(A) = N - m
    assert np.allclose(P, Q @ Q.conj().T, atol=1e-12)                     # P is the projector onto it
    assert abs(np.trace(P).real - (N - m)) < 1e-10 and np.linalg.matrix_rank(P) == N - m
    # the package's projector agrees with the dense formula
    w = _random((2, *A.domain_shape), seed=6, complex_=A.domain_complex)
    Pw = kernel.project(A, w).reshape(2, -1).cpu().numpy()
    assert np.allclose(Pw, w.reshape(2, -1).numpy() @ P.T, atol=1e-12)


def test_an_operator_without_orthonormal_rows_has_no_such_formula():
    # The hypothesis matters: for the Radon transform I - A^* A is not a projector.
    M = _dense(operators.Radon(16, 4))
    P = np.eye(M.shape[1]) - M.T @ M
    assert np.linalg.norm(P @ P - P, 2) > 0.1


# ------------------------------------------------------------------------------------ prop-fibre
FIBRE_OPERATORS = {
    "fourier": lambda: operators.SubsampledFourier(sampling.variable_density((8, 8), 0.3, seed=7)),
    "radon": lambda: operators.Radon(16, 4),
    "gaussian": lambda: operators.GaussianMatrix(20, 64, seed=8, domain_shape=(1, 8, 8)),
}


@pytest.mark.parametrize("name", FIBRE_OPERATORS)
def test_the_fibre_is_x_plus_the_kernel(name):
    A = FIBRE_OPERATORS[name]()
    M = _dense(A)
    N = M.shape[1]
    x = _random((N,), seed=9)
    Q = scipy.linalg.null_space(M)
    assert Q.shape[1] >= N - M.shape[0]                                   # rank-nullity
    # x + N(A) lies in the fibre ...
    for seed in range(3):
        z = Q @ _random((Q.shape[1],), seed=10 + seed).numpy()
        assert np.linalg.norm(M @ (x.numpy() + z) - M @ x.numpy()) <= 1e-12 * np.linalg.norm(z) * np.linalg.norm(M, 2) + 1e-12
    # ... and every point of the fibre is in x + N(A): the point of the fibre nearest to a random w
    w = _random((N,), seed=20).numpy()
    correction, *_ = np.linalg.lstsq(M, M @ x.numpy() - M @ w, rcond=None)
    x_prime = w + correction                                              # A x' = A x, x' != x
    assert np.linalg.norm(M @ x_prime - M @ x.numpy()) <= 1e-8 * np.linalg.norm(M @ x.numpy())
    diff = x_prime - x.numpy()
    in_kernel = Q @ (Q.conj().T @ diff)
    assert np.linalg.norm(diff - in_kernel) <= 1e-8 * np.linalg.norm(diff)
    assert np.linalg.norm(diff) > 1.0                                      # a genuinely different image


def test_zero_filling_is_the_least_norm_point_of_the_fibre():
    A = operators.SubsampledFourier(sampling.multilevel(8, 0.4, seed=11))
    M = _dense(A)
    x = _random((1, 1, 8, 8), seed=12)
    x0 = A.H(A(x)).reshape(-1).numpy()
    least_norm, *_ = np.linalg.lstsq(M, M @ x.reshape(-1).numpy().astype(complex), rcond=None)
    assert np.allclose(x0, least_norm, atol=1e-12)
    Q = scipy.linalg.null_space(M)
    for seed in range(5):                                                 # other fibre points are longer
        other = x0 + Q @ _random((Q.shape[1],), seed=30 + seed, complex_=True).numpy()
        assert np.linalg.norm(other) > np.linalg.norm(x0)
        assert np.allclose(M @ other, M @ x0, atol=1e-12)


# ---------------------------------------------------------------------------- prop-half-distance
@pytest.fixture(scope="module")
def fourier_pair():
    """A phantom x and x' = x + z with z the (real) kernel part of a blob, for a symmetric mask."""
    mask = sampling.multilevel(32, 0.25, seed=13)
    flipped = mask.flip((0, 1)).roll((1, 1), (0, 1))                     # k -> -k in the centred layout
    A = operators.SubsampledFourier(mask | flipped)
    x = data.shepp_logan(32).double()
    d = data.blob(32, center=(12, 18), radius=3).double()[0, 0].numpy()
    # oracle: remove the sampled frequencies with numpy's FFT (uncentred layout = ifftshift of the mask)
    unsampled = ~np.fft.ifftshift(A.mask.numpy())
    z = np.fft.ifft2(unsampled * np.fft.fft2(d))
    assert np.abs(z.imag).max() < 1e-14                                   # symmetric mask: real kernel part
    z = z.real.reshape(-1)
    x_prime = x + torch.from_numpy(z).reshape(x.shape)
    assert np.abs(_dense(A) @ z).max() < 1e-12 and np.linalg.norm(z) > 0.5
    return A, x, x_prime


def _maps(A, x, x_prime):
    P = lambda v: kernel.project(A, v).real
    gen = torch.Generator().manual_seed(14)
    W = torch.randn(math.prod(A.domain_shape), 2 * A.m, generator=gen, dtype=torch.float64)
    return {
        "zero filling": lambda y: A.H(y).real,
        "tikhonov": lambda y: solvers.tikhonov(A, y, 0.1).real,
        "tv": lambda y: solvers.tv(A, y, 1e-3, n_iter=50),
        "nonlinear random": lambda y: torch.tanh(torch.view_as_real(y).reshape(1, -1) @ W.T).reshape(x.shape),
        "constant": lambda y: torch.zeros_like(x),
        "exact on x": lambda y: A.H(y).real + P(x),
        "exact on x'": lambda y: A.H(y).real + P(x_prime),
        "midpoint": lambda y: A.H(y).real + P((x + x_prime) / 2),
    }


def test_every_map_errs_by_half_the_distance_on_one_of_two_images_with_equal_data(fourier_pair):
    A, x, x_prime = fourier_pair
    y, y_prime = A(x), A(x_prime)
    assert torch.allclose(y, y_prime, atol=1e-13)
    half = float((x - x_prime).norm()) / 2
    for name, Psi in _maps(A, x, x_prime).items():
        e, e_prime = float((Psi(y) - x).norm()), float((Psi(y_prime) - x_prime).norm())
        assert max(e, e_prime) >= half * (1 - 1e-9), name


def test_the_bound_is_attained_and_exactness_on_one_image_costs_the_full_distance(fourier_pair):
    A, x, x_prime = fourier_pair
    y = A(x)
    maps = _maps(A, x, x_prime)
    distance = float((x - x_prime).norm())
    mid = maps["midpoint"](y)
    assert math.isclose(float((mid - x).norm()), distance / 2, rel_tol=1e-9)
    assert math.isclose(float((mid - x_prime).norm()), distance / 2, rel_tol=1e-9)
    exact = maps["exact on x"](y)
    assert float((exact - x).norm()) < 1e-12 * float(x.norm())
    assert math.isclose(float((exact - x_prime).norm()), distance, rel_tol=1e-9)


def test_the_bound_holds_for_arbitrary_outputs():
    # The proof uses only that both images get the same output: any point v is at least
    # ||x - x'|| / 2 from one of them.
    gen = torch.Generator().manual_seed(15)
    for _ in range(200):
        x, x_prime, v = torch.randn(3, 50, generator=gen, dtype=torch.float64)
        assert max(float((v - x).norm()), float((v - x_prime).norm())) >= float((x - x_prime).norm()) / 2 - 1e-12


# ------------------------------------------------------------------------ prop-approximate-kernel
@pytest.mark.parametrize("make", [lambda: operators.Blur(16, sigma=1.5), lambda: operators.Blur((12, 16), sigma=1.0),
                                  lambda: operators.Radon(16, 6), lambda: operators.GaussianMatrix(30, 40, seed=16)],
                         ids=["blur", "blur-rect", "radon", "gaussian"])
@pytest.mark.parametrize("tau", [1e-1, 1e-3])
def test_singular_directions_below_tau_have_gain_at_most_tau(make, tau):
    A = make()
    M = _dense(A)
    m, N = M.shape
    s = np.linalg.svd(M, compute_uv=False)
    s_full = np.concatenate([s, np.zeros(N - s.size)])                   # sigma_i = 0 for i > m
    approx = kernel.approximate(A, tau)
    floor = max(m, N) * np.finfo(np.float64).eps * s.max()               # the documented rounding floor
    assert len(approx) == int((s_full <= max(tau, floor)).sum())
    V = approx.basis.cpu().numpy()
    assert np.allclose(V.conj().T @ V, np.eye(V.shape[1]), atol=1e-10)   # orthonormal
    for seed in range(5):
        z = V @ _random((V.shape[1],), seed=40 + seed).numpy()
        assert np.linalg.norm(M @ z) <= tau * np.linalg.norm(z) * (1 + 1e-9) + 1e-12


def test_blur_singular_values_are_the_moduli_of_its_transfer_function():
    A = operators.Blur(16, sigma=1.5)
    s = np.linalg.svd(_dense(A), compute_uv=False)
    assert np.allclose(np.sort(s)[::-1], A.singular_values().numpy(), atol=1e-12)


def test_noise_turns_the_approximate_kernel_into_a_kernel():
    B = operators.Blur(32, sigma=1.5)
    x = data.shepp_logan(32).double()
    z = kernel.approximate(B, 1e-3).project(data.text(32, "T", fontsize=16).double())
    x_prime = x + z
    eta = float(B(x_prime - x).norm()) / 2
    assert eta <= 1e-3 * float(z.norm()) / 2 * (1 + 1e-9)                 # (i) with tau = 1e-3
    y = (B(x) + B(x_prime)) / 2
    assert math.isclose(float((y - B(x)).norm()), eta, rel_tol=1e-9)
    assert math.isclose(float((y - B(x_prime)).norm()), eta, rel_tol=1e-9)
    half = float(z.norm()) / 2
    inverse = lambda v: torch.fft.ifft2(torch.fft.fft2(v) / B.transfer).real
    for Psi in (inverse, lambda v: solvers.tikhonov(B, v, 1e-6), lambda v: v, lambda v: torch.zeros_like(v)):
        out = Psi(y)
        assert max(float((out - x).norm()), float((out - x_prime).norm())) >= half * (1 - 1e-6)
    out = inverse(y)                                                      # the exact inverse attains it
    assert math.isclose(float((out - x).norm()), half, rel_tol=1e-5)


# --------------------------------------------------------------------- the chapter's CT construction
def test_radon_kernel_projection_matches_the_dense_null_space():
    A = operators.Radon(16, 4)
    M = _dense(A)
    Q = scipy.linalg.null_space(M)
    assert Q.shape[1] >= 16 * 16 - M.shape[0]
    d = data.text(16, "T", fontsize=10).double()
    z = kernel.project(A, d, tol=1e-10, max_iter=5000).reshape(-1).numpy()
    ref = Q @ (Q.T @ d.reshape(-1).numpy())
    assert np.linalg.norm(z - ref) <= 1e-6 * np.linalg.norm(ref)
    assert np.linalg.norm(M @ z) <= 1e-8 * np.linalg.norm(z)
