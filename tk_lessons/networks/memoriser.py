"""The memoriser: return the training image whose measurements are nearest to ``y``.

No learning at all, yet on the training set it is perfect (and on images close to
it, very good): the simplest reconstruction that *overperforms* any classical
method there. The no-free-lunch theorems of the course say what that costs
elsewhere: where two training images have (nearly) the same measurements, the
memoriser must jump between them, i.e. it is unstable, or it hallucinates one of
them.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from .._batch import flat_real
from ..operators import LinearOperator
from .wrappers import check_measurements

__all__ = ["Memoriser"]


class Memoriser(nn.Module):
    """``Psi(y) = x_i`` for the training image with ``||A x_i - y||`` smallest.

    Parameters
    ----------
    A : LinearOperator
        Forward operator.
    X : torch.Tensor, shape ``(K, *A.domain_shape)``
        The training images (stored in the module).
    temperature : float > 0, optional
        ``None`` (default): the hard nearest neighbour. A number ``T`` gives the smooth,
        differentiable version ``sum_i w_i(y) x_i`` with softmax weights
        ``w_i ∝ exp(-||A x_i - y||^2 / T)``: as ``T -> 0`` it tends to the nearest
        training image, as ``T -> inf`` to the mean of the training set.

    Notes
    -----
    The hard memoriser is piecewise constant in ``y``: its gradient is zero almost
    everywhere, so gradient-based attacks need ``temperature``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import Identity
    >>> X = torch.stack([torch.zeros(1, 4, 4), torch.ones(1, 4, 4)])
    >>> memo = Memoriser(Identity((1, 4, 4)), X)
    >>> float(memo(torch.full((1, 1, 4, 4), 0.9)).mean())
    1.0
    """

    def __init__(self, A: LinearOperator, X: torch.Tensor, temperature: float | None = None) -> None:
        super().__init__()
        self.A = _validate.operator("A", A)
        _validate.tensor("X", X)
        if X.ndim != len(A.domain_shape) + 1 or tuple(X.shape[1:]) != A.domain_shape or X.shape[0] == 0:
            raise ValueError(f"X must be a non-empty batch (K, {', '.join(map(str, A.domain_shape))}) of "
                             f"training images, got {tuple(X.shape)}")
        self.temperature = None if temperature is None else _validate.positive("temperature", temperature)
        X = X.detach()
        with torch.no_grad():
            AX = A(X)
            AX = flat_real(AX).to(AX.real.dtype)        # stored in the data's precision
        self.register_buffer("X", X.clone())
        self.register_buffer("AX", AX)                      # measurements of the training set, (K, p)

    def distances(self, y: torch.Tensor) -> torch.Tensor:
        """Squared distances ``||A x_i - y||^2``, shape ``(B, K)``."""
        check_measurements(self.A, y)
        v = flat_real(y)                     # float64
        # exact differences in float64, not the faster ||a||^2 - 2<a, v> + ||v||^2: that form
        # cancels catastrophically for the nearly equal measurements this module is about
        d = torch.cdist(v, self.AX.to(torch.float64), compute_mode="donot_use_mm_for_euclid_dist")
        return d ** 2

    def nearest(self, y: torch.Tensor) -> torch.Tensor:
        """Index of the nearest training image for each measurement, shape ``(B,)``."""
        return self.distances(y).argmin(dim=1)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """The nearest training image(s) (or their softmax mix), shape ``(B, *A.domain_shape)``."""
        d2 = self.distances(y)
        if self.temperature is None:
            return self.X[d2.argmin(dim=1)]
        weights = torch.softmax(-d2 / self.temperature, dim=1)            # (B, K)
        mixed = weights.to(self.X.dtype) @ self.X.reshape(self.X.shape[0], -1)
        return mixed.reshape(y.shape[0], *self.X.shape[1:])

    def extra_repr(self) -> str:
        return f"images={self.X.shape[0]}, temperature={self.temperature}"
