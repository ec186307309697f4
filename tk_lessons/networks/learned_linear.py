"""A learned *linear* reconstruction ``Psi(y) = M y``, fitted by least squares on training pairs.

The baseline every learned method should beat, and a clean laboratory: a linear
map cannot hallucinate anything outside the span of what it learned, its
stability is a single number (``||M||``), and its accuracy on the kernel is zero,
whatever the training set.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from ..operators import LinearOperator
from .._batch import flat_real
from .wrappers import check_measurements

__all__ = ["LearnedLinear", "real_features"]


def real_features(A: LinearOperator) -> int:
    """Length ``p`` of the real measurement vector of a real image: complex entries count twice (re, im).

    The number of columns of a :class:`LearnedLinear` map's matrix for ``A``. Measured on a
    zero image rather than read from ``A.range_complex``: a real matrix declares a complex
    range (it also accepts complex input) but maps real images to real data.

    Examples
    --------
    >>> from tk_lessons import sampling
    >>> from tk_lessons.operators import GaussianMatrix, SubsampledFourier
    >>> real_features(GaussianMatrix(10, 20, seed=0))
    10
    >>> real_features(SubsampledFourier(sampling.lowpass(16, 0.25)))      # 4 complex entries
    8
    """
    _validate.operator("A", A)
    with torch.no_grad():
        y = A(torch.zeros(1, *A.domain_shape, device=A.device))
    return flat_real(y).shape[1]


class LearnedLinear(nn.Module):
    """The linear map ``y -> M y`` from (real-vectorised) measurements to real images.

    Parameters
    ----------
    A : LinearOperator
        Forward operator (only its shapes are used by the map itself).
    M : torch.Tensor, shape (n, p)
        The matrix: ``n`` pixels, ``p`` real measurement entries (complex ``y`` is
        read as ``[Re y_1, Im y_1, Re y_2, ...]``, so ``p = 2 m``). A learnable parameter.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import GaussianMatrix
    >>> A = GaussianMatrix(10, 20, seed=0)
    >>> X = torch.rand(50, 20)
    >>> model = LearnedLinear.fit(A, X)
    >>> model(A(X)).shape
    torch.Size([50, 20])
    """

    def __init__(self, A: LinearOperator, M: torch.Tensor) -> None:
        super().__init__()
        self.A = _validate.operator("A", A)
        _validate.tensor("M", M)
        n, p = 1, real_features(A)
        for s in A.domain_shape:
            n *= s
        if tuple(M.shape) != (n, p) or M.is_complex():
            raise ValueError(f"M must be a real ({n}, {p}) matrix (pixels x real measurement entries) "
                             f"for this operator, got {tuple(M.shape)} ({M.dtype})")
        self.M = nn.Parameter(M.detach().clone())

    @classmethod
    def fit(cls, A: LinearOperator, X: torch.Tensor, eta: float = 0.0, ridge: float = 0.0) -> "LearnedLinear":
        """Least-squares fit of ``M`` to the pairs ``(A x_i, x_i)``.

        Minimises ``sum_i E ||M (A x_i + e_i) - x_i||^2 + ridge ||M||_F^2`` over ``M``,
        with Gaussian noise ``e_i`` of expected squared norm ``eta**2``, spread evenly
        over the ``p`` real entries. The expectation is exact, with no noise drawn: it
        adds ``K eta^2 / p`` to the ridge weight (``K`` images). To mimic training with
        jitter of level ``J`` (noise ``J s g / sqrt(m)``, ``s ~ U[0, 1]``, so
        ``E ||e||^2 = J^2 / 3``), pass ``eta = J / sqrt(3)``.

        With ``eta = ridge = 0`` the minimum-norm least-squares solution is returned
        (``numpy.linalg.lstsq``'s): ``M`` is then zero on the measurements no training
        image produces.

        Parameters
        ----------
        A : LinearOperator
            Forward operator.
        X : torch.Tensor, shape ``(K, *A.domain_shape)``
            Training images (real).
        eta : float >= 0
            Noise level to be robust to: the root-mean-square norm of the measurement noise.
        ridge : float >= 0
            Extra Tikhonov weight on ``||M||_F^2``.

        Returns
        -------
        LearnedLinear
            The fitted map (float32, on ``X``'s device).

        Examples
        --------
        >>> import torch
        >>> from tk_lessons.operators import Identity
        >>> X = torch.eye(4).reshape(4, 1, 4)
        >>> model = LearnedLinear.fit(Identity((1, 4)), X)
        >>> torch.allclose(model.M, torch.eye(4))
        True
        """
        _validate.operator("A", A)
        _validate.tensor("X", X)
        if X.ndim != len(A.domain_shape) + 1 or tuple(X.shape[1:]) != A.domain_shape or X.shape[0] == 0:
            raise ValueError(f"X must be a non-empty batch (K, {', '.join(map(str, A.domain_shape))}) of "
                             f"training images, got {tuple(X.shape)}")
        if X.is_complex():
            raise TypeError(f"X must hold real images, got dtype {X.dtype}")
        eta = _validate.positive("eta", eta, allow_zero=True)
        ridge = _validate.positive("ridge", ridge, allow_zero=True)
        with torch.no_grad():
            F = flat_real(A(X.to(torch.float64)))                # (K, p) features
        T = X.to(torch.float64).reshape(X.shape[0], -1)          # (K, n) targets
        K, p = F.shape
        weight = ridge + K * eta ** 2 / p
        if weight == 0:
            # gelsd: SVD-based, minimum norm for rank-deficient F (CPU only)
            Mt = torch.linalg.lstsq(F.cpu(), T.cpu(), driver="gelsd").solution.to(F.device)
        elif K <= p:   # the smaller normal equations: M^T = F^T (F F^T + w I)^{-1} T
            Mt = F.T @ torch.linalg.solve(F @ F.T + weight * torch.eye(K, dtype=F.dtype, device=F.device), T)
        else:          # M^T = (F^T F + w I)^{-1} F^T T
            Mt = torch.linalg.solve(F.T @ F + weight * torch.eye(p, dtype=F.dtype, device=F.device), F.T @ T)
        return cls(A, Mt.T.to(torch.float32))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Real images ``(B, *A.domain_shape)`` from measurements ``y``."""
        check_measurements(self.A, y)
        v = flat_real(y).to(self.M.dtype)
        return (v @ self.M.T).reshape(y.shape[0], *self.A.domain_shape)

    def extra_repr(self) -> str:
        return f"M: {tuple(self.M.shape)}"
