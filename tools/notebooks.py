"""Generate the .ipynb twin of every MyST notebook under book/ (the file Colab opens).

    python tools/notebooks.py            # write the twins
    python tools/notebooks.py --check    # exit 1 if a twin is missing or out of sync
    python tools/notebooks.py --ref v1.0 # pin the Colab install cell to a release tag

The .md file is the source of truth. Each twin has its outputs stripped and starts with
a cell (tagged remove-cell, so the book hides it) that installs tk_lessons on Colab.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (ROOT, colab_cell, display_path, is_notebook_source, read_myst,  # noqa: E402
                     to_ipynb_text)


def sources(root: Path = ROOT / "book") -> list[Path]:
    """Every MyST notebook (a .md with jupytext front-matter) under ``root``."""
    return sorted(p for p in root.rglob("*.md") if is_notebook_source(p))


def twin_text(md: Path, ref: str | None = None) -> str:
    nb = read_myst(md)
    nb.cells.insert(0, colab_cell(ref))
    return to_ipynb_text(nb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report twins that are out of sync")
    parser.add_argument("--ref", default=None, help="git ref for the Colab install (default: the book's branch)")
    args = parser.parse_args(argv)
    stale = []
    for md in sources():
        twin = md.with_suffix(".ipynb")
        text = twin_text(md, args.ref)
        if twin.exists() and twin.read_text() == text:
            continue
        stale.append(twin)
        if not args.check:
            twin.write_text(text)
            print(f"wrote {display_path(twin)}")
    if args.check and stale:
        print("out of sync (run `python tools/notebooks.py`):", *[display_path(t) for t in stale],
              sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
