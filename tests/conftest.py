"""Shared fixtures: repository paths, the book build, and the scripts in tools/ made importable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def one_thread():
    """Run a test module on one torch thread, and restore the count afterwards.

    Tiny tensors gain nothing from a second OpenMP thread and can stall badly on a busy 2-core
    machine; results do not depend on the thread count. The folders of small-tensor tests
    (attacks, networks, theorems) use it for every module through their conftest; a single
    module asks for it with ``pytestmark = pytest.mark.usefixtures("one_thread")``.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def book_build(tmp_path_factory):
    """The README's build (jupyter-book build . -W --keep-going), once per test session.

    Returns ``(returncode, log, build_dir)``; ``build_dir`` holds ``html/`` and
    ``jupyter_execute/``. tests/test_book.py and tests/test_browser.py share this one build.

    To check an existing build instead (e.g. while working on the tests), point
    ``TK_BOOK_BUILD`` at its ``_build`` folder; its log is read from ``../build.log`` there
    (write it with ``jupyter-book build . -W --keep-going --path-output DIR > DIR/build.log 2>&1``).
    """
    existing = os.environ.get("TK_BOOK_BUILD")
    if existing:
        out = Path(existing)
        log_file = out.parent / "build.log"
        log = log_file.read_text() if log_file.is_file() else ""
        return 0 if "build succeeded" in log else 1, log, out
    out = tmp_path_factory.mktemp("book")
    jb = shutil.which("jupyter-book") or str(Path(sys.executable).parent / "jupyter-book")
    proc = subprocess.run([jb, "build", ".", "-W", "--keep-going", "--path-output", str(out)],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    log = proc.stdout + proc.stderr
    (out / "build.log").write_text(log)
    return proc.returncode, log, out / "_build"


def pytest_collection_modifyitems(config, items):
    # Tests marked `cuda` run only where a GPU is present (the GPU check script), never fail on CPU machines.
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
