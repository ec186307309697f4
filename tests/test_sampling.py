"""Sampling masks: exact counts, promised structure, nesting, reproducibility, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tk_lessons import sampling

RANDOM_KINDS = {
    "uniform": lambda size, rate, seed: sampling.uniform(size, rate, seed),
    "cartesian": lambda size, rate, seed: sampling.cartesian(size, rate, 0.05, seed),
    "variable_density": lambda size, rate, seed: sampling.variable_density(size, rate, seed=seed),
    "multilevel": lambda size, rate, seed: sampling.multilevel(size, rate, levels=10, seed=seed),
}


def reference_radial(size, num_lines, offset=0):
    """The robust-nets RadialMaskFunc algorithm, run with scikit-image (the oracle)."""
    from skimage.transform import rotate

    x, y = size
    d = math.ceil(np.sqrt(2) * max(x, y))
    line = np.zeros((d, d))
    line[d // 2, :] = 1.0
    out = np.zeros((d, d))
    golden = (np.sqrt(5) - 1) / 2
    for angle in 180.0 * golden * np.arange(offset * num_lines, (offset + 1) * num_lines):
        out += rotate(line, angle, order=0)
    out = out[d // 2 - x // 2: d // 2 + math.ceil(x / 2), d // 2 - y // 2: d // 2 + math.ceil(y / 2)]
    return out > 0


def multilevel_levels(size, levels):
    """Independent level labels: annuli of equal width in |k|, DC at n // 2."""
    grids = np.meshgrid(*[np.arange(n) - n // 2 for n in size], indexing="ij")
    r = np.sqrt(sum(g.astype(float) ** 2 for g in grids))
    return np.clip(np.ceil(r / (r.max() / levels)), 1, levels).astype(int)


# ----------------------------------------------------------------------------- counts
@pytest.mark.parametrize("size", [100, (16, 16), (20, 13)])
@pytest.mark.parametrize("rate", [0.03, 0.25, 0.5, 1.0])
def test_exact_counts(size, rate):
    n = math.prod((size,) if isinstance(size, int) else size)
    for mask in (sampling.uniform(size, rate), sampling.variable_density(size, rate)):
        assert mask.dtype == torch.bool
        assert mask.shape == ((size,) if isinstance(size, int) else size)
        assert int(mask.sum()) == round(rate * n)


def test_multilevel_exact_count_1d_and_2d():
    assert int(sampling.multilevel(256, 0.2).sum()) == round(0.2 * 256**2)
    assert int(sampling.multilevel((512,), 0.25, levels=20).sum()) == 128
    assert int(sampling.multilevel((40, 24), 0.33, levels=7, r0=2).sum()) == round(0.33 * 960)


@pytest.mark.parametrize("size,spokes,count", [(64, 10, 673), (256, 40, 10941)])
def test_radial_paper_counts(size, spokes, count):
    assert int(sampling.radial(size, spokes).sum()) == count


@pytest.mark.parametrize("size,spokes,offset", [((64, 64), 10, 0), ((33, 33), 7, 0), ((48, 64), 5, 0),
                                                 ((32, 32), 4, 2), ((128, 128), 20, 0)])
def test_radial_matches_robust_nets_reference(size, spokes, offset):
    ours = sampling.radial(size, spokes, offset=offset).numpy()
    assert np.array_equal(ours, reference_radial(size, spokes, offset))


def test_radial_equispaced_and_dc():
    mask = sampling.radial(32, 4, golden=False)
    assert mask[16, 16] and mask[16].all() and mask[:, 16].all()      # 0 and 90 degree spokes
    assert not torch.equal(mask, sampling.radial(32, 4))                 # golden angles differ


# ----------------------------------------------------------------------------- structure
def test_cartesian_rows_and_centre_band():
    mask = sampling.cartesian((64, 48), 0.25, center_fraction=0.125, seed=3)
    rows = mask.all(dim=1)
    assert torch.equal(rows, mask.any(dim=1))              # only full rows
    assert int(rows.sum()) == 16
    assert rows[28:36].all()                               # 8 centre rows around DC row 32
    assert math.isclose(float(mask.float().mean()), 0.25)


def test_variable_density_centre_and_decay():
    mask = sampling.variable_density((64, 64), 0.2, decay=2.0, seed=1).numpy()
    assert mask[32, 32]
    r = np.sqrt(((np.mgrid[:64, :64] - 32) ** 2).sum(0))
    inner, middle, outer = mask[r < 4].mean(), mask[(r > 10) & (r < 16)].mean(), mask[r > 24].mean()
    assert inner == 1.0 and inner > middle > outer > 0


def test_multilevel_levels_follow_the_density_formula():
    size, levels, a, r0, rate = (64, 64), 12, 1.75, 1, 0.3
    mask = sampling.multilevel(size, rate, levels=levels, a=a, r0=r0, seed=5).numpy()
    label = multilevel_levels(size, levels)
    sizes = np.array([(label == k).sum() for k in range(1, levels + 1)])
    counts = np.array([mask[label == k].sum() for k in range(1, levels + 1)])
    assert (counts[: r0 + 1] == sizes[: r0 + 1]).all()     # inner r0 + 1 levels full
    # count_k = round(exp(-(b t_k)^a) |B_k|) must hold for one common b: intersect the
    # b-intervals each level allows.
    lo, hi = 0.0, np.inf
    for k in range(r0 + 1, levels):
        t = (k - r0) / (levels - r0)                        # level k + 1 (1-based)
        p_hi = min((counts[k] + 0.5) / sizes[k], 1.0)       # p < p_hi, p >= p_lo
        p_lo = (counts[k] - 0.5) / sizes[k]
        if p_hi < 1.0:
            lo = max(lo, (-np.log(p_hi)) ** (1 / a) / t)
        if p_lo > 0:
            hi = min(hi, (-np.log(p_lo)) ** (1 / a) / t)
    assert lo <= hi + 1e-9
    assert counts.sum() == round(rate * 64 * 64)


# ----------------------------------------------------------------------------- nesting
@pytest.mark.parametrize("kind,kw", [("uniform", {}), ("variable_density", {"decay": 1.5}),
                                     ("multilevel", {"levels": 8, "r0": 1}), ("cartesian", {"center_fraction": 0.04})])
def test_nested_is_nested_and_matches_single_masks(kind, kw):
    rates = [1 / 14, 1 / 8, 1 / 5, 1 / 3, 1 / 2]
    size = (48, 48)
    masks = sampling.nested(kind, size, rates, seed=7, **kw)
    for small, large in zip(masks, masks[1:]):
        assert (small <= large).all() and large.sum() > small.sum()
    single = getattr(sampling, kind)
    for rate, mask in zip(rates, masks):
        assert torch.equal(mask, single(size, rate, **kw, seed=7))


def test_nested_radial_takes_the_first_spokes():
    masks = sampling.nested("radial", 64, [0.05, 0.1, 0.16])
    fractions = [float(m.float().mean()) for m in masks]
    assert all(f >= r for f, r in zip(fractions, [0.05, 0.1, 0.16]))
    assert (masks[0] <= masks[1]).all() and (masks[1] <= masks[2]).all()
    counts = {int(sampling.radial(64, n).sum()): n for n in range(1, 12)}
    assert int(masks[2].sum()) in counts


# ----------------------------------------------------------------------------- seeds, devices
@pytest.mark.parametrize("kind", sorted(RANDOM_KINDS))
def test_seed_reproducible_and_distinct(kind):
    make = RANDOM_KINDS[kind]
    a, b, c = make((32, 32), 0.3, 1), make((32, 32), 0.3, 1), make((32, 32), 0.3, 2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(a, make((32, 32), 0.3, torch.Generator().manual_seed(1)))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_same_mask_on_cpu_and_gpu():
    for mask_cpu, mask_gpu in [
        (sampling.uniform((32, 32), 0.3, 4), sampling.uniform((32, 32), 0.3, 4, device="cuda")),
        (sampling.cartesian(32, 0.3, seed=4), sampling.cartesian(32, 0.3, seed=4, device="cuda")),
        (sampling.variable_density(64, 0.3, seed=4), sampling.variable_density(64, 0.3, seed=4, device="cuda")),
        (sampling.multilevel(32, 0.3, seed=4), sampling.multilevel(32, 0.3, seed=4, device="cuda")),
        (sampling.radial(64, 10), sampling.radial(64, 10, device="cuda")),
    ]:
        assert mask_gpu.device.type == "cuda"
        assert torch.equal(mask_cpu, mask_gpu.cpu())
    masks = sampling.nested("uniform", 32, [0.1, 0.2], seed=4, device="cuda")
    assert all(m.device.type == "cuda" for m in masks)


def test_device_keyword_cpu():
    assert sampling.uniform(16, 0.5, device="cpu").device.type == "cpu"


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call,error,match", [
    (lambda: sampling.uniform(64, 0.0), ValueError, r"rate must lie in \(0, 1\], got 0.0"),
    (lambda: sampling.uniform(64, 1.5), ValueError, r"rate must lie in \(0, 1\], got 1.5"),
    (lambda: sampling.uniform(64, 0.001), ValueError, r"rate=0.001 gives round"),
    (lambda: sampling.variable_density(64, "half"), TypeError, r"rate must be a real number"),
    (lambda: sampling.uniform((0, 8), 0.5), ValueError, r"size entries must be integers >= 1"),
    (lambda: sampling.uniform((2, 3, 4), 0.5), ValueError, r"size must describe a 1-D or 2-D grid"),
    (lambda: sampling.cartesian(64.0, 0.5), TypeError, r"size must be an int or a tuple of ints"),
    (lambda: sampling.cartesian(64, 0.05, center_fraction=0.2), ValueError, r"center_fraction=0.2 asks for"),
    (lambda: sampling.radial(64, 0), ValueError, r"n_spokes must be an integer >= 1, got 0"),
    (lambda: sampling.radial(64, 2.5), TypeError, r"n_spokes must be an integer"),
    (lambda: sampling.radial((64,), 10), ValueError, r"size must describe a 2-D grid"),
    (lambda: sampling.variable_density(64, 0.3, decay=-1), ValueError, r"decay must be a finite number > 0"),
    (lambda: sampling.multilevel(64, 0.3, levels=5, r0=5), ValueError, r"r0 must be smaller than levels=5"),
    (lambda: sampling.multilevel(64, 0.3, a=0), ValueError, r"a must be a finite number > 0"),
    (lambda: sampling.nested("spiral", 64, [0.1]), ValueError, r"kind must be one of .*'spiral'"),
    (lambda: sampling.nested("uniform", 64, [0.3, 0.2]), ValueError, r"rates must be strictly increasing"),
    (lambda: sampling.nested("uniform", 64, [0.3, 2.0]), ValueError, r"rates must lie in \(0, 1\]"),
    (lambda: sampling.nested("uniform", 64, 0.3), TypeError, r"rates must be a non-empty sequence"),
    (lambda: sampling.nested("uniform", 64, [0.3], decay=2), TypeError, r"unexpected keyword.*decay"),
])
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------- symmetrise
@pytest.mark.parametrize("size", [(8,), (9,), (8, 8), (9, 7), (16, 15)])
def test_symmetrise_makes_zero_filling_real_for_real_images(size):
    """Dense oracle with numpy: for a symmetric mask, ifft(mask * fft(x)) of a real x is real."""
    gen = torch.Generator().manual_seed(1)
    mask = torch.rand(size, generator=gen) < 0.3
    mask.view(-1)[0] = True
    sym = sampling.symmetrise(mask)
    x = np.random.default_rng(0).standard_normal(size)
    spectrum = np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(x), norm="ortho"))
    zero_filled = np.fft.fftshift(np.fft.ifftn(np.fft.ifftshift(spectrum * sym.numpy()), norm="ortho"))
    assert np.abs(zero_filled.imag).max() < 1e-12
    assert bool((sym | mask).eq(sym).all()) and int(sym.sum()) >= int(mask.sum())
    assert torch.equal(sampling.symmetrise(sym), sym)                       # idempotent
    freqs = [np.arange(n) - n // 2 for n in size]                          # centred frequencies
    for idx in sym.nonzero().tolist():                                       # -k is kept with k
        minus = tuple(int((-freqs[a][i]) + size[a] // 2) % size[a] for a, i in enumerate(idx))
        assert bool(sym[minus])


def test_symmetrise_keeps_symmetric_masks_and_rejects_bad_input():
    radial = sampling.radial(32, 8)
    multilevel = sampling.multilevel(32, 0.2, seed=0)
    sym = sampling.symmetrise(multilevel)
    assert torch.equal(sampling.symmetrise(sym), sym) and int(sampling.symmetrise(radial).sum()) >= int(radial.sum())
    with pytest.raises(TypeError, match="mask must be a boolean tensor"):
        sampling.symmetrise(torch.ones(4, 4))
    with pytest.raises(ValueError, match="all-False"):
        sampling.symmetrise(torch.zeros(4, 4, dtype=torch.bool))


@pytest.mark.parametrize("n", [1, 7, 8, 31, 64])
@pytest.mark.parametrize("rate", [0.01, 0.25, 0.5, 1.0])
def test_lowpass_keeps_the_frequencies_nearest_zero(n, rate):
    mask = sampling.lowpass(n, rate)
    count = max(1, round(rate * n))
    assert mask.shape == (n,) and int(mask.sum()) == count
    # independent definition: signed frequency of index p is p - n // 2; the kept band is
    # contiguous, holds 0, and no dropped frequency is nearer zero than a kept one
    freq = torch.arange(n) - n // 2
    kept, dropped = freq[mask], freq[~mask]
    assert 0 in kept.tolist()
    assert torch.equal(kept, torch.arange(int(kept[0]), int(kept[0]) + count))
    if len(dropped):
        assert kept.abs().max() <= dropped.abs().min() + 1


def test_lowpass_rejects_2d_sizes_and_bad_rates():
    with pytest.raises(ValueError, match="size"):
        sampling.lowpass((8, 8), 0.25)
    with pytest.raises(ValueError, match="rate"):
        sampling.lowpass(8, 0.0)
