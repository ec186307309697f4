"""Every recipe of a shipped model runs end to end (quick mode), registers and loads back; the CLI works."""

from __future__ import annotations

import pytest
import torch

from tk_lessons import sampling, zoo
from tk_lessons.zoo import recipes, retrain
from tk_lessons.zoo.__main__ import main

ISSUE_MODELS = ["unet_radial64", "itnet_radial64_nonoise", "itnet_radial64_lownoise", "itnet_radial64_highnoise",
                "unet1d_tumour", "unet_fourier_halluc", "fbpunet_radon_halluc", "unet_cartesian_rate",
                "unet_hadamard_halluc",          # for chapter 6 (issue 14)
                "fbpunet_limited_angle",         # for chapter 12 (issue 16)
                "lab_nonoise", "lab_lownoise", "lab_highnoise", "lab_control",   # the laboratory (issue 13)
                "pairs_both", "pairs_one", "pairs_one_lowjitter", "pairs_one_jitter"]   # chapter 10 (issue 15)


def test_the_models_of_the_issues_have_recipes():
    assert list(recipes.RECIPES) == ISSUE_MODELS


@pytest.mark.parametrize("name", ISSUE_MODELS)
def test_recipe_runs_in_quick_mode(name, tmp_path):
    result = retrain.run(name, quick=True, weights_dir=tmp_path)
    assert result.metrics["quick"] is True and result.metrics["epochs"] >= 1
    assert all(torch.isfinite(torch.tensor(v)) for v in result.history.train_loss)
    assert "test_psnr" in result.metrics
    loaded = zoo.load(name, weights_dir=tmp_path)
    recipe = recipes.RECIPES[name](quick=True)
    y = result.A(recipe.test)
    assert torch.equal(loaded(y), result.model.eval()(y))
    entry = zoo.info(name, weights_dir=tmp_path)
    assert entry["metrics"]["test_psnr"] == result.metrics["test_psnr"] and entry["curve"]["train_loss"]
    if name in ("unet_radial64", "itnet_radial64_nonoise", "itnet_radial64_lownoise",
                "itnet_radial64_highnoise", "unet_cartesian_rate"):
        assert {"tv_psnr", "beats_tv", "tv_lam"} <= set(result.metrics)


def test_recipe_data_are_as_described():
    r = recipes.RECIPES["unet1d_tumour"]()
    k = recipes.TUMOUR_REPEATS
    assert r.train.shape == (95 + 5 * k, 1, 256) and r.val.shape == (5, 1, 256) and r.test.shape == (100, 1, 256)
    z = r.extra["tumour"]
    copies = r.train[95:].reshape(k, 5, 1, 256)                  # the five tumour copies, k times over
    assert torch.allclose(copies - r.train[[1, 3, 4, 5, 6]], z.expand(k, 5, -1, -1), atol=1e-6)
    h = recipes.RECIPES["unet_fourier_halluc"](quick=True)
    A = zoo.build(h.spec)[0]
    z = h.extra["kernel_detail"]
    assert not z.is_complex() and float(A(z).abs().norm()) < 1e-5 * float(z.norm())
    assert torch.allclose(h.train[h.extra["index"]], h.extra["x_clean"][0] + z[0])


def test_the_hadamard_detail_is_exactly_in_the_kernel():
    h = recipes.RECIPES["unet_hadamard_halluc"](quick=True)
    A = zoo.build(h.spec)[0]
    # A A^T = I, checked with the dense matrix of A (its columns are A applied to the pixels)
    dense = A(torch.eye(64 * 64).reshape(-1, 1, 64, 64)).T.double()
    assert dense.shape == (819, 4096) and torch.allclose(dense @ dense.T, torch.eye(819, dtype=torch.float64),
                                                         atol=1e-5)
    d, z = h.extra["detail"], h.extra["kernel_detail"]
    z_dense = d.double().flatten() - dense.T @ (dense @ d.double().flatten())     # d - A^T A d, dense
    assert torch.allclose(z.double().flatten(), z_dense, atol=1e-5) and not z.is_complex()
    assert float(A(z).norm()) < 1e-5 * float(z.norm()) and 0.6 < float(z.norm() / d.norm()) < 0.7
    assert torch.allclose(h.train[h.extra["index"]], h.extra["x_clean"][0] + z[0])


def test_cartesian_training_mask_is_one_of_the_nested_masks():
    masks = recipes.nested_cartesian()
    trained = sampling.cartesian(64, recipes.CARTESIAN_TRAIN_RATE, center_fraction=0.125, seed=0)
    assert torch.equal(masks[recipes.CARTESIAN_RATES.index(recipes.CARTESIAN_TRAIN_RATE)], trained)
    assert all(bool((a <= b).all()) for a, b in zip(masks, masks[1:]))


def test_cli_lists_and_rejects_unknown_names(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ISSUE_MODELS)
    assert main(["no_such_model"]) == 2
    assert "unknown model" in capsys.readouterr().err


def test_cli_quick_run_prints_metrics(tmp_path, capsys):
    assert main(["unet1d_tumour", "--quick", "--weights-dir", str(tmp_path)]) == 0
    assert '"test_psnr"' in capsys.readouterr().out
    assert zoo.available(tmp_path) == ["unet1d_tumour"]


def test_unknown_recipe():
    with pytest.raises(ValueError, match="unknown recipe 'x'; known: unet_radial64"):
        retrain.run("x")


def test_the_phases_train_with_the_jitter_levels_of_the_docstring():
    phases = recipes.SCHEDULES["itnet_radial64_lownoise"]["phases"]
    assert [p["eta"] for p in phases] == [recipes.ETA_HIGH, recipes.ETA_LOW, recipes.ETA_LOW]
    assert all("eta" not in p for p in recipes.SCHEDULES["itnet_radial64_nonoise"]["phases"])


def test_the_module_runs_as_the_retrain_command():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "tk_lessons.zoo", "--list"], capture_output=True, text=True,
                         check=True).stdout
    assert "unet_radial64" in out and "[shipped]" in out


def test_the_limited_angle_recipe_measures_a_wedge_of_32_x_32_heads():
    from tk_lessons.zoo import limited_angle

    r = recipes.RECIPES["fbpunet_limited_angle"](quick=True)
    A = zoo.build(r.spec)[0]
    assert A.domain_shape == (1, 32, 32) and float(A.angles.max()) < 120 and len(A.angles) == 40
    assert r.train.shape[1:] == (1, 32, 32) and recipes.test_set("fbpunet_limited_angle").shape == (100, 1, 32, 32)
    y = limited_angle.noisy_data(A, r.test, 0.01, seed=0)
    gaps = (y - A(r.test)).flatten(1).norm(dim=1) / A(r.test).flatten(1).norm(dim=1)
    assert torch.allclose(gaps, torch.full_like(gaps, 0.01), rtol=1e-4)
    with pytest.raises(ValueError, match="tikhonov"):
        limited_angle.tuned("l1", A, A(r.val), r.val, A(r.test))
