"""SubsampledFourier against scipy's DFT matrix, plus adjoint, norm, autograd and batch checks."""

import numpy as np
import pytest
import scipy.linalg
import torch

from tk_lessons.operators import LinearOperator, SubsampledFourier, dot_test

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

SHAPES = [(8, 8), (16, 16), (7, 9), (16,), (15,)]


def random_mask(shape, seed=0, p=0.4):
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(shape, generator=gen) < p
    mask.view(-1)[0] = True                     # never all-False
    return mask


def operator(shape, seed=0):
    return SubsampledFourier(random_mask(shape, seed))


def centred_dft(n):
    """The unitary centred DFT matrix fftshift @ F @ ifftshift, built from scipy."""
    eye = np.eye(n)
    shift, ishift = eye[np.fft.fftshift(np.arange(n))], eye[np.fft.ifftshift(np.arange(n))]
    return shift @ scipy.linalg.dft(n, scale="sqrtn") @ ishift


def dense_oracle(mask):
    full = np.ones((1, 1))
    for n in mask.shape:
        full = np.kron(full, centred_dft(n))     # row-major flattening of the grid
    return full[mask.flatten().numpy()]


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_scipy_dft_matrix(shape):
    A = operator(shape)
    dense = A.to_dense(torch.complex128).numpy()
    np.testing.assert_allclose(dense, dense_oracle(A.mask), atol=1e-12)


def test_matches_shifted_fft_on_a_batch():
    mask = random_mask((16, 16), seed=3)
    A = SubsampledFourier(mask)
    x = torch.randn(3, 1, 16, 16, dtype=torch.float64)
    ref = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x.numpy(), axes=(-2, -1)), norm="ortho"), axes=(-2, -1))
    np.testing.assert_allclose(A(x).numpy(), ref[:, 0][:, mask.numpy()], atol=1e-12)
    assert A(x).dtype == torch.complex128 and A(x.float()).dtype == torch.complex64


@pytest.mark.parametrize("shape", SHAPES)
def test_real_input_path_matches_complex_path(shape):
    # real input uses rfft and the Hermitian symmetry; complex input the full fft
    A = operator(shape, seed=4)
    x = torch.randn(3, *A.domain_shape, dtype=torch.float64)
    torch.testing.assert_close(A(x), A(x.to(torch.complex128)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_dot_test(shape):
    A = operator(shape)
    assert dot_test(A, dtype=torch.float32) <= 1e-5
    assert dot_test(A, dtype=torch.float64) <= 1e-12


@pytest.mark.parametrize("shape", [(8, 8), (7, 9), (15,)])
def test_rows_orthonormal_and_norm_one(shape):
    A = operator(shape)
    y = torch.randn(4, A.m, dtype=torch.complex128)
    torch.testing.assert_close(A(A.H(y)), y, rtol=0, atol=1e-12)
    dense = A.to_dense(torch.complex128)
    torch.testing.assert_close(dense @ dense.conj().T, torch.eye(A.m, dtype=torch.complex128), rtol=0, atol=1e-12)
    assert A.norm() == 1.0
    assert abs(float(torch.linalg.matrix_norm(dense, 2)) - 1) < 1e-12
    # the generic power method (base class) agrees with the exact override
    assert abs(LinearOperator.norm(A) - 1) < 1e-6


def test_zero_fill_is_adjoint_and_keeps_sampled_data():
    A = operator((8, 8))
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    y = A(x)
    torch.testing.assert_close(A.zero_fill(y), A.H(y))
    assert A.zero_fill(y).shape == (2, 1, 8, 8)
    # with a full mask the zero-filled image is x itself
    full = SubsampledFourier(torch.ones(8, 8, dtype=torch.bool))
    torch.testing.assert_close(full.zero_fill(full(x)).real, x, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(8, 8), (15,)])
def test_adjoint_equals_autograd_vjp(shape):
    A = operator(shape)
    x = torch.randn(1, *A.domain_shape, dtype=torch.complex128)
    v = torch.randn(1, A.m, dtype=torch.complex128)
    _, vjp = torch.func.vjp(A, x)
    torch.testing.assert_close(vjp(v)[0], A.H(v))
    # on real input, autograd gives the real-space adjoint Re(A^H v)
    _, vjp = torch.func.vjp(A, x.real)
    torch.testing.assert_close(vjp(v)[0], A.H(v).real)


def test_adjoint_of_adjoint_is_forward():
    A = operator((8, 8))
    x = torch.randn(2, 1, 8, 8, dtype=torch.complex64)
    assert torch.equal(A.H.H(x), A(x))
    assert A.H.H is A


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_gradcheck(dtype):
    A = operator((4, 4), seed=1)
    x = torch.randn(2, 1, 4, 4, dtype=dtype, requires_grad=True)
    assert torch.autograd.gradcheck(A, (x,))
    y = torch.randn(2, A.m, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(A.H, (y,))


@pytest.mark.parametrize("shape", [(16, 16), (15,)])
def test_batch_of_one_equals_batch_of_four(shape):
    A = operator(shape)
    x = torch.randn(4, *A.domain_shape)
    y = A(x)
    z = A.H(y)
    for i in range(4):
        torch.testing.assert_close(A(x[i:i + 1]), y[i:i + 1], rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(A.H(y[i:i + 1]), z[i:i + 1], rtol=1e-6, atol=1e-6)


def test_module_to_dtype_keeps_phases():
    A = operator((7, 9))                          # odd sizes: the phases are complex
    x = torch.randn(2, 1, 7, 9)
    before = A(x)
    A.to(torch.float32)
    torch.testing.assert_close(A(x), before)


@pytest.mark.parametrize(
    "mask, match",
    [
        (torch.ones(8, 8), "mask must be a boolean tensor"),
        (torch.ones(2, 4, 4, dtype=torch.bool), "mask must be 1-D or 2-D"),
        (torch.zeros(8, 8, dtype=torch.bool), "mask must select at least one entry"),
        ([[True, False]], "mask must be a torch.Tensor"),
    ],
)
def test_bad_mask(mask, match):
    with pytest.raises((TypeError, ValueError), match=match):
        SubsampledFourier(mask)


def test_bad_shapes_and_dtypes():
    A = operator((8, 8))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 8, 8\)"):
        A(torch.randn(2, 8, 8))
    with pytest.raises(ValueError, match=rf"y must have shape \(B, {A.m}\)"):
        A.H(torch.randn(2, A.m + 1, dtype=torch.complex64))
    with pytest.raises(TypeError, match="x must be a floating-point or complex tensor"):
        A(torch.ones(2, 1, 8, 8, dtype=torch.int64))


@pytest.mark.cuda
@cuda
def test_cuda_matches_cpu():
    A = operator((16, 16))
    x = torch.randn(4, 1, 16, 16)
    y = A(x)
    z = A.H(y)
    Ag = A.to("cuda")                            # Module.to moves A itself
    torch.testing.assert_close(Ag(x.cuda()).cpu(), y, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(Ag.H(y.cuda()).cpu(), z, rtol=1e-5, atol=1e-5)
    assert dot_test(Ag, dtype=torch.float32) <= 1e-5
