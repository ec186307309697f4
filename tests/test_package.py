"""The package itself: lazy imports, setup, devices and seeded draws, input validation."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import tk_lessons as tk
from tk_lessons import _validate


def test_import_is_lazy():
    # matplotlib and ipywidgets cost seconds; a plain import must not pull them in.
    code = ("import sys, tk_lessons as tk; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'scipy', 'IPython') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_submodules_resolve_and_unknown_attribute_fails():
    assert tk.device.auto("cpu") == torch.device("cpu")
    assert "operators" in dir(tk)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        tk.nonexistent


def test_setup_seeds_everything(capsys):
    import numpy as np

    dev = tk.setup(seed=3, device="cpu")
    a = (torch.rand(3), np.random.rand(3))
    tk.setup(seed=3, device="cpu", quiet=True)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and (a[1] == b[1]).all()
    assert dev == torch.device("cpu")
    assert "tk_lessons" in capsys.readouterr().out
    import matplotlib as mpl

    assert mpl.rcParams["figure.facecolor"] == "white" and mpl.rcParams["image.cmap"] == "gray"


def test_setup_sets_threads_and_rejects_bad_counts():
    before = torch.get_num_threads()
    try:
        tk.setup(seed=0, device="cpu", threads=1, quiet=True)
        assert torch.get_num_threads() == 1
        for bad in (0, -2, 1.5, True, "2"):
            with pytest.raises(ValueError, match="threads must be a positive integer"):
                tk.setup(device="cpu", threads=bad, quiet=True)
    finally:
        torch.set_num_threads(before)


def test_setup_rejects_bad_device():
    with pytest.raises(ValueError, match="device"):
        tk.setup(device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            tk.setup(device="cuda")


def test_generator_draws_are_reproducible_and_on_cpu():
    a = tk.device.randn(4, 5, seed=7)
    b = tk.device.randn(4, 5, seed=7)
    c = tk.device.randn(4, 5, seed=8)
    assert torch.equal(a, b) and not torch.equal(a, c)
    g = tk.device.generator(5)
    assert tk.device.generator(g) is g and g.device.type == "cpu"
    u = tk.device.rand(1000, seed=1, dtype=torch.float64)
    assert 0 <= float(u.min()) and float(u.max()) < 1


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("0", TypeError)])
def test_generator_rejects_bad_seed(seed, error):
    with pytest.raises(error, match="seed"):
        tk.device.generator(seed)


@pytest.mark.cuda
def test_cuda_draws_match_cpu():
    a = tk.device.randn(8, seed=0)
    b = tk.device.randn(8, seed=0, device="cuda")
    assert torch.equal(a, b.cpu())


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: _validate.positive("lam", -1.0), ValueError, "lam must be a finite number > 0, got -1.0"),
        (lambda: _validate.positive("lam", float("nan")), ValueError, "lam"),
        (lambda: _validate.positive("eta", "a"), TypeError, "eta must be a real number"),
        (lambda: _validate.positive_int("steps", 0), ValueError, "steps must be an integer >= 1, got 0"),
        (lambda: _validate.positive_int("steps", 2.0), TypeError, "steps must be an integer"),
        (lambda: _validate.fraction("rate", 1.5), ValueError, r"rate must lie in \(0, 1\], got 1.5"),
        (lambda: _validate.bool_mask("mask", torch.ones(4)), TypeError, "mask must be a boolean tensor"),
        (lambda: _validate.bool_mask("mask", torch.ones(2, 2, 2, dtype=torch.bool)), ValueError, "mask must be"),
        (lambda: _validate.bool_mask("mask", torch.zeros(4, dtype=torch.bool)), ValueError, "all-False"),
    ],
)
def test_validation_messages_name_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_validation_accepts_good_values():
    assert _validate.positive("lam", 0, allow_zero=True) == 0.0
    assert _validate.positive_int("steps", 3) == 3
    assert _validate.fraction("rate", 1) == 1.0


def test_every_public_submodule_resolves_lazily():
    # ``__all__`` in every public module is checked in tests/test_conventions.py
    import types

    for name in tk.__all__:
        assert getattr(tk, name) is not None, name
    modules = [name for name in tk.__all__ if isinstance(getattr(tk, name), types.ModuleType)]
    assert {"operators", "solvers", "kernel", "attacks", "networks", "zoo", "checks"} <= set(modules)


def test_docstrings_cite_the_book_or_the_papers_not_private_notes():
    # THEORY.md is a digest outside the repository, and commit hashes do not survive a
    # history rewrite: a reader of the package can follow neither
    import pathlib
    import re

    root = pathlib.Path(tk.__file__).parent
    offending = [f"{p.relative_to(root)}:{i}" for p in sorted(root.rglob("*.py"))
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if "THEORY" in line
                 # a section sign cites a section: of a published work (an *italic title* or a
                 # year on the line), not of private notes
                 or ("§" in line and not re.search(r"\*[^*]+\*|\b(19|20)\d\d\b", line))
                 or re.search(r"\bcommit\b.*\b[0-9a-f]{7,40}\b|``[0-9a-f]{7,40}``", line)]
    assert not offending, offending
