"""tk_lessons installs as a wheel, and from a git URL the way the Colab cell does it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _subpackages() -> set[str]:
    return {str(p.parent.relative_to(ROOT)).replace("/", ".") for p in (ROOT / "tk_lessons").rglob("__init__.py")}


def test_wheel_contains_every_subpackage_and_package_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("tk_lessons-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in _subpackages():
        assert f"{package.replace('.', '/')}/__init__.py" in names, f"{package} is missing from the wheel"
    assert "tk_lessons/py.typed" in names
    for folder in ("zoo/weights", "records"):
        shipped = [p for p in (ROOT / "tk_lessons" / folder).glob("*") if p.suffix in (".pt", ".json")]
        assert shipped, f"tk_lessons/{folder} ships nothing"
        for path in shipped:
            assert f"tk_lessons/{folder}/{path.name}" in names, f"shipped {folder} file {path.name} not in the wheel"


def test_pip_installs_from_a_git_url(tmp_path):
    # `file://localhost/...`: older pips reject a file URL without a host in a PEP 508 requirement
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), f"tk-lessons @ git+file://localhost{ROOT}@{head.stdout.strip()}"],
                   check=True, capture_output=True)
    code = "import tk_lessons, sys; print(tk_lessons.__file__)"
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(target)}, cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith(str(target))
