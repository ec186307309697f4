"""Random heads: ranges, reproducibility, the anatomy they share, lesions, and bad arguments."""

from __future__ import annotations

import pytest
import torch

from tk_lessons import data


def test_head_is_reproducible_in_range_and_inside_the_image():
    a, b, c = data.random_head(64, 1), data.random_head(64, 1), data.random_head(64, 2)
    assert a.shape == (1, 1, 64, 64) and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)
    heads = torch.cat([data.random_head(32, seed) for seed in range(60)])
    assert float(heads.min()) >= 0 and float(heads.max()) <= 1
    border = torch.cat((heads[..., 0, :], heads[..., -1, :], heads[..., :, 0], heads[..., :, -1]), dim=-1)
    assert float(border.abs().max()) == 0.0                      # no head touches the edge


def test_heads_share_anatomy_that_a_mean_image_shows():
    """The mean of many heads is close to each head (shared anatomy); the ellipse images do not have that."""
    heads = torch.cat([data.random_head(32, s) for s in range(30)])
    blobs = torch.cat([data.ellipses(32, s) for s in range(30)])

    def spread(X: torch.Tensor) -> float:
        mean = X.mean(0, keepdim=True)
        return float(((X - mean).flatten(1).norm(dim=1) / X.flatten(1).norm(dim=1)).mean())

    assert spread(heads) < 0.6 < spread(blobs)


def test_skull_is_bright_and_brain_dark_at_the_centre_line():
    x = data.random_head(64, 0, variation=0.0, lesions=(0, 0), supersample=1)[0, 0]
    row = x[32]                                                  # a horizontal line through the middle
    assert float(row.max()) == pytest.approx(1.0, abs=0.06)        # skull (slope inside the brain only)
    inside = row[(row > 0) & (row < 0.9)]
    assert 0 < float(inside.median()) < 0.4                      # brain tissue, around 0.2


def test_lesions_are_drawn_last_and_inside_the_head():
    """Same seed with and without lesions: the same head, changed only strictly inside it."""
    changed = 0
    for seed in range(8):
        none = data.random_head(64, seed, lesions=(0, 0), supersample=1)
        some = data.random_head(64, seed, lesions=(3, 3), supersample=1)
        diff = (some - none).abs()
        # outside the (convex) skull: nothing bright to the left or nothing to the right in the row
        bright = (none > 0).int()
        outside = (bright.cumsum(-1) == 0) | (bright.flip(-1).cumsum(-1).flip(-1) == 0)
        assert float(diff[outside].max()) == 0.0               # the background never changes
        changed += int((diff > 0).sum())
    assert changed > 8 * 3 * 2                                 # and lesions do change pixels


def test_supersampling_smooths_edges():
    sharp = data.random_head(64, 3, supersample=1)
    smooth = data.random_head(64, 3, supersample=4)
    # more distinct grey levels on the edges, and close to the point-sampled image on average
    assert torch.unique(smooth).numel() > torch.unique(sharp).numel()
    assert float((smooth - sharp).abs().mean()) < 0.03


def test_heads_dataset_is_index_seeded():
    ds = data.HeadsDataset(6, size=32, seed=4)
    alone = ds[3]
    assert alone.shape == (1, 32, 32) and torch.equal(alone, ds[-3])
    assert not torch.equal(ds[3], ds[4]) and not torch.equal(alone, data.HeadsDataset(6, size=32, seed=5)[3])
    with pytest.raises(IndexError, match="out of range"):
        ds[6]
    with pytest.raises(TypeError, match="index must be an int"):
        ds[1.0]


@pytest.mark.parametrize("kwargs, match", [
    ({"size": 0}, "size"),
    ({"variation": -0.1}, "variation"),
    ({"lesions": (3, 1)}, "lesions must be a pair"),
    ({"lesions": 2}, "lesions must be a pair"),
    ({"skull": (0.0, 0.1)}, "skull must be a pair"),
    ({"skull": (0.1, 0.5)}, "skull must be a pair"),
    ({"supersample": 0}, "supersample"),
])
def test_bad_arguments_name_the_parameter(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        data.random_head(**{"size": 16, **kwargs})
    if "size" not in kwargs:
        with pytest.raises((ValueError, TypeError), match=match):
            data.HeadsDataset(2, size=16, **kwargs)
