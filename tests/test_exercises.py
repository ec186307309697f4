"""The exercise pipeline: instructor versions pass, student versions fail only where students write
code, no solution leaks, and the committed student notebooks are what the generator makes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import make_student  # tools/make_student.py
from _common import read_myst

SOURCES = make_student.sources()
pytestmark = pytest.mark.notebook


def _execute(nb: nbformat.NotebookNode, cwd: Path) -> list[str | None]:
    """Run every cell (going on after errors); return, per cell, the error name or None."""
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    errors = []
    for cell in nb.cells:
        names = [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]
        errors.append(names[0] if names else None)
    return errors


def test_there_are_exercises():
    assert SOURCES, "exercises/source/ holds no exercise notebook"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_student_notebook_is_in_sync(src):
    target = make_student.student_path(src)
    assert target.exists(), f"missing {target.name}: run python tools/make_student.py"
    expected = make_student.to_ipynb_text(make_student.student_notebook(src)[0])
    assert target.read_text() == expected, f"{target.name} is stale: run python tools/make_student.py"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_no_solution_leaks(src):
    student, removed = make_student.student_notebook(src)
    assert removed, f"{src.name} marks no solution"
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    student_lines = {line.strip() for line in text.splitlines()}
    leaked = [line for line in removed
              if line.strip() and not line.strip().startswith("#") and line.strip() in student_lines
              and len(line.strip()) > 12]
    assert not leaked, f"solution lines left in the student version: {leaked}"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_instructor_version_passes_all_checks(src):
    nb = read_myst(src)
    errors = _execute(nb, src.parent)
    failing = [(i, e) for i, e in enumerate(errors) if e]
    assert not failing, f"instructor notebook {src.name} fails in cells {failing}"
    checks = [c for c in nb.cells if "check" in c.metadata.get("tags", [])]
    assert checks, f"{src.name} has no cell tagged 'check'"
    for cell in checks:
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "correct" in printed or not cell.source.count("tk.checks"), printed


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_student_version_fails_only_where_students_write_code(src):
    nb, _ = make_student.student_notebook(src)
    errors = _execute(nb, src.parent)
    for i, (cell, error) in enumerate(zip(nb.cells, errors)):
        if cell.cell_type != "code":
            continue
        is_stub = make_student.STUB in cell.source
        is_check = "check" in cell.metadata.get("tags", [])
        if is_check:
            assert error is not None, f"cell {i}: a check passes without the student's code, so it tests nothing"
        elif is_stub:
            assert error in (None, "NotImplementedError"), f"cell {i}: stub cell fails with {error}"
        else:
            assert error is None, f"cell {i}: a cell without student code fails ({error})"


def test_generator_rejects_unbalanced_markers():
    with pytest.raises(make_student.MarkerError, match="never closed"):
        make_student.strip_code("x = 1\n# BEGIN SOLUTION\ny = 2", "cell")
    with pytest.raises(make_student.MarkerError, match="without a matching BEGIN"):
        make_student.strip_code("# END SOLUTION", "cell")
    with pytest.raises(make_student.MarkerError, match="never closed"):
        make_student.strip_markdown("<!-- BEGIN SOLUTION -->\ntext", "cell")


def test_stub_keeps_indentation_and_replaces_only_the_block():
    code = "def f(x):\n    y = 2\n    # BEGIN SOLUTION\n    return x * y\n    # END SOLUTION\n"
    out, removed = make_student.strip_code(code, "cell")
    assert out.splitlines() == ["def f(x):", "    y = 2", "    # YOUR CODE HERE",
                                f"    {make_student.STUB}"]
    assert removed == ["    return x * y"]
