"""The repository's promises: README commands, CI, workflow, licences and citation agree."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
INSTALL = "python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 -r requirements.txt"


def _readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_has_the_build_and_test_commands():
    commands = _readme_commands()
    assert f"{INSTALL} && jupyter-book build . -W --keep-going" in commands
    assert f"{INSTALL} && python -m pytest" in commands


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"{INSTALL} && python -m pytest" in ci.splitlines()
    assert "set -euo pipefail" in ci


def test_pages_workflow_uses_the_readme_build_command():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    runs = [s.get("run", "") for s in workflow["jobs"]["build"]["steps"]]
    assert f"{INSTALL} && jupyter-book build . -W --keep-going" in runs
    uploads = [s for s in workflow["jobs"]["build"]["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"] == "_build/html"


def test_requirements_keep_torch_unpinned_and_package_deps_are_floors():
    reqs = (ROOT / "requirements.txt").read_text().splitlines()
    assert "torch>=2.2" in reqs and "-e ." in reqs
    pyproject = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"dependencies = \[(.*?)\]", pyproject, re.S).group(1)
    names = re.findall(r'"([^"]+)"', deps)
    assert {n.split(">=")[0] for n in names} == {"torch", "numpy", "scipy", "matplotlib", "ipywidgets", "tqdm"}
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+>=[0-9.]+", n) for n in names), names  # floors only
    for oracle in ("scikit-image", "PyWavelets", "cvxpy"):
        assert oracle not in deps and oracle in pyproject  # test extra only


def test_licences_and_citation():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "CC BY 4.0" in (ROOT / "LICENSE-CONTENT.md").read_text()
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["preferred-citation"]["doi"] == "10.1137/23M1568739"
    assert "original paper" in cff["message"]
