"""Build the whole book strictly (-W, every chapter executed) and check what a reader gets."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.book


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """Run the README's build (jupyter-book build . -W --keep-going) into a temporary folder."""
    out = tmp_path_factory.mktemp("book")
    jb = shutil.which("jupyter-book") or str(Path(sys.executable).parent / "jupyter-book")
    proc = subprocess.run([jb, "build", ".", "-W", "--keep-going", "--path-output", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    log = proc.stdout + proc.stderr
    (out / "build.log").write_text(log)
    return proc.returncode, log, out / "_build"


def test_build_succeeds_without_warnings(build):
    rc, log, _ = build
    sphinx_warnings = [line for line in log.splitlines() if "WARNING:" in line or "ERROR:" in line]
    assert rc == 0 and "build succeeded" in log, log[-3000:]
    assert not sphinx_warnings, sphinx_warnings


def test_every_executed_notebook_ran_cleanly_and_figures_have_alt_text(build):
    _, _, out = build
    executed = sorted((out / "jupyter_execute").rglob("*.ipynb"))
    assert executed, "the build executed no notebook"
    for path in executed:
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            outputs = cell.get("outputs", [])
            assert not [o for o in outputs if o["output_type"] == "error"], f"{path.name} cell {i} raised"
            has_png = any("image/png" in o.get("data", {}) for o in outputs)
            alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
            assert not has_png or alt.strip(), f"{path.name} cell {i} draws a figure without alt text"
            for o in outputs:
                for tag in re.findall(r"<img\b[^>]*>", "".join(o.get("data", {}).get("text/html", ""))):
                    assert re.search(r'alt="[^"]+"', tag), f"{path.name} cell {i}: <img> without alt text"


def test_html_pages_have_alt_text_and_no_dead_widgets(build):
    _, _, out = build
    pages = list((out / "html" / "book").rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text()
        for tag in re.findall(r"<img\b[^>]*>", html):
            assert re.search(r'alt="[^"]+"', tag), f"{page.name}: {tag[:120]}"
        # a widget view without a kernel renders blank: the book must show the HTML slider instead
        assert "application/vnd.jupyter.widget-view+json" not in html, f"{page.name} embeds a dead widget"


def test_preface_shows_math_boxes_slider_and_colab_link(build):
    _, _, out = build
    html = (out / "html" / "book" / "preface.html").read_text()
    assert re.search(r'class="[^"]*proof definition', html), "no definition box"
    assert 'class="admonition exercise' in html or "exercise admonition" in html, "no exercise box"
    assert "Solution to" in html
    slider = re.search(r'<div class="tk-explore" id="(tk-explore-\w+)"', html)
    assert slider, "no pre-rendered explore slider"
    frames = re.search(r"var frames = (\[.*?\]);", html, re.S)
    assert frames and len(json.loads(frames.group(1))) == 7
    assert "colab.research.google.com/github/" in html and "blob/main/book/preface.ipynb" in html
    assert "mathjax" in html.lower()
    assert "google.colab" not in html, "the Colab install cell must be removed from the page"
    # glued numbers made it into the prose
    assert re.search(r"agree to <span[^>]*>[^<]*e-1[0-9]", html) or re.search(r"agree to .{0,80}e-1[0-9]", html)


def test_bibliography_is_author_year(build):
    _, _, out = build
    html = (out / "html" / "book" / "bibliography.html").read_text()
    assert "Gottschling" in html and "2025" in html and "Genzel" in html
    preface = (out / "html" / "book" / "preface.html").read_text()
    assert re.search(r"Gottschling <em>et al\.</em> \[<a [^>]*>2025</a>\]", preface), "citations must read author [year]"
