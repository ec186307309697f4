"""Checks for the accuracy–stability trade-off: the cliff interpolant, near-kernel sizes, the curve (Chapter 8).

Each check computes its reference itself, from the operator, the class and the numbers given
(:mod:`tk_lessons.kernel.cliff`, or a dense Jacobian), so the visible check cell holds no
expression that a student could paste as the answer. A failure says what is wrong without
printing the reference.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import kernel
from ..operators import LinearOperator
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["cliff_interpolant_function", "near_kernel_size_value", "tradeoff_curve_values",
           "cliff_placement"]


def _jacobian_norm(Psi: Callable, y: torch.Tensor) -> float:
    """Spectral norm of the Jacobian of ``Psi`` at ``y`` (complex data as pairs of reals)."""
    complex_data = y.is_complex()
    flat = (torch.view_as_real(y) if complex_data else y).reshape(-1).double()

    def real_map(v: torch.Tensor) -> torch.Tensor:
        z = v.reshape(*y.shape, 2) if complex_data else v.reshape(y.shape)
        z = torch.view_as_complex(z.contiguous()).to(y.dtype) if complex_data else z.to(y.dtype)
        out = Psi(z)
        out = torch.view_as_real(out) if out.is_complex() else out
        return out.reshape(-1).double()
    J = torch.autograd.functional.jacobian(real_map, flat)
    return float(torch.linalg.matrix_norm(J, ord=2))


def cliff_interpolant_function(recon: object, A: LinearOperator, x: torch.Tensor, x_prime: torch.Tensor,
                               delta: float, *, rtol: float = 1e-5) -> None:
    r"""Check a map ``recon`` that should have error exactly ``delta`` at ``x`` and ``x_prime`` and the least constant.

    The references: the error must be ``delta`` at both points (for ``delta < d/2``), and the
    spectral norm of the Jacobian of ``Psi`` at ``A x0`` (computed here by automatic
    differentiation) must be :math:`(d - 2\delta)/\eta`, :math:`d = \lVert x_1 - x_0 \rVert`,
    :math:`\eta = \lVert A(x_1 - x_0) \rVert`.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks, kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.1]], dtype=torch.float64))
    >>> x0 = torch.zeros(1, 2, dtype=torch.float64)
    >>> x1 = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> checks.cliff_interpolant_function(kernel.cliff_interpolant(A, x0, x1, 0.2), A, x0, x1, 0.2)
    ✔ the interpolant: correct
    >>> checks.cliff_interpolant_function(kernel.cliff_interpolant(A, x0, x1, 0.0), A, x0, x1, 0.2)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: error at x0: got 0, which is too small. At y0 the coefficient of x1 - x0 must be delta / d, at y1 it must be 1 - delta / d
    """
    if not callable(recon):
        raise CheckError(f"the map must be a function of the data, got {type(recon).__name__}")
    Psi = recon
    delta = as_number("delta", delta)
    x0 = as_tensor("x", x).reshape(1, *A.domain_shape).to(torch.float64)
    x1 = as_tensor("x_prime", x_prime).reshape(1, *A.domain_shape).to(torch.float64)
    d = float((x1 - x0).norm())
    with torch.no_grad():
        y = A(torch.cat([x0, x1]))
    eta = float((y[1] - y[0]).abs().norm())
    if not 0 <= delta < d / 2:
        raise CheckError(f"delta must be in [0, d/2) = [0, {d / 2:.4g}) for the interpolant, got {delta:.4g}")
    try:
        with torch.no_grad():
            out = torch.as_tensor(Psi(y)).reshape(2, -1).double()
    except Exception as err:                 # noqa: BLE001 - any failure is the finding
        raise CheckError(f"Psi fails on the data of x0 and x1: {type(err).__name__}: {err}") from err
    hint = "at y0 the coefficient of x1 - x0 must be delta / d, at y1 it must be 1 - delta / d"
    agree("error at x0", float((out[0] - x0.reshape(-1)).norm()), delta, rtol=rtol, atol=1e-9, hint=hint)
    agree("error at x1", float((out[1] - x1.reshape(-1)).norm()), delta, rtol=rtol, atol=1e-9, hint=hint)
    try:
        L = _jacobian_norm(Psi, y[:1])
    except Exception as err:                 # noqa: BLE001
        raise CheckError(f"Psi cannot be differentiated with torch: {type(err).__name__}: {err}") from err
    agree("Lipschitz constant of Psi (its Jacobian's norm)", L, (d - 2 * delta) / eta, rtol=1e-4,
          hint="the slope along y1 - y0 must be (1 - 2 delta / d) / eta^2 and Psi must not depend on "
               "the data's other directions")
    ok("the interpolant")


def near_kernel_size_value(value: object, A: LinearOperator, X: torch.Tensor, eta: float, *,
                           rtol: float = 1e-6) -> None:
    r"""Check :math:`\operatorname{kersize}_\eta = \max\{\lVert x_i - x_j\rVert : \lVert A(x_i - x_j)\rVert \le \eta\}`.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0], [1.0, 0.0]], dtype=torch.float64)
    >>> checks.near_kernel_size_value(3.0, A, X, 0.05)
    ✔ kernel size at data radius eta: correct
    >>> checks.near_kernel_size_value(3.1623, A, X, 0.05)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: kernel size at data radius eta: got 3.1623, which is too large. Only pairs whose data differ by at most eta count: ||A(x_i - x_j)|| <= eta
    """
    reference = kernel.near_kernel_size(A, X, eta)
    agree("kernel size at data radius eta", as_number("value", value), reference, rtol=rtol, atol=1e-9,
          hint="only pairs whose data differ by at most eta count: ||A(x_i - x_j)|| <= eta")
    ok("kernel size at data radius eta")


def tradeoff_curve_values(values: object, A: LinearOperator, X: torch.Tensor, L: object, *,
                          rtol: float = 1e-6) -> None:
    r"""Check the curve :math:`\tfrac12 \max_{i,j}(\lVert x_i - x_j\rVert - L\lVert A(x_i - x_j)\rVert)` at each entry of ``L``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0], [1.0, 0.0]], dtype=torch.float64)
    >>> checks.tradeoff_curve_values([10**0.5 / 2, 1.35, 0.0], A, X, [0.0, 10.0, 1000.0])
    ✔ trade-off curve: correct
    >>> checks.tradeoff_curve_values([10**0.5 / 2, 2.7, 0.0], A, X, [0.0, 10.0, 1000.0])
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: trade-off curve: 1 of 3 entries are wrong, the first at flat index 1. Half of the largest value of ||x_i - x_j|| - L ||A(x_i - x_j)|| over all pairs, and never below 0
    """
    Ls = as_tensor("L", L).reshape(-1)
    reference = torch.tensor([kernel.noisy_tradeoff_bound(A, X, float(v)) for v in Ls], dtype=torch.float64)
    agree("trade-off curve", as_tensor("values", values).reshape(-1), reference, rtol=rtol, atol=1e-9,
          hint="half of the largest value of ||x_i - x_j|| - L ||A(x_i - x_j)|| over all pairs, and never "
               "below 0")
    ok("trade-off curve")


def cliff_placement(delta: object, needed: object, ratio: object, recon: Callable, A: LinearOperator,
                    x: torch.Tensor, x_prime: torch.Tensor, *, rtol: float = 1e-4) -> None:
    r"""Check a map's place on the two-point region: its error, the least constant for it, the pair's ratio.

    ``delta``: the map's worst-case error on :math:`\{x_0, x_1\}` (``x``, ``x_prime``); ``needed``: the least
    Lipschitz constant of any map with that error, :math:`\max(0, (d - 2\delta)/\eta)`;
    ``ratio``: :math:`\lVert \Psi(y_1) - \Psi(y_0)\rVert/\eta`, a certified lower bound on
    :math:`L^\eta(\Psi, y_0)`. All three are recomputed here with the map ``recon``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.1]], dtype=torch.float64))
    >>> x0 = torch.zeros(1, 2, dtype=torch.float64)
    >>> x1 = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> Psi = lambda y: 2.0 * y                        # error 0.8 at x1, ratio 2
    >>> checks.cliff_placement(0.8, 0.0, 2.0, Psi, A, x0, x1)
    ✔ the map's place on the region: correct
    >>> checks.cliff_placement(0.8, -6.0, 2.0, Psi, A, x0, x1)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: least Lipschitz constant for that error: got -6, which is too small. (d - 2 delta) / eta, and 0 when delta >= d / 2: no constant is negative
    """
    x0 = as_tensor("x", x).reshape(1, *A.domain_shape)
    x1 = as_tensor("x_prime", x_prime).reshape(1, *A.domain_shape)
    Psi = recon
    with torch.no_grad():
        y = A(torch.cat([x0, x1]).to(torch.float64))
        out = torch.as_tensor(Psi(y)).reshape(2, -1).double()
    truth = torch.cat([x0, x1]).reshape(2, -1).double()
    errors = (out - truth).norm(dim=1)
    d = float((truth[1] - truth[0]).norm())
    eta = float((y[1] - y[0]).abs().norm())
    reference_delta = float(errors.max())
    agree("worst-case error on the pair", as_number("delta", delta), reference_delta, rtol=rtol, atol=1e-9,
          hint="the larger of ||Psi(A x0) - x0|| and ||Psi(A x1) - x1||")
    agree("least Lipschitz constant for that error", as_number("needed", needed),
          max(0.0, (d - 2 * reference_delta) / eta), rtol=rtol, atol=1e-9,
          hint="(d - 2 delta) / eta, and 0 when delta >= d / 2: no constant is negative")
    agree("the pair's ratio", as_number("ratio", ratio), float((out[1] - out[0]).norm()) / eta, rtol=rtol,
          atol=1e-9, hint="||Psi(y1) - Psi(y0)|| divided by the data distance eta = ||y1 - y0||")
    ok("the map's place on the region")
