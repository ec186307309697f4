"""Every public signature follows the vocabulary of ``tk_lessons._vocabulary`` (issue 12 §1).

The walk covers every public module of the package, the functions and classes in its
``__all__``, class constructors (dataclass fields included) and public methods. A parameter
must be a CORE name or a SPECIFIC one, never a BANNED one; and every CORE and SPECIFIC entry
must still be used somewhere, so the table cannot rot.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

import api_reference  # tools/api_reference.py (tools/ is on sys.path: tests/conftest.py)
from tk_lessons import _vocabulary
from tk_lessons._vocabulary import BANNED, CORE, SPECIFIC

import tk_lessons as tk


@pytest.fixture(scope="module")
def uses() -> dict[str, list[str]]:
    """Parameter name -> where it occurs (``tk_lessons.solvers.fista`` ...)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path, obj in api_reference.public_objects().items():
        for name, where in api_reference.parameters(path, obj):
            found[name].append(where)
    return dict(found)


def _listing(names: dict[str, list[str]], note) -> str:
    return "\n".join(f"  {name}{note(name)}: {', '.join(sorted(set(where)))}" for name, where in sorted(names.items()))


def test_the_tables_do_not_overlap():
    assert not set(CORE) & set(SPECIFIC), set(CORE) & set(SPECIFIC)
    assert not set(BANNED) & (set(CORE) | set(SPECIFIC)), set(BANNED) & (set(CORE) | set(SPECIFIC))
    assert all(new in CORE or new in SPECIFIC for new in BANNED.values()), \
        {old: new for old, new in BANNED.items() if new not in CORE and new not in SPECIFIC}
    assert all(meaning.strip() and "\n" not in meaning for meaning in {**CORE, **SPECIFIC}.values())


def test_no_banned_parameter_names(uses):
    banned = {name: where for name, where in uses.items() if name in BANNED}
    assert not banned, "old names in public signatures (old -> new: where):\n" + \
        _listing(banned, lambda name: f" -> {BANNED[name]}")


def test_every_parameter_is_in_the_vocabulary(uses):
    unknown = {name: where for name, where in uses.items()
               if name not in CORE and name not in SPECIFIC and name not in BANNED}
    assert not unknown, ("parameters in neither CORE nor SPECIFIC of tk_lessons/_vocabulary.py "
                         "(use a CORE name, or add the name to SPECIFIC with its meaning):\n"
                         + _listing(unknown, lambda name: ""))


def test_every_vocabulary_entry_is_used(uses):
    unused = sorted(name for name in {**CORE, **SPECIFIC} if name not in uses)
    assert not unused, f"entries of tk_lessons/_vocabulary.py no public signature uses any more: {unused}"


def _markdown_table(text: str) -> dict[str, str]:
    """``| `name` | meaning |`` rows -> {name: meaning}; a row may name several names."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\|\s*(`[^|]+`)\s*\|\s*(.+?)\s*\|\s*$", line)
        if match:
            for name in re.findall(r"`([^`]+)`", match.group(1)):
                rows[name] = match.group(2).replace("``", "").replace("`", "")
    return rows


def _rst_table(text: str) -> dict[str, str]:
    """A simple reST table (``=====  =====``) of ``name`` / meaning rows -> {name: meaning}."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\s*``([^`]+)``\s{2,}(.+?)\s*$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_the_package_docstring_shows_the_core_table():
    assert _rst_table(tk.__doc__) == CORE


def test_contributing_shows_the_core_table(root):
    assert _markdown_table((root / "CONTRIBUTING.md").read_text()) == CORE


def test_the_vocabulary_module_documents_itself():
    assert "CORE" in _vocabulary.__doc__ and _vocabulary.__all__ == ["BANNED", "CORE", "SPECIFIC"]
