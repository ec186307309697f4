"""Radon: exact adjoint, values against scikit-image, FBP quality on the Shepp-Logan phantom.

Our forward model samples the image bilinearly at unit steps along each ray, the method of
``skimage.transform.radon`` (rotate with order-1 interpolation, then sum), with the same centre
and detector conventions. So we require the un-normalised values to agree with scikit-image
up to float32 rounding (relative difference < 1e-5), not merely within an interpolation
tolerance.
"""

import math

import numpy as np
import pytest
import torch
from skimage.data import shepp_logan_phantom
from skimage.transform import iradon, radon, resize

from tk_lessons.operators import Radon, dot_test

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

CASES = {
    "16-7": lambda: Radon(16, 7),
    "16-7-raw": lambda: Radon(16, 7, normalize=False),
    "odd-17-custom-angles": lambda: Radon(17, [0.0, 33.3, 90.0, 150.5, 200.0]),
    "12-5-few-detectors": lambda: Radon(12, 5, n_detectors=9),
}
ids = list(CASES)


@pytest.fixture(scope="module", params=ids)
def op(request):
    return CASES[request.param]()


def rand(shape, dtype=torch.float64, seed=0, batch=2):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, *shape, generator=gen, dtype=dtype)


@pytest.fixture(scope="module")
def phantom128():
    return resize(shepp_logan_phantom(), (128, 128), anti_aliasing=True)


@pytest.fixture(scope="module")
def radon128():
    return Radon(128, 180)


def inside_disk(n):
    yy, xx = np.mgrid[:n, :n]
    return (yy - n // 2) ** 2 + (xx - n // 2) ** 2 < (n // 2) ** 2


# -- adjoint ---------------------------------------------------------------------------------

def test_dot_test(op):
    assert dot_test(op, dtype=torch.float32) <= 1e-5
    assert dot_test(op, dtype=torch.float64) <= 1e-12


def test_dot_test_ordinary_size():
    A = Radon(64, 60)
    for seed in range(3):
        assert dot_test(A, dtype=torch.float32, seed=seed) <= 1e-5
        assert dot_test(A, dtype=torch.float64, seed=seed) <= 1e-12


def test_adjoint_is_autograd_vjp(op):
    x, v = rand(op.domain_shape, seed=1), rand(op.range_shape, seed=2)
    _, vjp = torch.func.vjp(op, x)
    torch.testing.assert_close(vjp(v)[0], op.H(v), rtol=1e-12, atol=1e-14)


def test_adjoint_of_adjoint(op):
    x = rand(op.domain_shape)
    assert op.H.H is op
    torch.testing.assert_close(op.H.H(x), op(x), rtol=0, atol=0)


def test_dense_matrix_transposes(op):
    D = op.to_dense(torch.float64)
    DH = op.H.to_dense(torch.float64)
    torch.testing.assert_close(DH, D.T, rtol=0, atol=1e-15)


# -- values against scikit-image --------------------------------------------------------------

def disk_image(size, seed):
    """Random values inside the inscribed disk, zero outside (see the note below)."""
    x = rand((1, size, size), seed=seed, batch=1)[0, 0].numpy()
    return x * inside_disk(size)


@pytest.mark.parametrize("size, theta", [(32, np.arange(0, 180, 4.0)),
                                         (31, np.array([0, 17.5, 45, 90, 133.3, 179, 260.0]))])
def test_values_match_skimage(size, theta):
    # Images vanish near the corners: skimage only sums over its padded square, which cuts the
    # far ends of some diagonal rays through the corners; we integrate every ray to its end.
    x = disk_image(size, seed=3)
    A = Radon(size, torch.tensor(theta), normalize=False)
    got = A(torch.tensor(x)[None, None])[0, 0].numpy()
    ref = radon(x, theta, circle=False)
    assert got.shape == ref.shape
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 1e-5
    # normalised operator: the same values divided by scale
    An = Radon(size, torch.tensor(theta))
    np.testing.assert_allclose(An(torch.tensor(x)[None, None])[0, 0].numpy() * An.scale, got,
                               rtol=1e-5, atol=1e-5 * np.abs(got).max())


def test_values_match_skimage_circle(phantom128):
    x = resize(phantom128, (64, 64), anti_aliasing=True)  # supported in the inscribed disk
    theta = np.arange(0, 180, 3.0)
    A = Radon(64, 60, n_detectors=64, normalize=False)
    got = A(torch.tensor(x)[None, None])[0, 0].numpy()
    ref = radon(x, theta, circle=True)
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 1e-5


def test_geometry_of_a_point_and_a_constant():
    # pixel (row, col) sits at (col - c, c - row); at angle theta it projects to
    # t = (col - c) cos(theta) + (c - row) sin(theta), i.e. detector bin n_detectors // 2 + t
    A = Radon(16, [0, 30, 90, 135, 180, 270], normalize=False)
    c, centre_bin = 8, A.n_detectors // 2
    for row, col in [(8, 8), (3, 11), (12, 2)]:
        x = torch.zeros(1, 1, 16, 16, dtype=torch.float64)
        x[0, 0, row, col] = 1.0
        y = A(x)[0, 0]
        for a, theta in enumerate(np.deg2rad(A.angles.numpy())):
            t = (col - c) * math.cos(theta) + (c - row) * math.sin(theta)
            assert abs(int(y[:, a].argmax()) - (centre_bin + t)) <= 0.5
        # at 0 and 90 degrees the rays run along the grid: all the mass in one bin
        assert float(y[:, 0].max()) == pytest.approx(1.0) and float(y[:, 0].sum()) == pytest.approx(1.0)
        assert float(y[:, 2].max()) == pytest.approx(1.0) and float(y[:, 2].sum()) == pytest.approx(1.0)
    # a constant image: the rays at 0 degrees cross 16 pixels
    y = A(torch.ones(1, 1, 16, 16, dtype=torch.float64))[0, 0]
    torch.testing.assert_close(y[centre_bin - 8:centre_bin + 8, 0], torch.full((16,), 16.0, dtype=torch.float64))


def test_angles_forms_agree():
    n = Radon(16, 6)
    listed = Radon(16, [0, 30, 60, 90, 120, 150])
    tensor = Radon(16, torch.arange(0, 180, 30))
    array = Radon(16, np.arange(0, 180, 30.0))
    for other in (listed, tensor, array):
        torch.testing.assert_close(other.angles, n.angles)
        torch.testing.assert_close(other.fwd_values, n.fwd_values)


# -- FBP -----------------------------------------------------------------------------------

def psnr_in_disk(rec, ref):
    disk = inside_disk(ref.shape[0])
    return 10 * math.log10(ref.max() ** 2 / np.mean((rec - ref)[disk] ** 2))


def test_fbp_shepp_logan(radon128, phantom128):
    x = torch.tensor(phantom128, dtype=torch.float32)[None, None]
    y = radon128(x)
    rec = radon128.fbp(y)[0, 0].double().numpy()
    disk = inside_disk(128)
    rel = np.linalg.norm((rec - phantom128)[disk]) / np.linalg.norm(phantom128[disk])
    assert rel < 0.2
    assert psnr_in_disk(rec, phantom128) > 25
    # close to scikit-image's FBP of its own sinogram (different backprojector, same maths)
    theta = np.arange(180.0)
    ref = iradon(radon(phantom128, theta, circle=False), theta, output_size=128, circle=False)
    assert np.linalg.norm((rec - ref)[disk]) / np.linalg.norm(ref[disk]) < 0.05
    for name in ("shepp-logan", "cosine", "hann"):
        assert psnr_in_disk(radon128.fbp(y, filter=name)[0, 0].double().numpy(), phantom128) > 20


def test_fbp_scaling_does_not_depend_on_normalisation():
    x = rand((1, 32, 32), seed=4, batch=1)
    A, R = Radon(32, 40), Radon(32, 40, normalize=False)
    torch.testing.assert_close(A.fbp(A(x)), R.fbp(R(x)), rtol=1e-6, atol=1e-6)


def test_fbp_is_differentiable():
    A = Radon(8, 4)
    y = rand(A.range_shape, batch=1).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: A.fbp(t), (y,))


# -- norm, gradients, batches -----------------------------------------------------------------

def test_norm_against_dense_matrix(op):
    exact = torch.linalg.matrix_norm(op.to_dense(torch.float64), 2).item()
    assert op.norm() == pytest.approx(exact, rel=1e-5)


def test_normalised_norm_is_one():
    A = Radon(24, 30)
    assert A.norm() == 1.0
    assert torch.linalg.matrix_norm(A.to_dense(torch.float64), 2).item() == pytest.approx(1.0, rel=1e-5)
    R = Radon(24, 30, normalize=False)
    assert R.norm() == pytest.approx(A.scale, rel=1e-6)


def test_gradcheck():
    A = Radon(8, 5)
    x = rand(A.domain_shape, batch=1).requires_grad_()
    y = rand(A.range_shape, batch=1).requires_grad_()
    assert torch.autograd.gradcheck(A, (x,))
    assert torch.autograd.gradcheck(A.H, (y,))


def test_batch_of_one_equals_batch_of_four():
    A = Radon(24, 12)
    x = rand(A.domain_shape, batch=4, dtype=torch.float32)
    y = rand(A.range_shape, batch=4, dtype=torch.float32)
    full, back, rec = A(x), A.H(y), A.fbp(y)
    for i in range(4):
        torch.testing.assert_close(A(x[i:i + 1]), full[i:i + 1], rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(A.H(y[i:i + 1]), back[i:i + 1], rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(A.fbp(y[i:i + 1]), rec[i:i + 1], rtol=1e-5, atol=1e-6)


def test_dtypes_are_kept():
    A = Radon(16, 6)
    for dtype in (torch.float32, torch.float64):
        assert A(torch.zeros(1, *A.domain_shape, dtype=dtype)).dtype == dtype
        assert A.H(torch.zeros(1, *A.range_shape, dtype=dtype)).dtype == dtype
        assert A.fbp(torch.zeros(1, *A.range_shape, dtype=dtype)).dtype == dtype


# -- bad input ---------------------------------------------------------------------------------

def test_bad_size():
    with pytest.raises(TypeError, match=r"size must be an integer, got float"):
        Radon(16.5, 10)
    with pytest.raises(ValueError, match=r"size must be an integer >= 2, got 1"):
        Radon(1, 10)


def test_bad_angles():
    with pytest.raises(ValueError, match=r"angles must be a positive int .* got 0"):
        Radon(16, 0)
    with pytest.raises(ValueError, match=r"angles must be a positive int .* got -3"):
        Radon(16, -3)
    with pytest.raises(ValueError, match=r"angles must be .*non-empty 1-D.* got shape \(0,\)"):
        Radon(16, [])
    with pytest.raises(ValueError, match=r"angles must be .* got shape \(2, 2\)"):
        Radon(16, [[0, 1], [2, 3]])
    with pytest.raises(TypeError, match=r"angles must be .* got str"):
        Radon(16, "ten")
    with pytest.raises(ValueError, match=r"angles must be finite"):
        Radon(16, [0.0, float("nan")])


def test_bad_detectors_and_normalize():
    with pytest.raises(ValueError, match=r"n_detectors must be an integer >= 1, got 0"):
        Radon(16, 4, n_detectors=0)
    with pytest.raises(TypeError, match=r"normalize must be True or False"):
        Radon(16, 4, normalize=1)


def test_bad_inputs_to_the_operator():
    A = Radon(16, 4)
    with pytest.raises(TypeError, match=r"x must be real for Radon"):
        A(torch.zeros(1, 1, 16, 16, dtype=torch.complex64))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 16, 16\)"):
        A(torch.zeros(1, 16, 16))
    with pytest.raises(ValueError, match=r"y must have shape \(B, 1, 23, 4\)"):
        A.H(torch.zeros(1, 1, 4, 23))
    with pytest.raises(TypeError, match=r"x must be float32 or float64 for Radon, got dtype torch.float16"):
        A(torch.zeros(1, 1, 16, 16, dtype=torch.float16))
    with pytest.raises(ValueError, match=r"filter must be one of ramp, shepp-logan.*got 'butterworth'"):
        A.fbp(torch.zeros(1, *A.range_shape), filter="butterworth")
    with pytest.raises(ValueError, match=r"y must have shape"):
        A.fbp(torch.zeros(1, 1, 16, 16))


# -- CUDA ----------------------------------------------------------------------------------

@pytest.mark.cuda
@cuda
def test_cuda_matches_cpu(phantom128):
    A = Radon(64, 45)
    Ac = Radon(64, 45).to("cuda")
    x = torch.tensor(resize(phantom128, (64, 64)), dtype=torch.float32)[None, None].repeat(2, 1, 1, 1)
    y = A(x)
    torch.testing.assert_close(Ac(x.cuda()).cpu(), y, rtol=0, atol=1e-5)
    torch.testing.assert_close(Ac.H(y.cuda()).cpu(), A.H(y), rtol=0, atol=1e-5)
    torch.testing.assert_close(Ac.fbp(y.cuda()).cpu(), A.fbp(y), rtol=0, atol=1e-4)
    assert dot_test(Ac, dtype=torch.float32) <= 1e-5
    assert dot_test(Ac, dtype=torch.float64) <= 1e-12
    xg = x.cuda().requires_grad_()
    Ac(xg).square().sum().backward()
    torch.testing.assert_close(xg.grad.cpu(), 2 * A.H(y), rtol=0, atol=1e-4)
