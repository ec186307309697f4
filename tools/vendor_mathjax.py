"""Fetch MathJax 3 from the npm registry into the ignored folder ``_vendor_static/``.

    python tools/vendor_mathjax.py          # fetch once (no-op when already there)
    python tools/vendor_mathjax.py --force  # fetch again

The built book loads MathJax from a CDN (Sphinx's default URL). The browser test
(tests/test_browser.py) serves that URL from this local copy instead, so it typesets every
page without the network. The tarball is fetched with ``npm pack`` and checked against the
sha512 pinned below before anything is unpacked; only its ``es5/`` folder (the browser
components and fonts) is kept.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = "3.2.2"
# `npm view mathjax@3.2.2 dist.integrity`
INTEGRITY = ("sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvt"
             "RZM1vO+geW0OhGw==")
DEST = ROOT / "_vendor_static" / "mathjax"


def es5_dir(dest: Path = DEST) -> Path:
    """Where the vendored ``es5/`` folder lives (the CDN's ``.../mathjax@3/es5/``)."""
    return dest / "es5"


def is_vendored(dest: Path = DEST) -> bool:
    stamp = dest / "VERSION"
    return (es5_dir(dest) / "tex-mml-chtml.js").is_file() and stamp.is_file() \
        and stamp.read_text().strip() == VERSION


def _integrity(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def vendor(dest: Path = DEST, force: bool = False) -> Path:
    """Fetch mathjax@VERSION with npm into ``dest`` (unless there already); return its es5/."""
    if is_vendored(dest) and not force:
        return es5_dir(dest)
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found: install Node.js/npm (Debian: apt-get install npm) "
                           "to vendor MathJax")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", f"mathjax@{VERSION}", "--silent", "--pack-destination", tmp],
                       check=True, cwd=tmp, stdout=subprocess.DEVNULL)
        tarball = Path(tmp) / f"mathjax-{VERSION}.tgz"
        got = _integrity(tarball)
        if got != INTEGRITY:
            raise RuntimeError(f"mathjax-{VERSION}.tgz: integrity {got}, expected {INTEGRITY}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as tar:
            members = [m for m in tar.getmembers()
                       if m.name.startswith("package/es5/") and (m.isfile() or m.isdir())]
            # the "data" filter (Python >= 3.10.12) refuses links and paths outside `unpacked`
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(unpacked, members=members, **safe)
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        shutil.move(str(unpacked / "package" / "es5"), str(es5_dir(dest)))
        (dest / "VERSION").write_text(VERSION + "\n")
    return es5_dir(dest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    path = vendor(force=args.force)
    print(f"MathJax {VERSION} in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
