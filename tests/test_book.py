"""Build the whole book strictly (-W, every chapter executed) and check what a reader gets."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.book


@pytest.fixture(scope="session")
def build(book_build):
    """The one book build of the session (tests/conftest.py), shared with tests/test_browser.py."""
    return book_build


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
            # stderr reaches the page as a red box: a warning there (e.g. matplotlib's
            # "findfont: ... not found" from a stale font cache) is a defect the reader sees
            stderr = "".join("".join(o.get("text", "")) for o in outputs
                             if o["output_type"] == "stream" and o.get("name") == "stderr")
            assert not stderr, f"{path.name} cell {i} writes to stderr: {stderr[:200]!r}"
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


# What a reader sees as text: everything but code, scripts and the math that MathJax typesets
# (Sphinx writes each formula into a span.math / div.math as \( ... \) or \[ ... \]).
NOT_TEXT = "code, pre, script, style, textarea, math, .math, .highlight, mjx-container"
RAW_TEX = re.compile(r"\$+|\\\(|\\\)|\\\[|\\\]|\\begin\{")


def raw_tex_in_text(html: str) -> list[str]:
    """Snippets of the page's visible text that still hold TeX ($, \\(, \\[, \\begin{)."""
    soup = BeautifulSoup(html, "html.parser")
    body = soup.body or soup
    for element in body.select(NOT_TEXT):
        element.decompose()
    text = " ".join(body.get_text(" ").split())
    return [text[max(0, m.start() - 60):m.end() + 60] for m in RAW_TEX.finditer(text)]


def test_raw_tex_detector_on_examples():
    typeset = ('<body><p>Let <span class="math notranslate nohighlight">\\(A \\in \\C^{m}\\)</span>'
               ' be given.</p><div class="math notranslate nohighlight">\\[y = Ax\\]</div>'
               '<div class="highlight"><pre>print("$")</pre></div><p>costs <code>$x$</code></p></body>')
    assert raw_tex_in_text(typeset) == []
    # what chapter 1 showed before the fix: display math glued to a line inside a directive
    glued = "<body><p>Given measurements $$ y = Ax + e \\in \\C^m $$ of an unknown image</p></body>"
    assert len(raw_tex_in_text(glued)) == 2
    assert raw_tex_in_text("<body><p>\\begin{aligned} a &= b \\end{aligned}</p></body>")


def test_no_raw_tex_in_the_text_of_any_page(build):
    _, _, out = build
    html = out / "html"
    pages = sorted((html / "book").glob("*.html")) + [html / "index.html"]
    assert len(pages) > 5
    raw = {p.name: found[:4] for p in pages if (found := raw_tex_in_text(p.read_text()))}
    assert not raw, f"pages whose text shows raw TeX (display math glued to a line?): {raw}"


def top_level_declarations(script: str) -> list[str]:
    """Names a classic script declares with const/let/class outside any block or function.

    All classic scripts of a page share one top-level scope, so a name declared so in two of
    them throws a SyntaxError.
    """
    code = re.sub(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`(?:\\.|[^`\\])*`', '""', script)
    code = re.sub(r"//[^\n]*|/\*.*?\*/", " ", code, flags=re.S)
    names, depth = [], 0
    for token in re.finditer(r"[{}]|\b(?:const|let|class)\s+([A-Za-z_$][\w$]*)", code):
        if token.group() == "{":
            depth += 1
        elif token.group() == "}":
            depth -= 1
        elif depth == 0:
            names.append(token.group(1))
    return names


def test_declaration_scanner_on_examples():
    thebe = 'const THEBE_JS_URL = "https://x/{a}"; const thebe_selector = ".thebe,.cell"'
    assert top_level_declarations(thebe) == ["THEBE_JS_URL", "thebe_selector"]
    assert top_level_declarations("(function() { let k = 1; const f = '}'; })();") == []
    assert top_level_declarations("let toggleHintShow = 'Click {to} show';") == ["toggleHintShow"]


def test_no_script_declares_a_name_twice(build):
    # Every page used to log "SyntaxError: Identifier 'THEBE_JS_URL' has already been declared":
    # the inline script of sphinx_thebe landed twice (see _config.yml, extensions).
    _, _, out = build
    pages = sorted((out / "html").rglob("*.html"))
    assert pages
    for page in pages:
        soup = BeautifulSoup(page.read_text(), "html.parser")
        names = Counter(name for s in soup.find_all("script")
                        if not s.get("src") and s.get("type", "text/javascript") == "text/javascript"
                        for name in top_level_declarations(s.string or ""))
        twice = sorted(name for name, count in names.items() if count > 1)
        assert not twice, f"{page.relative_to(out / 'html')} declares {twice} more than once"
