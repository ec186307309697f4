"""Small input checks shared by the package: each raises a clear error naming the parameter."""

from __future__ import annotations

import numbers
from typing import Any

import torch


def positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float, or raise ``ValueError`` unless it is > 0 (>= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({value!r})")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not ok or value != value or value == float("inf"):
        expected = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {expected}, got {value!r}")
    return value


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as int, or raise unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def fraction(name: str, value: Any) -> float:
    """Return ``value`` as float, or raise unless 0 < value <= 1 (a sampling rate)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in (0, 1], got {type(value).__name__} ({value!r})")
    value = float(value)
    if not 0 < value <= 1:
        raise ValueError(f"{name} must lie in (0, 1], got {value!r}")
    return value


def tensor(name: str, value: Any) -> torch.Tensor:
    """Raise ``TypeError`` unless ``value`` is a ``torch.Tensor``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def bool_mask(name: str, value: Any, ndims: tuple[int, ...] = (1, 2)) -> torch.Tensor:
    """Raise unless ``value`` is a boolean tensor with one of the allowed numbers of dimensions."""
    tensor(name, value)
    if value.dtype != torch.bool:
        raise TypeError(f"{name} must be a boolean tensor (dtype torch.bool), got dtype {value.dtype}")
    if value.ndim not in ndims:
        allowed = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {allowed}, got shape {tuple(value.shape)}")
    if not bool(value.any()):
        raise ValueError(f"{name} must select at least one entry, got an all-False mask")
    return value


def grid_size(name: str, value: Any, ndims: tuple[int, ...] = (1, 2)) -> tuple[int, ...]:
    """Return a grid shape: an int ``n`` means an ``n x n`` image, a tuple gives the shape itself.

    Raises unless every entry is an integer >= 1 and the number of entries is in ``ndims``.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, (tuple, list, torch.Size)) or len(value) not in ndims:
        allowed = " or ".join(f"{d}" for d in ndims)
        raise ValueError(f"{name} must be an int or a tuple of {allowed} positive ints, got {value!r}")
    for s in value:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ValueError(f"{name} must contain positive integers, got {tuple(value)!r}")
    return tuple(int(s) for s in value)


def shape(name: str, value: Any, *, ndims: tuple[int, ...] = (1, 2), int_ndim: int = 1,
          minimum: int = 1) -> tuple[int, ...]:
    """Return ``value`` as a tuple of ints (an int ``n`` means ``(n,) * int_ndim``), or raise.

    Every entry must be an integer >= ``minimum`` and the length one of ``ndims``.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),) * int_ndim
    if isinstance(value, torch.Size):
        value = tuple(value)
    if not isinstance(value, (tuple, list)) or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{name} must be an int or a tuple of ints, got {value!r}")
    if len(value) not in ndims:
        allowed = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must describe a {allowed} grid, got {tuple(value)!r}")
    if any(v < minimum for v in value):
        raise ValueError(f"{name} entries must be integers >= {minimum}, got {tuple(value)!r}")
    return tuple(int(v) for v in value)


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    """Return ``value`` unless it is not one of ``options`` (then raise ``ValueError``)."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def function(name: str, value: Any, what: str = "a callable") -> Any:
    """Return ``value`` unless it is not callable (then raise ``TypeError``); ``what`` says what it should be."""
    if not callable(value):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} ({value!r:.60})")
    return value


def flag(name: str, value: Any) -> bool:
    """Return ``value`` unless it is not exactly True or False (then raise ``TypeError``)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def operator(name: str, value: Any) -> Any:
    """Return ``value`` unless it is not a ``tk_lessons.operators.LinearOperator``."""
    from .operators.base import LinearOperator  # late: operators import this module

    if not isinstance(value, LinearOperator):
        raise TypeError(f"{name} must be a tk_lessons.operators.LinearOperator, "
                        f"got {type(value).__name__}")
    return value


def operator_or_none(name: str, value: Any) -> Any:
    """Return ``value`` unless it is neither None nor a ``LinearOperator``."""
    return None if value is None else operator(name, value)
