"""Shipped files (weights, attack records) read only after their sha256 is checked."""

from __future__ import annotations

import hashlib
from pathlib import Path


class ChecksumError(RuntimeError):
    """A shipped file's sha256 differs from the one its manifest or card records."""


def sha256(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def verified_bytes(path: Path, expected: str, *, remedy: str) -> bytes:
    """The bytes of ``path``, after checking them against the recorded sha256 ``expected``.

    Callers deserialise these bytes, not the file again, so what is read is what was checked.
    ``remedy`` ends the error message (what the reader should do).
    """
    data = Path(path).read_bytes()
    digest = sha256(data)
    if digest != expected:
        raise ChecksumError(f"sha256 mismatch for {path}: recorded {expected}, the file has "
                            f"{digest}; the file is damaged or was changed. {remedy}")
    return data
