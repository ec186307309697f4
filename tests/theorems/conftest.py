"""Shared set-up of the theorem tests: one torch thread per module, and a chapter's namespace."""

import os
from pathlib import Path

import jupytext
import pytest

BOOK = Path(__file__).resolve().parents[2] / "book"


@pytest.fixture(autouse=True, scope="module")
def _one_thread_per_module(one_thread):      # the fixture is in tests/conftest.py
    yield


@pytest.fixture(scope="module")
def ns(request):
    """The namespace of the chapter ``book/<CHAPTER>.md`` after running all its code cells.

    The test module names its chapter in a module constant ``CHAPTER`` (e.g.
    ``"05_kernel_size"``). Figures are closed instead of shown; the working folder is restored.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stem = request.module.CHAPTER
    nb = jupytext.read(BOOK / f"{stem}.md")
    namespace: dict = {}
    show = plt.show
    plt.show = lambda *a, **k: plt.close("all")
    cwd = os.getcwd()
    try:
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, stem, "exec"), namespace)
    finally:
        plt.show = show
        plt.close("all")
        os.chdir(cwd)
    return namespace
