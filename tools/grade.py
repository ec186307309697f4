"""Grade every submission of one exercise notebook: one command, one CSV, one feedback file each.

    python tools/grade.py exercises/source/02_stability.md submissions/ --out grades.csv \\
        [--feedback feedback/] [--roster roster.txt] [--timeout 120] [--wall 1200] \\
        [--jobs N] [--hidden] [--points 1=2,3=0.5] [--hidden-points 1=1]

Each ``*.ipynb`` in the submissions folder is graded like this:

1. the student's cells are read; every cell that is (or claims to be) a check cell is
   dropped, and every check cell of the instructor source is put back in its place,
   found from the text cells (task headings and instructions) around it, so a student
   cannot edit, delete or replace a check;
2. the notebook runs in a clean ``python3`` kernel, from a temporary folder, with a
   per-cell timeout (a cell that runs longer is interrupted, and the run goes on) and a
   wall limit for the whole submission (the run is stopped, the row says so);
3. with ``--hidden`` the instructor-only checks of ``exercises/hidden/NN_name.py`` run
   afterwards in the same kernel, on the student's functions and variables;
4. each task scores its points (default 1) times the share of its check cells that ran
   without an error; hidden checks score separately (default 1 point per task that has
   any).

The CSV has one row per submission, and one per roster name without a submission, with a
``status`` (``ok``, ``timeout``, ``crashed``, ``invalid``, ``unmatched``, ``missing``)
and the ``reason``. The feedback file of a student lists every check's message.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHECK_TAG, ROOT, TASK_HEADING, display_path  # noqa: E402

HIDDEN_DIR = ROOT / "exercises" / "hidden"
META_KEY = "tk_grade"
HIDDEN_NAME = re.compile(r"^task(\w+?)_\w+$")
# Run before every restored check: the modules of the package tk_lessons.checks are reloaded
# from disk and rebound to their parents, so a submission that replaced or monkeypatched them
# (``tk.checks.close = print``, ``tk.checks.basics.ok = ...``) is undone. The topic modules and
# their shared helpers go first (deepest first; ``_core`` sorts before the topics), the package
# last, so that its re-exports are the fresh functions.
PRELUDE = """\
import importlib as _tk_importlib, sys as _tk_sys
import tk_lessons as _tk_package
_tk_importlib.import_module("tk_lessons.checks")
for _tk_name in sorted((n for n in list(_tk_sys.modules)
                        if n == "tk_lessons.checks" or n.startswith("tk_lessons.checks.")),
                       key=lambda n: (-n.count("."), n)):
    _tk_module = _tk_importlib.reload(_tk_sys.modules[_tk_name])
    _tk_parent, _, _tk_child = _tk_name.rpartition(".")
    setattr(_tk_sys.modules[_tk_parent], _tk_child, _tk_module)
if "tk" in globals():
    tk = _tk_package
"""
STATUSES = ("ok", "timeout", "crashed", "invalid", "unmatched", "missing")


class GradingError(ValueError):
    """Bad input to the grader: the message names the parameter, the value and the expectation."""


class StructureError(ValueError):
    """A submission whose cells cannot be matched to the instructor source."""


# ----------------------------------------------------------------------------- the template


@dataclass
class Check:
    """One graded cell: a check cell of the source, or one hidden check function."""

    id: str            # "task1/1" (the first check cell of Task 1) or "hidden:task1_sizes"
    task: str          # "task1"
    source: str        # the code the kernel runs
    anchors: list[str] = field(default_factory=list)  # text cells after it, nearest first
    hidden: bool = False


@dataclass
class Template:
    """What the grader needs from an instructor source."""

    source: str
    tasks: list[str]                      # every task, in order ("task1", ...)
    headings: dict[str, str]              # task -> the key of its heading cell
    checks: list[Check]
    hidden: list[Check]


def _key(text: str) -> str:
    """A text cell's identity: its first non-empty line, whitespace collapsed."""
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())
    return ""


def _lines(text: str) -> set[str]:
    """The non-empty lines of a text cell, whitespace collapsed."""
    return {" ".join(line.split()) for line in text.splitlines() if line.strip()}


def _headings(text: str) -> list[tuple[str, str]]:
    """The task headings of a text cell, in order: (``"task3"``, the heading line)."""
    found = []
    for line in text.splitlines():
        match = TASK_HEADING.match(line)
        if match:
            found.append((f"task{match.group(1).lower()}", " ".join(line.split())))
    return found


def hidden_path(source: Path) -> Path:
    """The hidden-check module of an exercise source: ``exercises/hidden/<stem>.py``."""
    return HIDDEN_DIR / f"{Path(source).stem}.py"


def hidden_checks(path: Path) -> list[Check]:
    """The hidden checks of a module: each function ``task<N>_<what>(ns)``, in file order.

    The module is read, not imported (the grader itself needs no torch); each check becomes
    a cell that loads the module in the student's kernel and calls the function on the
    kernel's namespace ``globals()``.

    Examples
    --------
    >>> [c.id for c in hidden_checks(hidden_path("exercises/source/00_kernel_warmup.md"))][:1]
    ['hidden:task1_other_sizes']
    """
    tree = ast.parse(Path(path).read_text(), filename=str(path))
    checks = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            match = HIDDEN_NAME.match(node.name)
            if match:
                code = (
                    "import importlib.util as _tk_util\n"
                    f"_tk_spec = _tk_util.spec_from_file_location('_tk_hidden', {str(path)!r})\n"
                    "_tk_hidden = _tk_util.module_from_spec(_tk_spec)\n"
                    "_tk_spec.loader.exec_module(_tk_hidden)\n"
                    f"_tk_hidden.{node.name}(globals())"
                )
                checks.append(Check(f"hidden:{node.name}", f"task{match.group(1).lower()}",
                                    code, hidden=True))
    return checks


def load_template(source: Path) -> Template:
    """Read an instructor source: its tasks, its check cells and the text cells around them.

    Raises
    ------
    GradingError
        If the source is not an exercise notebook with tasks and check cells.
    """
    import make_student  # the same student version the class received

    source = Path(source)
    if not source.is_file():
        raise GradingError(f"source: {source} is not a file; expected an instructor notebook "
                           "such as exercises/source/02_stability.md")
    try:
        nb, _ = make_student.student_notebook(source)
    except Exception as err:  # jupytext or marker errors
        raise GradingError(f"source: cannot read {source} as an exercise notebook ({err})") from err
    tasks, headings, checks = [], {}, []
    task = "setup"
    counts: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for task, line in _headings(cell.source):
                if task in headings:
                    raise GradingError(f"source: {source} has two headings for {task}")
                tasks.append(task)
                headings[task] = line
        elif cell.cell_type == "code" and CHECK_TAG in cell.metadata.get("tags", []):
            counts[task] = counts.get(task, 0) + 1
            anchors = [_key(c.source) for c in nb.cells[i + 1:]
                       if c.cell_type == "markdown" and _key(c.source)]
            checks.append(Check(f"{task}/{counts[task]}", task, cell.source, anchors))
    if not checks:
        raise GradingError(f"source: {source} has no cell tagged '{CHECK_TAG}'")
    hidden = hidden_checks(hidden_path(source)) if hidden_path(source).exists() else []
    for check in hidden:
        if check.task not in tasks:
            raise GradingError(f"{display_path(hidden_path(source))}: {check.id} names "
                               f"{check.task}, but the source's tasks are {tasks}")
    return Template(str(source), tasks, headings, checks, hidden)


# ----------------------------------------------------------------------- one submission


def _is_check_like(cell, check_sources: set[str]) -> bool:
    if cell.get("cell_type") != "code":
        return False
    tags = cell.get("metadata", {}).get("tags", [])
    return CHECK_TAG in tags or _norm(cell.get("source", "")) in check_sources


def _norm(code) -> str:
    if isinstance(code, list):
        code = "".join(code)
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def assemble(template: Template, submission, *, hidden: bool = False):
    """The notebook to run: the student's cells with the source's check cells restored.

    Cells tagged ``check`` (or identical to a check cell) are dropped; each check cell of the
    source is inserted before the first text cell that follows it in the source and is
    found, in order, in the submission (a text cell is found by its first line, anywhere
    in a cell of the submission). Every task heading must be present, in order.

    Raises
    ------
    StructureError
        If a task heading is missing or out of order.
    """
    import nbformat

    check_sources = {_norm(c.source) for c in template.checks}
    cells = [nbformat.from_dict(c) for c in submission.cells
             if not _is_check_like(c, check_sources)]
    for cell in cells:
        cell.metadata.pop(META_KEY, None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    lines = [_lines(c.source) if c.cell_type == "markdown" else set() for c in cells]

    def find(line: str, start: int) -> int | None:
        return next((i for i in range(start, len(cells)) if line in lines[i]), None)

    position, heading_at = 0, {}
    for task in template.tasks:
        found = find(template.headings[task], position)
        if found is None:
            raise StructureError(f"the heading of {task} ('{template.headings[task]}') is "
                                 "missing or out of order")
        position = heading_at[task] = found
    inserts: list[tuple[int, Check]] = []
    lowest = 0
    for check in template.checks:
        where = len(cells)
        lowest = max(lowest, heading_at.get(check.task, -1) + 1)
        for anchor in check.anchors:
            found = find(anchor, lowest)
            if found is not None:
                where = found
                break
        lowest = where
        inserts.append((where, check))
    for where, check in reversed(inserts):
        cell = nbformat.v4.new_code_cell(PRELUDE + check.source)
        cell.metadata[META_KEY] = {"id": check.id, "task": check.task}
        cells.insert(where, cell)
    if hidden:
        for check in template.hidden:
            cell = nbformat.v4.new_code_cell(PRELUDE + check.source)
            cell.metadata[META_KEY] = {"id": check.id, "task": check.task}
            cells.append(cell)
    for cell in cells:
        cell.pop("id", None)
        if isinstance(cell.get("source"), list):
            cell.source = "".join(cell.source)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


@dataclass
class Outcome:
    """The result of one check on one submission."""

    id: str
    task: str
    hidden: bool
    passed: bool
    message: str


@dataclass
class Result:
    """Everything the CSV and the feedback file say about one student."""

    student: str
    file: str
    status: str
    reason: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0


def _cell_message(cell, reply: dict | None) -> tuple[bool, str]:
    """Passed or not, and the message: a check passes only if the kernel replied ``ok``.

    The reply decides, not the outputs: an error whose traceback never reached the outputs
    (an interrupt while it was being formatted) still fails the check.
    """
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if reply is None:
        return False, "did not finish"
    if errors or reply.get("status") != "ok":
        first = errors[0] if errors else reply
        ename, evalue = first.get("ename", "Error"), first.get("evalue", "")
        if ename == "KeyboardInterrupt":
            return False, "interrupted: the cell ran past the per-cell timeout"
        return False, (f"{ename}: {evalue}".strip() if errors or "ename" in reply
                       else f"the kernel replied {reply.get('status')!r}")
    printed = "".join(o.get("text", "") for o in cell.get("outputs", [])
                      if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return True, printed.strip() or "correct"


def _describe(nb, index: int | None) -> str:
    """``7 ('def P(z):')``: a cell of the graded notebook by its index and first line."""
    if index is None or index >= len(nb.cells):
        return "?"
    return f"{index} ({_key(nb.cells[index].source)[:40]!r})"


def _interrupted_cells(nb, replies: dict[int, dict]) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (
        replies.get(i, {}).get("ename") == "KeyboardInterrupt" or any(
            o.get("output_type") == "error" and o.get("ename") == "KeyboardInterrupt"
            for o in c.get("outputs", [])))]


async def _execute_within(client, wall: float) -> bool:
    """Run the notebook; False if the wall limit stopped it (the kernel is shut down)."""
    task = asyncio.ensure_future(client.async_execute())
    done, _ = await asyncio.wait({task}, timeout=wall)
    if done:
        task.result()
        return True
    task.cancel()
    try:
        await task
    except BaseException:  # noqa: BLE001 - whatever the cancelled run raises, it is over
        pass
    return False


def grade_submission(template: Template, path: Path, *, timeout: float = 120,
                     wall: float = 1200, hidden: bool = False) -> Result:
    """Run one submission and score its checks (in this process; the CLI runs it in a child).

    Examples
    --------
    >>> template = load_template(ROOT / "exercises/source/00_kernel_warmup.md")
    >>> path = ROOT / "exercises/student/00_kernel_warmup.ipynb"
    >>> r = grade_submission(template, path, timeout=60)   # doctest: +SKIP
    >>> r.status, [o.passed for o in r.outcomes]            # doctest: +SKIP
    ('ok', [False, False, False])
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    path = Path(path)
    start = time.monotonic()
    result = Result(path.stem, path.name, "ok")
    try:
        submission = nbformat.read(path, as_version=4)
        if not isinstance(submission.get("cells"), list):
            raise ValueError("no list of cells")
    except Exception as err:
        result.status = "invalid"
        result.reason = f"not a valid notebook: {type(err).__name__}: {str(err)[:200]}"
        return result
    try:
        nb = assemble(template, submission, hidden=hidden)
    except StructureError as err:
        result.status, result.reason = "unmatched", f"structure not matched: {err}"
        return result
    with tempfile.TemporaryDirectory(prefix="tk-grade-") as work:
        replies: dict[int, dict] = {}

        def record(cell, cell_index, execute_reply):
            replies[cell_index] = execute_reply.get("content", {})

        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                interrupt_on_timeout=True, on_cell_executed=record,
                                resources={"metadata": {"path": work}})
        try:
            if not asyncio.run(_execute_within(client, wall)):
                result.status = "timeout"
                result.reason = f"stopped after the wall limit of {wall:g} s for the submission"
        except DeadKernelError:
            result.status = "crashed"
            cell = next((i for i, c in enumerate(nb.cells)
                         if c.cell_type == "code" and i not in replies), None)
            result.reason = f"the kernel died while running cell {_describe(nb, cell)}"
        except Exception as err:  # a kernel that cannot start, a client error
            result.status = "crashed"
            result.reason = f"{type(err).__name__}: {str(err)[:200]}"
    interrupted = _interrupted_cells(nb, replies)
    if interrupted and result.status == "ok":
        cells = ", ".join(_describe(nb, i) for i in interrupted)
        result.reason = f"interrupted after the per-cell timeout of {timeout:g} s: cell {cells}"
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get(META_KEY)
        if not meta:
            continue
        ran = index in replies or cell.get("execution_count") is not None
        if ran:
            passed, message = _cell_message(cell, replies.get(index))
        else:
            passed, message = False, f"not run ({result.status}: {result.reason})"
        result.outcomes.append(Outcome(meta["id"], meta["task"],
                                       meta["id"].startswith("hidden:"), passed, message))
    result.seconds = round(time.monotonic() - start, 2)
    return result


# --------------------------------------------------------------------------- the class


def parse_points(text: str | None, tasks: list[str], option: str) -> dict[str, float]:
    """``"1=2,task3=0.5"`` -> ``{"task1": 2.0, "task3": 0.5}``; tasks not named keep 1.

    Examples
    --------
    >>> parse_points("1=2,task3=0.5", ["task1", "task2", "task3"], "--points")
    {'task1': 2.0, 'task2': 1.0, 'task3': 0.5}
    """
    points = {task: 1.0 for task in tasks}
    if not text:
        return points
    for item in text.split(","):
        name, sep, value = item.partition("=")
        task = name.strip().lower()
        task = task if task.startswith("task") else f"task{task}"
        if not sep or task not in points:
            raise GradingError(f"{option}: {item.strip()!r} is not TASK=POINTS with TASK one of "
                               f"{', '.join(t.removeprefix('task') for t in tasks)}")
        try:
            points[task] = float(value)
        except ValueError:
            raise GradingError(f"{option}: points for {task} must be a number, "
                               f"got {value.strip()!r}") from None
        if not points[task] >= 0:
            raise GradingError(f"{option}: points for {task} must be >= 0, got {value.strip()}")
    return points


def read_roster(path: Path | None) -> list[str]:
    """Student names, one a line (``#`` starts a comment); a submission is ``<name>.ipynb``."""
    if path is None:
        return []
    if not Path(path).is_file():
        raise GradingError(f"--roster: {path} is not a file; expected one student name a line")
    names = [line.split("#", 1)[0].strip() for line in Path(path).read_text().splitlines()]
    return [name for name in names if name]


def score(result: Result, template: Template, points: dict[str, float],
          hidden_points: dict[str, float] | None) -> dict[str, float]:
    """Points per task (``task1``, ...), per hidden task (``hidden_task1``, ...) and ``total``."""
    row: dict[str, float] = {}
    for task in template.tasks:
        visible = [o for o in result.outcomes if o.task == task and not o.hidden]
        n = sum(c.task == task for c in template.checks)
        if n:
            row[task] = round(points[task] * sum(o.passed for o in visible) / n, 4)
    if hidden_points is not None:
        for task in template.tasks:
            n = sum(c.task == task for c in template.hidden)
            if n:
                passed = sum(o.passed for o in result.outcomes if o.task == task and o.hidden)
                row[f"hidden_{task}"] = round(hidden_points[task] * passed / n, 4)
    row["total"] = round(sum(row.values()), 4)
    return row


def maximum(template: Template, points, hidden_points) -> float:
    tasks = {c.task for c in template.checks}
    total = sum(points[t] for t in tasks)
    if hidden_points is not None:
        total += sum(hidden_points[t] for t in {c.task for c in template.hidden})
    return round(total, 4)


def feedback_text(result: Result, template: Template, row: dict[str, float], top: float) -> str:
    """The feedback file of one student: the score, then every check's message by task."""
    lines = [f"{Path(template.source).stem}: {result.student}",
             f"score: {row.get('total', 0):g} / {top:g}",
             f"status: {result.status}" + (f" ({result.reason})" if result.reason else ""), ""]
    for task in template.tasks:
        mine = [o for o in result.outcomes if o.task == task]
        if not mine:
            continue
        lines.append(f"{task.replace('task', 'Task ')}: {row.get(task, 0):g} points"
                     + (f", hidden checks {row.get('hidden_' + task, 0):g}"
                        if f"hidden_{task}" in row else ""))
        for o in mine:
            mark = "pass" if o.passed else "FAIL"
            message = o.message.replace("\n", "\n      ")
            lines.append(f"  [{mark}] {o.id}: {message}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _worker(argv: list[str]) -> int:
    """Child-process entry: grade one submission, write the Result as JSON."""
    source, path, out, timeout, wall, hidden = argv
    template = load_template(Path(source))
    result = grade_submission(template, Path(path), timeout=float(timeout), wall=float(wall),
                              hidden=hidden == "1")
    Path(out).write_text(json.dumps(asdict(result)))
    return 0


def _run_child(source: Path, path: Path, *, timeout: float, wall: float, hidden: bool) -> Result:
    """Grade in a child process, killed if it outlives the wall limit by a minute."""
    with tempfile.TemporaryDirectory(prefix="tk-grade-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", str(source),
               str(path), str(out), str(timeout), str(wall), "1" if hidden else "0"]
        start = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=wall + 60)
        except subprocess.TimeoutExpired:
            return Result(path.stem, path.name, "timeout",
                          f"the grader was killed after {wall + 60:g} s", [],
                          round(time.monotonic() - start, 2))
        if proc.returncode or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            return Result(path.stem, path.name, "crashed",
                          f"the grader failed (exit {proc.returncode}): {tail[0][:200]}", [],
                          round(time.monotonic() - start, 2))
        data = json.loads(out.read_text())
        data["outcomes"] = [Outcome(**o) for o in data["outcomes"]]
        return Result(**data)


def grade_class(source: Path, submissions: Path, out: Path, *, feedback: Path | None = None,
                roster: Path | None = None, timeout: float = 120, wall: float = 1200,
                jobs: int | None = None, hidden: bool = False, points: str | None = None,
                hidden_points: str | None = None, progress: bool = True) -> list[dict]:
    """Grade a folder of submissions; write the CSV (and feedback files); return the rows.

    Examples
    --------
    >>> rows = grade_class(ROOT / "exercises/source/00_kernel_warmup.md",
    ...                    Path("submissions"), Path("grades.csv"), jobs=2)  # doctest: +SKIP
    >>> rows[0]["student"], rows[0]["status"], rows[0]["total"]             # doctest: +SKIP
    ('alice', 'ok', 3.0)
    """
    template = load_template(Path(source))
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise GradingError(f"submissions: {submissions} is not a folder; expected a folder of "
                           "<student>.ipynb files")
    for name, value in (("--timeout", timeout), ("--wall", wall)):
        if not value > 0:
            raise GradingError(f"{name}: expected a positive number of seconds, got {value}")
    cores = os.cpu_count() or 1
    jobs = cores if jobs is None else jobs
    if not isinstance(jobs, int) or not 1 <= jobs:
        raise GradingError(f"--jobs: expected a whole number >= 1 (at most {cores} are "
                           f"useful here), got {jobs}")
    jobs = min(jobs, cores)
    checked = [t for t in template.tasks if any(c.task == t for c in template.checks)]
    task_points = parse_points(points, checked, "--points")
    h_tasks = [t for t in template.tasks if any(c.task == t for c in template.hidden)]
    h_points = parse_points(hidden_points, h_tasks, "--hidden-points") if hidden else None
    if hidden and not template.hidden:
        raise GradingError(f"--hidden: no hidden checks for {Path(source).name}; expected "
                           f"{display_path(hidden_path(Path(source)))}")
    names = read_roster(roster)
    files = sorted(submissions.glob("*.ipynb"))
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run_child, Path(source).resolve(), f, timeout=timeout,
                               wall=wall, hidden=hidden) for f in files]
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=len(futures), desc=f"grading {Path(source).stem}", unit="nb")
        for future in as_completed(futures):
            results.append(future.result())
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
    have = {r.student for r in results}
    on_roster = set(names)
    for name in names:
        if name not in have:
            results.append(Result(name, "", "missing", "no submission"))
    for r in results:
        if names and r.student not in on_roster and r.status != "missing":
            r.reason = "; ".join(filter(None, [r.reason, "not on the roster"]))
    results.sort(key=lambda r: r.student)
    top = maximum(template, task_points, h_points)
    columns = ["student", "file", "status", "reason"]
    columns += [t for t in template.tasks if any(c.task == t for c in template.checks)]
    if hidden:
        columns += [f"hidden_{t}" for t in template.tasks
                    if any(c.task == t for c in template.hidden)]
    columns += ["total", "max", "seconds"]
    rows = []
    for r in results:
        row = {"student": r.student, "file": r.file, "status": r.status, "reason": r.reason,
               **score(r, template, task_points, h_points), "max": top, "seconds": r.seconds}
        rows.append(row)
        if feedback is not None:
            Path(feedback).mkdir(parents=True, exist_ok=True)
            text = feedback_text(r, template, row, top)
            (Path(feedback) / f"{r.student}.txt").write_text(text)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("source", type=Path, help="instructor source, exercises/source/NN_name.md")
    parser.add_argument("submissions", type=Path, help="folder of <student>.ipynb submissions")
    parser.add_argument("--out", type=Path, required=True, help="the CSV to write")
    parser.add_argument("--feedback", type=Path, help="folder for one <student>.txt each")
    parser.add_argument("--roster", type=Path, help="expected students, one name a line")
    parser.add_argument("--timeout", type=float, default=120, help="per-cell limit (s)")
    parser.add_argument("--wall", type=float, default=1200, help="per-submission limit (s)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="submissions graded at once (default: the core count)")
    parser.add_argument("--hidden", action="store_true",
                        help="also run exercises/hidden/NN_name.py after each notebook")
    parser.add_argument("--points", help="points per task, e.g. 1=2,3=0.5 (default 1 each)")
    parser.add_argument("--hidden-points", help="points per task for the hidden checks")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        rows = grade_class(args.source, args.submissions, args.out, feedback=args.feedback,
                           roster=args.roster, timeout=args.timeout, wall=args.wall,
                           jobs=args.jobs, hidden=args.hidden, points=args.points,
                           hidden_points=args.hidden_points, progress=not args.no_progress)
    except GradingError as err:
        parser.error(str(err))
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(f"wrote {args.out}: {len(rows)} rows ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
