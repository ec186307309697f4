"""Run the course's notebooks the way a Colab reader meets them.

    python tools/colab_env.py            # cheap: this environment, book/test packages blocked
    python tools/colab_env.py --real     # a fresh venv with only Colab's packages (~1 min more)
    python tools/colab_env.py --real --venv DIR   # build the venv in DIR (reused if present)

Every chapter twin (``book/*.ipynb``) must run to the end, and every student exercise notebook
(``exercises/student/*.ipynb``) up to its first cell holding a stub. Each notebook is executed
by its own kernel whose working directory is an empty folder outside the repository, so
nothing is found through the current directory; ``tk_lessons`` comes from the kernel's
installed packages.

Two kernels are offered:

* **cheap** (:func:`blocked_kernel`): this environment's Python, with a ``sitecustomize`` that
  makes every installed distribution that :data:`COLAB_PACKAGES` do not need (myst-nb, Sphinx,
  jupytext, pytest, cvxpy, scikit-image, PyWavelets, PyYAML, ...) unimportable. ``tk_lessons`` is the
  editable install; the repository root is not on ``sys.path``.
* **real** (:func:`build_colab_venv` + :func:`venv_kernel`): a new virtual environment holding
  only :data:`COLAB_PACKAGES` (torch at this environment's version, ipywidgets at Colab's
  :data:`COLAB_PINS`) and ``tk_lessons``
  installed from a copy of the working tree, non-editably and without dependencies (``pip
  check`` then confirms that every dependency it declares is already there). After a notebook's install cell, the kernel pretends
  to be Colab (a ``google.colab`` module in ``sys.modules``), so tk_lessons takes its Colab
  branches.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from make_student import STUB  # noqa: E402

# What Colab preinstalls and the course relies on; nbclient/ipykernel run the notebooks.
COLAB_PACKAGES = ("torch", "numpy", "scipy", "matplotlib", "ipywidgets", "tqdm", "ipykernel",
                  "nbclient")
# Versions the real environment takes as Colab has them, where the course must work with an
# older release than the book environment's: Colab keeps ipywidgets 7, whose widgets its front
# end renders without extra set-up (googlecolab/colabtools issues 3020 and 4525).
COLAB_PINS = {"ipywidgets": "ipywidgets==7.7.1"}
# Every Python environment has these (pip in the venv, setuptools/wheel on Colab).
BASE_PACKAGES = ("pip", "setuptools", "wheel")
# The files `pip install <repo>` needs to build tk_lessons (README: the project's readme).
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "tk_lessons")
KERNEL_NAME = "tk-colab"


def twins(root: Path = ROOT) -> list[Path]:
    """The .ipynb twins of the chapters (book/*.ipynb)."""
    return sorted((root / "book").glob("*.ipynb"))


def student_notebooks(root: Path = ROOT) -> list[Path]:
    """The student exercise notebooks (exercises/student/*.ipynb)."""
    return sorted((root / "exercises" / "student").glob("*.ipynb"))


def _installed_requirements(dist: metadata.Distribution) -> list[str]:
    """Names of the distributions ``dist`` needs (no extras), as installed here."""
    names = []
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.append(canonicalize_name(req.name))
    return names


def colab_closure(packages=COLAB_PACKAGES + BASE_PACKAGES) -> set[str]:
    """Canonical names of ``packages`` and everything they need, as installed here."""
    seen: set[str] = set()
    todo = [canonicalize_name(p) for p in packages]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional platform dependency that is not installed here
        seen.add(name)
        todo += _installed_requirements(dist)
    return seen


def blocked_modules() -> list[str]:
    """Top-level modules of every installed distribution outside Colab's packages.

    A module shared by an allowed and a blocked distribution (a namespace package) stays
    importable. ``tk_lessons`` itself is allowed.
    """
    allowed = colab_closure() | {canonicalize_name("tk-lessons")}
    blocked = []
    for module, dists in metadata.packages_distributions().items():
        if module.startswith("__editable__") or not module.isidentifier():
            continue
        if not any(canonicalize_name(d) in allowed for d in dists):
            blocked.append(module)
    return sorted(blocked)


_SITECUSTOMIZE = '''\
"""Written by tools/colab_env.py: book-only and test-only packages cannot be imported here."""
import sys

BLOCKED = frozenset({blocked!r})


class _NotOnColab:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {{name!r}} (tools/colab_env.py: the notebooks may not need it)",
                name=name)
        return None


sys.meta_path.insert(0, _NotOnColab())
'''


@dataclass
class Kernel:
    """How to start a notebook kernel: its Python and the environment it starts with."""

    python: str
    env: dict[str, str]
    home: Path  # holds the kernel spec; the kernels' empty working folders are made here
    # After a notebook's Colab install cell, put a module "google.colab" in sys.modules, so
    # that tk_lessons takes its Colab branches (tk.widgets.explore: live widget only).
    pretend_colab: bool = False

    def manager(self) -> AsyncKernelManager:
        spec_dir = self.home / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True, exist_ok=True)
        spec = {"argv": [self.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Colab-like Python", "language": "python"}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        specs = KernelSpecManager(kernel_dirs=[str(self.home / "kernels")],
                                  ensure_native_kernel=False)
        return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)

    def workdir(self) -> Path:
        """A new empty folder outside the repository."""
        return Path(tempfile.mkdtemp(prefix="run-", dir=self.home))


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "MPLBACKEND", "JUPYTER_PATH")}
    ipython_dir = home / "ipython"  # no profile or startup file of the user's
    ipython_dir.mkdir(exist_ok=True)
    # matplotlib's own config and font cache, empty at first as on a new Colab machine; a
    # kernel of another environment then never writes the developer's ~/.cache/matplotlib
    # (a font list written there without matplotlib's own fonts put "findfont" warnings on
    # every page of the book)
    mpl_dir = home / "matplotlib"
    mpl_dir.mkdir(exist_ok=True)
    env.update(IPYTHONDIR=str(ipython_dir), MPLCONFIGDIR=str(mpl_dir), PYTHONNOUSERSITE="1")
    return env


def blocked_kernel(home: Path) -> Kernel:
    """This environment's Python, with the non-Colab distributions made unimportable."""
    home = Path(home)
    _check_outside_repository(home)
    site = home / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(blocked=blocked_modules()))
    env = _base_env(home)
    env["PYTHONPATH"] = str(site)
    return Kernel(sys.executable, env, home)


def venv_kernel(venv: Path, home: Path) -> Kernel:
    """The Python of ``venv``, started from an environment without this one's paths."""
    home = Path(home)
    _check_outside_repository(home)
    env = _base_env(home)
    here = Path(sys.prefix) / "bin"
    path = [str(Path(venv) / "bin")] + [p for p in env.get("PATH", "").split(os.pathsep)
                                        if p and Path(p) != here]
    env["PATH"] = os.pathsep.join(path)
    env.pop("VIRTUAL_ENV", None)
    return Kernel(str(Path(venv) / "bin" / "python"), env, home, pretend_colab=True)


def _check_outside_repository(path: Path) -> None:
    if Path(path).resolve().is_relative_to(ROOT):
        raise ValueError(f"{path} lies inside the repository; the notebooks must run outside it")


def colab_requirements() -> list[str]:
    """What the real environment installs: Colab's packages, torch exactly as installed here.

    The local label stays (``2.13.0+cpu``), so pip reuses the wheel this environment was
    installed from (same pip configuration, pip's cache) and never falls back to a
    different multi-GB build.
    """
    pins = {**COLAB_PINS, "torch": f"torch=={metadata.version('torch')}"}
    return [pins.get(p, p) for p in COLAB_PACKAGES]


def _pip(python: Path, *args: str) -> str:
    done = subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed (offline? TK_COLAB_REAL=0 skips the "
                           f"real venv in the tests):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def copy_package(root: Path, target: Path) -> Path:
    """The files pip needs to build tk_lessons, without caches (pip builds in the source tree)."""
    target.mkdir(parents=True)
    for name in PACKAGE_FILES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, target / name)
    return target


def build_colab_venv(venv: Path, root: Path = ROOT, log=print) -> Path:
    """A virtual environment with only Colab's packages and tk_lessons (non-editable).

    If ``venv`` already holds the same requirements (a stamp file records them), only
    tk_lessons is reinstalled. Returns the venv's Python.
    """
    venv = Path(venv)
    _check_outside_repository(venv)
    python = venv / "bin" / "python"
    requirements = colab_requirements()
    stamp = venv / "tk-colab-requirements.txt"
    key = "\n".join(requirements + [sys.version]) + "\n"
    if not (python.exists() and stamp.exists() and stamp.read_text() == key):
        if venv.exists() and any(venv.iterdir()):
            if not (venv / "pyvenv.cfg").exists():
                raise ValueError(f"{venv} is neither empty nor a virtual environment")
            shutil.rmtree(venv)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        _pip(python, "install", "-q", *requirements)
        stamp.write_text(key)
        log(f"venv with {' '.join(requirements)}: {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=venv) as tmp:
        source = copy_package(root, Path(tmp) / "tk-lessons")
        _pip(python, "install", "-q", "--no-deps", "--force-reinstall", str(source))
    _pip(python, "check")  # every dependency tk_lessons declares is already there
    log(f"tk_lessons installed from a copy of {root}: {time.perf_counter() - start:.0f} s")
    return python


@dataclass
class Result:
    """One notebook's run: how many cells ran and, if one failed, which and why."""

    notebook: Path
    cells: int  # code cells executed (the last one is the failing one, if any)
    failure: str | None  # "cell I (starting `...`): Error: message", counting all cells from 0
    seconds: float

    def line(self) -> str:
        status = "pass" if self.failure is None else f"FAIL {self.failure}"
        return f"{self.notebook.name:28s} {self.cells:3d} code cells {self.seconds:6.1f} s  " + status


def cells_to_run(nb: nbformat.NotebookNode, student: bool) -> nbformat.NotebookNode:
    """All cells of a twin; the cells of a student notebook before its first stub."""
    if student:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and STUB in cell.source:
                nb.cells = nb.cells[:i]
                break
    return nb


PRETEND_COLAB = ("import sys, types  # tools/colab_env.py: from here on, look like Colab\n"
                 "sys.modules.setdefault('google.colab', types.ModuleType('google.colab'))")


def _colab_point(nb: nbformat.NotebookNode) -> int:
    """Where Colab starts to show: after the install cell when there is one, else at the top."""
    first = nb.cells[0] if nb.cells else None
    has_install = first is not None and first.cell_type == "code" and "google.colab" in first.source
    return 1 if has_install else 0


def run_notebook(path: Path, kernel: Kernel, student: bool | None = None,
                 timeout: int = 300) -> Result:
    """Execute ``path`` in a fresh kernel from an empty folder; stop at the first error.

    ``timeout`` is per cell, in seconds, as the book build's ``execute.timeout``.
    """
    path = Path(path)
    if student is None:
        student = path.parent.name == "student"
    nb = cells_to_run(nbformat.read(path, as_version=4), student)
    inserted = None
    if kernel.pretend_colab:
        inserted = _colab_point(nb)
        nb.cells.insert(inserted, nbformat.v4.new_code_cell(PRETEND_COLAB))
    workdir = kernel.workdir()
    manager = kernel.manager()
    client = NotebookClient(nb, km=manager, timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    failure = None
    try:
        client.execute(env=kernel.env)
    except CellExecutionError as error:
        failure = f"{error.ename}: {error.evalue}"
    except (CellTimeoutError, DeadKernelError) as error:
        failure = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        if manager.has_kernel:  # the client leaves a kernel manager it was given running
            run_sync(manager.shutdown_kernel)(now=True)
        shutil.rmtree(workdir, ignore_errors=True)
    if inserted is not None:
        if failure is None and nb.cells[inserted].get("execution_count") is None:
            failure = "the cell that pretends to be Colab did not run"
        nb.cells.pop(inserted)  # report cells as the notebook numbers them
    code = [c for c in nb.cells if c.cell_type == "code"]
    ran = sum(1 for c in code if c.get("execution_count") is not None)
    if failure is not None:
        index = next((i for i, c in enumerate(nb.cells)
                      if any(o.output_type == "error" for o in c.get("outputs", []))), None)
        if index is None:
            where = "after the last cell that ran"
        else:
            lines = [ln.strip() for ln in nb.cells[index].source.splitlines()]
            first = next((ln for ln in lines if ln and not ln.startswith("#")), "")
            where = f"cell {index} (starting `{first[:60]}`)"
            # an error raised while displaying the result reaches the reply without its name
            error = next(o for o in nb.cells[index].outputs if o.output_type == "error")
            failure = f"{error.ename}: {error.evalue}"
        failure = f"{where}: {failure}"
    return Result(path, ran, failure, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", action="store_true",
                        help="use a fresh venv with only Colab's packages")
    parser.add_argument("--venv", type=Path, help="where to build (or reuse) that venv")
    parser.add_argument("--root", type=Path, default=ROOT, help="whose notebooks to run")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: every twin and student notebook")
    args = parser.parse_args(argv)
    paths = args.notebooks or twins(args.root) + student_notebooks(args.root)
    with tempfile.TemporaryDirectory(prefix="tk-colab-") as tmp:
        home = Path(tmp)
        if args.real:
            venv = args.venv or home / "venv"
            python = build_colab_venv(venv, args.root)
            kernel = venv_kernel(python.parent.parent, home)
        else:
            kernel = blocked_kernel(home)
        results = []
        for path in paths:
            results.append(run_notebook(path, kernel))
            print(results[-1].line(), flush=True)
    failed = [r for r in results if r.failure]
    print(f"{len(results) - len(failed)} of {len(results)} notebooks pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
