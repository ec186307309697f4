"""Tiny fully connected networks fitted to a handful of training pairs (Chapter 11).

* :class:`MLP`: a ReLU network from (real-vectorised) measurements to real images, small
  enough to train in a fraction of a second on a CPU;
* :func:`fit_interpolant`: full-batch Adam on the mean squared error until the network
  (nearly) interpolates its training images, returning the largest training error.

Chapter 11 trains several of them on one finite class and compares their worst-case errors
over the whole class: zero training error does not say which interpolant one gets.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import _validate
from .._batch import flat_real
from ..operators import LinearOperator
from .learned_linear import real_features
from .wrappers import check_measurements

__all__ = ["MLP", "fit_interpolant"]


class MLP(nn.Module):
    """A ReLU network ``y -> x_rec`` with ``layers`` hidden layers of ``hidden`` units.

    Parameters
    ----------
    A : LinearOperator
        Forward operator; fixes the input length (its real measurement entries) and the
        output shape (``A.domain_shape``, real).
    hidden : int >= 1
        Units per hidden layer.
    layers : int >= 1
        Number of hidden layers.
    seed : int
        Seed of the initial weights.
    dtype : torch.dtype
        Dtype of the weights (float64 by default: the chapters compare errors near 1e-6).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> net = MLP(A, hidden=8, layers=2, seed=0)
    >>> net(torch.zeros(3, 1, dtype=torch.float64)).shape
    torch.Size([3, 2])
    """

    def __init__(self, A: LinearOperator, *, hidden: int = 32, layers: int = 2, seed: int = 0,
                 dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        _validate.operator("A", A)
        for name, value in (("hidden", hidden), ("layers", layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        self.A = A
        self.out_shape = tuple(A.domain_shape)
        sizes = [real_features(A)] + [hidden] * layers
        blocks: list[nn.Module] = []
        with torch.random.fork_rng(devices=[]):          # seed the weights, not the caller
            torch.manual_seed(int(seed))
            for a, b in zip(sizes[:-1], sizes[1:]):
                blocks += [nn.Linear(a, b), nn.ReLU()]
            blocks.append(nn.Linear(sizes[-1], math.prod(self.out_shape)))
        self.net = nn.Sequential(*blocks).to(dtype)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        y = check_measurements(self.A, y)
        dtype = next(self.parameters()).dtype
        out = self.net(flat_real(y).to(dtype))
        return out.reshape(len(y), *self.out_shape)


def fit_interpolant(model: nn.Module, A: LinearOperator, x: torch.Tensor, *,
                    n_iter: int = 2000, lr: float = 1e-2) -> float:
    """Fit ``model`` to the pairs ``(A x_i, x_i)`` with full-batch Adam on the squared error.

    Parameters
    ----------
    model : torch.nn.Module
        A network ``model(y) -> x_rec`` (e.g. :class:`MLP`); trained in place, left in
        ``eval`` mode.
    A : LinearOperator
        The forward operator that makes the training data ``y = A x``.
    x : torch.Tensor, shape ``(B, *A.domain_shape)``
        The training images, real.
    n_iter : int >= 1
        Adam steps (each on the whole training set), with the step ``lr`` halved three
        times, at 50 %, 75 % and 90 % of the steps.
    lr : float > 0
        Adam's initial step.

    Returns
    -------
    float
        The training error :math:`\\max_i \\lVert \\mathrm{model}(A x_i) - x_i \\rVert`.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> x = torch.tensor([[-1.0, 1.0], [1.0, -1.0]], dtype=torch.float64)
    >>> fit_interpolant(MLP(A, hidden=8, seed=0), A, x, n_iter=300) < 1e-3
    True
    """
    if not isinstance(n_iter, int) or n_iter < 1:
        raise ValueError(f"n_iter must be an int >= 1, got {n_iter!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if not isinstance(x, torch.Tensor) or x.is_complex() or x.shape[1:] != tuple(A.domain_shape):
        raise ValueError(f"x must be a real tensor of shape (B, {tuple(A.domain_shape)}), got "
                         f"{getattr(x, 'shape', type(x))}")
    with torch.no_grad():
        y = A(x)
    params = [p for p in model.parameters() if p.requires_grad]
    x = x.to(params[0].dtype)
    # Adam written out (torch.optim.Adam's update, betas (0.9, 0.999), eps 1e-8): it saves
    # torch's optimiser machinery, which loads torch._dynamo (seconds, and optional packages)
    m1 = [torch.zeros_like(p) for p in params]
    m2 = [torch.zeros_like(p) for p in params]
    milestones = [int(n_iter * f) for f in (0.5, 0.75, 0.9)]
    step = lr
    model.train()
    for k in range(1, n_iter + 1):
        loss = ((model(y) - x) ** 2).sum() / len(x)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g, a, b in zip(params, grads, m1, m2):
                a.mul_(0.9).add_(g, alpha=0.1)
                b.mul_(0.999).addcmul_(g, g, value=0.001)
                denom = (b / (1 - 0.999 ** k)).sqrt_().add_(1e-8)
                p.addcdiv_(a, denom, value=-step / (1 - 0.9 ** k))
        if k in milestones:
            step /= 2
    model.eval()
    with torch.no_grad():
        return float((model(y) - x).flatten(1).norm(dim=1).max())
