r"""Checks of interpolants' worst cases and of continuous maps on the jump class (Chapter 11).

Each check calls the student's function on cases it builds itself (a small class with
kernel-colliding groups and training sets drawn from ``seed``; maps on the jump class
``A(t, s) = t``) and computes its reference with loops here, so the visible check cell shows
no answer. Failure messages say which case failed and how, never the reference value.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import kernel
from ..operators import MatrixOperator
from ._core import CheckError, agree, as_number, ok

__all__ = ["forced_error_function", "jump_bound_function", "jump_worst_case_function",
           "training_set_range"]


def _class(seed: int) -> tuple[MatrixOperator, torch.Tensor, list[list[int]]]:
    """A 2 x 4 matrix, 5 base points and 3 copies of each plus kernel elements: 20 points."""
    g = torch.Generator().manual_seed(3000 + int(seed))
    M = torch.randn(2, 4, generator=g, dtype=torch.float64)
    basis = torch.linalg.svd(M).Vh[2:]
    base = 3 * torch.randn(5, 4, generator=g, dtype=torch.float64)
    copies = [base + torch.randn(5, 2, generator=g, dtype=torch.float64) @ basis
              for _ in range(3)]
    X = torch.cat([base] + copies)
    groups = [[k + 5 * c for c in range(4)] for k in range(5)]
    return MatrixOperator(M), X, groups


def _forced(X: torch.Tensor, groups: list[list[int]], train: list[int]) -> float:
    worst = 0.0
    for group, j in zip(groups, train):
        worst = max(worst, max(float((X[i] - X[j]).norm()) for i in group))
    return worst


def forced_error_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(A, X, train)``: the worst case :math:`e_T` of every interpolant of ``train``.

    ``train`` lists one index per fibre (class of equal data); :math:`e_T = \max_G \max_{i
    \in G} \lVert x_i - x_{j(G)} \rVert`. Three training sets of a class built from ``seed``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> def forced_error(A, X, train):
    ...     same = torch.cdist(A(X), A(X)) < 1e-9
    ...     return max(float(torch.cdist(X[j:j + 1], X[same[j]]).max()) for j in train)
    >>> checks.forced_error_function(forced_error)
    ✔ worst case of the interpolants of a training set: correct
    """
    A, X, groups = _class(seed)
    g = torch.Generator().manual_seed(4000 + int(seed))
    for k in range(3):
        train = [group[int(torch.randint(0, 4, (1,), generator=g))] for group in groups]
        value = as_number(f"e_T of training set {k + 1}", fn(A, X, list(train)))
        agree(f"e_T of training set {k + 1}", value, _forced(X, groups, train), rtol=1e-6,
              hint="for each training index j, take the largest ||x_i - x_j|| over the "
                   "images x_i with the same data as x_j; then the largest over j")
    ok("worst case of the interpolants of a training set")


def training_set_range(fn: Callable, *, seed: int = 0) -> None:
    r"""Check ``fn(A, X)``: the smallest and largest :math:`e_T` over all training sets.

    A training set picks one member of each fibre; ``fn`` returns ``(low, high)``. Tried on a
    class built from ``seed``; the reference enumerates every training set.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> def best_and_worst(A, X):
    ...     same = torch.cdist(A(X), A(X)) < 1e-9
    ...     D = torch.where(same, torch.cdist(X, X), torch.zeros(()))
    ...     r = D.max(dim=1).values           # farthest fellow member of each point
    ...     low = torch.where(same, r[None, :], torch.inf).min(dim=1).values.max()
    ...     return float(low), float(D.max())
    >>> checks.training_set_range(best_and_worst)
    ✔ best and worst training set: correct
    """
    A, X, groups = _class(seed)
    values = [_forced(X, groups, list(train)) for train in _product(groups)]
    result = fn(A, X)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckError(f"expected a pair (low, high), got {type(result).__name__}")
    low = as_number("smallest e_T", result[0])
    high = as_number("largest e_T", result[1])
    agree("smallest e_T", low, min(values), rtol=1e-6,
          hint="in each fibre pick the member whose farthest fellow member is nearest; the "
               "worst fibre then decides")
    agree("largest e_T", high, max(values), rtol=1e-6,
          hint="an end of a longest pair gives the kernel size")
    ok("best and worst training set")


def _product(groups: list[list[int]]) -> list[tuple[int, ...]]:
    sets: list[tuple[int, ...]] = [()]
    for group in groups:
        sets = [s + (i,) for s in sets for i in group]
    return sets


def _jump_maps() -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    member = kernel.jump_member
    return {
        "the exact map": member,
        "the map (t, 0)": lambda t: torch.cat([t, torch.zeros_like(t)], dim=1),
        "a steep ramp": lambda t: torch.cat([t, -torch.clamp(50 * t, -1, 1)], dim=1),
        "a shifted exact map": lambda t: member(t) + torch.tensor([0.0, 0.3],
                                                                  dtype=torch.float64),
    }


def jump_worst_case_function(fn: Callable) -> None:
    r"""Check ``fn(recon, t)``: the worst error of ``recon`` over data ``t`` on the jump class.

    ``t`` has shape ``(B, 1)``, ``recon`` maps it to ``(B, 2)``; the error at ``t`` is the
    distance to :math:`(t, 1)` for :math:`t \le 0` and to :math:`(t, -1)` for :math:`t > 0`.
    Four maps, on a grid that contains 0 and points just right of it.

    Examples
    --------
    >>> from tk_lessons import checks, kernel
    >>> checks.jump_worst_case_function(
    ...     lambda recon, t: float(kernel.jump_error(recon(t), t).max()))
    ✔ worst case on the jump class: correct
    """
    t = torch.cat([torch.linspace(-1, 1, 201, dtype=torch.float64),
                   torch.tensor([1e-9, 1e-5], dtype=torch.float64)]).unique()[:, None]
    for name, recon in _jump_maps().items():
        value = as_number(f"worst case of {name}", fn(recon, t.clone()))
        reference = float(kernel.jump_error(recon(t), t).max())
        agree(f"worst case of {name}", value, reference, rtol=1e-9, atol=1e-12,
              hint="the class member with data t is (t, 1) if t <= 0 and (t, -1) if t > 0; "
                   "take the largest distance of recon(t) to it")
    ok("worst case on the jump class")


def jump_bound_function(fn: Callable) -> None:
    r"""Check ``fn(recon, t)``: the bound :math:`1 - \tfrac12 \lVert \Psi(t) - \Psi(0)\rVert`.

    ``t > 0`` is a float; the bound is the certified lower bound on the worst-case error
    that the pair of data ``0`` and ``t`` gives. Four maps, three values of ``t``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> def jump_bound(recon, t):
    ...     pair = torch.tensor([[0.0], [t]], dtype=torch.float64)
    ...     out = recon(pair)
    ...     return 1 - float((out[1] - out[0]).norm()) / 2
    >>> checks.jump_bound_function(jump_bound)
    ✔ certified bound from two data values: correct
    """
    for name, recon in _jump_maps().items():
        for t in (1e-6, 0.01, 0.5):
            value = as_number(f"bound for {name} at t = {t}", fn(recon, t))
            pair = torch.tensor([[0.0], [t]], dtype=torch.float64)
            out = recon(pair)
            reference = 1 - float((out[1] - out[0]).norm()) / 2
            agree(f"bound for {name} at t = {t}", value, reference, rtol=1e-9, atol=1e-12,
                  hint="evaluate recon at the data 0 and t (a (2, 1) tensor) and subtract "
                       "half the distance of the two outputs from 1")
    ok("certified bound from two data values")
