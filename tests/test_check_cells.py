"""Check cells reveal nothing: every visible check only hands the student's names to tk.checks.

A check cell that computes an expected value in the open (a pseudo-inverse, a PSNR, a solver
run, arithmetic on the student's variables) shows an expression a student could paste as the
answer. The rule, applied to every cell tagged ``check`` with :mod:`ast`:

* every statement is a call of a check function, ``tk.checks.<f>(...)`` or ``checks.<f>(...)``
  (the package re-exports the checks of every topic module), or ``print`` of plain text, used
  as a statement;
* not a comparator that takes the expected value from the cell (``close``, ``at_least``,
  ``lipschitz_estimate``): its expected value would be in the open, even as a literal;
* every argument is a name, a constant (a number, a string, a tuple of them), an attribute of
  a name (``A.m``) or a subscript of a name by constants (``X[:2]``): no arithmetic, no other
  call, no comprehension, no lambda.
"""

from __future__ import annotations

import ast

import pytest

import make_student  # tools/make_student.py
from _common import read_myst

SOURCES = make_student.sources()

# Comparators that take the expected value from the cell: a literal there (``close(name,
# mean_ratio, 0.5)``) is the answer in plain sight, so check cells call topic checks instead.
TAKE_THE_REFERENCE = {"close", "at_least", "lipschitz_estimate"}


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attribute lookups on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _is_check_function(name: str | None) -> bool:
    if name is None:
        return False
    *module, function = name.split(".")
    return module in (["tk", "checks"], ["checks"]) and not function.startswith("_")


def _constant(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, ast.Tuple):
        return all(_constant(e) or isinstance(e, ast.Name) for e in node.elts)
    return False


def _plain_argument(node: ast.AST) -> bool:
    """A name, a constant, an attribute of a name, or a subscript of a name by constants."""
    if isinstance(node, ast.Name) or _constant(node):
        return True
    if isinstance(node, ast.Attribute):
        return _dotted(node) is not None
    if isinstance(node, ast.Subscript):
        index = node.slice
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        for part in parts:
            if isinstance(part, ast.Slice):
                bounds = [b for b in (part.lower, part.upper, part.step) if b is not None]
                if not all(_constant(b) for b in bounds):
                    return False
            elif not _constant(part):
                return False
        return isinstance(node.value, ast.Name)
    return False


def _plain_text(node: ast.AST) -> bool:
    """A string, or an f-string whose fields are plain names (for print)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) or
                   (isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name))
                   for v in node.values)
    return False


def violations(source: str) -> list[str]:
    """Why ``source`` (the code of a check cell) is not a pure list of check calls; [] if it is."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return [f"does not parse: {err}"]
    found = []
    for statement in tree.body:
        line = f"line {statement.lineno}"
        if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
            found.append(f"{line}: a {type(statement).__name__} statement; only calls of check "
                         "functions are allowed (compute references inside tk.checks)")
            continue
        call = statement.value
        name = _dotted(call.func)
        if name == "print":
            if call.keywords or not all(_plain_text(a) for a in call.args):
                found.append(f"{line}: print may only show text and plain names")
            continue
        if not _is_check_function(name):
            found.append(f"{line}: calls {name or ast.unparse(call.func)}, not a check function")
            continue
        if name.rsplit(".", 1)[-1] in TAKE_THE_REFERENCE:
            found.append(f"{line}: {name} takes the expected value from the cell; call a check "
                         "that computes it from the student's inputs")
            continue
        arguments = list(call.args) + [k.value for k in call.keywords]
        for argument in arguments:
            if isinstance(argument, ast.Starred) or not _plain_argument(argument):
                found.append(f"{line}: argument {ast.unparse(argument)!r} of {name} is computed in "
                             "the open; pass names and constants only")
    return found


def _check_cells():
    for src in SOURCES:
        nb = read_myst(src)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and "check" in cell.metadata.get("tags", []):
                yield pytest.param(cell.source, id=f"{src.stem}-cell{i}")


@pytest.mark.parametrize("source", list(_check_cells()))
def test_check_cell_computes_nothing_in_the_open(source):
    problems = violations(source)
    assert not problems, "check cell reveals a reference:\n" + "\n".join(problems)


def test_every_exercise_has_check_cells():
    for src in SOURCES:
        nb = read_myst(src)
        assert any("check" in c.metadata.get("tags", []) for c in nb.cells), src.name


ALLOWED = [
    "tk.checks.adjoint(A, A_adj, (N,))",
    "tk.checks.kernel_dimension(A, (1, 1, 16, 16), kernel_dimension)",
    'tk.checks.relu_lipschitz("L^2", L_two, 2.0)',
    "tk.checks.approximate_kernel(B, z_blur, tau, unit_norm=True)",
    "tk.checks.data_step(data_step, itnet, X[:2])",
    "checks.mean_noise_ratio(mean_ratio, A.m)",
    "tk.checks.lam_for_bound(lam_for_10, -10.0)",
    'print(f"psi errs by {error_on_x:.3f} on x")',
    "checks.soft_threshold_rule(soft)",
]

REJECTED = [
    # the old visible references of the course's own check cells
    'tk.checks.close("t_best", t_best, fraction_with_detail, atol=0.006)\n'
    "fraction_with_detail = float(with_detail.double().mean())",
    'tk.checks.close("psnr_unet", psnr_unet, tk.metrics.psnr(unet(A(X)), X, 1.0))',
    "exact = torch.linalg.matrix_norm(torch.linalg.pinv(M), 2)",
    'tk.checks.close("L", L_half, brute_force(0.5))',
    "tk.checks.in_kernel(A, x2 - x)",
    'tk.checks.close("gain", gain, psnr_unet.mean() - psnr_tv.mean())',
    "for s in (0.5, 1.0):\n    tk.checks.close('L', f(s), g(s))",
    "with torch.no_grad():\n    tk.checks.close('out', my(y), net(y))",
    'assert (x2 - x).norm() >= 0.5, "too close"',
    "answer = 0.3",
    'tk.checks.close("mean of ||noise|| / eta", mean_ratio, 0.5, rtol=0.03)',
    'checks.close("kernel share", kernel_share, 0.0, atol=1e-10)',
    'tk.checks.at_least("growth", growth_unet, 3.0)',
    'tk.checks.lipschitz_estimate("L", estimate, exact, within=0.01)',
    "tk.checks.close('t', t_best, 0.3 * 1)",
    "tk.checks.close('x', x_hat, [0.1, 0.2])",
    "tk.checks.close('x', x_hat, {'a': 1}['a'])",
    "tk.checks.close('x', x_hat, X[k + 1])",
    "tk.checks.close('x', x_hat, X[:n // 2])",
    "tk.checks.close('x', *answers)",
    "tk.checks._agree('x', x_hat, reference, rtol=0)",
    "torch.linalg.pinv(M)",
    "print(f'{(x2 - x).norm():.3f}')",
    "numpy.checks.close('x', a, b)",
    "tk.checks.close('x', x_hat, lambda v: v)",
    # only the package's own path: a topic module, a private helper or another package is not it
    "tk.checks.stability.lam_for_bound(lam_for_10, 10.0)",
    "tk.checks._core.agree('x', x_hat, reference, rtol=0)",
    "my.checks.lam_for_bound(lam_for_10, 10.0)",
]


@pytest.mark.parametrize("source", ALLOWED)
def test_rule_accepts_pure_check_calls(source):
    assert violations(source) == []


@pytest.mark.parametrize("source", REJECTED)
def test_rule_rejects_references_in_the_open(source):
    assert violations(source), f"the rule let through: {source!r}"
