"""tk.widgets.explore (live widget + kernel-free HTML slider) and the tk.plot helpers."""

from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import tk_lessons as tk  # noqa: E402


def _draw(a, b):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [a, b])
    ax.set_title(f"{a}-{b}")
    return fig


def test_explore_prerenders_every_grid_point_in_order():
    ex = tk.widgets.explore(_draw, alt="a line", a=[1, 2, 3], b=[0.5, 1.5])
    assert len(ex.frames) == 6
    # frames are distinct PNGs, in row-major order of the grid (a slowest)
    decoded = [base64.b64decode(f) for f in ex.frames]
    assert all(d.startswith(b"\x89PNG") for d in decoded)
    assert len(set(ex.frames)) == 6
    again = tk.widgets.explore(_draw, alt="a line", a=[2], b=[1.5])
    assert again.frames[0] == ex.frames[1 * 2 + 1]
    assert plt.get_fignums() == []  # no figures leak


def test_explore_bundle_has_live_widget_and_static_slider():
    ex = tk.widgets.explore(_draw, alt="a line from a to b", a=[1, 2], b=[0.0])
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    page = bundle["text/html"]
    assert page.count('type="range"') == 2
    assert "<script>" in page and "addEventListener('input'" in page
    img = re.search(r'<img [^>]*alt="([^"]+)"', page)
    assert img and img.group(1).startswith("a line from a to b (a = 1, b = 0)")
    widget = ex.widget()
    assert [c.description for c in widget.children[:2]] == ["a", "b"]


def test_explore_shows_an_ipywidgets_7_widget_by_its_model(monkeypatch):
    # ipywidgets 7 (Colab's) has no _repr_mimebundle_: the view must name the widget's model,
    # or Colab shows no live widget; the real-Colab test runs it with ipywidgets 7.7.1.
    class Version7Widget:
        model_id = "abc123"

    ex = tk.widgets.explore(_draw, alt="x", static=False, a=[1], b=[2])
    monkeypatch.setattr(ex, "widget", lambda: Version7Widget())
    view = ex._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]
    assert view == {"version_major": 2, "version_minor": 0, "model_id": "abc123"}
    live = ex._repr_mimebundle_  # and ipywidgets 8's own bundle is passed on unchanged
    monkeypatch.setattr(ex, "widget", lambda: type("W8", (), {"_repr_mimebundle_": lambda self: (
        {"text/plain": "w", "application/vnd.jupyter.widget-view+json": {"model_id": "m8"}}, {})})())
    assert live()["application/vnd.jupyter.widget-view+json"] == {"model_id": "m8"}


def test_explore_without_static_frames():
    ex = tk.widgets.explore(_draw, alt="x", static=False, a=[1], b=[2])
    assert ex.frames is None and "text/html" not in ex._repr_mimebundle_()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(fn=3, alt="x", a=[1]), TypeError, "fn must be a callable"),
        (dict(fn=_draw, alt="x", static="yes", a=[1]), TypeError, "static must be True or False"),
        (dict(fn=_draw, alt="x", dpi=0, a=[1]), ValueError, "dpi must be an integer >= 1"),
        (dict(fn=_draw, alt="", a=[1]), ValueError, "alt must be a non-empty"),
        (dict(fn=_draw, alt="x"), ValueError, "at least one parameter"),
        (dict(fn=_draw, alt="x", a=[]), ValueError, "a must list at least one value"),
        (dict(fn=_draw, alt="x", a="abc"), TypeError, "a must be a list of values"),
        (dict(fn=_draw, alt="x", a=list(range(10)), b=list(range(10))), ValueError, "100 combinations"),
    ],
)
def test_explore_rejects_bad_input(kwargs, error, match):
    fn = kwargs.pop("fn")
    with pytest.raises(error, match=match):
        tk.widgets.explore(fn, **kwargs)


def test_explore_requires_a_figure():
    with pytest.raises(TypeError, match="fn must return a matplotlib Figure"):
        tk.widgets.explore(lambda a: 42, alt="x", a=[1])


def test_images_shows_grey_panels_with_shared_range():
    x = torch.rand(1, 1, 8, 8)
    fig = tk.plot.images({"a": x, "b": x.to(torch.complex64)})
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == 2
    for ax in axes:
        im = ax.images[0]
        assert im.get_cmap().name == "gray" and im.get_clim() == (0.0, 1.0)
    plt.close(fig)


def test_compare_reports_psnr_and_error_maps():
    x = torch.zeros(8, 8)
    r = x + 0.1
    fig = tk.plot.compare(x, {"r": r})
    titles = [ax.get_title() for ax in fig.axes]
    assert "r\n20.0 dB" in titles and "|error| of r" in titles
    err_img = [ax for ax in fig.axes if ax.get_title() == "|error| of r"][0].images[0]
    np.testing.assert_allclose(err_img.get_array(), 0.1, rtol=1e-6)
    plt.close(fig)


def test_curves_draws_one_labelled_line_per_signal_complex_by_magnitude():
    fig = tk.plot.curves({"ramp": torch.linspace(0, 1, 5)[None, None],
                          "phase": torch.full((5,), -2.0, dtype=torch.complex64)}, title="t")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["ramp", "phase"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 2.0)
    assert ax.get_title() == "t" and ax.get_legend() is not None
    fig2, ax2 = plt.subplots()
    assert tk.plot.curves({"s": torch.ones(3)}, ax=ax2) is fig2
    plt.close("all")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: tk.plot.images([]), "panels must contain"),
        (lambda: tk.plot.images([torch.zeros(2, 2, 2, 2)]), r"x must hold one 2-D image"),
        (lambda: tk.plot.compare(torch.zeros(4, 4), {"r": torch.zeros(5, 5)}), r"recons\['r'\] has shape"),
        (lambda: tk.plot.compare(torch.zeros(4, 4), {}), "recons must contain"),
        (lambda: tk.plot.curves({"s": torch.zeros(2, 3)}), r"signals\['s'\] must be one 1-D signal"),
    ],
)
def test_plot_rejects_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
    plt.close("all")
