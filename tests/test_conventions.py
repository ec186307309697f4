"""The package's conventions (CONTRIBUTING.md, issue 12 §4-§5), checked on the source.

* private stays private: no module imports a ``_name`` of another module, tests import no
  private name of ``tk_lessons``;
* the layout: no function hides its module, no two modules share a name, ``__all__`` in every
  public module;
* operators own their fast paths: no ``isinstance`` on a concrete operator class outside
  ``tk_lessons/operators/``;
* docstrings write maths as ``:math:``, never ``$...$``.
"""

from __future__ import annotations

import ast
import inspect
import pkgutil
import re
from collections import defaultdict
from pathlib import Path

import pytest

import api_reference  # tools/api_reference.py (tools/ is on sys.path: tests/conftest.py)
import tk_lessons as tk

PACKAGE_DIR = Path(tk.__file__).resolve().parent
TESTS_DIR = Path(__file__).resolve().parent

#: Private modules that exist to be imported: their names are public.
SHARED_PRIVATE_MODULES = {"_batch", "_validate", "_setup", "_checksum", "_vocabulary"}

#: Module basenames that may occur more than once in the package, with the reason.
SHARED_BASENAMES: dict[str, str] = {
    "__init__": "every package has one",
    "__main__": "the command of a package",
    "_common": "private helpers shared by the modules of one subpackage (attacks, kernel, solvers), "
               "used only inside it (test_no_module_imports_a_private_name_of_another)",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_files() -> list[Path]:
    return sorted(p for p in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str | None:
    """The absolute name of the module a ``from ... import`` statement imports from."""
    if node.level == 0:
        return node.module
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else []))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_use_allowed(importer: str, source: str, name: str) -> bool:
    """May module ``importer`` use ``name`` of module ``source`` (``from source import name``)?

    Every private component of ``source.name`` must belong to the importer's own scope: a
    package's private submodule (``checks/_core.py``) and its names are for that package; at the
    top, only the shared private modules (``tk_lessons._validate`` ...) themselves are open.
    """
    parts = f"{source}.{name}".split(".")
    for i, part in enumerate(parts):
        if i == 0 or not _is_private(part):
            continue
        scope = parts[:i]
        while len(scope) > 1 and _is_private(scope[-1]):
            scope = scope[:-1]
        scope_name = ".".join(scope)
        if scope_name == "tk_lessons":
            if i == 1 and part in SHARED_PRIVATE_MODULES:
                continue
            return False
        if importer == scope_name or importer.startswith(scope_name + "."):
            continue
        return False
    return True


def _private_imports(path: Path) -> list[str]:
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text())
    found = []
    aliases: dict[str, str] = {}  # local name -> package module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve_from(module, is_package, node)
            if not source or source.split(".")[0] != "tk_lessons":
                continue
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if _is_module(target):
                    aliases[alias.asname or alias.name] = target
                if not _private_use_allowed(module, source, alias.name):
                    found.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno}: "
                                 f"from {source} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tk_lessons" and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in aliases and not _private_use_allowed(module, aliases[node.value.id], node.attr):
            found.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno}: "
                         f"{node.value.id}.{node.attr} ({aliases[node.value.id]})")
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE_DIR.parent / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_no_module_imports_a_private_name_of_another():
    found = [hit for path in _package_files() for hit in _private_imports(path)]
    assert not found, ("private names used across modules (make them public where others need "
                       "them):\n  " + "\n  ".join(found))


def _private_names_in_test(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    aliases: set[str] = set()

    def private_path(dotted: str) -> str | None:
        parts = dotted.split(".")
        bad = [p for p in parts[1:] if _is_private(p) and p not in SHARED_PRIVATE_MODULES]
        return bad[0] if bad else None

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tk_lessons":
            for alias in node.names:
                bad = private_path(f"{node.module}.{alias.name}")
                if bad:
                    found.append(f"{path.name}:{node.lineno}: from {node.module} import {alias.name}")
                elif _is_module(f"{node.module}.{alias.name}"):
                    aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tk_lessons":
                    if private_path(alias.name):
                        found.append(f"{path.name}:{node.lineno}: import {alias.name}")
                    aliases.add(alias.asname or "tk_lessons")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = api_reference._dotted(node)
            if chain and chain[0] in aliases and _is_private(chain[-1]) \
                    and chain[-1] not in SHARED_PRIVATE_MODULES:
                found.append(f"{path.name}:{node.lineno}: {'.'.join(chain)}")
    return found


def test_tests_use_only_the_public_api():
    found = [hit for path in sorted(TESTS_DIR.rglob("*.py")) for hit in _private_names_in_test(path)]
    assert not found, "tests reach private names of tk_lessons (test through the public API):\n  " + \
        "\n  ".join(found)


def _packages() -> list:
    return [m for m in api_reference.public_modules() if hasattr(m, "__path__")]


def test_no_function_hides_its_module():
    hidden = []
    for package in _packages():
        for info in pkgutil.iter_modules(package.__path__):
            obj = getattr(package, info.name, None)
            if obj is not None and not inspect.ismodule(obj):
                hidden.append(f"{package.__name__}.{info.name} is a {type(obj).__name__} "
                              f"and a module ({info.name}.py)")
    assert not hidden, "rename the module after its job:\n  " + "\n  ".join(hidden)


def test_no_two_modules_share_a_name():
    names: dict[str, list[str]] = defaultdict(list)
    for path in _package_files():
        names[path.stem].append(str(path.relative_to(PACKAGE_DIR.parent)))
    for path in PACKAGE_DIR.rglob("__init__.py"):
        if path.parent != PACKAGE_DIR:
            names[path.parent.name].append(str(path.parent.relative_to(PACKAGE_DIR.parent)) + "/")
    shared = {name: paths for name, paths in names.items() if len(paths) > 1 and name not in SHARED_BASENAMES}
    assert not shared, ("modules sharing a name (rename one, or list the name in SHARED_BASENAMES "
                        f"with the reason): {shared}")


def test_every_public_module_declares_what_it_exports():
    problems = []
    for module in api_reference.public_modules():
        if not hasattr(module, "__all__"):
            problems.append(f"{module.__name__} has no __all__")
            continue
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        if missing:
            problems.append(f"{module.__name__}.__all__ lists names it lacks: {missing}")
    assert not problems, "\n".join(problems)


def _concrete_operator_names() -> set[str]:
    from tk_lessons import operators

    return {name for name in operators.__all__
            if inspect.isclass(getattr(operators, name))
            and issubclass(getattr(operators, name), operators.LinearOperator)
            and getattr(operators, name) is not operators.LinearOperator}


def _names_in(node: ast.AST, constants: dict[str, ast.AST]) -> set[str]:
    if isinstance(node, ast.Name):
        return _names_in(constants[node.id], constants) | {node.id} if node.id in constants else {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, (ast.Tuple, ast.List)):
        return set().union(*(_names_in(e, constants) for e in node.elts)) if node.elts else set()
    return set()


def test_no_isinstance_on_concrete_operators_outside_operators():
    concrete = _concrete_operator_names()
    found = []
    for path in _package_files():
        if (PACKAGE_DIR / "operators") in path.parents:
            continue
        tree = ast.parse(path.read_text())
        constants = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                     for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("isinstance", "issubclass") and len(node.args) == 2:
                names = _names_in(node.args[1], constants) & concrete
                if names:
                    found.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno}: "
                                 f"{node.func.id}(..., {sorted(names)})")
    assert not found, ("ask the operator (orthonormal_rows, isometry, gram_symbol(), device) "
                       "instead:\n  " + "\n  ".join(found))


def _operator_private_attributes() -> set[str]:
    """``_name`` attributes the operator classes set on ``self`` (``_dims``, ``_mask``, ...)."""
    names = set()
    for path in (PACKAGE_DIR / "operators").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "self" and isinstance(node.ctx, ast.Store) and _is_private(node.attr):
                names.add(node.attr)
    return names


def test_no_private_operator_attribute_is_read_outside_operators():
    private = _operator_private_attributes()
    assert private   # the scan found the operators' internals
    found = []
    for path in _package_files():
        if (PACKAGE_DIR / "operators") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in private \
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno}: .{node.attr}")
    assert not found, "ask the operator through its public interface instead:\n  " + "\n  ".join(found)


_DOLLAR_MATHS = re.compile(r"(?<![\w$`])\$[^$\s][^$\n]*?\$(?![\w$])")
_LITERAL = re.compile(r"``.*?``")


def _dollar_maths(doc: str) -> list[str]:
    """``$...$`` spans of a docstring, outside inline literals and doctest lines."""
    found = []
    for line in doc.splitlines():
        if line.lstrip().startswith((">>>", "...")):
            continue
        found += [m for m in _DOLLAR_MATHS.findall(_LITERAL.sub("", line)) if m != "$...$"]
    return found


def test_docstrings_write_maths_as_math_roles():
    found = []
    for path in _package_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=False) or ""
                for maths in _dollar_maths(doc):
                    where = getattr(node, "name", "module docstring")
                    found.append(f"{path.relative_to(PACKAGE_DIR.parent)} ({where}): {maths}")
    assert not found, "write maths in docstrings as :math:`...`:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("private, allowed", [
    (("tk_lessons.checks.stability", "tk_lessons.checks._core", "_ok"), True),
    (("tk_lessons.checks", "tk_lessons.checks", "_core"), True),
    (("tk_lessons.solvers.krylov", "tk_lessons.solvers._common", "SolverInfo"), True),
    (("tk_lessons.kernel.projection", "tk_lessons.solvers._common", "SolverInfo"), False),
    (("tk_lessons.solvers.tv", "tk_lessons.solvers.fista", "_helper"), False),
    (("tk_lessons.solvers.tv", "tk_lessons._batch", "norm"), True),
    (("tk_lessons.solvers.tv", "tk_lessons._batch", "_helper"), False),
    (("tk_lessons.zoo.recipes", "tk_lessons.metrics", "_fmt"), False),
    (("tk_lessons.solvers.bpdn", "tk_lessons", "_validate"), True),
    (("tk_lessons.solvers.bpdn", "tk_lessons", "_secret"), False),
])
def test_the_private_name_rule_itself(private, allowed):
    assert _private_use_allowed(*private) is allowed


def test_the_dollar_rule_itself():
    assert _dollar_maths("the norm $\\|x\\|$ of x") == ["$\\|x\\|$"]
    assert _dollar_maths("costs $5 and $6") == []
    assert _dollar_maths("a title ``$x + z$`` stays whole; $...$ too\n>>> f('$x$')") == []
