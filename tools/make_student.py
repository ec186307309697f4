"""Generate the student version of every exercise notebook in exercises/source/.

    python tools/make_student.py           # write exercises/student/*.ipynb
    python tools/make_student.py --check   # exit 1 if a student notebook is out of sync

Instructor sources are MyST notebooks with solutions marked the way otter-grader and
nbgrader expect:

* code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` lines is replaced by
  ``raise NotImplementedError`` (same indentation), so a student notebook runs and fails
  exactly where the student must write code;
* Markdown between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->`` is replaced
  by a prompt for a written answer.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, colab_cell, display_path, read_myst, to_ipynb_text  # noqa: E402

SOURCE_DIR = ROOT / "exercises" / "source"
STUDENT_DIR = ROOT / "exercises" / "student"
BEGIN_CODE = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END_CODE = re.compile(r"^\s*# END SOLUTION\s*$")
BEGIN_MD = "<!-- BEGIN SOLUTION -->"
END_MD = "<!-- END SOLUTION -->"
STUB = 'raise NotImplementedError("your code here")'
ANSWER_PROMPT = "*Write your answer here.*"


class MarkerError(ValueError):
    """A solution block is opened without being closed (or the reverse)."""


def strip_code(source: str, where: str) -> tuple[str, list[str]]:
    """Replace each solution block by a stub; return the new source and the removed lines."""
    out, removed, indent = [], [], None
    for line in source.splitlines():
        begin = BEGIN_CODE.match(line)
        if begin:
            if indent is not None:
                raise MarkerError(f"{where}: nested '# BEGIN SOLUTION'")
            indent = begin.group(1)
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f"{indent}{STUB}")
        elif END_CODE.match(line):
            if indent is None:
                raise MarkerError(f"{where}: '# END SOLUTION' without a matching BEGIN")
            indent = None
        elif indent is not None:
            removed.append(line)
        else:
            out.append(line)
    if indent is not None:
        raise MarkerError(f"{where}: '# BEGIN SOLUTION' is never closed")
    return "\n".join(out), removed


def strip_markdown(source: str, where: str) -> tuple[str, list[str]]:
    """Replace each written-answer block by a prompt; return the new source and the removed lines."""
    out, removed, inside = [], [], False
    for line in source.splitlines():
        if line.strip() == BEGIN_MD:
            if inside:
                raise MarkerError(f"{where}: nested {BEGIN_MD}")
            inside = True
            out.append(ANSWER_PROMPT)
        elif line.strip() == END_MD:
            if not inside:
                raise MarkerError(f"{where}: {END_MD} without a matching BEGIN")
            inside = False
        elif inside:
            removed.append(line)
        else:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}: {BEGIN_MD} is never closed")
    return "\n".join(out), removed


def student_notebook(path: Path):
    """The student notebook of an instructor source, and the solution lines it no longer contains."""
    nb = read_myst(path)
    removed: list[str] = []
    for i, cell in enumerate(nb.cells):
        where = f"{path.name}, cell {i}"
        strip = strip_code if cell.cell_type == "code" else strip_markdown
        cell.source, lines = strip(cell.source, where)
        removed += lines
    nb.cells.insert(0, colab_cell())
    return nb, removed


def sources() -> list[Path]:
    return sorted(SOURCE_DIR.glob("*.md"))


def student_path(source: Path) -> Path:
    return STUDENT_DIR / source.with_suffix(".ipynb").name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report student notebooks out of sync")
    args = parser.parse_args(argv)
    STUDENT_DIR.mkdir(parents=True, exist_ok=True)
    stale = []
    for src in sources():
        text = to_ipynb_text(student_notebook(src)[0])
        target = student_path(src)
        if target.exists() and target.read_text() == text:
            continue
        stale.append(target)
        if not args.check:
            target.write_text(text)
            print(f"wrote {display_path(target)}")
    if args.check and stale:
        print("out of sync (run `python tools/make_student.py`):",
              *[display_path(t) for t in stale], sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
