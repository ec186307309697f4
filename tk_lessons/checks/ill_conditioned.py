"""Checks for ill-conditioned operators: kernel sizes at a level, Tikhonov's gains, the trade-off (Chapter 12).

Each check computes its reference itself, from the operator, the images and the level
(:mod:`tk_lessons.kernel.approximate_sizes`), so the visible check cell holds no expression
that a student could paste as the answer. A failure says what is wrong without printing the
reference.
"""

from __future__ import annotations

import torch

from .. import _validate, kernel
from ..operators import LinearOperator
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["level_kernel_size_value", "tikhonov_lipschitz", "approximate_share", "tradeoff_floor"]


def level_kernel_size_value(value: object, A: LinearOperator, X: torch.Tensor, tau: float, *,
                            rtol: float = 1e-6) -> None:
    r"""Check the kernel size at level ``tau`` of the finite class ``X``.

    The reference is :func:`tk_lessons.kernel.level_kernel_size`: the largest
    :math:`\lVert x_i - x_j \rVert` over the pairs with
    :math:`\lVert A(x_i - x_j) \rVert \le \tau \lVert x_i - x_j \rVert`.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0], [1.0, 0.0]], dtype=torch.float64)
    >>> checks.level_kernel_size_value(3.0, A, X, 0.05)
    ✔ kernel size at level tau: correct
    >>> checks.level_kernel_size_value(3.1623, A, X, 0.05)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: kernel size at level tau: got 3.1623, which is too large. Only pairs whose difference z has ||A z|| <= tau ||z|| count; take the largest distance among them
    """
    reference = kernel.level_kernel_size(A, X, tau).value
    agree("kernel size at level tau", as_number("value", value), reference, rtol=rtol, atol=1e-9,
          hint="only pairs whose difference z has ||A z|| <= tau ||z|| count; take the largest distance "
               "among them")
    ok("kernel size at level tau")


def tikhonov_lipschitz(value: object, singular_values: torch.Tensor, lam: float, *, rtol: float = 1e-6) -> None:
    r"""Check the Lipschitz constant :math:`\max_i \sigma_i/(\sigma_i^2 + \lambda)` of Tikhonov regularisation.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> s = torch.tensor([1.0, 0.1, 0.01], dtype=torch.float64)
    >>> checks.tikhonov_lipschitz(5.0, s, 0.01)
    ✔ Tikhonov's Lipschitz constant: correct
    >>> checks.tikhonov_lipschitz(100.0, s, 0.01)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: Tikhonov's Lipschitz constant: got 100, which is too large. The gain on the i-th singular direction is sigma_i / (sigma_i^2 + lam); take the largest gain, not 1 / sigma_min
    """
    reference = kernel.tikhonov_gains(as_tensor("singular_values", singular_values), lam).max()
    agree("Tikhonov's Lipschitz constant", as_number("value", value), reference, rtol=rtol,
          hint="the gain on the i-th singular direction is sigma_i / (sigma_i^2 + lam); take the largest "
               "gain, not 1 / sigma_min")
    ok("Tikhonov's Lipschitz constant")


def approximate_share(value: object, A: LinearOperator, z: torch.Tensor, tau: float, *,
                      rtol: float = 1e-5) -> None:
    r"""Check the share :math:`\lVert P_{V_\tau} z \rVert / \lVert z \rVert` of ``z`` in the approximate kernel.

    ``value`` is one number per sample of the batch ``z`` (or one number for one sample).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.diag(torch.tensor([1.0, 1e-3], dtype=torch.float64)))
    >>> v = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    >>> checks.approximate_share(0.8, A, v, 0.01)
    ✔ share in V_tau: correct
    >>> checks.approximate_share(0.64, A, v, 0.01)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: share in V_tau: got 0.64, which is too small. Project z onto the span of the singular vectors with sigma <= tau and divide the norm of the projection by ||z|| (norms, not squared norms)
    """
    _validate.tensor("z", z)
    reference = kernel.span_fraction(kernel.approximate(A, tau), z)
    value = as_tensor("value", value).reshape(-1)
    if value.numel() != reference.numel():
        raise CheckError(f"share in V_tau: expected one number per sample of z ({reference.numel()}), got "
                         f"{value.numel()}")
    agree("share in V_tau", value.reshape(reference.shape), reference, rtol=rtol, atol=1e-7,
          hint="project z onto the span of the singular vectors with sigma <= tau and divide the norm of "
               "the projection by ||z|| (norms, not squared norms)")
    ok("share in V_tau")


def tradeoff_floor(floor: object, A: LinearOperator, X: torch.Tensor, L: float, *, rtol: float = 1e-6) -> None:
    r"""Check the trade-off floor :math:`\tfrac12 \max_{i,j}(\lVert x_i - x_j\rVert - L\lVert A(x_i - x_j)\rVert)`.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0], [0.0, 0.01]], dtype=torch.float64))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    >>> checks.tradeoff_floor(1.35, A, X, 10.0)
    ✔ trade-off floor: correct
    >>> checks.tradeoff_floor(2.7, A, X, 10.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: trade-off floor: got 2.7, which is too large. Half of the largest value of ||x_i - x_j|| - L ||A(x_i - x_j)|| over the pairs
    """
    reference = kernel.tradeoff_bound(A, X, L)
    agree("trade-off floor", as_number("floor", floor), reference, rtol=rtol, atol=1e-9,
          hint="half of the largest value of ||x_i - x_j|| - L ||A(x_i - x_j)|| over the pairs")
    ok("trade-off floor")
