"""Tests for tk_lessons.kernel against independent references (numpy/scipy SVD, cvxpy, brute force)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.linalg
import torch

from tk_lessons import kernel
from tk_lessons.operators import LinearOperator, MatrixOperator
from tk_lessons.operators import dot_test as operators_dot_test


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def random_matrix(m, n, *, seed=0, complex_=False, rank=None):
    rng = np.random.default_rng(seed)
    draw = lambda *s: rng.standard_normal(s) + (1j * rng.standard_normal(s) if complex_ else 0)  # noqa: E731
    M = draw(m, n) if rank is None else draw(m, rank) @ draw(rank, n)
    return M


def op(M, domain_shape=None):
    return MatrixOperator(torch.from_numpy(np.ascontiguousarray(M)), domain_shape=domain_shape)


def randn(*shape, seed=0, complex_=False):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.complex128 if complex_ else torch.float64)


def rel(a, b):
    return float((a - b).norm() / b.norm())


def kernel_projector(M):
    N = scipy.linalg.null_space(M)
    return N @ N.conj().T


# ---------------------------------------------------------------------------------------
# project
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("rank", [None, 4])          # full row rank, and a singular A A^H
def test_project_matches_scipy_null_space(complex_, rank):
    M = random_matrix(7, 12, seed=1, complex_=complex_, rank=rank)
    A = op(M)
    z = randn(3, 12, seed=2, complex_=complex_)
    Pz = kernel.project(A, z)
    expected = torch.from_numpy(z.numpy() @ kernel_projector(M).T)
    assert rel(Pz, expected) < 1e-7
    # in the kernel, idempotent, orthogonal split
    assert float(A(Pz).norm()) <= 1e-6 * float(z.norm())
    assert rel(kernel.project(A, Pz), Pz) < 1e-7
    inner = torch.sum(Pz.conj() * (z - Pz))
    assert abs(complex(inner)) < 1e-8 * float(z.norm()) ** 2


def test_project_exact_and_cg_paths_agree():
    Q, _ = np.linalg.qr(random_matrix(16, 6, seed=3))           # orthonormal columns
    A = op(Q.T.copy(), domain_shape=(1, 4, 4))                  # orthonormal rows
    A.orthonormal_rows = True
    z = randn(4, 1, 4, 4, seed=4)
    exact = kernel.project(A, z)
    assert torch.equal(exact, z - A.adjoint(A(z)))
    assert rel(kernel.project(A, z, method="cg"), exact) < 1e-9
    expected = (z.reshape(4, -1).numpy() @ kernel_projector(Q.T).T).reshape(z.shape)
    assert rel(exact, torch.from_numpy(expected)) < 1e-12


def test_project_float32_keeps_dtype_and_accuracy():
    A = op(random_matrix(5, 9, seed=5))
    z = randn(2, 9, seed=6).float()
    Pz = kernel.project(A, z)
    assert Pz.dtype == torch.float32
    assert float(A(Pz.double()).norm()) <= 1e-6 * float(z.norm())


def test_project_is_differentiable_with_gradient_P():
    A = op(random_matrix(4, 7, seed=7))
    z = randn(2, 7, seed=8).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: kernel.project(A, t, tol=1e-12), (z,))
    g = randn(2, 7, seed=9)
    (kernel.project(A, z) * g).sum().backward()
    assert rel(z.grad, kernel.project(A, g)) < 1e-10


def test_project_complex_operator_real_input_gradient():
    A = op(random_matrix(3, 6, seed=10, complex_=True))
    z = randn(2, 6, seed=11).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: torch.view_as_real(kernel.project(A, t, tol=1e-12)), (z,))


def test_project_warns_when_cg_runs_out():
    s = np.array([1.0, 1e-2, 1e-4, 1e-6])
    M = np.diag(s) @ np.linalg.qr(random_matrix(8, 4, seed=12))[0].T
    with pytest.warns(RuntimeWarning, match="n_iter=1"):
        kernel.project(op(M), randn(1, 8, seed=13), n_iter=1)


def test_project_fourier_exact_kernel():
    from tk_lessons.operators import SubsampledFourier

    mask = torch.rand(16, 16, generator=torch.Generator().manual_seed(0)) < 0.3
    A = SubsampledFourier(mask)
    x, z = randn(2, 1, 16, 16, seed=14), randn(2, 1, 16, 16, seed=15)
    Pz = kernel.project(A, z)
    assert rel(A(x + Pz), A(x)) < 1e-6
    assert float(A(Pz).norm()) < 1e-12 * float(z.norm())
    # exact formula and CG agree; float32 images stay accurate to float32 rounding
    A.orthonormal_rows = True
    assert rel(kernel.project(A, z, method="cg"), kernel.project(A, z)) < 1e-7
    Pz32 = kernel.project(A, z.float())
    assert float(A(Pz32).norm()) < 1e-6 * float(z.norm())


def test_orthonormal_row_operators_declare_it():
    from tk_lessons.operators import Inpainting, SubsampledFourier, SubsampledHadamard

    for cls in (SubsampledFourier, SubsampledHadamard, Inpainting):
        assert getattr(cls, "orthonormal_rows", False) is True, (
            f"{cls.__name__} has A A^H = I and should declare orthonormal_rows = True for kernel.project")


@pytest.mark.parametrize("name", ["SubsampledHadamard", "Inpainting"])
def test_project_other_orthonormal_operators(name):
    from tk_lessons import operators

    mask = torch.rand(8, 8, generator=torch.Generator().manual_seed(1)) < 0.4
    A = getattr(operators, name)(mask)
    x, z = randn(3, 1, 8, 8, seed=16), randn(3, 1, 8, 8, seed=17)
    Pz = kernel.project(A, z)
    assert rel(A(x + Pz), A(x)) < 1e-6
    expected = (z.reshape(3, -1).numpy() @ kernel_projector(A.to_dense(torch.float64).numpy()).T)
    assert rel(Pz, torch.from_numpy(expected).reshape(z.shape)) < 1e-7


def test_project_radon_matches_dense_kernel():
    """Radon, 16 x 16, 4 angles: A A^H != I, a clear gap between sigma_min = 6e-4 and zero."""
    from tk_lessons.operators.radon import Radon

    A = Radon(16, 4)
    M = A.to_dense(torch.float64).numpy()
    z = randn(3, 1, 16, 16, seed=50)
    Pz = kernel.project(A, z)
    expected = (z.reshape(3, -1).numpy() @ kernel_projector(M).T).reshape(z.shape)
    assert rel(Pz, torch.from_numpy(expected)) < 1e-6


def test_project_radon_data_cannot_see_the_kernel():
    """Radon, 16 x 16, 8 angles (kernel dimension 95): same data, hence the same FBP."""
    from tk_lessons.operators.radon import Radon

    A = Radon(16, 8)
    x, z = randn(2, 1, 16, 16, seed=51), randn(2, 1, 16, 16, seed=52)
    Pz = kernel.project(A, z, n_iter=2000)
    assert float(Pz.norm()) > 0.3 * float(z.norm())          # a large invisible part
    assert rel(A(x + Pz), A(x)) < 1e-6
    assert rel(A.fbp(A(x + Pz)), A.fbp(A(x))) < 1e-6       # any reconstruction method is fooled
    Pz32 = kernel.project(A, z.float(), n_iter=2000)
    assert Pz32.dtype == torch.float32 and rel(Pz32.double(), Pz) < 1e-5


def test_component_ridge_radon_matches_paper_formula():
    from tk_lessons.operators.radon import Radon

    A = Radon(16, 8)
    M = A.to_dense(torch.float64).numpy()
    d = randn(2, 1, 16, 16, seed=53)
    normal = M.T @ M                                       # the paper's (A^T A + 0.01 I)^{-1} A^T A d
    x_perp = np.linalg.solve(normal + 0.01 * np.eye(256), normal @ d.reshape(2, -1).numpy().T).T
    dN = kernel.component(A, d, ridge=0.01)
    assert rel(dN, torch.from_numpy(d.reshape(2, -1).numpy() - x_perp).reshape(d.shape)) < 1e-7


# ---------------------------------------------------------------------------------------
# component
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("complex_", [False, True])
def test_component_ridge_matches_dense_formula(complex_):
    M = random_matrix(6, 10, seed=18, complex_=complex_, rank=5)
    A = op(M)
    d = randn(2, 10, seed=19, complex_=complex_)
    r = 0.3
    normal = M.conj().T @ M
    x_perp = np.linalg.solve(normal + r * np.eye(10), normal @ d.numpy().T).T
    dN = kernel.component(A, d, ridge=r, tol=1e-12)
    assert rel(dN, torch.from_numpy(d.numpy() - x_perp)) < 1e-9
    # only approximately in the kernel: ||A d_N|| <= sqrt(r)/2 ||d|| per sample
    assert bool((A(dN).norm(dim=1) <= math.sqrt(r) / 2 * d.norm(dim=1) * (1 + 1e-9)).all())


def test_component_tends_to_project_as_ridge_vanishes():
    A = op(random_matrix(5, 9, seed=20))
    d = randn(2, 9, seed=21)
    exact = kernel.component(A, d)
    assert torch.equal(exact, kernel.project(A, d))
    errors = [rel(kernel.component(A, d, ridge=r, tol=1e-12), exact) for r in (1e-2, 1e-4, 1e-6)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-4


def test_component_ridge_is_differentiable():
    A = op(random_matrix(4, 6, seed=22))
    d = randn(1, 6, seed=23).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: kernel.component(A, t, ridge=0.1, tol=1e-12), (d,))


# ---------------------------------------------------------------------------------------
# approximate
# ---------------------------------------------------------------------------------------
def check_basis(result, M, tau, expected_sigma, expected_V):
    V = result.basis.numpy()
    assert np.allclose(V.conj().T @ V, np.eye(V.shape[1]), atol=1e-10)
    assert np.allclose(result.singular_values.numpy(), expected_sigma, rtol=1e-8, atol=1e-12)
    assert np.allclose(V @ V.conj().T, expected_V @ expected_V.conj().T, atol=1e-8)
    gains = np.linalg.norm(M @ V, axis=0)
    assert np.all(gains <= tau * np.linalg.norm(V, axis=0) + 1e-12)


@pytest.mark.parametrize("complex_", [False, True])
def test_approximate_matches_numpy_svd(complex_):
    U = np.linalg.qr(random_matrix(5, 5, seed=25, complex_=complex_))[0]
    W = np.linalg.qr(random_matrix(9, 9, seed=26, complex_=complex_))[0]
    s = np.array([2.0, 1.0, 0.3, 1e-3, 1e-6])
    M = U @ np.diag(s) @ W[:, :5].conj().T
    A = op(M, domain_shape=(1, 3, 3))
    for tau in (0.0, 1e-4, 0.5, 5.0):
        result = kernel.approximate(A, tau)
        _, s_np, Vh = np.linalg.svd(M)
        sigma = np.concatenate([s_np, np.zeros(4)])
        keep = sigma <= max(tau, 9 * np.finfo(float).eps * s_np[0])
        check_basis(result, M, tau, np.sort(sigma[keep]), Vh.conj().T[:, keep])
        assert result.images().shape == (len(result), 1, 3, 3)
    assert kernel.approximate(A, 0.0).basis.shape == (9, 4)      # tau = 0: exactly N(A)


def test_approximate_tau_zero_is_the_kernel():
    M = random_matrix(6, 11, seed=27, rank=4)
    result = kernel.approximate(op(M), 0.0)
    N = scipy.linalg.null_space(M)
    assert result.basis.shape == N.shape == (11, 7)
    assert np.allclose(result.basis.numpy() @ result.basis.numpy().T, N @ N.T, atol=1e-10)
    z = randn(2, 11, seed=28)
    assert rel(result.project(z), kernel.project(op(M), z)) < 1e-8


@pytest.mark.parametrize("size", [(8, 8), (9,), (6, 8)])
def test_approximate_blur_matches_dense_svd(size):
    from tk_lessons.operators import Blur

    A = Blur(size, sigma=1.2)
    M = A.to_dense(torch.float64).numpy()
    _, s, Vh = np.linalg.svd(M)
    gaps = np.argsort(np.log(s[:-1] / s[1:]))[::-1]   # thresholds in the widest gaps (log scale)
    for tau in [0.0] + [float((s[i] + s[i + 1]) / 2) for i in gaps[:3]]:
        result = kernel.approximate(A, tau)
        keep = s <= max(tau, M.shape[0] * np.finfo(float).eps * s[0])
        assert result.basis.dtype == torch.float64
        check_basis(result, M, tau, np.sort(s[keep]), Vh.T[:, keep])
        if len(result):
            assert rel(A(result.images()).reshape(len(result), -1).norm(dim=1),
                       result.singular_values) < 1e-10


class Circulant(LinearOperator):
    """A periodic convolution given by its DFT multiplier, real or complex (test double)."""

    def __init__(self, transfer, complex_):
        super().__init__((1, *transfer.shape), (1, *transfer.shape),
                         domain_complex=complex_, range_complex=complex_)
        self.register_buffer("transfer", transfer)
        self.dims = tuple(range(-transfer.ndim, 0))

    def _apply(self, x, h):
        y = torch.fft.ifftn(torch.fft.fftn(x, dim=self.dims) * h, dim=self.dims)
        return y if self.domain_complex else y.real

    def _forward(self, x):
        return self._apply(x, self.transfer)

    def _adjoint(self, y):
        return self._apply(y, self.transfer.conj())

    def gram_symbol(self):
        # A^*A multiplies the spectrum by |h|^2 (for the real operator |h(k)| = |h(-k)|)
        return (self.transfer.abs() ** 2).reshape(self.domain_shape)


@pytest.mark.parametrize("complex_", [False, True])
def test_approximate_fourier_path_general_multiplier(complex_):
    """Non-symmetric real kernels (complex multiplier) and complex operators, with exact zeros."""
    g = torch.Generator().manual_seed(60)
    psf = torch.randn(6, 5, dtype=torch.complex128 if complex_ else torch.float64, generator=g)
    transfer = torch.fft.fftn(psf)
    transfer[1, 2] = transfer[-1, -2] = 0                # conjugate pair: the operator stays real
    A = Circulant(transfer, complex_)
    assert operators_dot_test(A) < 1e-12
    M = A.to_dense(torch.complex128 if complex_ else torch.float64).numpy()
    _, s, Vh = np.linalg.svd(M)
    gaps = np.argsort(np.log(s[:-3] / s[1:-2]))[::-1]
    for tau in [0.0] + [float((s[i] + s[i + 1]) / 2) for i in gaps[:3]]:
        result = kernel.approximate(A, tau)
        keep = s <= max(tau, 30 * np.finfo(float).eps * s[0])
        assert result.basis.is_complex() == complex_
        check_basis(result, M, tau, np.sort(s[keep]), Vh.conj().T[:, keep])
    assert len(kernel.approximate(A, 0.0)) == 2


# ---------------------------------------------------------------------------------------
# feasible sets and kernel sizes
# ---------------------------------------------------------------------------------------
def brute_force_kernel_size(M, X, eta, p, slack=1e-9):
    """Loops over everything: feasible pairs, feasible sets of y_k = M x_k, p-means."""
    B = len(X)
    worst, total = 0.0, 0.0
    for i, j in itertools.product(range(B), repeat=2):
        if np.linalg.norm(M @ (X[i] - X[j])) <= 2 * eta + slack:
            worst = max(worst, np.linalg.norm(X[i] - X[j]))
    for k in range(B):
        F = [i for i in range(B) if np.linalg.norm(M @ X[i] - M @ X[k]) <= eta + slack]
        total += np.mean([np.linalg.norm(X[i] - X[j]) ** p for i in F for j in F])
    return worst, (total / B) ** (1 / p)


def test_kernel_size_hand_example():
    A = op(np.array([[1.0, 0, 0], [0, 1.0, 0]]))        # N(A) = span(e3)
    X = torch.tensor([[0, 0, 0], [0, 0, 3.0], [1, 0, 0], [1, 0, 1.0], [0, 5, 0]], dtype=torch.float64)
    result = kernel.kernel_size(A, X)
    assert result.worst == pytest.approx(3.0) and set(result.worst_pair) == {0, 1}
    # F = {0,1}, {0,1}, {2,3}, {2,3}, {4}: mean squared distances 4.5, 4.5, 0.5, 0.5, 0
    assert result.average == pytest.approx(math.sqrt(2.0))
    assert result.feasible.sum() == 5 + 4                 # the diagonal and two pairs, both ways
    assert kernel.kernel_size(A, X, p=1).average == pytest.approx(((1.5 + 1.5 + 0.5 + 0.5) / 5))


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("eta", [0.0, 0.4, 1.5])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_kernel_size_matches_brute_force(complex_, eta, p):
    M = random_matrix(3, 6, seed=29, complex_=complex_)
    base = random_matrix(6, 6, seed=30, complex_=complex_).T
    details = np.linalg.svd(M)[2][3:].conj()             # a basis of N(M), as rows
    X = np.concatenate([base, base[:3] + 2 * details, base[:2] - details[:2]])
    result = kernel.kernel_size(op(M), torch.from_numpy(X), eta, p=p)
    worst, average = brute_force_kernel_size(M, X, eta, p)
    assert result.worst == pytest.approx(worst, rel=1e-10)
    assert result.average == pytest.approx(average, rel=1e-10)


def test_kernel_size_grows_with_eta():
    M = random_matrix(3, 6, seed=31)
    X = torch.from_numpy(random_matrix(6, 12, seed=32).T.copy())
    values = [kernel.kernel_size(op(M), X, eta).worst for eta in (0.0, 0.5, 1.0, 2.0, 4.0, 100.0)]
    assert all(a <= b for a, b in zip(values, values[1:]))
    assert values[0] == 0.0 < values[-1]
    assert values[-1] == pytest.approx(float(torch.cdist(X, X).max()))   # every pair is feasible


def test_half_kernel_size_bounds_every_map():
    """T0 on a finite class: the Chebyshev map attains the optimum, any map is >= kersize / 2."""
    M = random_matrix(4, 8, seed=34)
    k = scipy.linalg.null_space(M).T                       # 4 kernel directions
    base = np.random.default_rng(33).standard_normal((5, 8))
    shifts = [0 * k[0], k[0], -2 * k[1], 3 * k[2] + k[0], 0.5 * k[3] - k[1]]
    X = np.concatenate([base + shift for shift in shifts])  # 5 fibres of 5 images each
    Xt = torch.from_numpy(X)
    A = op(M)
    result = kernel.kernel_size(A, Xt)
    sets = kernel.feasible_sets(A, Xt, A(Xt), 0.0)
    assert len({tuple(F.tolist()) for F in sets}) == 5          # five fibres, each with several images

    # The Chebyshev map: the centre of each feasible set; its worst error is the largest radius.
    centres = {}
    for F in sets:
        centres[tuple(F.tolist())] = kernel.chebyshev_centre(Xt[F])
    cheb_errors = [max(float((Xt[i] - centres[tuple(F.tolist())][0]).norm()) for i in F) for F in sets]
    radii = [r for _, r in centres.values()]
    assert max(cheb_errors) == pytest.approx(max(radii), rel=1e-8)
    assert max(cheb_errors) >= result.worst / 2 - 1e-12
    assert max(cheb_errors) <= result.worst

    # The conditional mean is the best map in mean square: its RMS error is exactly average / sqrt(2).
    means = [Xt[F].mean(dim=0) for F in sets]
    rms = math.sqrt(np.mean([float((Xt[k] - means[k]).norm()) ** 2 for k in range(len(X))]))
    assert rms == pytest.approx(result.average / math.sqrt(2), rel=1e-10)

    # Random maps of the data do no better than half the (worst / average) kernel size.
    Y = A(Xt)
    for seed in range(5):
        W = torch.from_numpy(np.random.default_rng(seed).standard_normal((8, 4)))
        b = torch.from_numpy(np.random.default_rng(seed + 10).standard_normal(8))
        errors = (Y @ W.T + b - Xt).norm(dim=1)
        assert float(errors.max()) >= result.worst / 2
        for p in (1.0, 2.0):
            avg = kernel.kernel_size(A, Xt, p=p).average
            assert float((errors**p).mean() ** (1 / p)) >= avg / 2


def test_half_kernel_size_bounds_maps_with_noise():
    M = random_matrix(3, 5, seed=35)
    X = torch.from_numpy(random_matrix(5, 9, seed=36).T.copy())
    A, eta = op(M), 1.0
    result = kernel.kernel_size(A, X, eta)
    assert result.worst > kernel.kernel_size(A, X).worst
    i, j = result.worst_pair
    y = (A(X[i:i + 1]) + A(X[j:j + 1])) / 2             # within eta of both A x_i and A x_j
    assert float((A(X[i:i + 1]) - y).norm()) <= eta + 1e-12
    for seed in range(5):
        W = torch.from_numpy(np.random.default_rng(seed).standard_normal((5, 3)))
        guess = y @ W.T
        assert max(float((guess - X[i]).norm()), float((guess - X[j]).norm())) >= result.worst / 2


def test_feasible_sets_brute_force():
    M = random_matrix(2, 4, seed=37, complex_=True)
    X = random_matrix(10, 4, seed=38, complex_=True)
    Y = random_matrix(6, 2, seed=39, complex_=True)
    for eta in (0.5, 2.0, 4.0):
        sets = kernel.feasible_sets(op(M), torch.from_numpy(X), torch.from_numpy(Y), eta)
        for k, F in enumerate(sets):
            expected = [i for i in range(10) if np.linalg.norm(M @ X[i] - Y[k]) <= eta]
            assert F.tolist() == expected


def test_kernel_size_with_fourier_kernel_details():
    """The T0 demo in miniature: signals plus kernel details of a 1-D subsampled DFT."""
    from tk_lessons.operators import SubsampledFourier

    mask = torch.zeros(32, dtype=torch.bool)
    mask[10:22] = True
    A = SubsampledFourier(mask)
    A.orthonormal_rows = True
    x = torch.zeros(4, 1, 32)
    for k in range(4):
        x[k, 0, 4 * k:4 * k + 10] = 1.0                 # piecewise-constant signals (float32)
    detail = kernel.project(A, torch.zeros(1, 1, 32).index_fill_(2, torch.tensor([5, 20]), 3.0))
    X = torch.cat([x.to(torch.complex64), x + detail])
    result = kernel.kernel_size(A, X)
    assert result.worst == pytest.approx(float(detail.norm()), rel=1e-5)
    assert result.feasible.sum() == 8 + 8


# ---------------------------------------------------------------------------------------
# Chebyshev centre
# ---------------------------------------------------------------------------------------
def cvxpy_centre(P):
    cp = pytest.importorskip("cvxpy")
    c, t = cp.Variable(P.shape[1]), cp.Variable()
    cp.Problem(cp.Minimize(t), [cp.norm(c - P[i]) <= t for i in range(len(P))]).solve()
    return c.value, t.value


@pytest.mark.parametrize("shape,seed", [((10, 5), 40), ((30, 3), 41), ((6, 20), 42), ((60, 8), 43)])
def test_chebyshev_centre_matches_cvxpy(shape, seed):
    P = np.random.default_rng(seed).standard_normal(shape) + 3.0       # away from the origin
    centre, radius = kernel.chebyshev_centre(torch.from_numpy(P))
    c_ref, r_ref = cvxpy_centre(P)
    assert radius == pytest.approx(r_ref, rel=1e-4)
    assert radius <= r_ref * (1 + 1e-6)                                # never worse than the reference
    assert radius == pytest.approx(float(np.linalg.norm(P - centre.numpy(), axis=1).max()), rel=1e-12)
    assert np.linalg.norm(centre.numpy() - c_ref) <= 1e-3 * r_ref


def test_chebyshev_centre_known_answers():
    c, r = kernel.chebyshev_centre(torch.tensor([[1.0, 2.0], [4.0, 6.0]], dtype=torch.float64))
    assert torch.allclose(c, torch.tensor([2.5, 4.0], dtype=torch.float64)) and r == pytest.approx(2.5)
    tri = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]], dtype=torch.float64)
    c, r = kernel.chebyshev_centre(tri)
    assert torch.allclose(c, tri.mean(dim=0), atol=1e-10) and r == pytest.approx(1 / math.sqrt(3), rel=1e-10)
    obtuse = torch.tensor([[0.0, 0.0], [4.0, 0.0], [1.0, 0.5]], dtype=torch.float64)   # inside the ball
    c, r = kernel.chebyshev_centre(obtuse)
    assert torch.allclose(c, torch.tensor([2.0, 0.0], dtype=torch.float64), atol=1e-10) and r == pytest.approx(2)
    c, r = kernel.chebyshev_centre(torch.ones(1, 1, 3, 3))
    assert r == 0.0 and torch.equal(c, torch.ones(1, 3, 3))
    z = torch.tensor([[1 + 1j, 0], [1 - 1j, 2j]], dtype=torch.complex128)
    c, r = kernel.chebyshev_centre(z)
    assert torch.allclose(c, z.mean(dim=0)) and r == pytest.approx(float((z[0] - z[1]).norm()) / 2)


def test_chebyshev_centre_of_images_keeps_shape_and_dtype():
    X = torch.rand(7, 1, 4, 4, generator=torch.Generator().manual_seed(44))
    c, r = kernel.chebyshev_centre(X)
    assert c.shape == (1, 4, 4) and c.dtype == torch.float32
    c_ref, r_ref = cvxpy_centre(X.reshape(7, -1).double().numpy())
    assert r == pytest.approx(r_ref, rel=1e-4)


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
def test_bad_input_raises_clear_errors():
    A = op(random_matrix(2, 4, seed=45))
    z = randn(1, 4, seed=46)
    with pytest.raises(TypeError, match="A must be"):
        kernel.project(np.eye(2), z)
    with pytest.raises(ValueError, match=r"z must have shape \(B, 4\)"):
        kernel.project(A, randn(1, 5))
    with pytest.raises(TypeError, match="z must be a torch.Tensor"):
        kernel.project(A, np.ones((1, 4)))
    with pytest.raises(ValueError, match="tol"):
        kernel.project(A, z, tol=2.0)
    with pytest.raises(ValueError, match="n_iter"):
        kernel.project(A, z, n_iter=0)
    with pytest.raises(ValueError, match="method"):
        kernel.project(A, z, method="exact")
    with pytest.raises(ValueError, match="ridge"):
        kernel.component(A, z, ridge=0.0)
    with pytest.raises(ValueError, match="ridge"):
        kernel.component(A, z, ridge=-1.0)
    with pytest.raises(ValueError, match="d must have shape"):
        kernel.component(A, randn(4))
    with pytest.raises(ValueError, match="tau"):
        kernel.approximate(A, -0.1)
    with pytest.raises(TypeError, match="tau"):
        kernel.approximate(A, "small")
    with pytest.raises(ValueError, match=r"4097 entries .*at most 4096"):
        kernel.approximate(MatrixOperator(torch.ones(1, 4097)), 0.1)
    with pytest.raises(ValueError, match="eta"):
        kernel.kernel_size(A, randn(3, 4), eta=-1.0)
    with pytest.raises(ValueError, match="X must hold at least one"):
        kernel.kernel_size(A, torch.zeros(0, 4))
    with pytest.raises(ValueError, match="p must be"):
        kernel.kernel_size(A, randn(3, 4), p=0.5)
    with pytest.raises(ValueError, match="Y must have shape"):
        kernel.feasible_sets(A, randn(3, 4), randn(2, 3), 0.1)
    with pytest.raises(ValueError, match="eta"):
        kernel.feasible_sets(A, randn(3, 4), randn(2, 2), float("nan"))
    with pytest.raises(ValueError, match="points must have shape"):
        kernel.chebyshev_centre(torch.zeros(0, 3))
    with pytest.raises(TypeError, match="points must be a floating"):
        kernel.chebyshev_centre(torch.zeros(3, 2, dtype=torch.long))
    from tk_lessons.operators import Blur
    with pytest.raises(TypeError, match="z must be real"):
        kernel.project(Blur(4, 1.0), randn(1, 1, 4, 4, complex_=True))
