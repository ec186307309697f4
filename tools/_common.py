"""Shared pieces of the maintenance scripts: paths, the repository URL, the Colab cell."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
COLAB_TAG = "remove-cell"
# Exercise notebooks: a task starts at a heading "## Task N: ..." and ends with check cells.
CHECK_TAG = "check"
TASK_HEADING = re.compile(r"^\s*#{2,6}\s+Task\s+(\d+)\b", re.IGNORECASE | re.MULTILINE)


def repository() -> tuple[str, str]:
    """(url, branch) from ``_config.yml``, the one place the repository URL is written."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def colab_cell(ref: str | None = None) -> nbformat.NotebookNode:
    """The first cell of every generated notebook: installs tk_lessons on Colab only."""
    url, branch = repository()
    ref = ref or branch
    source = (
        "# Google Colab only: install the course's helper package at the version of this book.\n"
        "import sys\n"
        "if \"google.colab\" in sys.modules:\n"
        f"    %pip install -q \"tk-lessons @ git+{url}@{ref}\"\n"
    )
    cell = nbformat.v4.new_code_cell(source.rstrip("\n"))
    cell.metadata["tags"] = [COLAB_TAG]
    cell.pop("id", None)
    return cell


def is_notebook_source(path: Path) -> bool:
    """A MyST Markdown file is a notebook when it carries jupytext front-matter."""
    text = path.read_text()
    return text.startswith("---\n") and "jupytext:" in text.split("\n---", 1)[0]


def read_myst(path: Path) -> nbformat.NotebookNode:
    return jupytext.read(path, fmt="md:myst")


def to_ipynb_text(nb: nbformat.NotebookNode) -> str:
    """Deterministic .ipynb text: no outputs, no execution counts, no cell ids, no jupytext metadata."""
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("jupytext", None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    for cell in nb.cells:
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return jupytext.writes(nb, fmt="ipynb")


def display_path(path: Path) -> str:
    """``path`` relative to the repository root when it lies inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
