"""Wavelet: orthonormal periodised DWT checked against PyWavelets (mode="periodization")."""

import math
import warnings

import numpy as np
import pytest
import pywt
import torch

from tk_lessons.operators import Wavelet, dot_test
from tk_lessons.operators.wavelet import WAVELETS, wavelet_filters

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

# (size, name, levels): 2-D squares, a rectangle, 1-D signals; shallow to deepest levels
CASES = [
    (8, "haar", 1), (8, "haar", 3), (16, "haar", 2),
    (8, "db2", 2), (16, "db2", 1), (16, "db2", 4),
    (8, "db4", 1), (8, "db4", 3), (16, "db4", 2),
    (16, "db3", 2), (16, "db8", 2),
    ((8, 16), "db2", 3),
    ((16,), "haar", 4), ((16,), "db2", 2), ((32,), "db4", 3), ((32,), "db8", 5),
]
ids = [f"{s}-{n}-L{lv}" for s, n, lv in CASES]


def make(case):
    size, name, levels = case
    return Wavelet(size, name, levels=levels)


def pywt_coeffs(x, name, levels):
    """PyWavelets' coefficients of one image/signal, flattened in our layout."""
    with warnings.catch_warnings():  # deep levels: pywt warns about boundary effects, fine here
        warnings.simplefilter("ignore")
        if x.ndim == 1:
            return np.concatenate(pywt.wavedec(x, name, mode="periodization", level=levels))
        arr, _ = pywt.coeffs_to_array(pywt.wavedec2(x, name, mode="periodization", level=levels))
        return arr


def pywt_matrix(shape, name, levels):
    """Column j = PyWavelets' transform of the j-th unit image."""
    n = math.prod(shape)
    cols = [pywt_coeffs(np.eye(n)[j].reshape(shape), name, levels).ravel() for j in range(n)]
    return np.stack(cols, axis=1)


def rand(op, batch=2, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, *op.domain_shape, generator=gen, dtype=dtype)


# -- filters -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", WAVELETS)
def test_filters_are_orthonormal_and_match_pywt(name):
    h, g = (np.array(f) for f in wavelet_filters(name))
    L = len(h)
    assert h.sum() == pytest.approx(math.sqrt(2), abs=1e-12)
    for shift in range(0, L, 2):  # even shifts of h and g: orthonormal
        assert np.dot(h[shift:], h[:L - shift]) == pytest.approx(float(shift == 0), abs=1e-12)
        assert np.dot(g[shift:], g[:L - shift]) == pytest.approx(float(shift == 0), abs=1e-12)
        assert np.dot(h[shift:], g[:L - shift]) == pytest.approx(0.0, abs=1e-12)
        assert np.dot(g[shift:], h[:L - shift]) == pytest.approx(0.0, abs=1e-12)
    ref = pywt.Wavelet(name)
    np.testing.assert_allclose(h[::-1], ref.dec_lo, atol=1e-12)
    np.testing.assert_allclose(g[::-1], ref.dec_hi, atol=1e-12)


# -- dense oracle: PyWavelets ----------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=ids)
def test_matrix_equals_pywavelets(case):
    W = make(case)
    ref = pywt_matrix(W.shape, W.name, W.levels)
    np.testing.assert_allclose(W.to_dense(torch.float64).numpy(), ref, atol=1e-12)


def test_default_levels_follow_pywt():
    for size, name in [(256, "db4"), (64, "haar"), (32, "db2"), (16, "db8")]:
        expected = max(pywt.dwt_max_level(size, pywt.Wavelet(name).dec_len), 1)
        assert Wavelet(size, name).levels == expected
    assert Wavelet(24, "haar").levels == 3  # capped: 24 = 8 * 3 is halved only three times


# -- adjoint, inverse, norm -------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=ids)
def test_dot_test(case):
    W = make(case)
    assert dot_test(W, dtype=torch.float32) <= 1e-5
    assert dot_test(W, dtype=torch.float64) <= 1e-12


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_orthogonal(case):
    W = make(case)
    D = W.to_dense(torch.float64)
    torch.testing.assert_close(D @ D.T, torch.eye(D.shape[0], dtype=torch.float64), atol=1e-12, rtol=0)
    x = rand(W)
    c = W(x)
    torch.testing.assert_close(c.flatten(1).norm(dim=1), x.flatten(1).norm(dim=1), rtol=1e-12, atol=0)
    torch.testing.assert_close(W.H(c), x, rtol=0, atol=1e-12)  # perfect reconstruction
    torch.testing.assert_close(W(W.H(x)), x, rtol=0, atol=1e-12)
    assert W.norm() == 1.0
    assert torch.linalg.matrix_norm(D, 2).item() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("case", CASES[:6] + CASES[-3:], ids=ids[:6] + ids[-3:])
def test_adjoint_is_autograd_vjp(case):
    W = make(case)
    x, v = rand(W, seed=1), rand(W, seed=2)
    _, vjp = torch.func.vjp(W, x)
    torch.testing.assert_close(vjp(v)[0], W.H(v), rtol=0, atol=1e-12)
    xc, vc = rand(W, dtype=torch.complex128, seed=3), rand(W, dtype=torch.complex128, seed=4)
    _, vjp = torch.func.vjp(W, xc)
    torch.testing.assert_close(vjp(vc)[0], W.H(vc), rtol=0, atol=1e-12)


def test_adjoint_of_adjoint():
    W = Wavelet(16, "db2", levels=2)
    x = rand(W)
    assert W.H.H is W
    torch.testing.assert_close(W.H.H(x), W(x), rtol=0, atol=0)


def test_complex_input_is_transformed_linearly():
    W = Wavelet(16, "db4", levels=2)
    x = rand(W, dtype=torch.complex128)
    c = W(x)
    assert c.dtype == torch.complex128
    torch.testing.assert_close(c, torch.complex(W(x.real), W(x.imag)), rtol=0, atol=0)
    torch.testing.assert_close(c.flatten().norm(), x.flatten().norm(), rtol=1e-12, atol=0)
    torch.testing.assert_close(W.H(c), x, rtol=0, atol=1e-12)
    assert dot_test(W, dtype=torch.float64) <= 1e-12  # complex x and y: the domain is complex


def test_float32_keeps_dtype_and_is_accurate():
    W = Wavelet(32, "db4", levels=3)
    x = rand(W, dtype=torch.float32)
    c = W(x)
    assert c.dtype == torch.float32
    torch.testing.assert_close(c.double(), W(x.double()), rtol=0, atol=1e-5)
    torch.testing.assert_close(W.H(c), x, rtol=0, atol=1e-5)


@pytest.mark.parametrize("case", [(8, "db2", 2), ((16,), "db4", 2)], ids=["2d", "1d"])
def test_gradcheck(case):
    W = make(case)
    x = rand(W, batch=1).requires_grad_()
    assert torch.autograd.gradcheck(W, (x,))
    assert torch.autograd.gradcheck(W.H, (x,))
    xc = rand(W, batch=1, dtype=torch.complex128).requires_grad_()
    assert torch.autograd.gradcheck(W, (xc,))


def test_batch_of_one_equals_batch_of_four():
    W = Wavelet(32, "db2", levels=3)
    x = rand(W, batch=4)
    full, back = W(x), W.H(x)
    for i in range(4):
        torch.testing.assert_close(W(x[i:i + 1]), full[i:i + 1], rtol=0, atol=0)
        torch.testing.assert_close(W.H(x[i:i + 1]), back[i:i + 1], rtol=0, atol=0)


# -- level masks -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", [(16, "db2", 3), ((8, 16), "haar", 2), ((32,), "db4", 3)],
                         ids=["square", "rect", "1d"])
def test_level_masks_match_pywt_bands(case):
    W = make(case)
    masks = W.level_masks()
    assert len(masks) == W.levels + 1
    assert all(m.shape == W.domain_shape and m.dtype == torch.bool for m in masks)
    assert torch.equal(torch.stack(masks).sum(0), torch.ones(W.domain_shape, dtype=torch.long))  # partition
    x = np.zeros(W.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(W.shape) == 2:
            coeffs = pywt.wavedec2(x, W.name, mode="periodization", level=W.levels)
            _, slices = pywt.coeffs_to_array(coeffs)
            expected = []
            for j, sl in enumerate(slices):
                m = np.zeros(W.shape, dtype=bool)
                for s in ([sl] if j == 0 else sl.values()):
                    m[s] = True
                expected.append(m)
        else:
            lengths = [len(c) for c in pywt.wavedec(x, W.name, mode="periodization", level=W.levels)]
            edges = np.cumsum([0] + lengths)
            expected = [(np.arange(W.shape[0]) >= a) & (np.arange(W.shape[0]) < b)
                        for a, b in zip(edges[:-1], edges[1:])]
    for got, want in zip(masks, expected):
        np.testing.assert_array_equal(got[0].numpy(), want)


# -- bad input ---------------------------------------------------------------------------------

def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"name must be one of .*db4.*got 'sym4'"):
        Wavelet(16, "sym4")


def test_levels_too_deep():
    with pytest.raises(ValueError, match=r"levels=5 is too deep.*at most 4"):
        Wavelet(16, "haar", levels=5)
    with pytest.raises(ValueError, match=r"levels=3 is too deep"):
        Wavelet((8, 12), "haar", levels=3)  # 12 halves only twice


def test_levels_below_one():
    with pytest.raises(ValueError, match=r"levels must be an integer >= 1, got 0"):
        Wavelet(16, "haar", levels=0)
    with pytest.raises(TypeError, match=r"levels must be an integer"):
        Wavelet(16, "haar", levels=2.0)


def test_bad_size():
    with pytest.raises(TypeError, match=r"size must be an int N .* got 16.0"):
        Wavelet(16.0)
    with pytest.raises(TypeError, match=r"size must be an integer, got str"):
        Wavelet(("16",))
    with pytest.raises(TypeError, match=r"size must be an int N"):
        Wavelet((4, 4, 4))
    with pytest.raises(ValueError, match=r"size must have even sides"):
        Wavelet(15)


def test_wrong_input_shape():
    W = Wavelet(16, "haar")
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 16, 16\)"):
        W(torch.zeros(1, 16, 16))
    with pytest.raises(ValueError, match=r"y must have shape"):
        W.H(torch.zeros(2, 1, 8, 8))


# -- CUDA ----------------------------------------------------------------------------------

@pytest.mark.cuda
@cuda
def test_cuda_matches_cpu():
    W = Wavelet(64, "db4", levels=3)
    x = rand(W, batch=3, dtype=torch.float32)
    Wc = Wavelet(64, "db4", levels=3).to("cuda")
    torch.testing.assert_close(Wc(x.cuda()).cpu(), W(x), rtol=0, atol=1e-5)
    torch.testing.assert_close(Wc.H(x.cuda()).cpu(), W.H(x), rtol=0, atol=1e-5)
    xc = rand(W, dtype=torch.complex64)
    torch.testing.assert_close(Wc(xc.cuda()).cpu(), W(xc), rtol=0, atol=1e-5)
    assert dot_test(Wc, dtype=torch.float32) <= 1e-5
