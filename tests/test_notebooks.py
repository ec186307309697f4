"""The notebook pipeline, without executing anything: sources, twins, config and table of contents."""

from __future__ import annotations

import subprocess
from pathlib import Path

import jupytext
import pytest
import yaml

import notebooks  # tools/notebooks.py
from _common import is_notebook_source, repository

ROOT = Path(__file__).resolve().parents[1]
BOOK_MD = sorted((ROOT / "book").rglob("*.md"))
NOTEBOOKS = [p for p in BOOK_MD if is_notebook_source(p)]


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that rejects duplicate keys (a second `html:` silently wins otherwise)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        dupes = {k for k in keys if keys.count(k) > 1}
        if dupes:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {sorted(dupes)}", node.start_mark)
        return super().construct_mapping(node, deep)


def _toc_files() -> list[str]:
    toc = yaml.load((ROOT / "_toc.yml").read_text(), Loader=_UniqueKeyLoader)
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    files += [c["file"] for c in toc.get("chapters", [])]
    return files


def test_config_has_no_duplicate_keys_and_strict_execution():
    config = yaml.load((ROOT / "_config.yml").read_text(), Loader=_UniqueKeyLoader)
    assert config["only_build_toc_files"] is True
    assert config["execute"]["allow_errors"] is False
    assert config["execute"]["timeout"] > 30
    assert {".*", "**/.*", "_build", "book/**.ipynb", "exercises", "tests"} <= set(config["exclude_patterns"])
    # the whole extension list replaces Jupyter Book's, without sphinx_thebe (its script is
    # declared twice under Sphinx 7.4: a JavaScript error on every page)
    extensions = config["sphinx"]["config"]["extensions"]
    assert {"sphinx_proof", "sphinx_exercise", "myst_nb", "sphinxcontrib.bibtex"} <= set(extensions)
    assert "sphinx_thebe" not in extensions and "extra_extensions" not in config["sphinx"]
    assert config["sphinx"]["config"]["bibtex_reference_style"] == "author_year"
    # YAML reads keys such as Null, Yes or On as null/booleans: every macro name must stay a string
    macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    assert all(isinstance(name, str) for name in macros), sorted(map(str, macros))


def test_toc_lists_existing_pages_and_every_notebook():
    listed = _toc_files()
    for name in listed:
        assert (ROOT / f"{name}.md").exists() or (ROOT / f"{name}.ipynb").exists(), f"_toc.yml lists missing {name}"
    for nb in NOTEBOOKS:
        assert str(nb.relative_to(ROOT).with_suffix("")) in listed, f"{nb.name} is not in _toc.yml, so never built"


@pytest.mark.parametrize("path", BOOK_MD, ids=lambda p: p.name)
def test_pages_with_code_are_jupytext_notebooks(path):
    text = path.read_text()
    if "{code-cell}" in text:
        assert is_notebook_source(path), f"{path.name} has code cells but no jupytext front-matter"
        meta = jupytext.read(path, fmt="md:myst").metadata
        assert meta["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ipynb_twin_is_in_sync(path):
    twin = path.with_suffix(".ipynb")
    assert twin.exists(), f"missing twin {twin.name}: run python tools/notebooks.py"
    assert twin.read_text() == notebooks.twin_text(path), f"{twin.name} is stale: run python tools/notebooks.py"


def test_twin_starts_with_hidden_colab_install_at_the_book_ref():
    url, branch = repository()
    for md in NOTEBOOKS:
        first = jupytext.read(md.with_suffix(".ipynb")).cells[0]
        assert first.metadata["tags"] == ["remove-cell"]
        assert '"google.colab" in sys.modules' in first.source
        assert f"git+{url}@{branch}" in first.source
        assert all(c.get("outputs", []) == [] for c in jupytext.read(md.with_suffix(".ipynb")).cells)


def test_check_mode_detects_a_stale_twin(tmp_path, monkeypatch):
    md = tmp_path / "book" / "page.md"
    md.parent.mkdir()
    md.write_text(NOTEBOOKS[0].read_text())
    monkeypatch.setattr(notebooks, "sources", lambda root=None: [md])
    assert notebooks.main([]) == 0 and md.with_suffix(".ipynb").exists()
    assert notebooks.main(["--check"]) == 0
    md.write_text(md.read_text() + "\n```{code-cell} ipython3\n1 + 1\n```\n")
    assert notebooks.main(["--check"]) == 1


def test_repository_url_is_written_in_one_place():
    url, _ = repository()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    holders = [f for f in tracked
               if not f.endswith(".ipynb") and (ROOT / f).is_file() and url in (ROOT / f).read_text(errors="ignore")]
    assert holders == ["_config.yml"], f"the repository URL must appear only in _config.yml, found in {holders}"


def test_colab_cell_is_valid_ipython_that_runs_pip_only_on_colab():
    from IPython.core.inputtransformer2 import TransformerManager

    source = jupytext.read(NOTEBOOKS[0].with_suffix(".ipynb")).cells[0].source
    python = TransformerManager().transform_cell(source)
    compile(python, "colab-cell", "exec")  # the %pip magic inside the if-block must become Python
    calls = []

    class FakeShell:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    import sys as _sys

    namespace = {"get_ipython": lambda: FakeShell()}
    exec(python, namespace)
    assert calls == []  # off Colab: nothing is installed
    _sys.modules["google.colab"] = type(_sys)("google.colab")
    try:
        exec(python, namespace)
    finally:
        del _sys.modules["google.colab"]
    url, branch = repository()
    assert calls == [("pip", f'install -q "tk-lessons @ git+{url}@{branch}"')]
