"""The grading command (tools/grade.py) on a simulated class.

The submissions are built here from the instructor sources and tools/make_student.py: correct,
stubs left, subtly wrong, gaming by editing or replacing the check cells, pasting the checks as
the answer, an infinite loop, a kernel crash, an invalid file, a notebook whose structure
cannot be matched, a student on the roster without a submission. The class is graded by the
command line, and the CSV must rank them right with every student present. The hidden checks
are graded on a correct and a wrong solution that passes every visible check.
"""

from __future__ import annotations

import csv
import doctest
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import grade  # tools/grade.py
import make_student  # tools/make_student.py
from _common import ROOT, colab_cell, read_myst, to_ipynb_text

pytestmark = pytest.mark.notebook
SOURCES = make_student.sources()
WARMUP = ROOT / "exercises" / "source" / "00_kernel_warmup.md"
KERNEL = ROOT / "exercises" / "source" / "01_kernel.md"


def _is_check(cell) -> bool:
    return "check" in cell.metadata.get("tags", [])


def correct(src: Path) -> nbformat.NotebookNode:
    """What a student who solves everything hands in: the student notebook, stubs solved."""
    nb = read_myst(src)
    nb.cells.insert(0, colab_cell())
    return nb


def stubs(src: Path) -> nbformat.NotebookNode:
    return make_student.student_notebook(src)[0]


def edit(nb, old: str, new: str) -> nbformat.NotebookNode:
    """Replace ``old`` by ``new`` in the one code cell that contains it."""
    cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    assert len(cells) == 1, f"expected one code cell with {old!r}, found {len(cells)}"
    cells[0].source = cells[0].source.replace(old, new)
    return nb


def without_checks(nb) -> nbformat.NotebookNode:
    nb.cells = [c for c in nb.cells if not _is_check(c)]
    return nb


def gamed(nb, *, keep_tag: bool) -> nbformat.NotebookNode:
    """Every check cell replaced by ``print("correct")`` (tagged or not)."""
    for cell in nb.cells:
        if _is_check(cell):
            cell.source = 'print("correct")'
            if not keep_tag:
                cell.metadata["tags"] = []
    return nb


def pasted(src: Path) -> nbformat.NotebookNode:
    """The task's check pasted as the answer: stubs become ``pass``, the check's code follows."""
    nb = stubs(src)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or make_student.STUB not in cell.source:
            continue
        check = next(c for c in nb.cells[i + 1:] if _is_check(c))
        cell.source = cell.source.replace(make_student.STUB, "pass") + "\n" + check.source
    return nb


def monkeypatched(src: Path) -> nbformat.NotebookNode:
    """Stubs replaced by ``pass``, every function of every checks module (the package, its topic
    modules and their shared helpers) replaced by ``print("correct")``."""
    nb = stubs(src)
    for cell in nb.cells:
        if cell.cell_type == "code" and make_student.STUB in cell.source:
            cell.source = cell.source.replace(make_student.STUB, "pass")
    patch = ("\nimport sys\n"
             "for module in [tk.checks] + [m for n, m in list(sys.modules.items())\n"
             "                             if n.startswith('tk_lessons.checks.')]:\n"
             "    for name in dir(module):\n"
             "        if callable(getattr(module, name)) and not name[0].isupper():\n"
             "            setattr(module, name, lambda *args, **kwargs: print('correct'))")
    setup = next(c for c in nb.cells if c.cell_type == "code" and "tk.setup(" in c.source)
    setup.source += patch
    return edit(nb, "x = (t > 20).double() - 0.5 * (t > 45).double()",
                "x = (t > 20).double() - 0.5 * (t > 45).double()\nx2, kernel_dimension = x + 1, 0")


def write(folder: Path, name: str, nb) -> None:
    (folder / f"{name}.ipynb").write_text(to_ipynb_text(nb))


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


# ------------------------------------------------------------------------ no kernel needed


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_checks_are_restored_where_the_source_has_them(src):
    template = grade.load_template(src)
    expected = [c.source for c in stubs(src).cells]
    for submission in (stubs(src), without_checks(stubs(src)), gamed(stubs(src), keep_tag=False)):
        got = grade.assemble(template, submission)
        sources = [c.source.removeprefix(grade.PRELUDE) for c in got.cells]
        if "correct" in "".join(sources):  # the untagged fake checks stay, harmless
            sources = [s for s in sources if s != 'print("correct")']
        assert sources == expected
        assert [c.metadata.get(grade.META_KEY, {}).get("id") for c in got.cells
                if grade.META_KEY in c.metadata] == [c.id for c in template.checks]


def test_prelude_undoes_monkeypatched_checks():
    """Functions replaced in the package, a topic module and the shared helpers are restored."""
    code = (
        "import tk_lessons as tk\n"
        "import tk_lessons.checks.basics, tk_lessons.checks._core\n"
        "fake = lambda *args, **kwargs: print('correct')\n"
        "tk.checks.close = fake\n"
        "tk.checks.basics.close = fake\n"
        "tk.checks._core.ok = fake\n"
        "tk.checks.linear_maps = None\n"
        + grade.PRELUDE +
        "assert tk.checks.close is tk.checks.basics.close is not fake\n"
        "assert tk.checks.linear_maps.adjoint is tk.checks.adjoint\n"
        "try:\n"
        "    tk.checks.close('v', 1.0, 2.0)\n"
        "except tk.checks.CheckError as err:\n"
        "    print('restored:', err)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "restored: v: expected 2, got 1"


def test_template_reads_tasks_checks_and_hidden_checks():
    template = grade.load_template(WARMUP)
    assert template.tasks == ["task1", "task2", "task3", "task4"]
    assert [c.task for c in template.checks] == ["task1", "task2", "task3"]
    assert {c.task for c in template.hidden} == {"task1", "task2", "task3"}
    for src in SOURCES:  # every exercise notebook has its hidden checks, each for a real task
        assert grade.hidden_path(src).exists(), f"no hidden checks for {src.name}"
        assert grade.load_template(src).hidden


def test_missing_heading_is_unmatched():
    nb = correct(WARMUP)
    nb.cells = [c for c in nb.cells if not c.source.startswith("## Task 2")]
    with pytest.raises(grade.StructureError, match="task2"):
        grade.assemble(grade.load_template(WARMUP), nb)


def test_bad_parameters_are_named(tmp_path):
    tasks = ["task1", "task2"]
    assert grade.parse_points("2=3", tasks, "--points") == {"task1": 1.0, "task2": 3.0}
    with pytest.raises(grade.GradingError, match="--points: '7=1'.*one of 1, 2"):
        grade.parse_points("7=1", tasks, "--points")
    with pytest.raises(grade.GradingError, match="--points: points for task1 must be a number"):
        grade.parse_points("1=x", tasks, "--points")
    with pytest.raises(grade.GradingError, match=">= 0"):
        grade.parse_points("1=-2", tasks, "--points")
    with pytest.raises(grade.GradingError, match="source: .*nope.md is not a file"):
        grade.load_template(tmp_path / "nope.md")
    with pytest.raises(grade.GradingError, match="submissions: .* is not a folder"):
        grade.grade_class(WARMUP, tmp_path / "absent", tmp_path / "g.csv")
    with pytest.raises(grade.GradingError, match="--jobs: expected a whole number >= 1"):
        grade.grade_class(WARMUP, tmp_path, tmp_path / "g.csv", jobs=0)
    with pytest.raises(grade.GradingError, match="--timeout: expected a positive"):
        grade.grade_class(WARMUP, tmp_path, tmp_path / "g.csv", timeout=0)
    with pytest.raises(grade.GradingError, match="--roster: .* is not a file"):
        grade.grade_class(WARMUP, tmp_path, tmp_path / "g.csv", roster=tmp_path / "r.txt")


# ----------------------------------------------------------------------- the simulated class


def test_simulated_class_is_ranked_and_complete(tmp_path, capsys):
    subs = tmp_path / "submissions"
    subs.mkdir()
    write(subs, "correct", correct(WARMUP))
    write(subs, "correct_checks_deleted", without_checks(correct(WARMUP)))
    write(subs, "subtle", edit(correct(WARMUP), "kernel_dimension = N - int(",
                               "kernel_dimension = N + 1 - int("))
    write(subs, "stubs", stubs(WARMUP))
    write(subs, "gaming_tagged", gamed(stubs(WARMUP), keep_tag=True))
    write(subs, "gaming_untagged", gamed(stubs(WARMUP), keep_tag=False))
    write(subs, "pasting", pasted(WARMUP))
    write(subs, "monkeypatch", monkeypatched(WARMUP))
    write(subs, "loop", edit(correct(WARMUP), "def P(z):", "while True:\n    pass\n\n\ndef P(z):"))
    write(subs, "crash", edit(correct(WARMUP), "def P(z):",
                              "import os\nos._exit(3)\n\n\ndef P(z):"))
    (subs / "invalid.ipynb").write_text("{ this is not a notebook")
    nb = correct(WARMUP)
    nb.cells = [c for c in nb.cells if not c.source.startswith("## Task 2")]
    write(subs, "unmatched", nb)
    roster = tmp_path / "roster.txt"
    roster.write_text("# the class\n" + "\n".join(p.stem for p in subs.iterdir()) + "\nghost\n")
    out, feedback = tmp_path / "grades.csv", tmp_path / "feedback"
    assert grade.main([str(WARMUP), str(subs), "--out", str(out), "--feedback", str(feedback),
                       "--roster", str(roster), "--timeout", "8", "--jobs", "2"]) == 0
    assert "13 rows" in capsys.readouterr().out
    rows = read_csv(out)
    assert sorted(rows) == sorted([p.stem for p in subs.iterdir()] + ["ghost"])
    total = {name: float(row["total"]) for name, row in rows.items()}
    status = {name: row["status"] for name, row in rows.items()}
    assert total["correct"] == total["correct_checks_deleted"] == 3.0
    assert total["subtle"] == 2.0 and rows["subtle"]["task3"] == "0.0"
    assert total["loop"] == 1.0 and "interrupted" in rows["loop"]["reason"]
    for name in ("stubs", "gaming_tagged", "gaming_untagged", "pasting", "monkeypatch"):
        assert total[name] == 0.0, name
    assert status["crash"] == "crashed" and total["crash"] == 1.0  # Task 1 ran before
    assert "died while running cell 7" in rows["crash"]["reason"]  # the cell of P
    assert status["invalid"] == "invalid" and total["invalid"] == 0.0
    assert status["unmatched"] == "unmatched" and "task2" in rows["unmatched"]["reason"]
    assert status["ghost"] == "missing" and rows["ghost"]["reason"] == "no submission"
    ok = [n for n in total if n not in ("crash", "invalid", "unmatched", "ghost")]
    assert all(status[n] == "ok" for n in ok)
    assert {float(r["max"]) for r in rows.values()} == {3.0}
    text = (feedback / "subtle.txt").read_text()
    assert "score: 2 / 3" in text and "[FAIL] task3/1" in text and "[pass] task2/1" in text
    assert (feedback / "ghost.txt").exists() and (feedback / "gaming_tagged.txt").exists()
    stub_text = (feedback / "stubs.txt").read_text()
    assert stub_text.count("[FAIL]") == 3 and "NotImplementedError" in stub_text


def test_wall_limit_stops_a_submission(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, "sleeper", edit(correct(WARMUP), "def P(z):",
                                "import time\ntime.sleep(600)\n\n\ndef P(z):"))
    rows = grade.grade_class(WARMUP, subs, tmp_path / "g.csv", timeout=300, wall=6, jobs=1,
                             points="1=2", progress=False)
    (row,) = rows
    assert row["status"] == "timeout" and "wall limit of 6 s" in row["reason"]
    assert row["total"] == 2.0 and row["max"] == 4.0  # Task 1 (2 points) ran before the limit
    assert row["seconds"] < 60


@pytest.mark.parametrize("src, wrong", [
    # A_adj hard-codes the length 64: right at N = 64, wrong at every other size
    (WARMUP, ("full = torch.zeros(N,", "full = torch.zeros(64,")),
    # psi returns x2 whatever the data: exact on x2, so the visible check passes
    (KERNEL, ("return A2.H(y).real + kernel_part_of_x2", "return x2")),
], ids=["00_hardcoded_size", "01_constant_psi"])
def test_hidden_checks_separate_a_correct_from_a_wrong_solution(tmp_path, src, wrong):
    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, "correct", correct(src))
    write(subs, "wrong", edit(correct(src), *wrong))
    rows = grade.grade_class(src, subs, tmp_path / "g.csv", feedback=tmp_path / "fb",
                             hidden=True, jobs=2, progress=False)
    by_name = {row["student"]: row for row in rows}
    template = grade.load_template(src)
    visible = len({c.task for c in template.checks})
    hidden = len({c.task for c in template.hidden})
    assert by_name["correct"]["total"] == by_name["correct"]["max"] == visible + hidden
    wrong_row = by_name["wrong"]
    assert sum(wrong_row[t] for t in template.tasks if t in wrong_row) == visible
    assert wrong_row["total"] < visible + hidden
    failed = [k for k, v in wrong_row.items() if k.startswith("hidden_") and v < 1]
    assert failed, wrong_row
    text = (tmp_path / "fb" / "wrong.txt").read_text()
    assert "[FAIL] hidden:" in text


# ------------------------------------- hidden checks of 02-04, called on objects (no notebook)


def _hidden(stem: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"hidden_{stem}", grade.HIDDEN_DIR / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cases_02():
    import math

    import torch

    import tk_lessons as tk

    n = 64
    blur = tk.operators.Blur((n,), 1.0).to(torch.float64)

    def pinv_lipschitz(sigma):
        return 1.0 / float(tk.operators.Blur((n,), sigma).singular_values().min())

    def inverse(v):
        return torch.fft.ifft(torch.fft.fft(v) / blur.transfer).real

    def tikhonov(singular_values, lam):
        s = torch.as_tensor(singular_values, dtype=torch.float64)
        return float((s / (s**2 + lam)).max())

    def soft(z, thr):
        return torch.sign(z) * torch.clamp(z.abs() - thr, min=0)

    def fista(A, y, lam, step, c, z, t):
        c_next = soft(z - step * A.T @ (A @ z - y), step * lam)
        t_next = (1 + math.sqrt(1 + 4 * t**2)) / 2
        return c_next, c_next + (t - 1) / t_next * (c_next - c), t_next

    mask = torch.zeros(n, dtype=torch.bool)
    mask[::4] = True
    F = tk.operators.SubsampledFourier(mask).to(torch.float64)
    x = tk.data.piecewise_polynomial(size=n, seed=0).double()
    at_one = pinv_lipschitz(1.0)
    task1 = dict(N=n, B=blur, pinv_lipschitz=pinv_lipschitz, inverse=inverse)
    return [
        ("task1_other_widths", task1,
         {**task1, "pinv_lipschitz": lambda s: at_one if s == 1.0 else 2.0}),
        ("task1_other_widths", task1,
         {**task1, "inverse": lambda v: torch.fft.ifft(torch.fft.fft(v[:1]) / blur.transfer).real}),
        ("task2_other_matrix", {"tikhonov_lipschitz": tikhonov},
         {"tikhonov_lipschitz": lambda s, lam: float(s.max() / (s.max() ** 2 + lam))}),
        ("task3_other_seeds", {"soft": soft, "fista_step": fista},
         {"soft": lambda z, thr: z * (z.abs() > thr), "fista_step": fista}),
        ("task4_lower_bounds", {"estimate_1": 0.5, "estimate_100": 0.01},
         {"estimate_1": 0.5, "estimate_100": 0.7}),
        ("task5_row_space", {"F": F, "x": x, "x_tik": tk.solvers.tikhonov(F, F(x), 0.1)},
         {"F": F, "x": x, "x_tik": x / 1.1}),
    ]


def _cases_03():
    import math

    import torch

    from tk_lessons import zoo

    def jitter(y, eta, generator):
        s = torch.rand(y.shape[0], 1, generator=generator, dtype=y.real.dtype)
        g = torch.randn(y.shape, generator=generator, dtype=y.dtype)
        return y + eta * s * g / math.sqrt(y.shape[1])

    def fixed_level(y, eta, generator):
        g = torch.randn(y.shape, generator=generator, dtype=y.dtype)
        return y + eta * 0.5 * g / math.sqrt(y.shape[1])

    itnet = zoo.load("itnet_radial64_nonoise")
    A = itnet.A

    def data_step(x, y, lam):
        return x - lam * A.H(A(x) - y).real

    def my_itnet(y):
        x = A.H(y).real
        for k in range(itnet.n_iter):
            x = data_step(x + itnet.nets[k](x), y, itnet.lam[k])
        return x

    task3 = dict(data_step=data_step, my_itnet=my_itnet, itnet=itnet, A=A)
    return [
        ("task1_other_parameters", {"jitter": jitter}, {"jitter": fixed_level}),
        # ignores lam and always takes the step of iteration 1, the one the visible check uses
        ("task3_other_inputs", task3,
         {**task3, "data_step": lambda x, y, lam: data_step(x, y, itnet.lam[1])}),
    ]


def _cases_04():
    import torch

    def perturb(y, eps, generator):
        e = torch.randn(y.shape, generator=generator, dtype=y.dtype)
        return y + eps * e / e.abs().norm(dim=1, keepdim=True)

    def whole_batch(y, eps, generator):
        e = torch.randn(y.shape, generator=generator, dtype=y.dtype)
        return y + eps * e / e.abs().norm()

    y = torch.randn(1, 50, dtype=torch.complex64, generator=torch.Generator().manual_seed(0))
    return [
        ("task1_budget", {"y": y, "eta": 1.0, "e_adv": 0.5 * y / y.abs().norm()},
         {"y": y, "eta": 1.0, "e_adv": 1.5 * y / y.abs().norm()}),
        ("task2_other_sizes", {"random_perturbation": perturb},
         {"random_perturbation": whole_batch}),
    ]


def _cases_05():
    import torch

    def kernel_size_of(A, X, eta):
        gap = torch.cdist(A(X), A(X))
        return float(torch.cdist(X, X)[gap <= 2 * eta + 1e-9].max())

    def worst_case_error(recon, A, X):
        return float((recon(A(X)) - X).flatten(1).norm(dim=1).max())

    def centre_of_three(P):
        a, b, c = P
        for u, v, w in ((a, b, c), (b, c, a), (c, a, b)):
            if float((u - w) @ (v - w)) <= 0:
                return (u + v) / 2
        M = 2 * torch.stack([b - a, c - a])
        return torch.linalg.solve(M, torch.stack([b @ b - a @ a, c @ c - a @ a]))

    def average_kernel_size(A, X, p):
        same = torch.cdist(A(X), A(X)) <= 1e-9
        D = torch.cdist(X, X) ** p
        return float(torch.stack([D[s][:, s].mean() for s in same]).mean() ** (1 / p))

    def average_distinct_pairs(A, X, p):   # leaves out i = j: too large
        same = torch.cdist(A(X), A(X)) <= 1e-9
        D = torch.cdist(X, X) ** p
        means = [D[s][:, s].sum() / max(int(s.sum()) * (int(s.sum()) - 1), 1) for s in same]
        return float(torch.stack(means).mean() ** (1 / p))

    return [
        ("task1_other_classes", {"kernel_size_of": kernel_size_of},
         {"kernel_size_of": lambda A, X, eta: kernel_size_of(A, X, eta / 2)}),
        ("task2_other_classes", {"worst_case_error": worst_case_error},
         {"worst_case_error": lambda recon, A, X: float((recon(A(X)) - X).norm(dim=1).mean())}),
        ("task3_other_triangles", {"centre_of_three": centre_of_three},
         {"centre_of_three": lambda P: P.mean(dim=0)}),
        ("task4_other_classes", {"average_kernel_size": average_kernel_size},
         {"average_kernel_size": average_distinct_pairs}),
    ]


def _cases_06():
    import torch

    import tk_lessons as tk

    net = tk.zoo.load("unet_fourier_halluc")
    A = net.A
    heads = tk.data.HeadsDataset(6, size=64, seed=3)
    H = torch.stack([heads[i] for i in range(6)])
    x, d = H[2:3], tk.data.text(64, "TK", position=(30, 24), fontsize=14, intensity=0.8)
    z = (d - A.H(A(d))).real
    x_prime = x + z
    good = tk.networks.Memoriser(A, torch.cat((x_prime, H[3:])))
    no_heads = tk.networks.Memoriser(A, torch.cat((x_prime, H[4:])))     # H[3] left out

    def right_map(x_rec, x, z):
        return (x_rec - x) * z / (z * z).flatten(1).sum(1).view(-1, 1, 1, 1)

    def one_norm(x_rec, x, z):   # divides every sample by the first sample's ||z||^2
        return (x_rec - x) * z / (z[0] * z[0]).sum()

    base = dict(x=x, d=d)
    return [
        ("task1_real_and_sum", {**base, "z": z, "x_prime": x_prime},
         {**base, "z": z.to(torch.complex64), "x_prime": x_prime}),
        ("task2_memoriser_training_set", dict(memo=good, A=A, x=x, x_prime=x_prime, H=H),
         dict(memo=no_heads, A=A, x=x, x_prime=x_prime, H=H)),
        ("task3_inequality", {"delta": 1.49, "delta_prime": 1.72, "lower_bound": 0.82},
         {"delta": 1.49, "delta_prime": 0.5, "lower_bound": 0.82}),
        ("task4_other_batches", {"transfer_map": right_map}, {"transfer_map": one_norm}),
    ]


def _cases_07():
    import torch

    import tk_lessons as tk
    from tk_lessons.zoo import recipes

    net = tk.zoo.load("unet1d_tumour")
    A = net.A
    tumour = tk.data.tumour(256, width=recipes.TUMOUR_WIDTH)
    x = tk.data.signal_dataset(100, 256, tumour_signal=tumour, seed=0).signals[5:6]
    x_prime, z, lam = x + tumour, tumour, 1e-4
    with torch.no_grad():
        d, d2 = (net(A(x)) - x).norm().item(), (net(A(x_prime)) - x_prime).norm().item()
    line = tk.attacks.LineTikhonov(A, x, z, lam)

    def four_only(v):            # right on the visible check's four data, wrong on any other batch
        return x + line.coefficient(v).reshape(4, 1, 1) * z

    base = dict(net=net, A=A, x=x, x_prime=x_prime)
    y = A(x)
    eta = (A(x_prime) - y).abs().norm().item()
    e = A(tumour)                                   # a perturbation of norm eta
    return [
        # delta and delta_prime swapped: L_bound (their sum) is still right
        ("task2_errors", {**base, "delta": d, "delta_prime": d2}, {**base, "delta": d2, "delta_prime": d}),
        ("task3_other_batch", {"line_map": line, "A": A, "x": x, "z": z, "lam": lam},
         {"line_map": four_only, "A": A, "x": x, "z": z, "lam": lam}),
        ("task4_on_the_sphere", {"e_best": e, "y": y, "eta": eta}, {"e_best": 0.5 * e, "y": y, "eta": eta}),
    ]


def _cases_08():
    import torch

    from tk_lessons import kernel, zoo
    from tk_lessons.zoo import lab

    A = zoo.build_operator(lab.setting().operator)
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand((1, 1, 256), generator=g, dtype=torch.float64)
    t = torch.arange(256, dtype=torch.float64) / 256
    x1 = x0 + 0.2 * torch.cos(2 * torch.pi * 40 * (t - 0.5)) * torch.exp(-((t - 0.5) / 0.03) ** 2)
    d = float((x1 - x0).norm())
    y0, y1 = A(x0), A(x1)
    eta = float((y1 - y0).abs().norm())

    def interpolant(y, delta):
        return kernel.cliff_interpolant(A, x0, x1, delta)(y)

    def without_factor(y, delta):                  # forgot (1 - 2 delta / d)
        s = (torch.conj(y1 - y0) * (y - y0)).real.flatten(1).sum(dim=1) / eta**2
        return x0 + (delta / d + s).reshape(-1, 1, 1) * (x1 - x0)

    eye = torch.eye(256, dtype=torch.float64).reshape(256, 1, 256)
    sigma = torch.linalg.svdvals(torch.view_as_real(A(eye)).reshape(256, -1).T)
    complex_sigma = torch.linalg.svdvals(A(eye.to(torch.complex128)).reshape(256, -1).T)
    task1 = {"interpolant": interpolant, "A": A, "x0": x0, "x1": x1, "d": d}
    flat = {"delta_tv": 0.6 * d, "d": d, "eta": eta}
    return [
        ("task1_other_deltas", task1, {**task1, "interpolant": without_factor}),
        ("task2_singular_values", {"sigma": sigma, "A": A}, {"sigma": complex_sigma, "A": A}),
        ("task4_zero_when_flat", {**flat, "L_needed": 0.0},
         {**flat, "L_needed": (d - 2 * flat["delta_tv"]) / eta}),          # no max(0, .)
    ]


def _cases_09():
    import math

    from scipy import stats

    from tk_lessons import attacks

    def log10_bound(n, sigma, t, r):
        log_volume = n / 2 * math.log(math.pi) + n * math.log(r) - math.lgamma(n / 2 + 1)
        log_density = -n / 2 * math.log(2 * math.pi * sigma**2) - (t + r) ** 2 / (2 * sigma**2)
        return (log_volume + log_density) / math.log(10)

    def with_t_minus_r(n, sigma, t, r):
        return log10_bound(n, sigma, t, r) + ((t + r) ** 2 - (t - r) ** 2) / (2 * sigma**2 * math.log(10))

    m, sigma, t, r = 3, 0.5, 1.0, 0.7
    ball = {"m": m, "sigma": sigma, "t": t, "r": r}
    exact = float(stats.ncx2.cdf(r**2 / sigma**2, 2 * m, t**2 / sigma**2))
    real_count = float(stats.ncx2.cdf(r**2 / sigma**2, m, t**2 / sigma**2))     # n = m, not 2 m
    n_star = next(n for n in range(1, 200) if attacks.gaussian_ball_log10_max(n, 1.0, 0.5)[0] < -6)
    radii = [0.0, 0.5, 1.0, 2.0, 4.0]
    return [
        ("task1_other_cases", {"log10_bound": log10_bound}, {"log10_bound": with_t_minus_r}),
        ("task2_probability", {**ball, "p": exact}, {**ball, "p": real_count}),
        ("task3_dimension", {"n_star": n_star}, {"n_star": n_star - 1}),
        ("task4_shape_of_the_curve", {"rates": [1.0, 0.9, 0.8, 0.5, 0.2], "radii": radii},
         {"rates": [1.0, 0.6, 0.9, 0.5, 0.2], "radii": radii}),
    ]


def _cases_10():
    return [
        ("task1_shares", {"share": [0.75, 0.75, 0.5, 0.5, 0.0]}, {"share": [0.5, 0.5, 0.5, 0.5, 0.0]}),
        ("task2_monte_carlo", {"value": 10.0, "mc": 10.01, "se": 0.01},
         {"value": 10.0, "mc": 10.01, "se": 3.16}),                     # the standard deviation, not the error
        ("task2_monte_carlo", {"value": 10.0, "mc": 10.01, "se": 0.01}, {"value": 10.0, "mc": 10.5, "se": 0.01}),
        ("task4_order", {"share_both": 0.5, "share_one": 0.9}, {"share_both": 0.9, "share_one": 0.5}),
    ]


def _cases_11():
    import torch

    def forced_error(A, X, train):
        same = torch.cdist(A(X), A(X)) < 1e-9
        return max(float(torch.cdist(X[j:j + 1], X[same[j]]).max()) for j in train)

    def best_and_worst(A, X):
        same = torch.cdist(A(X), A(X)) < 1e-9
        D = torch.where(same, torch.cdist(X, X), torch.zeros(()))
        farthest = D.max(dim=1).values
        low = torch.where(same, farthest[None, :], torch.inf).min(dim=1).values.max()
        return float(low), float(D.max())

    def jump_worst_case(recon, t):
        height = torch.where(t <= 0, 1.0, -1.0).to(torch.float64)
        return float((recon(t) - torch.cat([t, height], dim=1)).norm(dim=1).max())

    def jump_bound(recon, t):
        out = recon(torch.tensor([[0.0], [t]], dtype=torch.float64))
        return 1 - float((out[1] - out[0]).norm()) / 2

    def mean_error(recon, t):            # the mean error, not the worst case
        height = torch.where(t <= 0, 1.0, -1.0).to(torch.float64)
        return float((recon(t) - torch.cat([t, height], dim=1)).norm(dim=1).mean())

    return [
        ("task1_other_classes", {"forced_error": forced_error},
         {"forced_error": lambda A, X, train: forced_error(A, X, train[:1])}),
        ("task2_other_classes", {"best_and_worst": best_and_worst},
         {"best_and_worst": lambda A, X: (best_and_worst(A, X)[0] / 2,
                                          best_and_worst(A, X)[1])}),
        ("task3_random_networks", {"jump_worst_case": jump_worst_case},
         {"jump_worst_case": mean_error}),
        ("task4_random_networks", {"jump_bound": jump_bound},
         {"jump_bound": lambda recon, t: 1.0}),
    ]


def _cases_12():
    import torch

    import tk_lessons as tk

    A = tk.zoo.load("fbpunet_limited_angle").A
    tau = 1e-2
    approx = tk.kernel.approximate(A, tau)
    heads = tk.zoo.recipes.test_set("fbpunet_limited_angle")[:2]
    lesion = approx.project(tk.data.blob(32, center=(12.0, 14.0), radius=3.0).double()).float()
    X = torch.cat([heads, heads + lesion])                # pairs (0, 2) and (1, 3) lie in N_tau
    kappa = (X[0] - X[2]).norm().item()
    base = {"A": A, "X": X, "tau": tau, "kappa": kappa}

    def share_in(v):
        flat = v.reshape(v.shape[0], -1).double()
        return (flat @ approx.basis).norm(dim=1) / flat.norm(dim=1)

    return [
        # a pair of two heads: its distance is not kappa, and it is not in the approximate kernel
        ("task1_pair", {**base, "pair": (0, 2)}, {**base, "pair": (0, 1)}),
        ("task3_other_batch", {"share_in": share_in, "approx": approx},
         {"share_in": lambda v: share_in(v) ** 2, "approx": approx}),        # squared shares
    ]


def _cases_13():
    import torch

    import tk_lessons as tk

    def cp_step(B, y, c, d, tau, sigma, thresh):
        v = c - tau * B.T @ d
        c_new = torch.sign(v) * torch.clamp(v.abs() - tau * thresh, min=0)
        u = d + sigma * (B @ (2 * c_new - c) - y)
        return c_new, u / max(1.0, float(u.norm()))

    def cp_step_old_c(B, y, c, d, tau, sigma, thresh):     # extrapolates with c, not 2 c_new - c
        c_new, _ = cp_step(B, y, c, d, tau, sigma, thresh)
        u = d + sigma * (B @ c - y)
        return c_new, u / max(1.0, float(u.norm()))

    def firenet_errors(A, W, x, lam, n_inner, n_outer):
        _, its = tk.solvers.firenet(A, A(x), lam, W, n_outer=n_outer, n_inner=n_inner,
                                    real=True, return_iterates=True)
        return torch.stack([(it - x).norm() / x.norm() for it in its])

    def firenet_absolute(A, W, x, lam, n_inner, n_outer):  # not divided by ||x||
        return firenet_errors(A, W, x, lam, n_inner, n_outer) * x.norm()

    def restart_rate(errors):
        k = torch.arange(1, len(errors) + 1, dtype=torch.float64)
        v = -torch.as_tensor(errors, dtype=torch.float64).log()
        return float(((k - k.mean()) * (v - v.mean())).sum() / ((k - k.mean()) ** 2).sum())

    def endpoint_rate(errors):                              # first and last point only
        e = torch.as_tensor(errors, dtype=torch.float64)
        return float((e[0] / e[-1]).log() / (len(e) - 1))

    return [
        ("task1_other_steps", {"cp_step": cp_step}, {"cp_step": cp_step_old_c}),
        ("task2_other_signals", {"firenet_errors": firenet_errors},
         {"firenet_errors": firenet_absolute}),
        ("task3_other_sequences", {"restart_rate": restart_rate}, {"restart_rate": endpoint_rate}),
    ]


def _cases_14():
    import torch

    import tk_lessons as tk
    from tk_lessons.zoo import recipes

    net = tk.zoo.load("unet_fourier_halluc")
    A = net.A
    extra = recipes.unet_fourier_halluc().extra
    x_clean, z = extra["x_clean"], extra["kernel_detail"]
    mask = extra["detail"].abs() > 0
    X = torch.cat([x_clean + z, x_clean, recipes.test_set("unet_fourier_halluc")[:3]])
    y, eta = A(x_clean), 1e-3
    r = tk.kernel.pixel_range(A, X, y, eta)
    with torch.no_grad():
        x_rec = net(y)

    def score(x_rec, low, high):
        return (high - low) + (low - x_rec).clamp(min=0) + (x_rec - high).clamp(min=0)

    def spread_only(x_rec, low, high):                     # forgets the distance to the range
        return high - low

    base = dict(A=A, X=X, y=y, eta=eta, x_clean=x_clean)
    good_s = score(x_rec, r.low, r.high)
    flagged = good_s > 0.1
    task3 = dict(s=good_s, x_rec=x_rec, x_clean=x_clean, mask=mask, net=net, A=A, low=r.low,
                 high=r.high, threshold=0.1, hit=float(flagged[mask].float().mean()),
                 false_alarm=float(flagged[~mask].float().mean()))
    zero_filled = A.H(y).real                              # not the network's reconstruction
    zf_s = score(zero_filled, r.low, r.high)
    g = torch.Generator().manual_seed(3)
    X_toy = torch.rand(1000, 6, generator=g, dtype=torch.float64)
    X_toy[:, :2] = torch.randint(0, 2, (1000, 2), generator=g).double()
    toy = tk.kernel.kernel_size
    A_toy = tk.operators.MatrixOperator(torch.eye(6, dtype=torch.float64)[:2])
    right = {n: toy(A_toy, X_toy[:n]).worst for n in (10, 100, 1000)}
    all_pairs = {n: float(torch.cdist(X_toy[:n], X_toy[:n]).max()) for n in (10, 100, 1000)}
    task4 = dict(X_toy=X_toy, m=2, estimates=right, exact=2.0)
    return [
        ("task1_truth_in_range", {**base, "low": r.low, "high": r.high},
         {**base, "low": x_clean + z, "high": x_clean + z}),          # the training image only
        ("task2_other_batches", {"score": score}, {"score": spread_only}),
        ("task3_reconstruction_score_rates", task3,
         {**task3, "s": torch.full_like(good_s, 10.0), "hit": 1.0, "false_alarm": 1.0}),
        ("task3_reconstruction_score_rates", task3,                    # zero filling as x_rec
         {**task3, "x_rec": zero_filled, "s": zf_s,
          "hit": float((zf_s > 0.1)[mask].float().mean()),
          "false_alarm": float((zf_s > 0.1)[~mask].float().mean())}),
        ("task4_kernel_sizes", task4, {**task4, "estimates": all_pairs}),
        ("task4_kernel_sizes", task4, {**task4, "exact": 4.0}),       # forgot the square root
    ]


@pytest.mark.parametrize("stem, cases", [("02_stability", _cases_02),
                                         ("03_learned", _cases_03),
                                         ("04_instabilities", _cases_04),
                                         ("05_kernel_size", _cases_05),
                                         ("06_hallucinations", _cases_06),
                                         ("07_false_positives", _cases_07),
                                         ("08_tradeoff", _cases_08),
                                         ("09_not_rare", _cases_09),
                                         ("10_training", _cases_10),
                                         ("11_optimal_maps", _cases_11),
                                         ("12_ill_conditioned", _cases_12),
                                         ("13_firenets", _cases_13),
                                         ("14_accuracy_bounds", _cases_14)])
def test_hidden_checks_of_the_long_notebooks_on_correct_and_wrong_objects(stem, cases):
    from tk_lessons.checks import CheckError

    module = _hidden(stem)
    tested = set()
    for name, right, wrong in cases():
        getattr(module, name)(dict(right))
        with pytest.raises(CheckError):
            getattr(module, name)(dict(wrong))
        tested.add(name)
    functions = {c.id.removeprefix("hidden:") for c in grade.hidden_checks(module.__file__)}
    assert tested == functions, f"hidden checks without a correct/wrong test: {functions - tested}"


def test_grade_module_examples():
    # tools/ is not among pytest's doctest paths: run the grader's docstring examples here
    result = doctest.testmod(grade, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2 and result.failed == 0
