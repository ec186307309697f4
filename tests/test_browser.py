"""Open every page of the built book in headless Chromium, as a reader's browser does.

The pages are served from the book build (tests/conftest.py: ``book_build``) over a local
HTTP server. The only external script the book loads, MathJax from its CDN, is served from a
copy fetched by tools/vendor_mathjax.py; every other request to the network is blocked and
reported, so the test is hermetic. For each page the test records JavaScript errors, whether
MathJax typeset every formula, text that still shows raw TeX, what moving each pre-rendered
slider does, code boxes, printed output and display formulas wider than their boxes, how
large each figure's titles appear once the page has shrunk the figure to the text column, and
a full-page screenshot.

Needs Debian's ``chromium`` (``apt-get install chromium``; never ``playwright install``),
playwright-python and npm (for MathJax). Without a browser the test is skipped with the
reason; with ``TK_REQUIRE_BROWSER=1`` (set by .ci/run) a missing piece fails it instead.
Screenshots go to pytest's temporary folder, or to ``TK_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

import vendor_mathjax  # tools/ is on sys.path (tests/conftest.py)

pytestmark = pytest.mark.book

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"
# At 1440 px and wider the theme's code box is 786 px wide and holds 89 characters of its 14 px
# monospace (88 is the limit of tests/test_pages.py); a folded (hide-input) cell's box is 768 px
# and holds 87. At 1366 px the boxes hold 85, at 1280 px 77.
VIEWPORT = {"width": 1440, "height": 900}
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser",
                       "google-chrome", "google-chrome-stable")


def _unavailable(reason: str):
    """Skip, or fail when TK_REQUIRE_BROWSER=1 (CI must not skip this test silently)."""
    if os.environ.get("TK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TK_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"{reason} (set TK_REQUIRE_BROWSER=1 to make this a failure)")


def find_chromium() -> str | None:
    """TK_CHROMIUM, else Debian's chromium binary, else a chromium/chrome on PATH."""
    for name in (os.environ.get("TK_CHROMIUM") or "", *CHROMIUM_CANDIDATES):
        path = name if os.path.isabs(name) else shutil.which(name) if name else None
        if path and os.access(path, os.X_OK):
            return path
    return None


# Collected in the page: every visible text node that still holds TeX delimiters, outside
# code, scripts and typeset math. A `.math` element that MathJax typeset holds an
# <mjx-container> and no TeX; one it did not typeset keeps its \( ... \) text and is caught.
PAGE_PROBE = r"""() => {
  const skip = 'code, pre, script, style, textarea, noscript, mjx-container, .highlight';
  const tex = /\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawTex = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    if (tex.test(node.textContent)) rawTex.push(node.textContent.trim().slice(0, 160));
  }
  const math = Array.from(document.querySelectorAll('.math'));
  const untypeset = math.filter(el => !el.querySelector('mjx-container'))
                        .map(el => el.textContent.trim().slice(0, 160));
  const merrors = Array.from(document.querySelectorAll('mjx-merror'))
                       .map(el => (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 160));
  // code boxes whose lines do not fit the box; folded cells (hide-input) opened as a reader
  // would open them: their box is narrower (it sits inside the fold's frame)
  const closed = Array.from(document.querySelectorAll('details')).filter(d => !d.open);
  closed.forEach(d => { d.open = true; });
  const cut = [];
  for (const pre of document.querySelectorAll('.cell_input pre')) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      const longest = pre.textContent.split('\n').reduce((a, b) => b.length > a.length ? b : a, '');
      const folded = pre.closest('details') ? 'folded, ' : '';
      cut.push(`${longest.length} characters (${folded}box ${pre.clientWidth} px): ` +
               longest.trim().slice(0, 100));
    }
  }
  // printed output wider than its box (the reader has to scroll sideways)
  const wideOutput = Array.from(document.querySelectorAll('.cell_output pre'))
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => {
      const longest = pre.textContent.split('\n').reduce((a, b) => b.length > a.length ? b : a, '');
      return `${longest.length} characters (box ${pre.clientWidth} px): ${longest.trim().slice(0, 80)}`;
    });
  closed.forEach(d => { d.open = false; });
  // display formulas wider than their box: the end of the formula is hidden
  const wideMath = Array.from(document.querySelectorAll('mjx-container[display="true"]'))
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => `${el.scrollWidth} px in ${el.clientWidth} px: ` +
               (el.querySelector('mjx-assistive-mml') || el).textContent.slice(0, 80));
  // figures as drawn (natural size) and as shown
  const figures = Array.from(document.querySelectorAll('.cell_output img, .tk-explore img'))
    .filter(img => img.clientWidth > 0)
    .map(img => {
      const cell = img.closest('.cell');
      const input = cell ? cell.querySelector('.cell_input') : null;
      return {src: img.getAttribute('src'), natural: img.naturalWidth, shown: img.clientWidth,
              alt: (img.getAttribute('alt') || '').slice(0, 80),
              code: input ? input.textContent : ''};
    });
  return {rawTex, untypeset, merrors, mathCount: math.length, cut, wideOutput, wideMath, figures,
          mathInputError: document.body.innerText.includes('Math input error'),
          hasMathJax: !!document.querySelector('script[src*="mathjax"]')};
}"""


# A figure's text is readable when its titles appear at least 10 px high on the page.
MIN_TITLE_PX = 10
# tk.plot.images and tk.plot.compare scale their fonts to the size the book shows them at
# (tk_lessons/plot.py, _fit_text); a figure drawn otherwise has the style's sizes.
SCALES_ITS_FONTS = re.compile(r"tk\.plot\.(images|compare)\(")
DRAWS_OTHERWISE = re.compile(r"plt\.(subplots|figure|subplot)\(|\.add_subplot\(")


def _title_points() -> float:
    from matplotlib.font_manager import FontProperties

    import tk_lessons as tk

    return FontProperties(size=tk.plot.STYLE["axes.titlesize"]).get_size_in_points()


def _png_dpi(data: bytes) -> float:
    """The resolution a PNG was saved at (matplotlib records it); 72 when it says nothing."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return float((image.info.get("dpi") or (72, 72))[0])


def _title_px(figure: dict, html: Path, page: str) -> float:
    """How many pixels high a title (tk.plot.STYLE's axes.titlesize) appears on the page."""
    src = figure["src"]
    if src.startswith("data:image/png;base64,"):
        data = base64.b64decode(src.split(",", 1)[1])
    else:
        data = (html / page).parent.joinpath(src.split("?")[0]).resolve().read_bytes()
    return _title_points() / 72 * _png_dpi(data) * figure["shown"] / figure["natural"]


def _serve(directory: Path):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _move_sliders(page) -> list[dict]:
    """Press the right-arrow key on every range input of every .tk-explore; record the frames."""
    results = []
    explorers = page.locator(".tk-explore")
    for i in range(explorers.count()):
        explorer = explorers.nth(i)
        explorer.scroll_into_view_if_needed()
        img = explorer.locator("img")
        inputs = explorer.locator("input[type=range]")
        for j in range(inputs.count()):
            slider = inputs.nth(j)
            if int(slider.get_attribute("max")) == 0:
                continue  # a parameter with one value cannot move
            before = (img.get_attribute("src"), img.get_attribute("alt"), slider.input_value())
            slider.focus()
            page.keyboard.press("ArrowRight")
            after = (img.get_attribute("src"), img.get_attribute("alt"), slider.input_value())
            results.append({"explorer": explorer.get_attribute("id"), "input": j,
                            "moved": before[2] != after[2], "src_changed": before[0] != after[0],
                            "alt_changed": before[1] != after[1], "alt": after[1]})
            page.keyboard.press("ArrowLeft")  # back, so the next parameter starts from frame 0
    return results


def _launch(p, chromium: str):
    return p.chromium.launch(executable_path=chromium, headless=True,
                             args=["--no-sandbox", "--disable-gpu"])


@pytest.fixture(scope="module")
def chromium():
    """The Chromium binary and playwright's sync API (skip, or fail under TK_REQUIRE_BROWSER)."""
    path = find_chromium()
    if path is None:
        _unavailable("no Chromium found (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    return path, sync_playwright


def test_slider_check_tells_a_working_slider_from_a_dead_one(chromium):
    # no book build needed: the pre-rendered slider of tk.widgets.explore, and a copy whose
    # script never listens to the slider
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import tk_lessons as tk

    def draw(k):
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([x ** k for x in range(5)])
        return fig

    good = tk.widgets.explore(draw, alt="powers of x", static=True, k=[1, 2, 3]).to_html()
    dead = good.replace("addEventListener('input', update)", "getAttribute('max')")
    assert dead != good
    path, sync_playwright = chromium
    with sync_playwright() as p:
        browser = _launch(p, path)
        page = browser.new_page()
        results = {}
        for name, html in (("good", good), ("dead", dead)):
            page.set_content(f"<html><body>{html}</body></html>")
            results[name] = _move_sliders(page)
        browser.close()
    assert [(r["moved"], r["src_changed"], r["alt_changed"]) for r in results["good"]] == \
        [(True, True, True)]
    assert results["good"][0]["alt"] == "powers of x (k = 2)"
    assert [(r["moved"], r["src_changed"], r["alt_changed"]) for r in results["dead"]] == \
        [(True, False, False)]


@pytest.fixture(scope="module")
def visits(chromium, book_build, tmp_path_factory):
    """Visit every page once; return {page: record} and the blocked external requests."""
    rc, log, out = book_build
    html = out / "html"
    if not (html / "book").is_dir():
        pytest.fail(f"the book build produced no html/book folder (exit {rc}):\n{log[-2000:]}")
    chromium, sync_playwright = chromium
    started = time.perf_counter()
    try:
        mathjax = vendor_mathjax.vendor()
    except (RuntimeError, OSError) as err:
        _unavailable(f"MathJax could not be vendored: {err}")
    vendor_seconds = time.perf_counter() - started

    shots = Path(os.environ.get("TK_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    pages = sorted((html / "book").glob("*.html")) + [html / "index.html"]
    server = _serve(html)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    blocked: list[str] = []
    missing: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(base):
            return r.continue_()
        if url.startswith(MATHJAX_CDN):
            local = mathjax / url[len(MATHJAX_CDN):].split("?")[0]
            if local.is_file():
                return r.fulfill(path=str(local))
            missing.append(url)
            return r.fulfill(status=404, body="not vendored")
        blocked.append(url)
        return r.abort("blockedbyclient")

    records = {}
    started = time.perf_counter()
    try:
        with sync_playwright() as p:
            browser = _launch(p, chromium)
            context = browser.new_context(viewport=VIEWPORT)
            context.route("**/*", route)
            for path in pages:
                name = str(path.relative_to(html))
                record = {"errors": [], "screenshot": shots / (name.replace("/", "_") + ".png")}
                page = context.new_page()
                page.on("console", lambda m, rec=record: m.type == "error" and rec["errors"].append(
                    f"console: {m.text} ({m.location.get('url', '')})"))
                page.on("pageerror", lambda e, rec=record: rec["errors"].append(f"pageerror: {e}"))
                page.goto(base + name, wait_until="load")
                if name == "index.html":  # a redirect to the preface: check where it lands
                    page.wait_for_url(re.compile(r"/book/preface\.html$"), timeout=10_000)
                    record["landed"] = page.url[len(base):]
                    page.close()
                    records[name] = record
                    continue
                if page.evaluate("() => !!window.MathJax && !!document.querySelector"
                                 "('script[src*=\"mathjax\"]')"):
                    page.wait_for_function("() => window.MathJax.startup"
                                           " && window.MathJax.startup.promise", timeout=30_000)
                    page.evaluate("() => window.MathJax.startup.promise.then(() => true)")
                record.update(page.evaluate(PAGE_PROBE))
                for figure in record["figures"]:
                    figure["title_px"] = round(_title_px(figure, html, name), 1)
                    figure["scaled"] = bool(SCALES_ITS_FONTS.search(figure["code"])
                                            and not DRAWS_OTHERWISE.search(figure["code"]))
                    figure["src"], figure["code"] = figure["src"][:60], figure["code"][:200]
                record["sliders"] = _move_sliders(page)
                page.evaluate("() => window.scrollTo(0, 0)")  # sticky sidebars at the top
                page.screenshot(path=str(record["screenshot"]), full_page=True)
                page.close()
                records[name] = record
            browser.close()
    finally:
        server.shutdown()
    seconds = time.perf_counter() - started
    print(f"\nbrowser test: {len(pages)} pages in {seconds:.1f} s (MathJax vendoring "
          f"{vendor_seconds:.1f} s); screenshots in {shots}")
    return {"pages": records, "blocked": blocked, "missing": missing}


def test_every_page_was_visited(visits):
    names = set(visits["pages"])
    assert "index.html" in names and "book/preface.html" in names, sorted(names)
    assert any(re.match(r"book/\d\d_", n) for n in names), sorted(names)
    assert visits["pages"]["index.html"]["landed"] == "book/preface.html"


def test_no_javascript_errors(visits):
    errors = {n: r["errors"] for n, r in visits["pages"].items() if r["errors"]}
    assert not errors, errors


def test_nothing_loaded_from_the_network_but_mathjax(visits):
    assert not visits["blocked"], f"pages request external resources: {visits['blocked']}"
    assert not visits["missing"], f"MathJax files missing from the vendored copy: {visits['missing']}"


def test_mathjax_typesets_every_formula(visits):
    pages = visits["pages"]
    assert any(r["mathCount"] for r in pages.values()), "no page has any math: is MathJax wired?"
    for name, r in pages.items():
        if "landed" in r:
            continue
        if r["mathCount"]:
            assert r["hasMathJax"], f"{name} has math but loads no MathJax"
        assert not r["merrors"], f"{name}: MathJax errors {r['merrors']}"
        assert not r["mathInputError"], f"{name} shows 'Math input error'"
        assert not r["untypeset"], f"{name}: formulas MathJax left as TeX: {r['untypeset'][:5]}"


def test_no_raw_tex_in_the_text(visits):
    raw = {n: r["rawTex"][:5] for n, r in visits["pages"].items() if r.get("rawTex")}
    assert not raw, f"text showing raw TeX outside code and math: {raw}"


def test_sliders_change_frame_and_alt_text(visits):
    pages = visits["pages"]
    assert pages["book/preface.html"]["sliders"], "the preface's explore slider was not found"
    for name, r in pages.items():
        for s in r.get("sliders", []):
            where = f"{name} {s['explorer']} input {s['input']}"
            assert s["moved"], f"{where}: the arrow key did not move the slider"
            assert s["src_changed"], f"{where}: the frame did not change"
            assert s["alt_changed"], f"{where}: the alt text did not change ({s['alt']!r})"


def test_code_lines_fit_their_boxes(visits):
    cut = {n: r["cut"] for n, r in visits["pages"].items() if r.get("cut")}
    assert not cut, f"code boxes with lines cut off at {VIEWPORT['width']} px: {cut}"


def test_printed_output_fits_its_box(visits):
    wide = {n: r["wideOutput"] for n, r in visits["pages"].items() if r.get("wideOutput")}
    assert not wide, f"printed output wider than its box at {VIEWPORT['width']} px: {wide}"


def test_display_math_fits_its_box(visits):
    wide = {n: r["wideMath"] for n, r in visits["pages"].items() if r.get("wideMath")}
    assert not wide, (f"display formulas wider than their box at {VIEWPORT['width']} px "
                      f"(split them, e.g. with aligned): {wide}")


def test_figure_text_is_readable_at_the_size_shown(visits):
    # A figure wider than the text column is shrunk, and its text with it: a 15-inch-wide
    # figure's titles shrink to half. Draw wide figures narrower, or in more rows.
    small, checked = {}, 0
    for name, r in visits["pages"].items():
        for f in r.get("figures", []):
            checked += 1
            if f["title_px"] < MIN_TITLE_PX and not f["scaled"]:
                small.setdefault(name, []).append(
                    f"{f['title_px']} px ({f['natural']} px wide, shown at {f['shown']}): {f['alt']}")
    assert checked > 10, "the book's figures were not found"
    assert not small, (f"figures whose titles ({_title_points():g} pt) appear under "
                       f"{MIN_TITLE_PX} px at {VIEWPORT['width']} px: {small}")


def test_screenshots_taken(visits):
    for name, r in visits["pages"].items():
        if "landed" in r:
            continue
        shot = r["screenshot"]
        assert shot.is_file() and shot.stat().st_size > 10_000, f"{name}: no screenshot at {shot}"
