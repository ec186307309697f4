"""Generate the book's API reference appendix (``book/api/*.md``) from the package itself.

    python tools/api_reference.py            # (re)write book/api/
    python tools/api_reference.py --check    # exit 1 if a committed page is stale

One page per public entry of ``tk_lessons`` (``tk.operators``, ``tk.solvers``, ...), built by
Sphinx autodoc from the docstrings, plus an index page that shows the package docstring (the
vocabulary). Below every public function and class, a generated **Used in** line lists the
chapters (``book/0*.md``) and exercises (``exercises/source/*.md``) whose code cells call it, so
a reader goes from the code to the lesson and back.

The walk of the public API (:func:`public_modules`, :func:`public_objects`,
:func:`parameters`) is shared with the tests (``tests/test_vocabulary.py``,
``tests/test_api_reference.py``).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "tk_lessons"
API_DIR = ROOT / "book" / "api"
CHAPTERS = "book/0*.md"
EXERCISES = "exercises/source/*.md"
COMMAND = "python tools/api_reference.py"


# --------------------------------------------------------------------------- the public API

def _import_package():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(PACKAGE)


def is_public(module_name: str) -> bool:
    """A module is public when no component of its dotted name starts with ``_``."""
    return not any(part.startswith("_") for part in module_name.split("."))


def module_names() -> list[str]:
    """Every module of the package, public or private (``__main__`` excluded: it runs a command)."""
    package = _import_package()
    names = [PACKAGE]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{PACKAGE}."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return sorted(names)


def public_modules() -> list[ModuleType]:
    """Every public module of the package, imported, in dotted-name order."""
    return [importlib.import_module(name) for name in module_names() if is_public(name)]


def _defined_in_package(obj: Any) -> bool:
    return (inspect.isfunction(obj) or inspect.isclass(obj)) and \
        getattr(obj, "__module__", "").split(".")[0] == PACKAGE


def public_objects() -> dict[str, Any]:
    """The public functions and classes, each under its canonical dotted name.

    The canonical name is the shortest public path that lists the object in an ``__all__``:
    ``tk_lessons.solvers.fista`` rather than the module that defines it. Constants and modules
    listed in ``__all__`` are not functions or classes and are left out.
    """
    found: dict[int, tuple[str, Any]] = {}
    for module in public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if not _defined_in_package(obj):
                continue
            path = f"{module.__name__}.{name}"
            best = found.get(id(obj))
            if best is None or (path.count("."), path) < (best[0].count("."), best[0]):
                found[id(obj)] = (path, obj)
    return dict(sorted(found.values(), key=lambda item: item[0]))


def _methods(cls: type) -> Iterator[tuple[str, Any]]:
    """Public methods a class of the package defines itself or inherits from the package."""
    seen = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith(PACKAGE):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            if inspect.isfunction(attr):
                yield name, attr


def parameters(path: str, obj: Any) -> Iterator[tuple[str, str]]:
    """``(parameter, where)`` for every parameter of a public function or class.

    For a class: its constructor (dataclass fields included) and its public methods.
    ``self`` and ``cls`` are not parameters.
    """
    def of(func: Any, where: str) -> Iterator[tuple[str, str]]:
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):  # a builtin without a signature
            return
        for name in signature.parameters:
            if name not in ("self", "cls"):
                yield name, where

    if inspect.isclass(obj):
        yield from of(obj, path)
        for name, method in _methods(obj):
            yield from of(method, f"{path}.{name}")
    else:
        yield from of(obj, path)


# --------------------------------------------------------------------------- docstrings as reST

_SPHINX_ROLES = ("math", "func", "class", "mod", "meth", "attr", "data", "exc", "obj", "ref", "doc",
                 "cite", "cite:p", "cite:t", "numref", "term", "eq", "prf:ref")
_SPHINX_DIRECTIVES = ("math", "attribute", "method", "function", "seealso", "versionadded",
                      "versionchanged", "deprecated", "autolink-skip", "index", "data")


def _register_sphinx_markup() -> None:
    """Let plain docutils accept the Sphinx roles and directives napoleon and the docstrings use."""
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives, roles

    def role(name, rawtext, text, lineno, inliner, options=None, content=None):
        return [nodes.literal(rawtext, text)], []

    class AnyOptions(dict):
        def __missing__(self, key):
            return directives.unchanged

    class Stub(Directive):
        has_content = True
        optional_arguments = 10
        final_argument_whitespace = True
        option_spec = AnyOptions()

        def run(self):
            node = nodes.container()
            if self.content:
                self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    class Math(Stub):
        """``.. math::``: its content is LaTeX, which Sphinx does not parse as reST."""

        def run(self):
            text = "\n".join(self.content)
            return [nodes.literal_block(text, text)]

    for name in _SPHINX_ROLES:
        roles.register_local_role(name, role)
    for name in _SPHINX_DIRECTIVES:
        directives.register_directive(name, Math if name == "math" else Stub)


def documented_docstrings() -> Iterator[tuple[str, str, str]]:
    """``(name, kind, docstring)`` of everything the appendix renders.

    Module docstrings of the pages and their sections, the public functions and classes, the
    public methods and properties a class defines, and its ``#:`` attribute comments.
    """
    from sphinx.pycode import ModuleAnalyzer

    objects = public_objects()
    homes = {PACKAGE} | {f"{PACKAGE}.{s}" for s in _sections()} | {n.rsplit(".", 1)[0] for n in objects}
    for home in sorted(homes):
        yield home, "module", importlib.import_module(home).__doc__ or ""
    for name, obj in objects.items():
        if inspect.isfunction(obj):
            yield name, "function", obj.__doc__ or ""
            continue
        yield name, "class", obj.__doc__ or ""
        for member, attr in vars(obj).items():
            if member.startswith("_"):
                continue
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            if inspect.isfunction(attr) or isinstance(attr, property):
                kind = "property" if isinstance(attr, property) else "method"
                yield f"{name}.{member}", kind, attr.__doc__ or ""
        try:
            comments = ModuleAnalyzer.for_module(obj.__module__).find_attr_docs()
        except Exception:  # pragma: no cover - a module without source
            comments = {}
        for (owner, member), lines in comments.items():
            if owner == obj.__qualname__ and not member.startswith("_"):
                yield f"{name}.{member}", "attribute", "\n".join(lines)


def docstring_problems() -> list[str]:
    """The reST warnings and errors Sphinx would report on the appendix (``-W`` fails on each)."""
    import io

    from docutils.core import publish_doctree
    from sphinx.ext.napoleon import Config
    from sphinx.ext.napoleon.docstring import NumpyDocstring

    _register_sphinx_markup()
    config = Config(napoleon_google_docstring=False, napoleon_numpy_docstring=True)
    problems = []
    for name, kind, doc in documented_docstrings():
        if not doc.strip():
            continue
        text = str(NumpyDocstring(inspect.cleandoc(doc), config, what=kind))
        stream = io.StringIO()
        publish_doctree(text, settings_overrides={"warning_stream": stream, "report_level": 2,
                                                  "halt_level": 5, "input_encoding": "unicode"})
        lines = text.splitlines()
        for report in stream.getvalue().splitlines():
            match = re.match(r"^<string>:(\d+): \((?:WARNING/2|ERROR/3|SEVERE/4)\) (.*)$", report)
            if match:
                number = int(match.group(1))
                source = lines[number - 1].strip() if 0 < number <= len(lines) else ""
                problems.append(f"{name}: {match.group(2)} in: {source[:100]}")
    return problems


# --------------------------------------------------------------------------- where it is used

def _sources() -> list[tuple[str, Path]]:
    """``(label, path)`` of every chapter and exercise source, chapters first."""
    chapters = [(f"chapter:{p.stem}", p) for p in sorted(ROOT.glob(CHAPTERS))]
    exercises = [(f"exercise:{p.stem}", p) for p in sorted(ROOT.glob(EXERCISES))]
    return chapters + exercises


_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def code_cells(path: Path) -> list[str]:
    """The code cells of a MyST notebook, magics (``%``, ``!``) and cell options removed."""
    cells = []
    for match in _CELL.finditer(path.read_text()):
        lines = [line for line in match.group(1).splitlines()
                 if not line.lstrip().startswith(("%", "!", ":"))]
        cells.append("\n".join(lines))
    return cells


def _dotted(node: ast.AST) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _resolve(path: str, objects: dict[int, str]) -> str | None:
    """The canonical name of the public function or class a dotted path reaches, if any."""
    parts = path.split(".")
    obj: Any = _import_package()
    for i, part in enumerate(parts[1:], 1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(".".join(parts[: i + 1]))
            except ImportError:
                return None
        if id(obj) in objects:
            return objects[id(obj)]
        if not isinstance(obj, ModuleType):
            return None
    return None


def uses_in(cells: list[str], objects: dict[int, str]) -> set[str]:
    """Canonical names of the public functions and classes that code cells use.

    Follows ``import tk_lessons as tk``, ``from tk_lessons import solvers`` and
    ``from tk_lessons.solvers import fista``, then every name or attribute chain rooted at
    such an alias (``tk.solvers.fista``, ``solvers.fista``, ``fista``).
    """
    trees = []
    for cell in cells:
        try:
            trees.append(ast.parse(cell))
        except SyntaxError:
            continue
    aliases: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        aliases[alias.asname or alias.name.split(".")[0]] = \
                            alias.name if alias.asname else PACKAGE
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] == PACKAGE:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    used = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Attribute, ast.Name)):
                continue
            chain = _dotted(node)
            if chain and chain[0] in aliases:
                name = _resolve(".".join([aliases[chain[0]], *chain[1:]]), objects)
                if name:
                    used.add(name)
    return used


def usage() -> dict[str, list[str]]:
    """Canonical name -> labels (``chapter:01_kernel``, ``exercise:02_stability``) that use it."""
    objects = {id(obj): name for name, obj in public_objects().items()}
    found: dict[str, list[str]] = {}
    for label, path in _sources():
        for name in sorted(uses_in(code_cells(path), objects)):
            found.setdefault(name, []).append(label)
    return found


# --------------------------------------------------------------------------- the pages

def _title(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def _repository() -> tuple[str, str]:
    import yaml

    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def _link(label: str) -> str:
    kind, stem = label.split(":", 1)
    if kind == "chapter":
        return f"[{_title(ROOT / 'book' / f'{stem}.md')}](../{stem}.md)"
    # the exercises are not pages of the book: link to their source in the repository
    url, branch = _repository()
    title = _title(ROOT / "exercises" / "source" / f"{stem}.md")
    return f"[{title}]({url}/blob/{branch}/exercises/source/{stem}.md)"


def _sections() -> list[str]:
    """The public entries of ``tk_lessons`` that get a page: its public submodules."""
    package = _import_package()
    return sorted(name for name in package.__all__
                  if isinstance(getattr(package, name), ModuleType))


def _page_of(name: str) -> str:
    """The page an object is documented on: its top-level submodule, or the index."""
    parts = name.split(".")
    return parts[1] if len(parts) > 2 else "index"


def _directive(name: str, obj: Any) -> str:
    if inspect.isclass(obj):
        return f"```{{eval-rst}}\n.. autoclass:: {name}\n   :members:\n```"
    return f"```{{eval-rst}}\n.. autofunction:: {name}\n```"


def _entries(page: str, objects: dict[str, Any], used: dict[str, list[str]], top: str) -> list[str]:
    """The directives and *Used in* lines of one page, with a heading per defining submodule."""
    lines: list[str] = []
    current = top
    # the page's own names first, then one section per submodule that is not re-exported
    mine = sorted((name for name in objects if _page_of(name) == page),
                  key=lambda name: (name.rsplit(".", 1)[0] != top, name.rsplit(".", 1)[0], name))
    for name in mine:
        obj = objects[name]
        home = name.rsplit(".", 1)[0]
        if home != current:
            current = home
            lines += [f"## `{home.replace(PACKAGE, 'tk', 1)}`", "",
                      f"```{{eval-rst}}\n.. automodule:: {home}\n   :no-members:\n```", ""]
        labels = used.get(name, [])
        where = ", ".join(_link(label) for label in labels) if labels else "no chapter or exercise yet"
        lines += [_directive(name, obj), "", f"*Used in:* {where}", ""]
    return lines


_HEADER = "<!-- Generated by {command}; do not edit (tests/test_api_reference.py checks it). -->\n"


def pages() -> dict[str, str]:
    """``relative path -> text`` of every page of the appendix (the index first)."""
    objects = public_objects()
    used = usage()
    header = _HEADER.format(command=COMMAND)
    index = [header, "# API reference: `tk_lessons`", "",
             "Every chapter starts with `import tk_lessons as tk`. This appendix is generated from the",
             "package's docstrings, one page per part of the package; below each function and class,",
             "*Used in* lists the chapters and exercises whose code calls it.", "",
             f"```{{eval-rst}}\n.. automodule:: {PACKAGE}\n   :no-members:\n```", "",
             *_entries("index", objects, used, PACKAGE)]
    out = {"book/api/index.md": "\n".join(index).rstrip("\n") + "\n"}
    for section in _sections():
        module = f"{PACKAGE}.{section}"
        lines = [header, f"# `tk.{section}`", "",
                 f"```{{eval-rst}}\n.. automodule:: {module}\n   :no-members:\n```", "",
                 *_entries(section, objects, used, module)]
        out[f"book/api/{section}.md"] = "\n".join(lines).rstrip("\n") + "\n"
    return out


def write(check: bool = False) -> list[str]:
    """Write the pages (or, with ``check``, only compare); return the stale or missing paths."""
    expected = pages()
    stale = [path for path, text in expected.items()
             if not (ROOT / path).is_file() or (ROOT / path).read_text() != text]
    extra = [str(p.relative_to(ROOT)) for p in sorted(API_DIR.glob("*.md"))
             if str(p.relative_to(ROOT)) not in expected] if API_DIR.is_dir() else []
    if not check:
        API_DIR.mkdir(parents=True, exist_ok=True)
        for path in stale:
            (ROOT / path).write_text(expected[path])
        for path in extra:
            (ROOT / path).unlink()
    return stale + extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale pages (exit 1 if any)")
    args = parser.parse_args(argv)
    changed = write(check=args.check)
    for path in changed:
        print(("stale: " if args.check else "wrote: ") + path)
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
