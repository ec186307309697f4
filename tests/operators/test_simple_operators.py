"""GaussianMatrix, Blur, Inpainting and Gradient against explicit numpy/scipy matrices."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from tk_lessons.operators import Blur, GaussianMatrix, Gradient, Inpainting, LinearOperator, dot_test

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def random_mask(shape, seed=0, p=0.5):
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(shape, generator=gen) < p
    mask.view(-1)[0] = True
    return mask


CASES = {
    "gaussian": lambda: GaussianMatrix(20, 64, seed=0, domain_shape=(1, 8, 8)),
    "gaussian-complex": lambda: GaussianMatrix(12, 16, seed=1, complex=True),
    "blur-8x8": lambda: Blur(8, 1.0),
    "blur-8x6": lambda: Blur((8, 6), 0.7),
    "blur-1d": lambda: Blur((15,), 2.0),
    "inpainting-2d": lambda: Inpainting(random_mask((8, 8))),
    "inpainting-1d": lambda: Inpainting(random_mask((16,), seed=1)),
    "gradient-8x8": lambda: Gradient(8),
    "gradient-7x9": lambda: Gradient((7, 9)),
    "gradient-1d": lambda: Gradient((16,)),
}
ids = list(CASES)


def dtype_for(op, precision=64):
    return LinearOperator._dtype(op.domain_complex, precision)


# -- dense oracles built independently of the package -------------------------------------

def periodic_gaussian(n, sigma):
    d = np.minimum(np.arange(n), n - np.arange(n))
    g = np.exp(-d**2 / (2 * sigma**2))
    return g / g.sum()


def blur_matrix(shape, sigma):
    """(A x)_i = sum_k g_{i-k} x_k with indices mod the grid: a (block-)circulant matrix."""
    mats = [scipy.linalg.circulant(periodic_gaussian(n, sigma)) for n in shape]
    return mats[0] if len(mats) == 1 else np.kron(mats[0], mats[1])


def difference_matrix(n):
    return np.roll(np.eye(n), 1, axis=1) - np.eye(n)   # row i: x_{i+1} - x_i


def gradient_matrix(shape):
    if len(shape) == 1:
        return difference_matrix(shape[0])
    h, w = shape
    return np.vstack([np.kron(difference_matrix(h), np.eye(w)), np.kron(np.eye(h), difference_matrix(w))])


def oracle(name, op):
    if name.startswith("gaussian"):
        return op.matrix.to(torch.complex128 if op.matrix.is_complex() else torch.float64).numpy()
    if name.startswith("blur"):
        return blur_matrix(op.domain_shape[1:], op.sigma)
    if name.startswith("inpainting"):
        return np.eye(op.mask.numel())[op.mask.flatten().numpy()]
    return gradient_matrix(op.domain_shape[1:])


@pytest.mark.parametrize("name", ids)
def test_dense_oracle(name):
    op = CASES[name]()
    dense = op.to_dense(dtype_for(op)).numpy()
    np.testing.assert_allclose(dense, oracle(name, op), atol=1e-12)
    # and applied to a batch, not just to basis vectors
    x = torch.randn(3, *op.domain_shape, dtype=dtype_for(op))
    ref = x.reshape(3, -1).numpy() @ oracle(name, op).T
    np.testing.assert_allclose(op(x).reshape(3, -1).numpy(), ref, atol=1e-12)


@pytest.mark.parametrize("name", ids)
def test_dot_test(name):
    op = CASES[name]()
    assert dot_test(op, dtype=torch.float32) <= 1e-5
    assert dot_test(op, dtype=torch.float64) <= 1e-12


@pytest.mark.parametrize("name", ids)
def test_norm_matches_largest_singular_value(name):
    op = CASES[name]()
    exact = float(torch.linalg.matrix_norm(torch.as_tensor(oracle(name, op)), 2))
    assert abs(op.norm() - exact) <= 1e-6 * exact
    assert abs(float(torch.linalg.matrix_norm(op.to_dense(dtype_for(op)), 2)) - exact) <= 1e-10 * exact


def test_exact_norm_values():
    assert Inpainting(random_mask((8, 8))).norm() == 1.0
    assert Gradient(8).norm() == pytest.approx(math.sqrt(8), abs=1e-12)
    assert Gradient((16,)).norm() == pytest.approx(2, abs=1e-12)
    odd = Gradient((7, 9))
    assert odd.norm() < math.sqrt(8) - 1e-3
    assert odd.norm() == pytest.approx(LinearOperator.norm(odd), rel=1e-6)   # generic power method
    blur = Blur((8, 6), 0.7)
    assert blur.norm() == pytest.approx(float(blur.transfer.abs().max()), abs=0)
    assert blur.norm() == pytest.approx(1.0, abs=1e-12)      # the kernel sums to 1
    A = GaussianMatrix(100, 400, seed=3)
    assert abs(A.norm() / (1 + math.sqrt(400 / 100)) - 1) < 0.2


def test_blur_singular_values_and_transfer():
    A = Blur((8, 6), 0.9)
    svd = np.linalg.svd(blur_matrix((8, 6), 0.9), compute_uv=False)
    np.testing.assert_allclose(A.singular_values().numpy(), svd, atol=1e-12)
    # eigen-decomposition: A (Fourier mode) = transfer * (Fourier mode)
    k = (2, 1)
    mode = torch.zeros(8, 6, dtype=torch.complex128)
    mode[k] = 1
    wave = torch.fft.ifft2(mode).real.reshape(1, 1, 8, 6)    # real part of a mode: transfer is real and even
    ref = torch.fft.ifft2(mode * A.transfer).real.reshape(1, 1, 8, 6)
    torch.testing.assert_close(A(wave), ref)
    assert A.singular_values()[-1] < 1e-2 * A.singular_values()[0]   # ill-conditioned


def test_gaussian_statistics_and_seed():
    A = GaussianMatrix(200, 300, seed=5).matrix.double()
    assert abs(A.mean()) < 5 * math.sqrt(1 / 200 / A.numel())   # 5 standard errors
    assert abs(A.var() * 200 - 1) < 0.02
    C = GaussianMatrix(200, 300, seed=5, complex=True).matrix
    assert C.is_complex()
    assert abs((C.abs() ** 2).mean() * 200 - 1) < 0.02
    assert abs(C.real.var() / C.imag.var() - 1) < 0.05
    assert torch.equal(GaussianMatrix(10, 20, seed=7).matrix, GaussianMatrix(10, 20, seed=7).matrix)
    assert not torch.equal(GaussianMatrix(10, 20, seed=7).matrix, GaussianMatrix(10, 20, seed=8).matrix)


@pytest.mark.parametrize("name", ids)
def test_adjoint_equals_autograd_vjp_and_double_adjoint(name):
    op = CASES[name]()
    x = torch.randn(2, *op.domain_shape, dtype=dtype_for(op))
    v = torch.randn(2, *op.range_shape, dtype=LinearOperator._dtype(op.range_complex))
    if op.domain_complex and not op.range_complex:  # pragma: no cover - no such case here
        v = v.real
    _, vjp = torch.func.vjp(op, x)
    torch.testing.assert_close(vjp(v)[0], op.H(v))
    assert torch.equal(op.H.H(x), op(x))


@pytest.mark.parametrize("name", ["gaussian-complex", "blur-8x6", "blur-1d", "inpainting-1d", "gradient-7x9"])
def test_gradcheck(name):
    op = CASES[name]()
    x = torch.randn(2, *op.domain_shape, dtype=dtype_for(op), requires_grad=True)
    assert torch.autograd.gradcheck(op, (x,))
    y = torch.randn(2, *op.range_shape, dtype=LinearOperator._dtype(op.range_complex), requires_grad=True)
    assert torch.autograd.gradcheck(op.H, (y,))


@pytest.mark.parametrize("name", ids)
def test_batch_of_one_equals_batch_of_four(name):
    op = CASES[name]()
    x = torch.randn(4, *op.domain_shape)
    y = op(x)
    z = op.H(y)
    for i in range(4):
        torch.testing.assert_close(op(x[i:i + 1]), y[i:i + 1], rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(op.H(y[i:i + 1]), z[i:i + 1], rtol=1e-6, atol=1e-6)


def test_shapes_and_layouts():
    assert Gradient(8).range_shape == (2, 8, 8)
    assert Gradient((16,)).domain_shape == (1, 16) and Gradient((16,)).range_shape == (1, 16)
    # channel 0 holds vertical, channel 1 horizontal differences
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    g = Gradient((3, 4))(x)
    assert g[0, 0, 0, 0] == 4 and g[0, 1, 0, 0] == 1
    mask = random_mask((8, 8))
    A = Inpainting(mask)
    assert A.range_shape == (int(mask.sum()),) and A.m == int(mask.sum())
    assert Blur(8, 1.0).domain_shape == (1, 8, 8) and Blur((15,), 1.0).range_shape == (1, 15)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: Blur(8, -1.0), ValueError, "sigma must be a finite number > 0, got -1.0"),
        (lambda: Blur(8, 0), ValueError, "sigma must be a finite number > 0"),
        (lambda: Blur(0, 1.0), ValueError, r"size must contain positive integers, got \(0, 0\)"),
        (lambda: Blur((4, 4, 4), 1.0), ValueError, "size must be an int or a tuple of 1 or 2"),
        (lambda: Gradient("8"), ValueError, "size must be an int or a tuple"),
        (lambda: GaussianMatrix(0, 10), ValueError, "m must be an integer >= 1, got 0"),
        (lambda: GaussianMatrix(5, -3), ValueError, "n must be an integer >= 1, got -3"),
        (lambda: GaussianMatrix(5, 2.5), TypeError, "n must be an integer"),
        (lambda: GaussianMatrix(5, 10, domain_shape=(1, 3, 3)), ValueError, "domain_shape"),
        (lambda: GaussianMatrix(5, 10, complex="yes"), TypeError, "complex must be True or False"),
        (lambda: Inpainting(torch.ones(2, 2, 2, dtype=torch.bool)), ValueError, "mask must be 1-D or 2-D"),
        (lambda: Inpainting(torch.zeros(4, dtype=torch.bool)), ValueError, "mask must select at least one"),
        (lambda: Inpainting(torch.ones(4)), TypeError, "mask must be a boolean tensor"),
    ],
)
def test_bad_construction(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_calls():
    with pytest.raises(TypeError, match="x must be real for Blur"):
        Blur(8, 1.0)(torch.ones(1, 1, 8, 8, dtype=torch.complex64))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 8, 8\) for Gradient, got \(1, 1, 8, 9\)"):
        Gradient(8)(torch.ones(1, 1, 8, 9))
    with pytest.raises(ValueError, match=r"y must have shape \(B, 2, 8, 8\) for Gradient"):
        Gradient(8).H(torch.ones(1, 1, 8, 8))
    with pytest.raises(TypeError, match="y must be a torch.Tensor"):
        Inpainting(random_mask((4,))).H([1.0, 2.0])


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("name", ids)
def test_cuda_matches_cpu(name):
    op = CASES[name]()
    x = torch.randn(4, *op.domain_shape)
    y = op(x)
    z = op.H(y)
    op.to("cuda")
    torch.testing.assert_close(op(x.cuda()).cpu(), y, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(op.H(y.cuda()).cpu(), z, rtol=1e-5, atol=1e-5)
    assert dot_test(op, dtype=torch.float32) <= 1e-5


def test_device_is_where_the_operators_tensors_live_and_follows_to():
    from tk_lessons import operators, sampling

    A = operators.SubsampledFourier(sampling.radial(16, 4))
    assert A.device == torch.device("cpu")
    # the meta device holds no data, so this runs on any machine: the property must follow .to
    assert A.to("meta").device == torch.device("meta")
    assert operators.Identity((4, 4)).device == torch.device("cpu")   # no tensors: the CPU
