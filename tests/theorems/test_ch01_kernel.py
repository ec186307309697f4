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

The half-distance bound itself is a triangle inequality; what can fail is the code that puts
two images into one fibre. So the tests check the pair the package builds against a numpy
oracle, reconstruct each image from its own data, and include a broken variant (a pair whose
data differ) that the same check must reject.

The last section backs the chapter's hand-typed comparative sentences (which patterns leave the
least invisible, how TV leans, how the CT solver stops, Radon's kernel and tiny singular values,
Tikhonov against the bound), recomputed at the chapter's parameters.
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
        "tv": lambda y: solvers.tv(A, y, 1e-3, n_iter=50, real=True),
        "nonlinear random": lambda y: torch.tanh(torch.view_as_real(y).reshape(1, -1) @ W.T).reshape(x.shape),
        "constant": lambda y: torch.zeros_like(x),
        "exact on x": lambda y: A.H(y).real + P(x),
        "exact on x'": lambda y: A.H(y).real + P(x_prime),
        "midpoint": lambda y: A.H(y).real + P((x + x_prime) / 2),
    }


def _worst_error(Psi, A, x, x_prime) -> float:
    """max(||Psi(A x) - x||, ||Psi(A x') - x'||), each image reconstructed from its own data."""
    return max(float((Psi(A(x)) - x).norm()), float((Psi(A(x_prime)) - x_prime).norm()))


def _lookup(A, x, x_prime, resolution=1e-9):
    """Returns x' if y is closer to A x' than to A x by more than resolution * ||y||, else x.

    It tells apart any two data that differ by more than the resolution (far above rounding,
    far below the data of a visible detail), so it is exact on any pair it can see apart.
    """
    def Psi(y):
        gap = float((y - A(x)).norm()) - float((y - A(x_prime)).norm())
        return x_prime if gap > resolution * float(y.norm()) else x
    return Psi


def test_the_package_builds_the_chapters_pair_exactly_in_the_fibre(fourier_pair):
    # The chapter builds x' = x + P d with sampling.symmetrise and kernel.project; the bound
    # needs A x = A x' *as computed*. Compare with the numpy-FFT oracle of the fixture.
    A_oracle, x, x_prime = fourier_pair
    mask = sampling.symmetrise(sampling.multilevel(32, 0.25, seed=13))
    assert torch.equal(mask, A_oracle.mask)                               # same pattern
    A = operators.SubsampledFourier(mask)
    d = data.blob(32, center=(12, 18), radius=3).double()
    z = kernel.project(A, d)
    assert float(z.imag.abs().max()) < 1e-14                              # real kernel part
    assert torch.allclose(x + z.real, x_prime, atol=1e-13)                # = the oracle pair
    assert float((A(x + z.real) - A(x)).abs().max()) < 1e-13


def test_every_map_errs_by_half_the_distance_on_one_of_two_images_with_equal_data(fourier_pair):
    # Each image is reconstructed from its *own* data, so the bound holds only because the
    # code makes A x = A x'. The broken variant below (a pair whose data differ) shows that
    # the same check rejects a pair that is not in one fibre.
    A, x, x_prime = fourier_pair
    half = float((x - x_prime).norm()) / 2
    maps = {**_maps(A, x, x_prime), "lookup": _lookup(A, x, x_prime)}
    for name, Psi in maps.items():
        assert _worst_error(Psi, A, x, x_prime) >= half * (1 - 1e-9), name
    # the lookup map cannot separate the pair: it returns x for both data, so it errs by
    # the full distance on x'
    assert math.isclose(_worst_error(maps["lookup"], A, x, x_prime), 2 * half, rel_tol=1e-9)
    # broken variant: add the detail itself (visible part included) instead of its kernel part
    z = x_prime - x
    detail = data.blob(32, center=(12, 18), radius=3).double()
    assert float((detail - z).norm()) > 0.1 * float(detail.norm())      # d is not in N(A)
    x_bad = x + detail * (float(z.norm()) / float(detail.norm()))       # same distance
    bad_half = float((x - x_bad).norm()) / 2
    assert math.isclose(bad_half, half, rel_tol=1e-12)
    assert _worst_error(_lookup(A, x, x_bad), A, x, x_bad) < 1e-3 * bad_half   # check fails


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


def test_tv_errs_above_the_bound_on_both_images_and_leans_to_the_smaller_total_variation():
    # The chapter's sentences on TV, recomputed at the chapter's parameters (128 x 128,
    # symmetrised multilevel 15 %, "SIAM" detail, lam = 1e-3, 300 iterations).
    n = 128
    mask = sampling.symmetrise(sampling.multilevel(n, 0.15, seed=0))
    A = operators.SubsampledFourier(mask)
    x = data.shepp_logan(n).double()
    d = data.text(n, "SIAM", position=(70, 44), fontsize=14).double()
    # the kernel part by numpy's FFT (oracle), not by tk.kernel
    unsampled = ~np.fft.ifftshift(mask.numpy())
    z = np.fft.ifft2(unsampled * np.fft.fft2(d[0, 0].numpy())).real
    x_prime = x + torch.from_numpy(z)[None, None]
    half = float((x - x_prime).norm()) / 2
    out = solvers.tv(A, A(x), 1e-3, n_iter=300, real=True)
    e, e_prime = float((out - x).norm()), float((out - x_prime).norm())
    assert e > half and e_prime > half                      # "both above the bound"
    assert e < e_prime                                      # closer to x, without the word
    tv = lambda v: float(np.abs(np.diff(v, axis=0, append=v[:1])).sum()
                         + np.abs(np.diff(v, axis=1, append=v[:, :1])).sum())
    assert tv(x[0, 0].numpy()) < tv(x_prime[0, 0].numpy())  # "which has the smaller TV"


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
    z = kernel.project(A, d, tol=1e-10, n_iter=5000).reshape(-1).numpy()
    ref = Q @ (Q.T @ d.reshape(-1).numpy())
    assert np.linalg.norm(z - ref) <= 1e-6 * np.linalg.norm(ref)
    assert np.linalg.norm(M @ z) <= 1e-8 * np.linalg.norm(z)


# ------------------------------------------------------- the chapter's comparative sentences
# Each test recomputes, at the chapter's parameters and independently of its cells, a quantity
# behind a sentence whose wording is typed by hand, and fails when the sentence stops being true.
def test_operator_table_orthonormal_rows_only_for_fourier_and_hadamard():
    # "Fourier and Hadamard sampling have orthonormal rows up to rounding; Radon, Gaussian
    # and blur do not. All adjoints pass the dot test."
    n = 128
    ops = {
        "fourier": operators.SubsampledFourier(sampling.radial(n, 25)),
        "hadamard": operators.SubsampledHadamard(sampling.multilevel(2 * n, 0.25)[n:, n:]),
        "radon": operators.Radon(n, 40),
        "gaussian": operators.GaussianMatrix(256, 32 * 32, seed=0, domain_shape=(1, 32, 32)),
        "blur": operators.Blur(n, sigma=2.0),
    }
    for name, A in ops.items():
        complex_ = A.range_complex
        y = _random((1, *A.range_shape), seed=1, complex_=complex_)
        back = A.H(y)
        back = back if A.domain_complex else back.real
        gap = float((A(back) - y).norm() / y.norm())
        if name in ("fourier", "hadamard"):
            assert gap < 1e-12, name
        else:
            assert gap > 0.5, name
        # dot test by hand: <A x, y> = <x, A^* y>
        x = _random((1, *A.domain_shape), seed=2, complex_=A.domain_complex)
        lhs = (A(x).conj() * y).sum() if complex_ else (A(x) * y).sum()
        rhs = (x.conj() * A.H(y)).sum() if back.is_complex() or x.is_complex() else (x * A.H(y)).sum()
        assert abs(complex(lhs) - complex(rhs)) <= 1e-12 * float(A(x).norm() * y.norm()), name


def test_centre_weighted_patterns_leave_the_least_invisible_and_uniform_the_most():
    # "the invisible share ranges from <variable density> to <uniform>"; centre-weighted
    # < radial, Cartesian < uniform; "uniform sampling misses four in five frequencies".
    n = 128
    x = data.shepp_logan(n).double()[0, 0].numpy()
    X = np.fft.fft2(x, norm="ortho")
    patterns = {
        "radial": sampling.radial(n, 25),
        "cartesian": sampling.cartesian(n, 0.2, seed=0),
        "variable density": sampling.variable_density((n, n), 0.2, seed=0),
        "multilevel": sampling.multilevel(n, 0.2, seed=0),
        "uniform": sampling.uniform((n, n), 0.2, seed=0),
    }
    share = {}
    for name, mask in patterns.items():
        unsampled = ~np.fft.ifftshift(mask.numpy())                     # numpy oracle of P x
        share[name] = np.linalg.norm(X[unsampled]) / np.linalg.norm(x)
    assert min(share, key=share.get) == "variable density"
    assert max(share, key=share.get) == "uniform"
    assert max(share["variable density"], share["multilevel"]) < min(share["radial"],
                                                                      share["cartesian"])
    assert abs(float(patterns["uniform"].double().mean()) - 0.2) < 1e-3


def test_ct_stopping_rule_as_the_chapter_describes_it():
    # The chapter: kernel.project stops once ||A z|| <= tol max(||A d||, sigma ||z||) with
    # sigma <= ||A||; for its detail the second scale is the larger one, so ||A z|| / ||z||
    # <= tol while ||A z|| / ||A d|| is above tol; and ten times the iterations reduce the
    # residual only by about a factor of ten.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)              # sparse products of this size: one thread is fastest
    try:
        _check_ct_stopping_rule()
    finally:
        torch.set_num_threads(threads)


def _check_ct_stopping_rule():
    import warnings

    n, tol = 128, 1e-3
    R = operators.Radon(n, 40)
    d = data.text(n, "SIAM", position=(70, 44), fontsize=14).double()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)                  # must not hit n_iter
        z = kernel.project(R, d, tol=tol, n_iter=2000)
    Az, Ad, norm_z = float(R(z).norm()), float(R(d).norm()), float(z.norm())
    assert math.isclose(R.norm(), 1.0, rel_tol=1e-6)
    assert Az <= tol * max(Ad, R.norm() * norm_z)                       # the rule is met
    assert R.norm() * norm_z > Ad                                       # "the second scale"
    assert Az / Ad > tol                                                # "is above tol"
    assert Az / norm_z <= tol                                           # "met the rule with"
    # z is the kernel part: d - z is in the row space, i.e. orthogonal to z up to the residual
    assert abs(float((z * (d - z)).sum())) <= 1e-2 * norm_z * float((d - z).norm())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = {k: float(R(zk).norm() / zk.norm()) for k in (100, 1000)
               for zk in [kernel.project(R, d, tol=1e-12, n_iter=k)]}
    assert 3 < res[100] / res[1000] < 30                                # "only by a factor ~10"


def test_radon_has_a_kernel_larger_than_n_minus_m_and_tiny_nonzero_singular_values():
    # "The Radon operator has a kernel *and* is ill-conditioned": 32 x 32, 20 angles.
    M = _dense(operators.Radon(32, 20))
    m, N = M.shape
    s = np.linalg.svd(M, compute_uv=False)
    Q = scipy.linalg.null_space(M)                                      # oracle kernel
    rank = N - Q.shape[1]
    assert Q.shape[1] > N - m                                           # more than N - m
    assert s[rank - 1] > 1e5 * s[rank]                                  # a clean gap ...
    assert s[rank] < 1e-13                                              # ... to rounding
    assert s[rank - 1] < 1e-8                                           # tiny nonzero ones
    tail = int(((s > 1e-12) & (s < 1e-4)).sum())
    assert tail >= 10                                                   # "plunge"
    assert int((s > 1e-4).sum()) > 0.9 * rank                           # "after the first"
    assert s.max() / s[int((s > 1e-4).sum()) - 1] < 1e4 * (1 + 1e-9)    # "four orders"


def test_blur_the_exact_inverse_attains_the_bound_and_tikhonov_stays_above_it():
    # The chapter's 64 x 64 blur, tau = 1e-3, "SIAM" detail: the approximate-kernel part is
    # recomputed from the transfer function (numpy), not by tk.kernel.approximate.
    B = operators.Blur(64, sigma=1.5)
    h = B.transfer.numpy()
    assert np.abs(h).min() < 1e-9                  # "sigma_N is below 1e-9" (check your und.)
    d = data.text(64, "SIAM", fontsize=12).double()[0, 0].numpy()
    x = data.shepp_logan(64).double()[0, 0].numpy()
    z = np.fft.ifft2((np.abs(h) <= 1e-3) * np.fft.fft2(d)).real
    assert np.allclose(z, kernel.approximate(B, 1e-3).project(
        torch.from_numpy(d)[None, None]).numpy()[0, 0], atol=1e-10)
    blur = lambda v: np.fft.ifft2(h * np.fft.fft2(v)).real
    x_prime = x + z
    eta = np.linalg.norm(blur(z)) / 2
    assert eta / np.linalg.norm(blur(x)) < 1e-4                         # "only 2e-05"
    y = (blur(x) + blur(x_prime)) / 2
    half = np.linalg.norm(z) / 2
    inverse = np.fft.ifft2(np.fft.fft2(y) / h).real
    assert math.isclose(np.linalg.norm(inverse - x), half, rel_tol=1e-5)
    assert math.isclose(np.linalg.norm(inverse - x_prime), half, rel_tol=1e-5)
    tik = solvers.tikhonov(B, torch.from_numpy(y)[None, None], 1e-8).numpy()[0, 0]
    worst = max(np.linalg.norm(tik - x), np.linalg.norm(tik - x_prime))
    assert worst > 2 * half                                             # "well above"
