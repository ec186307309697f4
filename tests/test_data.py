"""Data: phantoms, ellipse data set, 1-D signals and the tumour, details; reproducibility and ranges."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from tk_lessons import data


def in_unit_range(x: torch.Tensor) -> bool:
    return x.dtype == torch.float32 and bool((x >= 0).all()) and bool((x <= 1).all())


def centred_dft(v: np.ndarray) -> np.ndarray:
    return np.fft.fftshift(np.fft.fft(np.fft.ifftshift(v), norm="ortho"))


# ----------------------------------------------------------------------------- Shepp–Logan
def test_shepp_logan_shape_values_and_skimage_agreement():
    from skimage.data import shepp_logan_phantom

    x = data.shepp_logan(400)
    assert x.shape == (1, 1, 400, 400) and in_unit_range(x)
    values = np.unique(x.numpy().astype(np.float64))
    allowed = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 1.0])
    assert np.abs(values[:, None] - allowed).min(1).max() < 1e-6 and values.max() == 1.0
    assert float(x[0, 0, 200, 200]) == pytest.approx(0.2)         # brain tissue at the centre
    reference = shepp_logan_phantom()                              # modified phantom, 400 x 400
    agree = np.abs(x[0, 0].numpy() - reference) < 0.01
    assert agree.mean() > 0.99                                     # edge pixels may differ


def test_shepp_logan_original_and_device():
    original = data.shepp_logan(64, modified=False)
    assert in_unit_range(original) and float(original.max()) == 1.0
    assert not torch.equal(original, data.shepp_logan(64))
    assert data.shepp_logan(32, device="cpu").device.type == "cpu"


# ----------------------------------------------------------------------------- ellipses
def test_ellipses_range_reproducible_and_seeded():
    a, b, c = data.ellipses(64, 1), data.ellipses(64, 1), data.ellipses(64, 2)
    assert a.shape == (1, 1, 64, 64) and in_unit_range(a) and float(a.max()) == 1.0
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert float((a > 0).float().mean()) > 0.02                    # not empty


def test_ellipses_parameters_matter():
    few_small = data.ellipses(64, 3, c_min=1, c_max=2, max_axis=0.05, min_axis=0.04)
    assert float((few_small > 0).float().mean()) < 0.01            # one small ellipse
    flat = data.ellipses(64, 3, grad_fac=0.0, bias_fac=1.0, bias_fac_min=1.0, c_min=1, c_max=2)
    assert set(np.unique(flat.numpy())) <= {0.0, 1.0}              # constant, no slope


def test_ellipses_dataset_is_index_seeded():
    ds = data.EllipsesDataset(12, size=32, seed=4)
    alone = ds[5]
    seen = {i: ds[i] for i in reversed(range(len(ds)))}
    assert alone.shape == (1, 32, 32) and torch.equal(alone, seen[5]) and torch.equal(ds[-7], alone)
    assert not torch.equal(seen[5], seen[6])
    assert not torch.equal(alone, data.EllipsesDataset(12, size=32, seed=5)[5])
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2,
                                         generator=torch.Generator().manual_seed(0))
    batches = list(loader)
    assert batches[0].shape == (4, 1, 32, 32)
    # Whatever worker made it, every item equals the one built alone.
    stacked = torch.cat(batches)
    matches = [any(torch.equal(row, seen[i]) for row in stacked) for i in range(12)]
    assert all(matches)
    with pytest.raises(IndexError, match="index 12 is out of range"):
        ds[12]


# ----------------------------------------------------------------------------- signals
def test_piecewise_polynomial_range_reproducible_and_independent_of_n():
    x = data.piecewise_polynomial(5, 256, seed=2)
    assert x.shape == (5, 1, 256) and in_unit_range(x)
    assert torch.equal(x[:3], data.piecewise_polynomial(3, 256, seed=2))
    assert not torch.equal(x, data.piecewise_polynomial(5, 256, seed=3))
    # Jumps: the largest step is far above the typical step of the smooth part.
    steps = x.diff(dim=-1).abs()[:, 0]
    assert bool((steps.max(1).values > 20 * steps.median(1).values).all())
    low = data.piecewise_polynomial(2, 64, value_range=(0.2, 0.6))
    assert float(low.min()) == pytest.approx(0.2) and float(low.max()) == pytest.approx(0.6)


def test_tumour_is_nearly_invisible_to_low_frequencies():
    size = 256
    z = data.tumour(size, position=0.4, width=2.0, height=0.25)[0, 0].double().numpy()
    assert z.shape == (size,) and z.max() == pytest.approx(0.25) and z.argmax() == round(0.4 * 255)
    low = np.abs(np.arange(size) - size // 2) < size / 8                    # the 25% lowest frequencies
    ratio = np.linalg.norm(centred_dft(z)[low]) / np.linalg.norm(z)
    assert ratio < 1e-4
    bump = np.abs(z)                                               # the same bump, all positive
    assert np.linalg.norm(centred_dft(bump)[low]) / np.linalg.norm(bump) > 0.5


def test_signal_dataset_adds_exactly_the_tumour():
    sset = data.signal_dataset(20, 128, tumour_indices=[1, 3, 4], seed=1)
    assert sset.signals.shape == (20, 1, 128) and sset.with_tumour.shape == (3, 1, 128)
    assert in_unit_range(sset.signals) and in_unit_range(sset.with_tumour)
    diff = sset.with_tumour - sset.signals[sset.indices]
    assert torch.allclose(diff, sset.tumour.expand_as(diff), atol=1e-6)


# ----------------------------------------------------------------------------- details
def test_text_detail_nonempty_in_range_and_positioned():
    d = data.text(64, "SIAM", position=(20, 10), fontsize=13, intensity=0.5)
    assert d.shape == (1, 1, 64, 64) and in_unit_range(d)
    ink = d[0, 0] > 0
    assert 30 < int(ink.sum()) < 600 and float(d.max()) <= 0.5 and float(d.max()) > 0.3
    rows, cols = torch.nonzero(ink, as_tuple=True)
    assert 18 <= int(rows.min()) <= 24 and 9 <= int(cols.min()) <= 13
    assert int(data.text((40, 100), "SIAM SIAM").shape[-1]) == 100


def test_text_paints_over_an_image():
    x = data.ellipses(256, 968)
    painted = data.text(256, position=(150, 195), image=x)
    assert painted.shape == x.shape and in_unit_range(painted)
    changed = (painted - x).abs() > 1e-6
    assert changed.any() and not changed[..., :140, :].any()


def test_blob_profile():
    d = data.blob(32, center=(10, 20), radius=4, intensity=0.8)
    assert in_unit_range(d) and float(d[0, 0, 10, 20]) == pytest.approx(0.8)
    assert float(d[0, 0, 10, 24]) == 0.0 and float(d[0, 0, 10, 22]) == pytest.approx(0.4)
    x = torch.full((2, 1, 32, 32), 0.9)
    assert in_unit_range(data.blob(32, radius=5, intensity=1.0, image=x))


def test_package_imports_no_matplotlib_or_skimage():
    code = ("import sys, tk_lessons.data, tk_lessons.sampling, tk_lessons.metrics; "
            "bad = [m for m in ('matplotlib', 'skimage') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call,error,match", [
    (lambda: data.shepp_logan(0), ValueError, r"size must be an integer >= 1, got 0"),
    (lambda: data.ellipses(64, 0, c_min=10, c_max=10), ValueError, r"c_max must be larger than c_min"),
    (lambda: data.ellipses(64, -1), ValueError, r"seed must be a non-negative integer"),
    (lambda: data.EllipsesDataset(0), ValueError, r"n must be an integer >= 1"),
    (lambda: data.EllipsesDataset(5, max_axis=-0.1), ValueError, r"max_axis must be a finite number > 0"),
    (lambda: data.piecewise_polynomial(size=64, value_range=(0.5, 0.2)), ValueError, r"value_range must be"),
    (lambda: data.tumour(64, position=1.5), ValueError, r"position must lie in \[0, 1\]"),
    (lambda: data.tumour(64, height=2.0), ValueError, r"height must lie in \(0, 1\]"),
    (lambda: data.signal_dataset(10, 64, tumour_indices=[12]), ValueError, r"tumour_indices must lie in \[0, 10\)"),
    (lambda: data.signal_dataset(10, 64, tumour_signal=torch.zeros(1, 1, 32)), ValueError, r"tumour_signal must be"),
    (lambda: data.text(64, ""), ValueError, r"text must be a non-empty string"),
    (lambda: data.text(64, position=(500, 500)), ValueError, r"position=\(500, 500\) puts the text outside"),
    (lambda: data.text(64, intensity=1.2), ValueError, r"intensity must lie in \[0, 1\]"),
    (lambda: data.blob(64, image=torch.zeros(1, 1, 32, 32)), ValueError, r"image must be a real \(B, 1, 64, 64\)"),
    (lambda: data.blob(64, radius=0), ValueError, r"radius must be a finite number > 0"),
])
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()
