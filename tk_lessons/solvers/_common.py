"""What every solver shares: checks on (A, y), the iteration loop with an optional progress
bar, and the history returned with ``return_info=True``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import torch

from ..operators.base import LinearOperator


@dataclass
class SolverInfo:
    """History of a solver run (what ``return_info=True`` returns next to ``x``).

    Attributes
    ----------
    iterations : int
        Number of iterations run.
    objective : list of float
        Objective value after each iteration (summed over the batch).
    residual : list of float
        Data residual ``||A x - y||`` after each iteration (over the batch).
    extra : dict
        Solver-specific histories (e.g. a primal-dual gap, restart errors).
    """

    iterations: int = 0
    objective: list[float] = field(default_factory=list)
    residual: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)


def check_problem(A: LinearOperator, y: torch.Tensor) -> None:
    """Raise a clear error unless ``A`` is an operator and ``y`` a batch in its range."""
    if not isinstance(A, LinearOperator):
        raise TypeError(f"A must be a tk_lessons.operators.LinearOperator, got {type(A).__name__}")
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"y must be a torch.Tensor, got {type(y).__name__}")
    if y.ndim != len(A.range_shape) + 1 or tuple(y.shape[1:]) != A.range_shape:
        raise ValueError(f"y must have shape (B, {', '.join(map(str, A.range_shape))}) for {type(A).__name__}, "
                         f"got {tuple(y.shape)}")


def check_x0(A: LinearOperator, x0: torch.Tensor | None, batch: int) -> None:
    """Raise unless ``x0`` is None or a batch of ``batch`` images in the domain of ``A``."""
    if x0 is None:
        return
    if not isinstance(x0, torch.Tensor):
        raise TypeError(f"x0 must be a torch.Tensor or None, got {type(x0).__name__}")
    expected = (batch, *A.domain_shape)
    if tuple(x0.shape) != expected:
        raise ValueError(f"x0 must have shape {expected}, got {tuple(x0.shape)}")


def starting_point(A: LinearOperator, y: torch.Tensor, x0: torch.Tensor | None,
                   real: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x0, A^H y)``: the start of an iteration (``A^H y``, its real part when ``real``, when
    ``x0`` is None) in the dtype the solver iterates in. Raises if ``real`` but ``x0`` is complex."""
    x_adj = A.H(y)
    if x0 is None:
        x0 = x_adj.real if real else x_adj
    elif real and x0.is_complex():
        raise ValueError(f"x0 must be real when real=True, got dtype {x0.dtype}")
    elif not real:  # a real warm start for a complex problem
        x0 = x0.to(torch.promote_types(x0.dtype, x_adj.dtype))
    return x0, x_adj


def steps(n_iter: int, progress: bool = False, desc: str = "") -> Iterable[int]:
    """``range(n_iter)``, wrapped in a tqdm progress bar when ``progress`` is True."""
    if progress:
        from tqdm.auto import trange

        return trange(n_iter, desc=desc, leave=False)
    return range(n_iter)


def record(info: SolverInfo | None, objective: torch.Tensor, residual: torch.Tensor) -> None:
    """Append detached objective/residual values to ``info`` (no-op when ``info`` is None)."""
    if info is None:
        return
    info.iterations += 1
    info.objective.append(float(objective.detach().sum()))
    info.residual.append(float(residual.detach().norm()))


def batch_norm(t: torch.Tensor) -> torch.Tensor:
    """Euclidean norm of each item of a batch: shape ``(B,)``."""
    return t.reshape(t.shape[0], -1).norm(dim=1)


def batch_sum(t: torch.Tensor) -> torch.Tensor:
    """Sum over all but the batch dimension: shape ``(B,)``."""
    return t.reshape(t.shape[0], -1).sum(dim=1)


def expand(per_item: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a ``(B,)`` tensor so that it broadcasts against a batch shaped like ``like``."""
    return per_item.reshape(-1, *([1] * (like.ndim - 1)))
