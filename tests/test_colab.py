"""Every notebook runs where only Colab's packages exist (issue 11).

Every chapter twin (book/*.ipynb) must run to the end, and every student exercise notebook
(exercises/student/*.ipynb) up to its first stub, from an empty folder outside the
repository, with tk_lessons taken from the installed packages. Book-only features (glue)
must degrade there, never fail on an import. tools/colab_env.py does the work; two kernels:

* cheap (always): this environment's Python, with every installed distribution that the
  packages below do not need (myst-nb, Sphinx, jupytext, pytest, cvxpy, scikit-image,
  PyWavelets, PyYAML, ...) made unimportable; 15 kernel runs, 55 s on an idle 2-core machine;
* real: a new virtual environment holding only torch (this environment's version), numpy,
  scipy, matplotlib, ipywidgets, tqdm, ipykernel and nbclient, plus tk_lessons installed
  non-editably from a copy of the working tree. There the instructor versions of the
  exercises must also run to the end: every exercise can be solved with Colab's packages.
  After a notebook's Colab install cell, a module ``google.colab`` is put in ``sys.modules``
  (the install cell itself still sees none and installs nothing), so tk_lessons takes the
  branches it takes on Colab.
  Building the venv needs pip's index: 35 s with pip's cache warm on an idle 2-core
  machine (65-100 s when other jobs share the cores); its 16 kernel runs take about 60 s.
  ``TK_COLAB_REAL=0`` skips it (offline machines); ``TK_COLAB_VENV=DIR`` builds the venv in
  DIR, outside the repository, and reuses it on the next run.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

import colab_env  # tools/colab_env.py
import make_student  # tools/make_student.py
from _common import read_myst
from make_student import STUB

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = colab_env.twins() + colab_env.student_notebooks()
notebook = pytest.mark.notebook  # every test that starts a kernel

# Imported by the book build or the tests only. Colab happens to preinstall some of them
# (cvxpy, scikit-image, PyYAML, ...), but the course must not need them: in the kernels none
# may be importable.
BOOK_AND_TEST_ONLY = ["myst_nb", "myst_parser", "jupyter_book", "sphinx", "sphinx_proof",
                      "jupytext", "pytest", "cvxpy", "skimage", "pywt", "yaml"]
# ipywidgets 7, as Colab has it, brings the classic notebook server and with it PyYAML: the real
# venv has it like Colab, and the cheap kernel, which blocks it, shows that the course does not
# need it.
PULLED_IN_BY_COLAB_PINS = {"yaml"}
# What the chapters and tk_lessons import, and what runs the kernel.
ON_COLAB = ["torch", "numpy", "scipy", "matplotlib", "ipywidgets", "tqdm", "IPython", "ipykernel",
            "tk_lessons"]


def _ids(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.fixture(scope="module")
def blocked_kernel(tmp_path_factory) -> colab_env.Kernel:
    return colab_env.blocked_kernel(tmp_path_factory.mktemp("colab-cheap"))


@pytest.fixture(scope="module")
def real_kernel(tmp_path_factory) -> colab_env.Kernel:
    if os.environ.get("TK_COLAB_REAL", "1") == "0":
        pytest.skip("TK_COLAB_REAL=0: the real Colab-like venv is not built")
    home = tmp_path_factory.mktemp("colab-real")
    venv = Path(os.environ.get("TK_COLAB_VENV") or home / "venv")
    python = colab_env.build_colab_venv(venv, ROOT, log=lambda line: None)
    return colab_env.venv_kernel(python.parent.parent, home)


def _probe(tmp_path: Path, *, installed: bool) -> Path:
    """A notebook that fails unless its kernel is Colab-like."""
    absent = [n for n in BOOK_AND_TEST_ONLY if not (installed and n in PULLED_IN_BY_COLAB_PINS)]
    cells = [
        "import os, pathlib, sys\n"
        f"root = pathlib.Path({str(ROOT)!r})\n"
        "cwd = pathlib.Path.cwd().resolve()\n"
        "assert not cwd.is_relative_to(root) and os.listdir(cwd) == [], cwd\n"
        "assert not any(pathlib.Path(p or '.').resolve() == root for p in sys.path), sys.path",
        "import importlib\n"
        f"for name in {absent!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError:\n"
        "        continue\n"
        "    raise AssertionError(f'{name} is importable')\n"
        f"for name in {ON_COLAB!r}:\n"
        "    importlib.import_module(name)",
    ]
    if installed:  # a non-editable install: every file of the package, weights included
        source = ROOT / "tk_lessons"
        files = sorted(str(f.relative_to(source)) for f in source.rglob("*")
                       if f.is_file() and "__pycache__" not in f.parts)
        cells.append(
            "import tk_lessons\n"
            "package = pathlib.Path(tk_lessons.__file__).parent\n"
            "assert not package.is_relative_to(root) and 'site-packages' in package.parts, package\n"
            f"missing = [f for f in {files!r} if not (package / f).is_file()]\n"
            "assert not missing, f'not installed: {missing}'")
        cells.append(  # the kernel looks like Colab: tk_lessons takes its Colab branch
            "import matplotlib.pyplot as plt\n"
            "explorer = tk_lessons.widgets.explore(lambda a: plt.figure(), alt='probe', a=[1, 2])\n"
            "assert 'google.colab' in sys.modules and explorer.frames is None")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def test_blocked_modules_are_the_book_and_test_packages_only():
    blocked = set(colab_env.blocked_modules())
    assert set(BOOK_AND_TEST_ONLY) <= blocked, sorted(set(BOOK_AND_TEST_ONLY) - blocked)
    assert not blocked & set(ON_COLAB), sorted(blocked & set(ON_COLAB))


@notebook
def test_blocked_kernel_is_colab_like(blocked_kernel, tmp_path):
    result = colab_env.run_notebook(_probe(tmp_path, installed=False), blocked_kernel)
    assert result.failure is None, result.line()


@notebook
def test_a_book_only_import_is_reported_with_its_cell(blocked_kernel, tmp_path):
    # what every twin did before tk.glue: the check must catch it, at the right cell
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_markdown_cell("text"),
                                         nbformat.v4.new_code_cell("from myst_nb import glue"),
                                         nbformat.v4.new_code_cell("y = 2")])
    nbformat.write(nb, tmp_path / "old.ipynb")
    result = colab_env.run_notebook(tmp_path / "old.ipynb", blocked_kernel)
    assert result.failure is not None, result.line()
    assert result.failure.startswith(
        "cell 2 (starting `from myst_nb import glue`): ModuleNotFoundError")
    assert "myst_nb" in result.failure and result.cells == 2


@notebook
def test_an_error_while_displaying_a_result_fails_the_run(blocked_kernel, tmp_path):
    # e.g. a widget without _repr_mimebundle_ (ipywidgets 7): the cell "runs", its display fails
    shown = ("class Shown:\n"
             "    def _repr_mimebundle_(self, include=None, exclude=None):\n"
             "        raise AttributeError('no bundle')\n"
             "Shown()")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(shown)])
    nbformat.write(nb, tmp_path / "display.ipynb")
    result = colab_env.run_notebook(tmp_path / "display.ipynb", blocked_kernel)
    assert result.failure == "cell 0 (starting `class Shown:`): AttributeError: no bundle"


def test_student_notebooks_run_up_to_their_first_stub():
    for path in colab_env.student_notebooks():
        full = nbformat.read(path, as_version=4)
        kept = colab_env.cells_to_run(nbformat.read(path, as_version=4), student=True)
        assert 0 < len(kept.cells) < len(full.cells), path.name
        assert STUB in full.cells[len(kept.cells)].source
        assert not any(STUB in c.source for c in kept.cells)


@notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_runs_without_book_and_test_packages(path, blocked_kernel):
    result = colab_env.run_notebook(path, blocked_kernel)
    assert result.failure is None, result.line()
    assert result.cells >= 2, result.line()  # the Colab cell and at least one of the notebook's


@notebook
def test_real_venv_is_colab_like(real_kernel, tmp_path):
    result = colab_env.run_notebook(_probe(tmp_path, installed=True), real_kernel)
    assert result.failure is None, result.line()


@notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_runs_in_a_colab_like_venv(path, real_kernel):
    result = colab_env.run_notebook(path, real_kernel)
    assert result.failure is None, result.line()
    assert result.cells >= 2, result.line()


@notebook
@pytest.mark.parametrize("src", make_student.sources(), ids=lambda p: p.stem)
def test_exercise_solutions_run_in_a_colab_like_venv(src, real_kernel, tmp_path):
    path = tmp_path / f"{src.stem}.ipynb"
    nbformat.write(read_myst(src), path)
    result = colab_env.run_notebook(path, real_kernel, student=False)
    assert result.failure is None, f"{src.name}: {result.line()}"
    assert result.cells >= 2, result.line()
