"""Checks for false positives, false negatives and the two-image theorem (Chapter 7).

Each check computes its reference itself, from the two images, the operator and the map
(the data difference ``A x' - A x``, the errors of the map on the pair, Tikhonov on the line
through the pair, the ratio of a perturbation), so the visible check cell holds no expression
that a student could paste as the answer. A failure says what is wrong without printing the
reference.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import _validate, attacks
from .._batch import norm
from ..operators import LinearOperator
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["certified_bound", "false_positive_data", "line_dichotomy", "two_image_bound"]


def false_positive_data(e: object, eta: object, A: LinearOperator, x: torch.Tensor, x_prime: torch.Tensor, *,
                        rtol: float = 1e-5) -> None:
    r"""Check the perturbation ``e`` that turns the data of ``x`` into those of ``x'``, and its norm ``eta``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.1]], dtype=torch.float64))
    >>> x, x2 = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> checks.false_positive_data(A(x2) - A(x), 0.1, A, x, x2)
    ✔ e and eta: correct
    >>> checks.false_positive_data(A(x) - A(x2), 0.1, A, x, x2)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: e: 1 of 2 entries are wrong, the first at flat index 1. Subtract the data of x from those of x_prime, so that y + e = A x_prime
    """
    _validate.operator("A", A)
    with torch.no_grad():
        reference = A(x_prime) - A(x)
        value = as_tensor("e", e)
        if tuple(value.shape) != tuple(reference.shape):
            raise CheckError(f"e: expected the shape of the data, {tuple(reference.shape)}, got {tuple(value.shape)}")
        agree("e", value, reference, rtol=rtol, atol=rtol * float(reference.abs().max()),
              hint="subtract the data of x from those of x_prime, so that y + e = A x_prime")
        agree("eta", as_number("eta", eta), norm(reference).sum(), rtol=rtol,
              hint="the Euclidean norm of e (complex entries: e.abs().norm())")
    ok("e and eta")


def two_image_bound(L_bound: object, recon: Callable, A: LinearOperator, x: torch.Tensor,
                    x_prime: torch.Tensor, *, rtol: float = 1e-4) -> None:
    r"""Check ``L_bound`` :math:`= (\|x - x'\| - \delta - \delta') / \|Ax - Ax'\|` for the map ``recon``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.1]], dtype=torch.float64))
    >>> inverse = lambda y: y @ torch.linalg.inv(A.matrix).T
    >>> x, x2 = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> checks.two_image_bound(10.0, inverse, A, x, x2)
    ✔ L_bound: correct
    >>> checks.two_image_bound(1.0, inverse, A, x, x2)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L_bound: got 1, which is too small. Subtract both errors from ||x - x'|| and divide by ||A x - A x'||, the norm of the data difference
    """
    out = attacks.two_images(recon, A, x, x_prime)
    agree("L_bound", as_number("L_bound", L_bound), out.lower_bound.sum(), rtol=rtol,
          hint="subtract both errors from ||x - x'|| and divide by ||A x - A x'||, the norm of the "
               "data difference")
    ok("L_bound")


def line_dichotomy(line_map: Callable, max_error: object, floor: object, A: LinearOperator, x: torch.Tensor,
                   z: torch.Tensor, lam: float, *, rtol: float = 1e-5) -> None:
    r"""Check Tikhonov on the line ``x + t z`` anchored at ``x``, its larger error on the pair, and the floor.

    ``line_map(y)`` must return ``x + t(y) z`` with
    :math:`t(y) = \operatorname{Re}\langle Az, y - Ax\rangle / (\|Az\|^2 + \lambda)`; ``max_error`` is
    :math:`\max(\delta, \delta')` on the pair ``x, x + z``; ``floor`` is
    :math:`\tfrac12(\|z\| - L\eta)` with the map's Lipschitz constant ``L`` and :math:`\eta = \|Az\|`.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.attacks import LineTikhonov
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.1]], dtype=torch.float64))
    >>> x, z = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> psi = LineTikhonov(A, x, z, lam=0.01)
    >>> checks.line_dichotomy(psi, 0.5, 0.25, A, x, z, 0.01)
    ✔ line_map, max_error and floor: correct
    >>> checks.line_dichotomy(psi, 0.5, 0.5, A, x, z, 0.01)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: floor: got 0.5, which is too large. Half of ||z|| - L eta, with L = ||z|| ||A z|| / (||A z||^2 + lam) and eta = ||A z||
    """
    _validate.function("line_map", line_map, "a map line_map(y) -> x + t(y) z")
    reference = attacks.LineTikhonov(A, x, z, lam)
    with torch.no_grad():
        g = torch.Generator().manual_seed(0)
        y = A(x)
        probes = torch.cat([y, A(x + z), A(x + 0.3 * z), y + 0.1 * _like(y, g)])
        got = as_tensor("line_map(y)", line_map(probes))
        want = reference(probes)
        if tuple(got.shape) != tuple(want.shape):
            raise CheckError(f"line_map: expected an output of shape {tuple(want.shape)} for a batch of "
                             f"{probes.shape[0]} data, got {tuple(got.shape)}")
        agree("line_map(y)", got, want, rtol=rtol, atol=rtol * float(want.abs().max()),
              hint="t(y) = Re<A z, y - A x> / (||A z||^2 + lam), and the map returns x + t(y) z")
        pair = attacks.two_images(reference, A, x, x + z)
        agree("max_error", as_number("max_error", max_error),
              torch.maximum(pair.delta, pair.delta_prime).sum(), rtol=rtol,
              hint="the larger of ||Psi(A x) - x|| and ||Psi(A x') - x'|| with x' = x + z")
        agree("floor", as_number("floor", floor), pair.half_gap(reference.lipschitz).sum(), rtol=rtol,
              hint="half of ||z|| - L eta, with L = ||z|| ||A z|| / (||A z||^2 + lam) and eta = ||A z||")
    ok("line_map, max_error and floor")


def _like(y: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    r = torch.randn(y.shape, generator=g, dtype=torch.float64)
    if y.is_complex():
        r = torch.complex(r, torch.randn(y.shape, generator=g, dtype=torch.float64))
    return r.to(y.dtype).to(y.device)


def certified_bound(L_lower: object, recon: Callable, y: torch.Tensor, e: object, eps: float, *,
                    bound: float | None = None, rtol: float = 1e-4) -> None:
    r"""Check a certified lower bound ``L_lower`` on :math:`L^\varepsilon(\Psi, y)` from a perturbation ``e``.

    ``e`` must be one perturbation (the batch shape of ``y``) with :math:`0 < \|e\| \le \varepsilon`;
    ``L_lower`` must be its ratio :math:`\|\Psi(y + e) - \Psi(y)\| / \|e\|`; with ``bound``, it must
    also reach at least ``bound``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> double = lambda v: 2 * v
    >>> y, e = torch.zeros(1, 3), torch.full((1, 3), 0.1)
    >>> checks.certified_bound(2.0, double, y, e, 0.2)
    ✔ L_lower: correct
    >>> checks.certified_bound(2.0, double, y, 10 * e, 0.2)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: e: its norm 1.732 exceeds the radius eps = 0.2; only perturbations in the ball certify L^eps
    """
    value = as_tensor("e", e)
    if tuple(value.shape) != tuple(y.shape):
        raise CheckError(f"e: expected the shape of y, {tuple(y.shape)}, got {tuple(value.shape)}")
    size = float(norm(value).sum())
    if not 0 < size <= eps * (1 + 1e-5):
        raise CheckError(f"e: its norm {size:.4g} exceeds the radius eps = {eps:.4g}; only perturbations in the "
                         f"ball certify L^eps" if size > 0 else "e: the zero perturbation certifies nothing")
    with torch.no_grad():
        ratio = attacks.local_lipschitz(recon, y, value.to(y.dtype).to(y.device)).sum()
    number = as_number("L_lower", L_lower)
    agree("L_lower", number, ratio, rtol=rtol,
          hint="divide ||Psi(y + e) - Psi(y)|| by ||e|| for the perturbation e that you return")
    if bound is not None and number < bound:
        raise CheckError(f"L_lower: {number:.4g} is below {bound:.4g}, which the search should reach; "
                         "use more steps or more random starts and keep the best perturbation")
    ok("L_lower")
