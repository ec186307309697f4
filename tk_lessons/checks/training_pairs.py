"""Checks for what training does with close and identical data (Chapter 10).

Each check computes its reference itself (the minimiser of the training loss over all maps, the
expected jittered loss of a linear map, the number of near-kernel pairs, the shares that the
shipped pair networks draw), so the visible check cell holds no expression that a student could
paste as the answer. A failure says what is wrong without printing the reference.
"""

from __future__ import annotations

from typing import Callable

import torch

from ..zoo import pairs
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["erm_outputs", "jitter_loss", "pair_count", "pair_shares"]


def erm_outputs(outputs: object, Y: torch.Tensor, X: torch.Tensor, sample_weights: torch.Tensor | None = None, *,
                rtol: float = 1e-6) -> None:
    r"""Check ``outputs``: the minimiser of :math:`\sum_j w_j \|\Psi(y_j) - x_j\|^2` over all maps, at each ``y_j``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> Y = torch.tensor([[1.0], [1.0], [2.0]])
    >>> X = torch.tensor([[0.0], [2.0], [5.0]])
    >>> checks.erm_outputs(torch.tensor([[1.0], [1.0], [5.0]]), Y, X)
    ✔ out: correct
    >>> checks.erm_outputs(X, Y, X)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: out: 2 of 3 entries are wrong, the first at flat index 0. A map returns one value per datum: samples with the same datum y get the same output, the weighted mean of their targets
    """
    reference, _ = pairs.erm_over_all_maps(Y, X, sample_weights)
    value = as_tensor("out", outputs)
    if tuple(value.shape) != tuple(X.shape):
        raise CheckError(f"out: expected one output per training sample, shape {tuple(X.shape)}, "
                         f"got {tuple(value.shape)}")
    agree("out", value, reference, rtol=rtol, atol=rtol * float(reference.abs().max()),
          hint="a map returns one value per datum: samples with the same datum y get the same output, "
               "the weighted mean of their targets")
    ok("out")


def jitter_loss(value: object, matrix: torch.Tensor, y: torch.Tensor, x: torch.Tensor, eta: float, *,
                rtol: float = 1e-6) -> None:
    r"""Check ``value`` :math:`= E\|W(y + \xi) - x\|^2` (``W = matrix``) for the course's jitter of level ``eta`` (``m = y.numel()``).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> W, y, x = torch.eye(3), torch.ones(3), torch.zeros(3)
    >>> checks.jitter_loss(3.0 + 1 / 3, W, y, x, 1.0)
    ✔ value: correct
    >>> checks.jitter_loss(4.0, W, y, x, 1.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: value: got 4, which is too large. The jitter's scale s ~ U[0, 1] has E[s^2] = 1/3, so s2 = eta^2 / (3 m)
    """
    W, m = matrix, int(y.numel())
    s2 = pairs.jitter_variance(eta, m)
    reference = pairs.expected_jitter_loss(W, y, x, s2)
    got = as_number("value", value)
    clean = pairs.expected_jitter_loss(W, y, x, 0.0)
    if abs(got - clean) <= rtol * abs(clean) and s2 > 0:
        raise CheckError("value: this is the loss without jitter; add the jitter's expected contribution "
                         "s2 ||W||_F^2")
    hint = ("the jitter's scale s ~ U[0, 1] has E[s^2] = 1/3, so s2 = eta^2 / (3 m)"
            if abs(got - pairs.expected_jitter_loss(W, y, x, eta ** 2 / m)) <= rtol * abs(reference)
            else "the clean loss ||W y - x||^2 plus s2 times the squared Frobenius norm of W")
    agree("value", got, reference, rtol=rtol, hint=hint)
    ok("value")


def pair_count(n_pairs: object, A: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor, eta: float,
               gap: float) -> None:
    r"""Check ``n_pairs`` (the notebook's ``count``): the number of pairs ``i < j`` with :math:`\|A(x_i - x_j)\| \le \eta` and :math:`\|x_i - x_j\| \ge` ``gap``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [0.1, 3.0]])
    >>> checks.pair_count(3, A, X, 0.2, 0.5)
    ✔ count: correct
    >>> checks.pair_count(6, A, X, 0.2, 0.5)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: count: got 6, twice the right number: count each unordered pair {i, j} once (i < j)
    """
    got = as_number("count", n_pairs)
    if got != int(got) or got < 0:
        raise CheckError(f"count: expected a whole number of pairs, got {got}")
    reference = pairs.near_kernel_pairs(A, X, eta, gap)
    if reference and got == 2 * reference:
        raise CheckError(f"count: got {int(got)}, twice the right number: count each unordered pair {{i, j}} once "
                         "(i < j)")
    if got == reference + X.shape[0] and gap == 0:
        raise CheckError(f"count: got {int(got)}; a sample and itself are not a pair (i < j)")
    agree("count", got, float(reference), rtol=0.0,
          hint="keep the pairs whose data differ by at most eta AND whose signals differ by at least gap")
    ok("count")


def pair_shares(share_both: object, share_one: object) -> None:
    r"""Check the mean shares of ``z`` that ``pairs_both`` and ``pairs_one`` draw on the marked signals.

    The reference is computed from the shipped networks (:mod:`tk_lessons.zoo.pairs`): the mean
    of :func:`tk_lessons.zoo.lab.detail_share` of ``Psi(A p)`` over the marked plain signals ``p``.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.pair_shares(0.0, 0.0)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: share_both: got 0, which is too small. The share of z drawn on p is <Psi(A p) - p, z> / ||z||^2, averaged over the marked signals p (not over all of them)
    """
    from .. import zoo
    from ..zoo.evaluation import predict
    from ..zoo.lab import detail_share

    values = {"share_both": as_number("share_both", share_both), "share_one": as_number("share_one", share_one)}
    for label, name, kind in (("share_both", "pairs_both", "both"), ("share_one", "pairs_one", "one")):
        net = zoo.load(name)
        data = pairs.pair_data(kind, net.A)
        p = data.plain[data.marked]
        rec = predict(net, net.A, p)
        reference = detail_share(rec, p, data.z.expand_as(rec)).double().mean()
        agree(label, values[label], reference, rtol=1e-3, atol=1e-3,
              hint="the share of z drawn on p is <Psi(A p) - p, z> / ||z||^2, averaged over the marked "
                   "signals p (not over all of them)")
    ok("share_both and share_one")

