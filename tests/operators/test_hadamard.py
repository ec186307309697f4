"""fwht and SubsampledHadamard against scipy's Hadamard matrix, plus adjoint, norm, autograd checks."""

import numpy as np
import pytest
import scipy.linalg
import torch

from tk_lessons.operators import LinearOperator, SubsampledHadamard, dot_test, fwht

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

SHAPES = [(8, 8), (16, 16), (4, 16), (16,)]


def hadamard_matrix(n, ordering="sequency"):
    """Orthonormal Hadamard matrix from scipy; sequency order sorts rows by their sign changes."""
    h = scipy.linalg.hadamard(n) / np.sqrt(n)
    if ordering == "sequency":
        changes = (np.diff(np.sign(h), axis=1) != 0).sum(axis=1)
        h = h[np.argsort(changes, kind="stable")]
    return h


def random_mask(shape, seed=0, p=0.4):
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(shape, generator=gen) < p
    mask.view(-1)[0] = True
    return mask


def dense_oracle(mask, ordering="sequency"):
    full = np.ones((1, 1))
    for n in mask.shape:
        full = np.kron(full, hadamard_matrix(n, ordering))
    return full[mask.flatten().numpy()]


@pytest.mark.parametrize("ordering", ["sequency", "natural"])
@pytest.mark.parametrize("n", [1, 2, 8, 32])
def test_fwht_matches_scipy(n, ordering):
    x = torch.randn(3, n, 5, dtype=torch.float64)
    ref = np.einsum("ij,bjk->bik", hadamard_matrix(n, ordering), x.numpy())
    np.testing.assert_allclose(fwht(x, dim=1, ordering=ordering).numpy(), ref, atol=1e-12)


def test_fwht_sequency_rows_have_increasing_sign_changes():
    rows = fwht(torch.eye(16, dtype=torch.float64), dim=0)      # column j = transform of e_j
    changes = (np.diff(np.sign(rows.numpy()), axis=1) != 0).sum(axis=1)
    assert changes.tolist() == list(range(16))


def test_fwht_is_orthonormal_and_natural_is_an_involution():
    x = torch.randn(4, 64, dtype=torch.float64)
    torch.testing.assert_close(fwht(x).norm(dim=1), x.norm(dim=1))
    torch.testing.assert_close(fwht(fwht(x, ordering="natural"), ordering="natural"), x)


@pytest.mark.parametrize("ordering", ["sequency", "natural"])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_scipy_hadamard_matrix(shape, ordering):
    A = SubsampledHadamard(random_mask(shape), ordering=ordering)
    np.testing.assert_allclose(A.to_dense().numpy(), dense_oracle(A.mask, ordering), atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_dot_test(shape):
    A = SubsampledHadamard(random_mask(shape))
    assert dot_test(A, dtype=torch.float32) <= 1e-5
    assert dot_test(A, dtype=torch.float64) <= 1e-12


@pytest.mark.parametrize("shape", [(8, 8), (16,)])
def test_rows_orthonormal_and_norm_one(shape):
    A = SubsampledHadamard(random_mask(shape))
    y = torch.randn(3, A.m, dtype=torch.float64)
    torch.testing.assert_close(A(A.H(y)), y, rtol=0, atol=1e-12)
    dense = A.to_dense()
    torch.testing.assert_close(dense @ dense.T, torch.eye(A.m, dtype=torch.float64), rtol=0, atol=1e-12)
    assert A.norm() == 1.0
    assert abs(float(torch.linalg.matrix_norm(dense, 2)) - 1) < 1e-12
    assert abs(LinearOperator.norm(A) - 1) < 1e-6


def test_adjoint_equals_autograd_vjp_and_double_adjoint():
    A = SubsampledHadamard(random_mask((8, 8)))
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    v = torch.randn(2, A.m, dtype=torch.float64)
    _, vjp = torch.func.vjp(A, x)
    torch.testing.assert_close(vjp(v)[0], A.H(v))
    assert torch.equal(A.H.H(x), A(x))


def test_gradcheck():
    A = SubsampledHadamard(random_mask((4, 4), seed=2))
    x = torch.randn(2, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(A, (x,))
    y = torch.randn(2, A.m, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(A.H, (y,))
    z = torch.randn(8, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(fwht, (z,))


def test_batch_of_one_equals_batch_of_four():
    A = SubsampledHadamard(random_mask((16, 16)))
    x = torch.randn(4, 1, 16, 16)
    y, z = A(x), A.H(A(x))
    for i in range(4):
        torch.testing.assert_close(A(x[i:i + 1]), y[i:i + 1], rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(A.H(y[i:i + 1]), z[i:i + 1], rtol=1e-6, atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match=r"mask must have power-of-two sizes.*\(8, 6\)"):
        SubsampledHadamard(torch.ones(8, 6, dtype=torch.bool))
    with pytest.raises(ValueError, match="ordering must be 'sequency' or 'natural'"):
        SubsampledHadamard(torch.ones(8, dtype=torch.bool), ordering="paley")
    with pytest.raises(TypeError, match="mask must be a boolean tensor"):
        SubsampledHadamard(torch.ones(8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match="x must have power-of-two length"):
        fwht(torch.ones(3, 12), dim=1)
    with pytest.raises(ValueError, match="dim must be in"):
        fwht(torch.ones(3, 8), dim=2)
    A = SubsampledHadamard(torch.ones(8, 8, dtype=torch.bool))
    with pytest.raises(TypeError, match="x must be real for SubsampledHadamard"):
        A(torch.ones(1, 1, 8, 8, dtype=torch.complex64))
    with pytest.raises(ValueError, match=r"y must have shape \(B, 64\)"):
        A.H(torch.ones(1, 1, 8, 8))


@pytest.mark.cuda
@cuda
def test_cuda_matches_cpu():
    A = SubsampledHadamard(random_mask((16, 16)))
    x = torch.randn(4, 1, 16, 16)
    y, z = A(x), A.H(A(x))
    Ag = A.to("cuda")
    torch.testing.assert_close(Ag(x.cuda()).cpu(), y, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(Ag.H(y.cuda()).cpu(), z, rtol=1e-5, atol=1e-5)
    assert dot_test(Ag, dtype=torch.float32) <= 1e-5
