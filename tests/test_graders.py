"""nbgrader and otter-grader exports of the exercises (tools/export_graders.py).

The fast tests check the exported notebooks' structure for every exercise. The ``graders``
tests run the real tools on one notebook (00_kernel_warmup, the fastest): ``nbgrader
generate_assignment`` + ``autograde`` + ``export`` and ``otter assign`` + ``otter run``, on a
simulated class: a correct solution, the untouched release (stubs), a subtle mistake, and a
student who replaced every check cell by ``print("correct")``.

The tools are test-time dependencies only (the ``instructor`` extra). Each is installed once,
pinned, into its own virtual environment under ``$TK_GRADER_CACHE`` (default
``~/.cache/tk-lessons/graders``), never into the course environment: otter-grader alone pulls
~550 MB. The grader environments see torch and tk_lessons of the running interpreter through
a ``.pth`` file that reads ``TK_COURSE_SITE``, set only for these commands.
"""

from __future__ import annotations

import copy
import csv
import doctest
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

import export_graders  # tools/export_graders.py
import make_student
from _common import read_myst

ROOT = Path(__file__).resolve().parents[1]
SOURCES = make_student.sources()
WARMUP = make_student.SOURCE_DIR / "00_kernel_warmup.md"
LOOP_S = 15   # seconds a looping cell (or, for otter, a whole run) is given here
PINS = {"nbgrader": "nbgrader==0.9.6", "otter": "otter-grader==7.0.0"}
SITE_HOOK = ("import os, site; p = os.environ.get('TK_COURSE_SITE'); "
             "p and list(map(site.addsitedir, p.split(os.pathsep)))\n")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _text(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _without_markers(code: str) -> str:
    return "\n".join(x for x in code.splitlines()
                     if not re.match(r"^\s*#+ (BEGIN|END) SOLUTION\s*$", x))


def _leaks(src: Path, cells: list[dict]) -> list[str]:
    """Solution lines of ``src`` (as the course's own leak test defines them) found in cells."""
    removed = make_student.student_notebook(src)[1]
    lines = {x.strip() for c in cells for x in _text(c).splitlines()}
    return [x for x in removed if x.strip() and not x.strip().startswith("#")
            and len(x.strip()) > 12 and x.strip() in lines]


# --------------------------------------------------------------------------- fast: structure


def test_export_module_examples():
    result = doctest.testmod(export_graders, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_nbgrader_notebook_marks_every_cell(src):
    nb = export_graders.nbgrader_notebook(src, check_points=2, written_points=3)
    source = read_myst(src)
    checks = sum("check" in c.metadata.get("tags", []) for c in source.cells)
    answers = sum(c.source.count(make_student.BEGIN_MD) for c in source.cells
                  if c.cell_type == "markdown")
    solutions = sum(c.cell_type == "code" and "# BEGIN SOLUTION" in c.source
                    for c in source.cells)
    meta = [c.metadata["nbgrader"] for c in nb.cells]
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    graded = [(c, m) for c, m in zip(nb.cells, meta) if m["grade"]]
    tests = [(c, m) for c, m in graded if not m["solution"]]
    manual = [(c, m) for c, m in graded if m["solution"]]
    assert len(tests) == checks and all(m["locked"] and m["points"] == 2 for _, m in tests)
    assert all(c.cell_type == "code" for c, _ in tests)
    assert len(manual) == answers and all(m["points"] == 3 for _, m in manual)
    assert all(c.cell_type == "markdown" for c, _ in manual)
    sol = [c for c, m in zip(nb.cells, meta) if m["solution"] and not m["grade"]]
    assert len(sol) == solutions and all(c.cell_type == "code" for c in sol)
    assert all("### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source for c in sol)
    assert all(m["locked"] for m in meta if not m["solution"]), "every other cell is read-only"
    # nothing of the source is lost: each source line is in the export
    exported = re.sub(r"### (BEGIN|END) SOLUTION", r"# \1 SOLUTION",
                      "\n".join(c.source for c in nb.cells))
    missing = [x for c in source.cells for x in c.source.splitlines()
               if x.strip() and x.strip() not in (make_student.BEGIN_MD, make_student.END_MD)
               and x.strip() not in exported]
    assert not missing, missing


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_otter_notebook_blocks(src):
    nb = export_graders.otter_notebook(src, check_points=2, written_points=3)
    source = read_myst(src)
    checks = sum("check" in c.metadata.get("tags", []) for c in source.cells)
    answers = sum(c.source.count(make_student.BEGIN_MD) for c in source.cells
                  if c.cell_type == "markdown")
    raws = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "raw"]
    assert raws[0] == "# ASSIGNMENT CONFIG" and "ok_format: false" in nb.cells[0].source
    depth = 0   # blocks are balanced and questions do not nest
    for line in raws[1:]:
        if line.startswith("# BEGIN QUESTION"):
            assert depth == 0
            depth += 1
        elif line == "# END QUESTION":
            assert depth == 1
            depth -= 1
    assert depth == 0
    assert raws.count("# BEGIN TESTS") == raws.count("# END TESTS") == checks
    assert raws.count("# BEGIN SOLUTION") == raws.count("# END SOLUTION")
    heads = [c.source for c in nb.cells if c.source.startswith("# BEGIN QUESTION")]
    names = [h.splitlines()[1] for h in heads]
    assert len(names) == len(set(names)), "question names must be unique"
    assert sum("manual: true" in h and "points: 3" in h for h in heads) == answers
    tests = [c.source for c in nb.cells
             if c.cell_type == "code" and c.source.startswith('""" # BEGIN TEST CONFIG')]
    assert len(tests) == checks and all("points: 2" in t for t in tests)
    for t in tests:   # the otter format: one function definition and its call
        body = t.split('""" # END TEST CONFIG\n', 1)[1]
        tree = __import__("ast").parse(body)
        assert len(tree.body) == 2 and tree.body[0].name in body.splitlines()[-1]


def test_free_names_are_the_globals_a_check_reads():
    code = ("import math\nr = tk.checks.close('x', f(x), y)\n"
            "assert all(v > 0 for v in z), [w for w in range(n)]\nprint(math.pi, r)")
    assert export_graders.free_names(code) == ["f", "n", "tk", "x", "y", "z"]


def test_bad_input_is_rejected_with_a_clear_message(tmp_path):
    with pytest.raises(ValueError, match=r"check_points must be a positive number.*0"):
        export_graders.nbgrader_notebook(WARMUP, check_points=0)
    with pytest.raises(ValueError, match=r"written_points must be a positive.*-1"):
        export_graders.otter_notebook(WARMUP, written_points=-1)
    with pytest.raises(ValueError, match=r"source must be an exercise source file.*nope"):
        export_graders.export([tmp_path / "nope.md"], tmp_path)
    bad = tmp_path / "99_bad.md"
    bad.write_text(WARMUP.read_text().replace("<!-- END SOLUTION -->", ""))
    with pytest.raises(make_student.MarkerError, match="never closed"):
        export_graders.nbgrader_notebook(bad)
    code_bad = tmp_path / "98_bad.md"
    code_bad.write_text(WARMUP.read_text().replace("    # END SOLUTION\n", "", 1))
    with pytest.raises(make_student.MarkerError, match="BEGIN SOLUTION' but"):
        export_graders.otter_notebook(code_bad)
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "export_graders.py"),
                          str(bad), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "never closed" in out.stderr


# --------------------------------------------------------------------------- real tools


def _grader_env(tool: str) -> tuple[Path, dict]:
    """A virtual environment with ``tool`` installed (once, cached) and the env to run it."""
    cache = Path(os.environ.get("TK_GRADER_CACHE",
                                Path.home() / ".cache" / "tk-lessons" / "graders"))
    pin = PINS[tool]
    venv = cache / f"{pin.replace('==', '-')}-py{sys.version_info[0]}{sys.version_info[1]}"
    py = venv / "bin" / "python"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{venv.name}.lock", "w") as lock:   # one installer at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".installed").is_file():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True,
                           timeout=300)
            pip = subprocess.run([str(py), "-m", "pip", "install", "-q", pin, "ipykernel"],
                                 capture_output=True, text=True, timeout=900)
            assert pip.returncode == 0, f"pip install {pin} failed:\n{pip.stderr[-3000:]}"
            (venv / ".installed").write_text(pin + "\n")
    purelib = subprocess.run([str(py), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "zz_tk_course_site.pth").write_text(SITE_HOOK)
    kernels = venv / "tk-kernel"   # the kernel the tools start: this venv's own python
    spec = kernels / "kernels" / "python3" / "kernel.json"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(json.dumps({"argv": [str(py), "-m", "ipykernel_launcher", "-f",
                                         "{connection_file}"],
                                "display_name": "Python 3", "language": "python"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON"))}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               JUPYTER_PATH=str(kernels), VIRTUAL_ENV=str(venv),
               TK_COURSE_SITE=os.pathsep.join([sysconfig.get_paths()["purelib"],
                                               str(ROOT)]))
    return venv, env


def _run(cmd: list[str], cwd: Path, env: dict, timeout: int = 600) -> str:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=timeout)
    log = out.stdout + out.stderr
    assert out.returncode == 0, f"{' '.join(cmd)} exited {out.returncode}:\n{log[-4000:]}"
    return log


def _otter_run(cmd: list[str], cwd: Path, env: dict, results: Path, *, timeout: int = 420,
               grace: int = 60) -> None:
    """``otter run``, accepting a run that wrote ``results`` but then did not exit.

    otter 7 receives the kernel's log records on a TCP server whose handler threads are not
    daemons; on a loaded machine (CI) one such thread can outlive the kernel and keep the
    process from exiting after the results are written (seen once in CI: the table printed,
    then 600 s of nothing). The guide's loop in book/instructors.md judges a run by its
    results.json for the same reason. A run that writes nothing still fails here.
    """
    log_file = results.parent / "otter-run.log"   # a file, not a pipe: nothing blocks unread
    with open(log_file, "w") as log_out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log_out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    start, written = time.monotonic(), None
    while proc.poll() is None:
        now = time.monotonic()
        if written is None and results.is_file():
            written = now
        if now - start > timeout or (written is not None and now - written > grace):
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.5)
    proc.wait()
    log = log_file.read_text(errors="replace")
    if proc.returncode != 0 and results.is_file():
        print(f"otter run wrote {results} but did not exit within {grace} s; stopped it")
        return
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{log[-4000:]}"


def _subtle(code: str) -> str:
    """The projector with a wrong factor: Task 1 stays right, Tasks 2 and 3 go wrong."""
    wrong = code.replace("return z - A_adj(A(z))", "return z - 0.5 * A_adj(A(z))")
    return wrong


def _loop(code: str) -> str:
    """The projector never returns: Task 1 stays right, the run of Task 2 must be stopped."""
    return code.replace("return z - A_adj(A(z))", "while True:\n        pass")


def _gaming(nb: dict, is_check) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if is_check(cell):
            cell["source"] = 'print("correct")'
    return nb


@pytest.fixture(scope="module")
def nbgrader_class(tmp_path_factory):
    """nbgrader on 00_kernel_warmup: release, four submissions, autograde, export."""
    venv, env = _grader_env("nbgrader")
    course = tmp_path_factory.mktemp("nbgrader")
    export_graders.export([WARMUP], course)
    root = course / "nbgrader"
    name = WARMUP.stem
    _run(["nbgrader", "generate_assignment", name], root, env)
    release = json.loads((root / "release" / name / f"{name}.ipynb").read_text())
    source = {c["metadata"]["nbgrader"]["grade_id"]: _text(c)
              for c in _cells(root / "source" / name / f"{name}.ipynb")}

    def solved(fix=lambda s: s):
        nb = copy.deepcopy(release)
        for cell in nb["cells"]:
            meta = cell["metadata"]["nbgrader"]
            if meta["solution"]:
                cell["source"] = fix(_without_markers(source[meta["grade_id"]]))
        return nb

    subtle = solved(_subtle)
    assert subtle != solved(), "the subtle mistake no longer applies to the source"
    loop = solved(_loop)
    assert loop != solved(), "the infinite loop no longer applies to the source"
    submissions = {
        "correct": solved(), "stub": release, "subtle": subtle, "loop": loop,
        "gaming": _gaming(release, lambda c: c["metadata"]["nbgrader"]["grade"]
                          and not c["metadata"]["nbgrader"]["solution"]),
    }
    for student, nb in submissions.items():
        target = root / "submitted" / student / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb))
    # the exported config stops a cell after 300 s; 15 s keeps this test short
    _run(["nbgrader", "autograde", name, "--create", f"--ExecutePreprocessor.timeout={LOOP_S}"],
         root, env)
    _run(["nbgrader", "export", "--to", "grades.csv"], root, env)
    with open(root / "grades.csv") as f:
        grades = {row["student_id"]: row for row in csv.DictReader(f)}
    print("nbgrader:", {s: (r["score"], r["max_score"]) for s, r in grades.items()})
    return release, grades


@pytest.mark.graders
def test_nbgrader_release_has_no_solution(nbgrader_class):
    release, _ = nbgrader_class
    text = "\n".join(_text(c) for c in release["cells"])
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert not _leaks(WARMUP, release["cells"])
    assert text.count("raise NotImplementedError()") >= 3 and "YOUR ANSWER HERE" in text


@pytest.mark.graders
def test_nbgrader_grades_the_simulated_class(nbgrader_class):
    _, grades = nbgrader_class
    checks = sum("check" in c.metadata.get("tags", []) for c in read_myst(WARMUP).cells)
    score = {s: float(row["score"]) for s, row in grades.items()}
    assert set(score) == {"correct", "stub", "subtle", "gaming", "loop"}
    # max_score: every check (1 point) plus the written answer (2 points, graded by hand)
    assert all(float(row["max_score"]) == checks + 2 for row in grades.values())
    assert score["correct"] == checks, "a correct solution gets every autograded point"
    assert score["stub"] == 0 and score["gaming"] == 0, "locked check cells are restored"
    assert 0 < score["subtle"] < checks
    # the looping cell is interrupted, the run goes on: Task 1 still counts
    assert 0 < score["loop"] < checks


@pytest.fixture(scope="module")
def otter_class(tmp_path_factory):
    """otter assign on 00_kernel_warmup, then otter run on four submissions."""
    venv, env = _grader_env("otter")
    work = tmp_path_factory.mktemp("otter")
    export_graders.export([WARMUP], work)
    master = work / "otter" / f"{WARMUP.stem}.ipynb"
    _run(["otter", "assign", master.name, "dist"], master.parent, env)
    dist = master.parent / "dist"
    student = json.loads((dist / "student" / master.name).read_text())
    (zipfile,) = (dist / "autograder").glob("*.zip")
    solutions = [_without_markers(_text(c)) for c in _cells(master)
                 if c["cell_type"] == "code" and "# BEGIN SOLUTION" in _text(c)]

    def solved(fix=lambda s: s):
        nb, answers = copy.deepcopy(student), iter(solutions)
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and "otter_answer_cell" in cell["metadata"].get(
                    "tags", []):
                cell["source"] = fix(next(answers))
        assert next(answers, None) is None, "every solution cell has an answer cell"
        return nb

    subtle = solved(_subtle)
    assert subtle != solved(), "the subtle mistake no longer applies to the source"
    checks = [c.source for c in read_myst(WARMUP).cells
              if "check" in c.metadata.get("tags", [])]
    submissions = {"correct": solved(), "stub": student, "subtle": subtle,
                   "gaming": _gaming(student, lambda c: _text(c) in checks)}
    results = {}
    for name, nb in submissions.items():
        path = work / f"{name}.ipynb"
        path.write_text(json.dumps(nb))
        out = work / f"results-{name}"
        out.mkdir()
        _otter_run(["otter", "run", "-a", str(zipfile), "-o", str(out), str(path)], work, env,
                   out / "results.json")
        tests = json.loads((out / "results.json").read_text())["tests"]
        results[name] = {t["name"]: (t["score"], t["max_score"]) for t in tests
                         if t.get("max_score") is not None}
    # otter run has no time limit of its own: a loop runs until `timeout` stops it, and
    # leaves no results.json (the guide's loop records the failure)
    path, out = work / "loop.ipynb", work / "results-loop"
    path.write_text(json.dumps(solved(_loop)))
    out.mkdir()
    looped = subprocess.run(["timeout", str(LOOP_S), "otter", "run", "-a", str(zipfile), "-o",
                             str(out), str(path)], cwd=work, env=env, capture_output=True)
    results["loop"] = (looped.returncode, (out / "results.json").exists())
    print("otter:", results)
    return student, results


@pytest.mark.graders
def test_otter_release_has_no_solution(otter_class):
    student, _ = otter_class
    text = "\n".join(_text(c) for c in student["cells"])
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert not _leaks(WARMUP, student["cells"])
    assert "otter" not in text.replace("otter_answer_cell", ""), "no otter import for students"
    checks = [c.source for c in read_myst(WARMUP).cells
              if "check" in c.metadata.get("tags", [])]
    visible = [_text(c) for c in student["cells"] if _text(c) in checks]
    assert visible == checks, "students keep their self-checks"


@pytest.mark.graders
def test_otter_grades_the_simulated_class(otter_class):
    _, results = otter_class
    checks = sum("check" in c.metadata.get("tags", []) for c in read_myst(WARMUP).cells)

    def total(name):
        return sum(s for s, _ in results[name].values())

    assert sum(m for _, m in results["correct"].values()) == checks
    assert total("correct") == checks, results["correct"]
    assert total("stub") == 0 and total("gaming") == 0, results
    assert results["subtle"]["task1"] == (1, 1) and results["subtle"]["task2"] == (0, 1)
    assert 0 < total("subtle") < checks
    assert results["loop"] == (124, False), "a looping submission is stopped, with no result"


@pytest.mark.graders
def test_every_sheet_releases_without_solutions(tmp_path):
    """Both tools accept the export of every sheet, and their releases keep no solution."""
    _, nb_env = _grader_env("nbgrader")
    _, otter_env = _grader_env("otter")
    export_graders.export(SOURCES, tmp_path)
    for src in SOURCES:
        name = src.stem
        _run(["nbgrader", "generate_assignment", name], tmp_path / "nbgrader", nb_env)
        release = _cells(tmp_path / "nbgrader" / "release" / name / f"{name}.ipynb")
        _run(["otter", "assign", f"{name}.ipynb", f"dist-{name}"], tmp_path / "otter",
             otter_env)
        student = json.loads((tmp_path / "otter" / f"dist-{name}" / "student"
                              / f"{name}.ipynb").read_text())
        for cells in (release, student["cells"]):
            text = "\n".join(_text(c) for c in cells)
            assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, name
            assert not _leaks(src, cells), name
        checks = sum("check" in c.metadata.get("tags", []) for c in read_myst(src).cells)
        tests = student["metadata"]["otter"]["tests"]
        assert sum(t.count("@test_case(") for t in tests.values()) == checks, name
