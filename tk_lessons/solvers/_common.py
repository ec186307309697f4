"""What every solver shares: checks on ``(A, y)`` and the warm start, and the history returned
with ``return_info=True`` (the per-sample arithmetic and the progress bar are in ``_batch``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .. import _validate
from ..operators.base import LinearOperator

__all__ = ["SolverInfo", "check_problem", "check_x_init", "record", "starting_point"]


@dataclass
class SolverInfo:
    """History of a solver run (what ``return_info=True`` returns next to ``x``).

    Attributes
    ----------
    n_iter : int
        Number of iterations run.
    objective : list of float
        Objective value after each iteration (summed over the batch).
    residual : list of float
        Data residual ``||A x - y||`` after each iteration (over the batch).
    extra : dict
        Solver-specific histories (e.g. a primal-dual gap, restart errors).
    """

    n_iter: int = 0
    objective: list[float] = field(default_factory=list)
    residual: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)


def check_problem(A: LinearOperator, y: torch.Tensor) -> None:
    """Raise a clear error unless ``A`` is an operator and ``y`` a batch in its range."""
    _validate.operator("A", A)
    _validate.tensor("y", y)
    if y.ndim != len(A.range_shape) + 1 or tuple(y.shape[1:]) != A.range_shape:
        raise ValueError(f"y must have shape (B, {', '.join(map(str, A.range_shape))}) for {type(A).__name__}, "
                         f"got {tuple(y.shape)}")


def check_x_init(A: LinearOperator, x_init: torch.Tensor | None, batch: int) -> None:
    """Raise unless ``x_init`` is None or a batch of ``batch`` images in the domain of ``A``."""
    if x_init is None:
        return
    if not isinstance(x_init, torch.Tensor):
        raise TypeError(f"x_init must be a torch.Tensor or None, got {type(x_init).__name__}")
    expected = (batch, *A.domain_shape)
    if tuple(x_init.shape) != expected:
        raise ValueError(f"x_init must have shape {expected}, got {tuple(x_init.shape)}")


def starting_point(A: LinearOperator, y: torch.Tensor, x_init: torch.Tensor | None,
                   real: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x_init, A^H y)``: the start of an iteration (``A^H y``, its real part when ``real``, when
    ``x_init`` is None) in the dtype the solver iterates in. Raises if ``real`` but ``x_init`` is complex."""
    x_adj = A.H(y)
    if x_init is None:
        x_init = x_adj.real if real else x_adj
    elif real and x_init.is_complex():
        raise ValueError(f"x_init must be real when real=True, got dtype {x_init.dtype}")
    elif not real:  # a real warm start for a complex problem
        x_init = x_init.to(torch.promote_types(x_init.dtype, x_adj.dtype))
    return x_init, x_adj


def record(info: SolverInfo | None, objective: torch.Tensor, residual: torch.Tensor) -> None:
    """Append detached objective/residual values to ``info`` (no-op when ``info`` is None)."""
    if info is None:
        return
    info.n_iter += 1
    info.objective.append(float(objective.detach().sum()))
    info.residual.append(float(residual.detach().norm()))
