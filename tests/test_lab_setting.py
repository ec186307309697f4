"""The laboratory's setting (``tk_lessons.zoo.lab``) and the paper path, checked against independent references.

* the detail's visible fraction, from numpy's FFT on the 64 lowest frequencies, is 1/4 for
  every detail (frequency 40 lies above the band edge 32), so a near-kernel pair forces an
  amplification of about 4;
* the paper's setting samples 10,941 frequencies (the count that the
  authors' mask code gives) at 256 x 256 with 40 golden-angle spokes;
* the data are seeded, the parts differ, the detail is present about half the time and zero
  where it is absent; the control class has none;
* the recipes' jitter is the relative level times the mean data norm; the control trains on
  plain signals;
* the paper path (train, then the record's searches) runs end to end at a tiny size, and the
  stored perturbations reproduce the record's numbers in a forward pass.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tk_lessons import solvers
from tk_lessons.records import lab_worst_case
from tk_lessons.zoo import build_operator, lab, registry, retrain

pytestmark = pytest.mark.usefixtures("one_thread")


def _lowpass_fraction(d: np.ndarray, band: int = 32) -> float:
    """``||P d|| / ||d||`` with ``P`` the unitary DFT restricted to frequencies -32..31 (numpy)."""
    f = np.fft.fft(d) / math.sqrt(d.size)
    k = np.fft.fftfreq(d.size, 1 / d.size)
    keep = (k >= -band) & (k < band)
    return float(np.linalg.norm(f[keep]) / np.linalg.norm(d))


def test_every_detail_shows_a_quarter_of_its_norm_in_the_data():
    A = build_operator(lab.setting().operator)
    d, on = lab.details(40, 256, seed=5, probability=1.0)
    assert bool(on.all())
    ours = lab.visible_fraction(A, d)
    reference = torch.tensor([_lowpass_fraction(row[0].double().numpy()) for row in d], dtype=torch.float64)
    assert torch.allclose(ours.double(), reference, atol=1e-5)
    assert float(reference.min()) > 0.22 and float(reference.max()) < 0.28
    # the pair (p, p + d): data a quarter apart of the signals, so resolving it amplifies about 4 times
    p = lab.lab_data("test", n=1).plain
    ratio = (d[:1].norm() / (A(p + d[:1]) - A(p)).abs().norm()).item()
    assert 3.5 < ratio < 4.5


def test_a_detail_well_inside_the_band_would_be_visible():
    """The fraction is a property of the frequency: move it into the band and it is almost all visible."""
    t = np.linspace(0, 1, 256)
    inside = np.cos(2 * np.pi * 10 * (t - 0.5)) * np.exp(-((t - 0.5) / lab.DETAIL_WIDTH) ** 2)
    A = build_operator(lab.setting().operator)
    ours = float(lab.visible_fraction(A, torch.tensor(inside, dtype=torch.float32)[None, None]))
    assert ours == pytest.approx(_lowpass_fraction(inside), abs=1e-5) and ours > 0.99


def test_the_paper_setting_samples_what_the_authors_mask_samples():
    paper = lab.setting("paper")
    A = build_operator(paper.operator)
    assert (paper.size, paper.dim, paper.operator["mask"]["spokes"]) == (256, 2, 40)
    assert int(A.mask.sum()) == 10941                   # the authors' RadialMaskFunc(256, 40) gives this count
    assert (paper.attack_n_iter, paper.attack_restarts, paper.n_train) == (1000, 6, 25000)


def test_data_are_seeded_and_the_parts_differ():
    a, b = lab.lab_data("test", n=40), lab.lab_data("test", n=40)
    assert torch.equal(a.signals, b.signals) and torch.equal(a.has_detail, b.has_detail)
    assert not torch.equal(lab.lab_data("val", n=40).signals, a.signals)
    assert torch.equal(a.signals, a.plain + a.detail)
    assert float(a.detail[~a.has_detail].abs().max()) == 0 and bool((a.detail[a.has_detail].flatten(1).norm(dim=1) > 0.1).all())
    share = float(lab.lab_data("train").has_detail.double().mean())         # 1500 draws of a fair coin
    assert abs(share - 0.5) < 4 * math.sqrt(0.25 / 1500)
    control = lab.lab_data("test", n=40, with_detail=False)
    assert torch.equal(control.signals, a.plain) and not bool(control.has_detail.any())


def test_the_share_of_the_detail_drawn():
    test = lab.lab_data("test", n=8)
    drawn = lab.detail_drawn(test.plain + 0.3 * test.detail, test)
    assert torch.allclose(drawn[test.has_detail], torch.full((int(test.has_detail.sum()),), 0.3), atol=1e-5)
    assert bool(torch.isnan(drawn[~test.has_detail]).all())


def test_recipes_jitter_is_relative_and_the_control_sees_no_detail():
    for name, level in (("lab_nonoise", 0.0), ("lab_lownoise", 0.01), ("lab_highnoise", 0.05)):
        r = lab.lab_recipe(name)
        A = build_operator(r.spec["operator"])
        norm = float(A(r.train).abs().flatten(1).norm(dim=1).double().mean())
        etas = [p.get("eta", 0.0) for p in r.phases]
        assert all(e == pytest.approx(level * norm, rel=1e-6) for e in etas), (name, etas, norm)
        assert [p["epochs"] for p in r.phases] == [400, 150, 50]
    control = lab.lab_recipe("lab_control")
    assert torch.equal(control.train, lab.lab_data("train", with_detail=False).signals)
    assert not torch.equal(control.train, lab.lab_recipe("lab_nonoise").train)


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="preset"):
        lab.setting("huge")
    with pytest.raises(ValueError, match="size"):
        lab.setting("paper", size=4)
    with pytest.raises(ValueError, match="part"):
        lab.lab_data("training")
    with pytest.raises(ValueError, match="probability"):
        lab.details(2, 64, seed=0, probability=1.5)
    with pytest.raises(ValueError, match="name"):
        lab.lab_recipe("unet_radial64")
    with pytest.raises(ValueError, match="preset and size apply to the laboratory"):
        retrain.run("unet_radial64", quick=True, save=False, preset="paper")


@pytest.fixture(scope="module")
def tiny_paper_weights(tmp_path_factory):
    """The four laboratory models trained on the paper's path, shrunk to 32 x 32 (one short epoch)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("paper_weights")
    for name in lab.LAB_MODELS:
        retrain.run(name, quick=True, preset="paper", size=32, weights_dir=folder)
    torch.set_num_threads(threads)
    return folder


def test_the_paper_path_trains_itnets_on_ellipses(tiny_paper_weights):
    entry = registry.info("lab_highnoise", weights_dir=tiny_paper_weights)
    assert entry["spec"]["model"]["kind"] == "itnet"
    assert entry["spec"]["operator"]["mask"] == {"kind": "radial", "size": 32, "spokes": 5}
    assert "--scale paper --size 32" in entry["command"]
    model = registry.load("lab_highnoise", weights_dir=tiny_paper_weights)
    assert model(model.A(torch.zeros(1, 1, 32, 32))).shape == (1, 1, 32, 32)


def test_the_paper_path_records_perturbations_that_reproduce_its_numbers(tiny_paper_weights, tmp_path):
    tensors, card = lab_worst_case.compute("paper", size=32, weights_dir=tiny_paper_weights, long_n_iter=2)
    assert card["recipe"]["scale"] == "paper" and card["recipe"]["steps"] == 3
    levels = card["recipe"]["levels"]
    x = tensors["detail_x"]
    net = registry.load("lab_nonoise", weights_dir=tiny_paper_weights)
    lam, n_iter = card["result"]["detail"]["tv_lam"], card["recipe"]["tv_n_iter"]
    maps = {m: registry.load(m, weights_dir=tiny_paper_weights) for m in ("lab_nonoise", "lab_lownoise", "lab_highnoise")}
    maps["TV"] = lambda v: solvers.tv(net.A, v, lam, n_iter=n_iter, real=True)
    y = net.A(x)
    for method, recon in maps.items():
        for i, level in enumerate(levels):
            e = tensors[f"detail_{method}_e"][i]
            assert bool((e.abs().flatten(1).norm(dim=1) <= level * y.abs().flatten(1).norm(dim=1) * (1 + 1e-5)).all())
            with torch.no_grad():
                err = (recon(y + e) - x).flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)
            assert torch.allclose(err, tensors[f"detail_{method}_error"][i], rtol=1e-4, atol=1e-6) or level == 0
        mean = card["result"]["detail"][method]["mean_error"]
        assert mean == sorted(mean)                       # more noise never helps the worst case
        assert card["result"]["detail"][method]["long_run_error"] >= mean[-1] - 1e-6
    # the chapters' re-evaluation gives the same numbers from the stored perturbations alone
    again = lab_worst_case.reevaluate(tensors, card, weights_dir=tiny_paper_weights)
    for cls in ("detail", "control"):
        for method in card["result"][cls]:
            if method in ("tv_lam", "levels"):
                continue
            key = f"{cls}/{method}"
            assert again.mean_error(key) == pytest.approx(card["result"][cls][method]["mean_error"], rel=1e-4, abs=1e-5)
            assert torch.allclose(again.lipschitz[key], tensors[f"{cls}_{method}_lipschitz"], rtol=1e-4)
    path = lab_worst_case.save(lab_worst_case.NAME, tensors, card, directory=tmp_path)
    assert path.parent == tmp_path and (tmp_path / "lab_worst_case.pt").is_file()


def test_detail_share_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="one shape"):
        lab.detail_share(torch.zeros(1, 1, 4), torch.zeros(1, 1, 4), torch.ones(1, 1, 3))


def test_fraction_and_norm_name_a_wrong_argument():
    A = build_operator(lab.setting().operator)
    with pytest.raises(TypeError, match="d must be a torch.Tensor"):
        lab.visible_fraction(A, [0.0] * 256)
    with pytest.raises(TypeError, match="X must be a torch.Tensor"):
        lab.mean_data_norm(A, None)


def test_tv_map_is_solvers_tv_on_the_laboratory_operator_and_checks_its_weight():
    from tk_lessons import solvers
    from tk_lessons.zoo import build_operator

    tv = lab.tv_map(0.01, n_iter=20)
    A = build_operator(lab.setting().operator)
    x = lab.lab_data("test", n=2).signals
    expected = solvers.tv(A, A(x), 0.01, n_iter=20, real=True)
    assert torch.allclose(tv(tv.A(x)), expected)
    assert not torch.allclose(lab.tv_map(0.1, n_iter=20)(A(x)), expected)
    with pytest.raises(ValueError, match="lam"):
        lab.tv_map(0.0)
    with pytest.raises(ValueError, match="n_iter"):
        lab.tv_map(0.01, n_iter=0)
