"""tk_lessons.records: shipped attack records are read only after their sha256 is checked."""

from __future__ import annotations

import shutil

import pytest
import torch

from tk_lessons import records


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A records folder of our own, holding a copy of one shipped record."""
    for suffix in (".json", ".pt"):
        shutil.copy(records.RECORDS_DIR / f"ch04_equal_budget{suffix}", tmp_path)
    monkeypatch.setattr(records, "RECORDS_DIR", tmp_path)
    return tmp_path


def test_every_shipped_record_loads_and_matches_its_card():
    assert records.available() == ["ch02_equal_effort", "ch04_equal_budget", "ch08_tv_family", "ch13_equal_budget",
                                   "lab_worst_case"]
    for name in records.available():
        tensors, card = records.load(name)
        assert card["file"] == f"{name}.pt" and card["command"].endswith(name)
        assert tensors and all(isinstance(t, torch.Tensor) for t in tensors.values())


def test_a_changed_file_is_refused_before_it_is_read(scratch):
    path = scratch / "ch04_equal_budget.pt"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(records.ChecksumError, match="sha256 mismatch.*python -m tk_lessons"):
        records.load("ch04_equal_budget")


def test_save_then_load_round_trips_and_records_the_digest(scratch):
    x = torch.arange(6.0).reshape(2, 3)
    records.save("toy", {"x": x}, {"command": "python -m toy"})
    tensors, card = records.load("toy")
    assert torch.equal(tensors["x"], x) and card["bytes"] == (scratch / "toy.pt").stat().st_size
    assert "toy" in records.available()


@pytest.mark.parametrize("name", ["../weights/manifest", "Ch04", "", 4])
def test_bad_names_are_rejected(name, scratch):
    with pytest.raises(ValueError, match="name must be a record name"):
        records.info(name)
    with pytest.raises(ValueError, match="name must be a record name"):
        records.save(name, {}, {"command": "-"})
    assert sorted(p.name for p in scratch.iterdir()) == ["ch04_equal_budget.json",
                                                          "ch04_equal_budget.pt"]


def test_an_unknown_record_lists_the_shipped_ones():
    with pytest.raises(FileNotFoundError, match="ch04_equal_budget"):
        records.info("no_such_record")
