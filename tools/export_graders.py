"""Export the exercise sources for nbgrader and for otter-grader.

    python tools/export_graders.py                        # every source, into build/graders/
    python tools/export_graders.py exercises/source/00_kernel_warmup.md --out DIR
    python tools/export_graders.py --check-points 2 --written-points 3

For each instructor source ``exercises/source/NN_name.md`` this writes

* ``DIR/nbgrader/source/NN_name/NN_name.ipynb``: an nbgrader *source* notebook inside a
  ready course directory (``DIR/nbgrader/nbgrader_config.py``). Code solutions sit between
  ``### BEGIN SOLUTION`` / ``### END SOLUTION`` in cells marked as solution cells; each check
  cell is a locked, autograded test cell worth ``--check-points``; each written answer is a
  manually graded answer cell worth ``--written-points``; every other cell is read-only.
* ``DIR/otter/NN_name.ipynb``: an otter-assign master notebook (format v1): an
  ``# ASSIGNMENT CONFIG`` cell, one question per task with ``# BEGIN SOLUTION`` blocks, and the
  check cells as exception-based tests (``--check-points`` each); each written answer is a
  manually graded question worth ``--written-points``. The visible check cells stay in the
  notebook, so students keep their self-checks; otter grades with its own copy of the tests.

The student notebooks of the course (``tools/make_student.py``) are not touched.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import copy
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (CHECK_TAG, ROOT, TASK_HEADING, colab_cell, display_path,  # noqa: E402
                     read_myst, to_ipynb_text)
from make_student import (  # noqa: E402
    BEGIN_CODE, BEGIN_MD, END_CODE, END_MD, MarkerError, sources,
)

DEFAULT_OUT = ROOT / "build" / "graders"
NBGRADER_SCHEMA = 3
NBGRADER_CONFIG = '''\
# nbgrader configuration of the exported course directory (tools/export_graders.py).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "troublesome-kernel"
c.CourseDirectory.root = "."
# a notebook that loops forever is stopped after this many seconds per cell
c.ExecutePreprocessor.timeout = 300
'''


@dataclass
class Piece:
    """One cell of a source, classified: ``kind`` is one of
    ``code``, ``solution`` (code with solution markers), ``check``, ``markdown``, ``answer``."""

    kind: str
    source: str
    task: int | None


def _positive(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{name} must be a positive number of points, got {value!r}")
    return value


def split_answers(text: str, where: str) -> list[tuple[str, str]]:
    """Split a Markdown cell at its written-answer blocks.

    Parameters
    ----------
    text : str
        Markdown source that may hold ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->``.
    where : str
        Names the cell in error messages.

    Returns
    -------
    list of (str, str)
        ``("markdown", text)`` and ``("answer", text)`` parts in order, empty parts left out.

    Raises
    ------
    MarkerError
        If a block is nested, never closed or closed without being opened.

    Examples
    --------
    >>> split_answers("Why?\\n<!-- BEGIN SOLUTION -->\\nBecause.\\n<!-- END SOLUTION -->", "x")
    [('markdown', 'Why?'), ('answer', 'Because.')]
    """
    parts: list[tuple[str, str]] = []
    kind, lines = "markdown", []

    def flush():
        body = "\n".join(lines).strip("\n")
        if body.strip():
            parts.append((kind, body))

    for line in text.splitlines():
        if line.strip() == BEGIN_MD:
            if kind == "answer":
                raise MarkerError(f"{where}: nested {BEGIN_MD}")
            flush()
            kind, lines = "answer", []
        elif line.strip() == END_MD:
            if kind != "answer":
                raise MarkerError(f"{where}: {END_MD} without a matching BEGIN")
            flush()
            kind, lines = "markdown", []
        else:
            lines.append(line)
    if kind == "answer":
        raise MarkerError(f"{where}: {BEGIN_MD} is never closed")
    flush()
    return parts


def classify(nb: nbformat.NotebookNode, name: str) -> list[Piece]:
    """The cells of an instructor notebook as pieces, each with the task it belongs to.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An instructor source read with :func:`_common.read_myst`.
    name : str
        Names the notebook in error messages.

    Returns
    -------
    list of Piece
        Written-answer blocks become pieces of their own (``answer``); a task starts at a
        Markdown heading ``## Task N``.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("## Task 1: x"),
    ...     nbformat.v4.new_code_cell("# BEGIN SOLUTION\\nx = 1\\n# END SOLUTION"),
    ...     nbformat.v4.new_code_cell("assert x == 1", metadata={"tags": ["check"]})])
    >>> [(p.kind, p.task) for p in classify(nb, "demo")]
    [('markdown', 1), ('solution', 1), ('check', 1)]
    """
    pieces: list[Piece] = []
    task = None
    for i, cell in enumerate(nb.cells):
        where = f"{name}, cell {i}"
        if cell.cell_type == "markdown":
            for kind, text in split_answers(cell.source, where):
                heading = TASK_HEADING.search(text) if kind == "markdown" else None
                if heading:
                    task = int(heading.group(1))
                pieces.append(Piece(kind, text, task))
        elif cell.cell_type == "code":
            tags = cell.metadata.get("tags", [])
            lines = cell.source.splitlines()
            begins = sum(bool(BEGIN_CODE.match(x)) for x in lines)
            ends = sum(bool(END_CODE.match(x)) for x in lines)
            if begins != ends:
                raise MarkerError(f"{where}: {begins} '# BEGIN SOLUTION' but {ends} "
                                  "'# END SOLUTION' lines")
            if CHECK_TAG in tags and begins:
                raise MarkerError(f"{where}: a check cell must not hold a solution")
            kind = "check" if CHECK_TAG in tags else "solution" if begins else "code"
            pieces.append(Piece(kind, cell.source, task))
        else:
            raise ValueError(f"{where}: cell type {cell.cell_type!r} is not expected in an "
                             "exercise source (only markdown and code)")
    if not any(p.kind == "check" for p in pieces):
        raise ValueError(f"{name}: no cell tagged {CHECK_TAG!r}, nothing to grade")
    return pieces


# --------------------------------------------------------------------------- nbgrader


def _nbgrader_meta(grade_id: str, *, solution=False, grade=False, locked=False,
                   points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": NBGRADER_SCHEMA, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def nbgrader_notebook(src: Path, check_points: float = 1,
                      written_points: float = 2) -> nbformat.NotebookNode:
    """The nbgrader source notebook of an exercise source.

    Parameters
    ----------
    src : Path
        An instructor source ``exercises/source/NN_name.md``.
    check_points : float
        Points of each check cell (an autograded, locked test cell).
    written_points : float
        Points of each written answer (a manually graded answer cell).

    Returns
    -------
    nbformat.NotebookNode
        Code solutions between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; every cell
        carries nbgrader metadata (solution, autograded test, manual answer or read-only).

    Examples
    --------
    >>> nb = nbgrader_notebook(sources()[0])
    >>> kinds = [c.metadata["nbgrader"] for c in nb.cells]
    >>> sum(m["grade"] and not m["solution"] for m in kinds) > 0   # autograded checks
    True
    >>> "### BEGIN SOLUTION" in "\\n".join(c.source for c in nb.cells)
    True
    """
    _positive("check_points", check_points)
    _positive("written_points", written_points)
    pieces = classify(read_myst(src), src.name)
    cells = [colab_cell()]
    cells[0].metadata["nbgrader"] = _nbgrader_meta("colab-install", locked=True)
    counts: dict[tuple[str, str], int] = {}
    for piece in pieces:
        label = f"task{piece.task}" if piece.task is not None else "intro"
        counts[(label, piece.kind)] = n = counts.get((label, piece.kind), 0) + 1
        grade_id = f"{label}-{piece.kind}-{n}"
        if piece.kind == "solution":
            source = "\n".join(
                BEGIN_CODE.sub(r"\1### BEGIN SOLUTION", x) if BEGIN_CODE.match(x)
                else re.sub(r"^(\s*)# END SOLUTION\s*$", r"\1### END SOLUTION", x)
                for x in piece.source.splitlines())
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata["nbgrader"] = _nbgrader_meta(grade_id, solution=True)
        elif piece.kind == "check":
            cell = nbformat.v4.new_code_cell(piece.source)
            cell.metadata["nbgrader"] = _nbgrader_meta(grade_id, grade=True, locked=True,
                                                       points=check_points)
        elif piece.kind == "answer":
            cell = nbformat.v4.new_markdown_cell(piece.source)
            cell.metadata["nbgrader"] = _nbgrader_meta(grade_id, solution=True, grade=True,
                                                       points=written_points)
        else:
            new = nbformat.v4.new_code_cell if piece.kind == "code" else \
                nbformat.v4.new_markdown_cell
            cell = new(piece.source)
            cell.metadata["nbgrader"] = _nbgrader_meta(grade_id, locked=True)
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = copy.deepcopy(read_myst(src).metadata)
    return nb


# --------------------------------------------------------------------------- otter


def free_names(source: str) -> list[str]:
    """Global names a cell reads without assigning them first (builtins left out).

    Examples
    --------
    >>> free_names("z = A(x)\\nassert abs(z - y) < tol")
    ['A', 'tol', 'x', 'y']
    """
    tree = ast.parse(source)
    loaded, stored = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, ast.alias):
            stored.add((node.asname or node.name).split(".")[0])
    return sorted(loaded - stored - set(dir(builtins)))


def otter_test(source: str, name: str, points: float) -> str:
    """A check cell as an otter exception-based test: a function of the names it reads.

    Examples
    --------
    >>> print(otter_test("assert x == 1", "test_task1", 1))
    \"\"\" # BEGIN TEST CONFIG
    points: 1
    \"\"\" # END TEST CONFIG
    def test_task1(x):
        assert x == 1
    test_task1(x)
    """
    args = ", ".join(free_names(source))
    body = "\n".join(("    " + x) if x.strip() else "" for x in source.strip().splitlines())
    return (f'""" # BEGIN TEST CONFIG\npoints: {points}\n""" # END TEST CONFIG\n'
            f"def {name}({args}):\n{body}\n{name}({args})")


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def otter_notebook(src: Path, check_points: float = 1,
                   written_points: float = 2) -> nbformat.NotebookNode:
    """The otter-assign master notebook of an exercise source.

    Parameters
    ----------
    src : Path
        An instructor source ``exercises/source/NN_name.md``.
    check_points : float
        Points of each check cell, which becomes an exception-based otter test.
    written_points : float
        Points of each written answer, a manually graded otter question.

    Returns
    -------
    nbformat.NotebookNode
        An ``# ASSIGNMENT CONFIG`` raw cell, then the source's cells with a ``# BEGIN
        QUESTION`` block per task (and one per written answer). No ``otter`` import is added:
        the student notebook runs without otter installed, as on Colab.

    Examples
    --------
    >>> nb = otter_notebook(sources()[0])
    >>> nb.cells[0].source.splitlines()[0]
    '# ASSIGNMENT CONFIG'
    >>> sum(c.source.startswith("# BEGIN QUESTION") for c in nb.cells) >= 2
    True
    """
    _positive("check_points", check_points)
    _positive("written_points", written_points)
    pieces = classify(read_myst(src), src.name)
    config = (f"# ASSIGNMENT CONFIG\nname: {src.stem}\ninit_cell: false\n"
              "check_all_cell: false\nexport_cell: false\nrun_tests: false\n"
              "tests:\n  ok_format: false\n")
    cells = [_raw(config), colab_cell()]
    open_question = None
    names: dict[str, int] = {}
    tests: dict[str, int] = {}

    def close():
        nonlocal open_question
        if open_question is not None:
            cells.append(_raw("# END QUESTION"))
            open_question = None

    def question_name(task, suffix):
        base = f"task{task}{suffix}" if task is not None else f"intro{suffix}"
        names[base] = names.get(base, 0) + 1
        return base if names[base] == 1 else f"{base}_{names[base]}"

    def open_auto(task):
        nonlocal open_question
        open_question = question_name(task, "")
        cells.append(_raw(f"# BEGIN QUESTION\nname: {open_question}\ncheck_cell: false"))

    for piece in pieces:
        if piece.kind == "markdown" and TASK_HEADING.search(piece.source):
            close()
            open_auto(piece.task)
            cells.append(nbformat.v4.new_markdown_cell(piece.source))
        elif piece.kind == "answer":
            prompt = None
            if open_question is not None and cells[-1].cell_type == "markdown":
                prompt = cells.pop()   # the question's text goes into the written question
                if cells[-1].source.startswith("# BEGIN QUESTION"):
                    cells.pop()        # the task was only this question: no empty block
                    open_question = None
            close()
            name = question_name(piece.task, "_written")
            cells.append(_raw(f"# BEGIN QUESTION\nname: {name}\nmanual: true\n"
                              f"points: {written_points}"))
            if prompt is not None:
                cells.append(prompt)
            cells += [_raw("# BEGIN SOLUTION"), nbformat.v4.new_markdown_cell(piece.source),
                      _raw("# END SOLUTION"), _raw("# END QUESTION")]
        elif piece.kind in ("solution", "check"):
            if open_question is None:
                open_auto(piece.task)
            tests[open_question] = tests.get(open_question, 0) + (piece.kind == "check")
            cells += _otter_cells(piece, open_question, check_points, tests[open_question])
        else:
            cell = (nbformat.v4.new_code_cell if piece.kind == "code"
                    else nbformat.v4.new_markdown_cell)(piece.source)
            cells.append(cell)
    close()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = copy.deepcopy(read_myst(src).metadata)
    return nb


def _otter_cells(piece: Piece, question: str, points: float, number: int) -> list:
    if piece.kind == "solution":
        return [_raw("# BEGIN SOLUTION"), nbformat.v4.new_code_cell(piece.source),
                _raw("# END SOLUTION")]
    # the visible self-check stays; otter grades with its own copy of it
    test = otter_test(piece.source, f"test_{question}_{number}", points)
    return [nbformat.v4.new_code_cell(piece.source), _raw("# BEGIN TESTS"),
            nbformat.v4.new_code_cell(test), _raw("# END TESTS")]


# --------------------------------------------------------------------------- command line


def export(srcs: list[Path], out: Path, check_points: float = 1,
           written_points: float = 2) -> list[Path]:
    """Write the nbgrader course directory and the otter notebooks; return the files written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     written = export(sources()[:1], Path(d))
    ...     sorted(p.relative_to(d).as_posix() for p in written)[0]
    'nbgrader/nbgrader_config.py'
    """
    for src in srcs:
        if not src.is_file() or src.suffix != ".md":
            raise ValueError(f"source must be an exercise source file NN_name.md, got {src}")
    written = []
    config = out / "nbgrader" / "nbgrader_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(NBGRADER_CONFIG)
    written.append(config)
    for src in srcs:
        target = out / "nbgrader" / "source" / src.stem / f"{src.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(to_ipynb_text(nbgrader_notebook(src, check_points, written_points)))
        written.append(target)
        target = out / "otter" / f"{src.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(to_ipynb_text(otter_notebook(src, check_points, written_points)))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path,
                        help="exercise sources (default: every exercises/source/*.md)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {display_path(DEFAULT_OUT)})")
    parser.add_argument("--check-points", type=float, default=1,
                        help="points of each check cell (default 1)")
    parser.add_argument("--written-points", type=float, default=2,
                        help="points of each written answer (default 2)")
    args = parser.parse_args(argv)
    try:
        written = export(args.sources or sources(), args.out, args.check_points,
                         args.written_points)
    except (ValueError, MarkerError) as err:
        parser.error(str(err))
    for path in written:
        print(f"wrote {display_path(path.resolve())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
