"""Metrics against scikit-image and numpy; per-item values, complex input, explicit data_range."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from tk_lessons import metrics


def pair(shape, seed, noise=0.1, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    x = scale * torch.rand(shape, generator=gen)
    x_rec = (x + noise * scale * torch.randn(shape, generator=gen)).clamp(0, scale)
    return x_rec, x


def sk_ssim(a, b, data_range):
    return structural_similarity(a, b, data_range=data_range, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False)


@pytest.mark.parametrize("shape,data_range,seed", [((3, 1, 32, 32), 1.0, 0), ((2, 1, 40, 27), 1.0, 1),
                                                   ((2, 1, 64, 64), 255.0, 2), ((4, 1, 11, 15), 1.0, 3)])
def test_psnr_and_ssim_match_skimage(shape, data_range, seed):
    x_rec, x = pair(shape, seed, scale=data_range)
    ours_psnr = metrics.psnr(x_rec, x, data_range=data_range)
    ours_ssim = metrics.ssim(x_rec, x, data_range=data_range)
    assert ours_psnr.shape == ours_ssim.shape == (shape[0],) and ours_psnr.dtype == torch.float32
    for i in range(shape[0]):
        a, b = x_rec[i, 0].double().numpy(), x[i, 0].double().numpy()
        assert float(ours_psnr[i]) == pytest.approx(peak_signal_noise_ratio(b, a, data_range=data_range), rel=1e-6)
        assert float(ours_ssim[i]) == pytest.approx(sk_ssim(a, b, data_range), abs=1e-5)


def test_ssim_1d_matches_skimage():
    x_rec, x = pair((2, 1, 100), 4)
    ours = metrics.ssim(x_rec, x, data_range=1.0)
    for i in range(2):
        assert float(ours[i]) == pytest.approx(sk_ssim(x_rec[i, 0].double().numpy(), x[i, 0].double().numpy(), 1.0),
                                               abs=1e-5)


def test_batch_gives_per_item_values():
    x_rec, x = pair((4, 1, 24, 24), 5)
    x_rec[2] = x[2] + 0.3 * (x_rec[2] - x[2])                     # one item much better
    for fn in (lambda a, b: metrics.psnr(a, b, 1.0), lambda a, b: metrics.ssim(a, b, 1.0),
               metrics.rel_error, metrics.sup_error):
        batch = fn(x_rec, x)
        single = torch.cat([fn(x_rec[i:i + 1], x[i:i + 1]) for i in range(4)])
        assert batch.shape == (4,) and torch.allclose(batch, single, rtol=1e-6, atol=0)
        assert len(set(batch.tolist())) == 4


def test_complex_inputs_are_compared_by_magnitude():
    x_rec, x = pair((2, 1, 16, 16), 6)
    phase_a = torch.exp(1j * torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(1)))
    phase_b = torch.exp(1j * torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(2)))
    zx_rec, zx = x_rec * phase_a, x * phase_b                     # same magnitudes, other phases
    assert torch.allclose(metrics.psnr(zx_rec, zx, 1.0), metrics.psnr(x_rec, x, 1.0))
    assert torch.allclose(metrics.ssim(zx_rec, zx, 1.0), metrics.ssim(x_rec, x, 1.0), atol=1e-6)
    assert torch.allclose(metrics.rel_error(zx_rec, zx), metrics.rel_error(x_rec, x))
    assert metrics.rel_error(zx_rec, zx).dtype == torch.float32
    # magnitude=False measures the complex difference: phase errors count.
    assert (metrics.rel_error(zx_rec, zx, magnitude=False) > metrics.rel_error(zx_rec, zx)).all()


def test_rel_error_and_sup_error_against_numpy():
    x_rec, x = pair((3, 1, 20), 7)
    a, b = x_rec.double().numpy()[:, 0], x.double().numpy()[:, 0]
    expected_rel = np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1)
    expected_sup = np.abs(a - b).max(axis=1)
    assert np.allclose(metrics.rel_error(x_rec, x).numpy(), expected_rel, rtol=1e-6)
    assert np.allclose(metrics.sup_error(x_rec, x).numpy(), expected_sup, rtol=1e-6)


def test_data_range_matters():
    x_rec, x = pair((1, 1, 32, 32), 8)
    psnr_1, psnr_255 = metrics.psnr(x_rec, x, data_range=1.0), metrics.psnr(x_rec, x, data_range=255.0)
    assert float(psnr_255 - psnr_1) == pytest.approx(20 * np.log10(255), rel=1e-5)
    ssim_1, ssim_255 = metrics.ssim(x_rec, x, data_range=1.0), metrics.ssim(x_rec, x, data_range=255.0)
    assert float(ssim_255) > float(ssim_1) + 0.05                 # large C1, C2 hide the error
    a, b = x_rec[0, 0].double().numpy(), x[0, 0].double().numpy()
    assert float(ssim_255) == pytest.approx(sk_ssim(a, b, 255.0), abs=1e-5)


def test_identical_images():
    x = pair((2, 1, 16, 16), 9)[1]
    assert torch.isinf(metrics.psnr(x, x, 1.0)).all()
    assert torch.allclose(metrics.ssim(x, x, 1.0), torch.ones(2))
    assert (metrics.rel_error(x, x) == 0).all() and (metrics.sup_error(x, x) == 0).all()


@pytest.mark.parametrize("call,error,match", [
    (lambda x: metrics.psnr(x, x, data_range=0), ValueError, r"data_range must be a finite number > 0, got 0"),
    (lambda x: metrics.ssim(x, x, data_range=-1.0), ValueError, r"data_range must be a finite number > 0"),
    (lambda x: metrics.psnr(x, x, data_range=None), TypeError, r"data_range must be a real number"),
    (lambda x: metrics.psnr(x[:1], x, 1.0), ValueError, r"x_rec and x must have the same shape.*x_rec \(1, 1"),
    (lambda x: metrics.rel_error(x, x[:, :, :8]), ValueError, r"x_rec and x must have the same shape"),
    (lambda x: metrics.sup_error(x[0, 0], x[0, 0]), ValueError, r"x must be a batch"),
    (lambda x: metrics.ssim(x[..., :8, :8], x[..., :8, :8], 1.0), ValueError, r"x is too small for a 11-point"),
    (lambda x: metrics.rel_error(x, torch.zeros_like(x)), ValueError, r"x has an all-zero item"),
    (lambda x: metrics.psnr(x.numpy(), x, 1.0), TypeError, r"x_rec must be a torch.Tensor"),
])
def test_bad_input_names_the_parameter(call, error, match):
    x = pair((2, 1, 16, 16), 10)[1]
    with pytest.raises(error, match=match):
        call(x)
