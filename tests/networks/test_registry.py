"""The zoo's registry of shipped models: offline, checksummed, weights-only loading that reproduces outputs."""

from __future__ import annotations

import json
import socket

import pytest
import torch

from tk_lessons import metrics, sampling, zoo
from tk_lessons.operators import fwht
from tk_lessons.zoo import evaluation, recipes, registry

SPEC = {"operator": {"kind": "fourier", "mask": {"kind": "radial", "size": 16, "spokes": 4}},
        "model": {"kind": "itnet", "n_iter": 2, "lam_init": 0.1, "final_dc": True, "shared": False,
                  "init": "adjoint", "net": {"kind": "unet", "dim": 2, "base": 4, "depth": 2, "seed": 0}}}


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a socket fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the registry tried to use the network")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def saved(tmp_path):
    A, model = registry.build(SPEC)
    with torch.no_grad():                       # make the weights differ from a fresh build
        for p in model.parameters():
            p.add_(0.01 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    entry = registry.register("tiny_itnet", model, SPEC, {"test_psnr": 12.5}, curve={"train_loss": [1.0, 0.5]},
                              seed=7, data="random", weights_dir=tmp_path)
    return tmp_path, A, model, entry


def test_register_then_load_offline_reproduces_outputs(saved, offline, monkeypatch):
    folder, A, model, entry = saved
    calls = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(k) or real_load(*a, **k))
    loaded = zoo.load("tiny_itnet", weights_dir=folder)
    assert calls and all(k.get("weights_only") is True for k in calls)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    y = A(torch.rand(3, 1, 16, 16))
    model.eval()
    assert torch.equal(loaded(y), model(y))
    assert zoo.available(folder) == ["tiny_itnet"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tiny_itnet"]["sha256"] == entry["sha256"] and manifest["tiny_itnet"]["seed"] == 7
    assert manifest["tiny_itnet"]["command"] == "python -m tk_lessons.zoo tiny_itnet"
    info = zoo.info("tiny_itnet", weights_dir=folder)
    assert info["metrics"] == {"test_psnr": 12.5} and info["spec"] == SPEC


def test_a_corrupted_file_is_rejected_naming_the_sha256(saved):
    folder = saved[0]
    path = folder / "tiny_itnet.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01                 # one bit of one byte
    path.write_bytes(bytes(data))
    with pytest.raises(zoo.ChecksumError, match="sha256 mismatch"):
        zoo.load("tiny_itnet", weights_dir=folder)


def test_missing_file_and_unknown_name(saved):
    folder = saved[0]
    with pytest.raises(ValueError, match="unknown model 'nope'; shipped models: tiny_itnet"):
        zoo.load("nope", weights_dir=folder)
    (folder / "tiny_itnet.pt").unlink()
    with pytest.raises(FileNotFoundError, match="python -m tk_lessons.zoo tiny_itnet"):
        zoo.load("tiny_itnet", weights_dir=folder)


def test_wrong_image_size_for_a_loaded_model(saved):
    loaded = zoo.load("tiny_itnet", weights_dir=saved[0])
    with pytest.raises(ValueError, match="images \\(16, 16\\)"):
        loaded(torch.zeros(1, 10, dtype=torch.complex64))


def test_a_spec_that_rebuilds_another_operator_is_rejected(saved):
    folder = saved[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tiny_itnet"]["spec"]["operator"]["mask"]["spokes"] = 5
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises((ValueError, RuntimeError)):
        zoo.load("tiny_itnet", weights_dir=folder)


def test_register_checks_the_spec(tmp_path):
    _, model = registry.build(SPEC)
    other = json.loads(json.dumps(SPEC))
    other["model"]["net"]["base"] = 8
    with pytest.raises(ValueError, match="spec does not describe this model"):
        registry.register("bad", model, other, weights_dir=tmp_path)
    with pytest.raises(ValueError, match="name must match"):
        registry.register("Bad Name", model, SPEC, weights_dir=tmp_path)
    assert registry.available(tmp_path) == []


def test_the_package_manifest_is_honest():
    # every entry has its file; with no models trained yet the manifest is an empty registry
    manifest = json.loads((registry.WEIGHTS_DIR / "manifest.json").read_text())
    assert isinstance(manifest, dict)
    assert zoo.available() == sorted(manifest)
    for name, entry in manifest.items():
        assert (registry.WEIGHTS_DIR / entry["file"]).is_file(), name
    with pytest.raises(ValueError, match="unknown model"):
        zoo.load("no_such_model")


@pytest.mark.parametrize("spec", [
    {"kind": "fourier", "mask": {"kind": "radial", "size": 16, "spokes": 4}},
    {"kind": "fourier", "mask": {"kind": "cartesian", "size": 16, "rate": 0.25, "seed": 0}},
    {"kind": "fourier", "mask": {"kind": "multilevel", "size": 16, "rate": 0.2, "seed": 0, "symmetric": True}},
    {"kind": "fourier", "mask": {"kind": "lowpass", "size": 32, "rate": 0.25}},
    {"kind": "radon", "size": 16, "angles": 5},
    {"kind": "hadamard", "mask": {"kind": "multilevel", "size": 16, "rate": 0.2, "seed": 0}},
])
def test_operator_specs(spec):
    A = registry.build_operator(spec)
    if spec["kind"] == "fourier":
        mask = A.mask
        if spec["mask"].get("symmetric"):
            assert torch.equal(mask, sampling.symmetrise(mask))
        if spec["mask"]["kind"] == "lowpass":
            assert torch.equal(mask.nonzero().flatten(), torch.arange(12, 20))    # 8 lowest, around index 16


def _sign_changes(rows: torch.Tensor) -> torch.Tensor:
    return (rows[:, 1:] * rows[:, :-1] < 0).sum(1)


def test_walsh_layout_puts_frequency_k_at_the_walsh_functions_that_oscillate_like_it():
    # the Walsh function of sequency s has s sign changes; those of sequency 2k and 2k - 1 are the Walsh
    # analogues of the cosine and the sine of frequency k
    n = 16
    H = torch.stack([fwht(e, ordering="sequency") for e in torch.eye(n)]).T        # row s: sequency s
    assert torch.equal(_sign_changes(H), torch.arange(n))
    for k in range(-n // 2, n // 2):
        mask = torch.zeros(n, dtype=torch.bool)
        mask[n // 2 + k] = True                                                    # frequency k
        (s,) = sampling.walsh_layout(mask).nonzero().flatten().tolist()
        assert s == (2 * k if k >= 0 else 2 * -k - 1) and int(_sign_changes(H[s:s + 1])) == s
    fourier = sampling.multilevel(32, 0.2, seed=0)
    walsh = sampling.walsh_layout(fourier)
    assert int(walsh.sum()) == int(fourier.sum()) and bool(walsh[0, 0]) and not bool(walsh[-1, -1])
    A = registry.build_operator({"kind": "hadamard", "mask": {"kind": "multilevel", "size": 32, "rate": 0.2}})
    assert torch.equal(A.mask, walsh) and A.ordering == "sequency"
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        sampling.walsh_layout(torch.ones(4))


@pytest.mark.parametrize("spec, match", [
    ({"kind": "mri"}, "unknown operator kind"),
    ({"kind": "fourier", "mask": {"kind": "spiral", "size": 8}}, "unknown mask kind"),
])
def test_bad_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        registry.build_operator(spec)
    with pytest.raises(ValueError, match="unknown model kind"):
        registry.build_model({"kind": "transformer"}, registry.build_operator(SPEC["operator"]))


# every model shipped in the package: loads offline, reproduces its recorded test PSNR
@pytest.mark.parametrize("name", zoo.available())
def test_shipped_model_reproduces_its_recorded_metric(name, offline):
    model = zoo.load(name)
    recorded = zoo.info(name)["metrics"]["test_psnr"]
    test = recipes.test_set(name)
    psnr = float(metrics.psnr(evaluation.predict(model, model.A, test), test, 1.0).double().mean())
    assert abs(psnr - recorded) < 0.05, (psnr, recorded)


# every shipped hallucination model: re-evaluating it reproduces the recorded fraction of the detail
@pytest.mark.parametrize("name", [n for n in zoo.available() if n.endswith("_halluc")])
def test_shipped_hallucination_model_reproduces_its_recorded_fraction(name, offline):
    model = zoo.load(name)
    recorded = zoo.info(name)["metrics"]
    extra = recipes.RECIPES[name]().extra
    x, z = extra["x_clean"], extra["kernel_detail"]
    fraction = evaluation.detail_fraction(evaluation.predict(model, model.A, x), x, z)
    assert abs(fraction - recorded["hallucination"]) < 0.005, (fraction, recorded["hallucination"])
    data_fraction = float(model.A(z).abs().norm() / model.A(extra["detail"]).abs().norm())
    assert abs(data_fraction - recorded["kernel_detail_data_fraction"]) < 1e-3


def test_the_shipped_itnet_specs_spell_n_iter_as_recorded():
    # the manifest is data: the ItNets' specs keep the spelling "iterations" they were recorded with
    spec = zoo.info("itnet_radial64_nonoise")["spec"]
    assert spec["model"]["iterations"] == 4
    assert zoo.load("itnet_radial64_nonoise").n_iter == 4


def test_the_zoo_is_reachable_from_the_package_namespace():
    import tk_lessons as tk

    assert tk.zoo.recipes is recipes and tk.zoo.evaluation is evaluation
    assert {"recipes", "evaluation", "retrain", "load"} <= set(tk.zoo.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tk.zoo.nope
