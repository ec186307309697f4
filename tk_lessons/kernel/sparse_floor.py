r"""The price of exact recovery on a sparse class: a lower bound on every exact map's Lipschitz constant (Chapter 13).

Let :math:`W` be orthonormal and :math:`T` a set of :math:`s` coefficient indices. Write
:math:`B_T` for :math:`A W^*` restricted to coefficients supported on :math:`T`, as a real
linear map (real and imaginary parts of complex data stacked). If a map :math:`\Psi` recovers
*every* image whose coefficients lie on :math:`T` exactly from noiseless data, then at every
such image :math:`x` and every :math:`\varepsilon > 0`

.. math:: L^\varepsilon(\Psi, Ax) \;\ge\; 1 / \sigma_{\min}(B_T).

Proof: let :math:`v` be a unit right singular vector of :math:`B_T` for
:math:`\sigma_{\min} > 0` and :math:`z = W^*(t v)` with :math:`t = \varepsilon/\sigma_{\min}`.
Then :math:`x + z` is supported on :math:`T`, :math:`\|Az\| = \varepsilon` and
:math:`\|\Psi(Ax + Az) - \Psi(Ax)\| = \|z\| = t`, so the ratio is :math:`1/\sigma_{\min}`.
(If :math:`\sigma_{\min} = 0`, two images on :math:`T` share their data and no map is exact.)
This is the trade-off of Part II on the smallest class there is: exactness on a class forces
amplification of exactly the size of the class's worst-seen direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import _validate
from ..operators.base import LinearOperator
from ._common import check_batch

__all__ = ["SupportFloor", "best_terms", "support_floor"]


def _coefficients(W: LinearOperator, x: torch.Tensor) -> torch.Tensor:
    if x.is_complex():
        raise ValueError(f"x must be real images, got dtype {x.dtype}")
    c = W(x)
    return c.real if c.is_complex() else c


def _check_s(s: int, n: int) -> int:
    s = _validate.positive_int("s", s)
    if s > n:
        raise ValueError(f"s must be at most the number of coefficients {n}, got {s}")
    return s


def best_terms(x: torch.Tensor, W: LinearOperator, s: int) -> torch.Tensor:
    """The best ``s``-term approximation of each image in the orthonormal basis ``W``.

    Keeps the ``s`` coefficients of ``W x`` largest in magnitude (ties broken by index) and
    returns ``W^* c_s``: the ``s``-sparse image nearest to ``x``.

    Parameters
    ----------
    x : torch.Tensor, shape ``(B, *W.domain_shape)``
        Real images.
    W : LinearOperator
        An orthonormal sparsifying transform, e.g. a Haar ``Wavelet``.
    s : int >= 1
        Number of coefficients kept, at most the number of coefficients.

    Returns
    -------
    torch.Tensor
        Real images, shape of ``x``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.kernel import best_terms
    >>> from tk_lessons.operators import Identity
    >>> best_terms(torch.tensor([[[3.0, -5.0, 1.0, 4.0]]]), Identity((1, 4)), 2)
    tensor([[[ 0., -5.,  0.,  4.]]])
    """
    _validate.operator("W", W)
    check_batch("x", x, tuple(W.domain_shape), False)
    c = _coefficients(W, x)
    flat = c.flatten(1)
    s = _check_s(s, flat.shape[1])
    keep = torch.zeros_like(flat, dtype=torch.bool)
    keep.scatter_(1, flat.abs().topk(s, dim=1).indices, True)
    out = W.H(torch.where(keep, flat, torch.zeros_like(flat)).view_as(c).to(c.dtype))
    return out.real if out.is_complex() else out


@dataclass
class SupportFloor:
    """The least amplification of a map exact on each image's support (see :func:`support_floor`).

    Attributes
    ----------
    lipschitz_floor : torch.Tensor, shape ``(B,)``
        :math:`1 / \\sigma_{\\min}(B_T)`: every map exact on images supported on ``T`` has
        local Lipschitz constant at least this at every such image, for every radius.
    sigma_min : torch.Tensor, shape ``(B,)``
        The smallest singular value of :math:`B_T` (a real map).
    direction : torch.Tensor, shape ``(B, *A.domain_shape)``
        A unit-norm real image :math:`z` supported on ``T`` with :math:`\\|Az\\| = \\sigma_{\\min}`:
        adding :math:`\\varepsilon z / \\sigma_{\\min}` changes the data by exactly
        :math:`\\varepsilon`.
    support : torch.Tensor of int64, shape ``(B, s)``
        The flat coefficient indices ``T`` of each image.
    """

    lipschitz_floor: torch.Tensor
    sigma_min: torch.Tensor
    direction: torch.Tensor
    support: torch.Tensor


def support_floor(A: LinearOperator, W: LinearOperator, x: torch.Tensor, s: int) -> SupportFloor:
    r"""For each image, the least Lipschitz constant of any map exact on its ``s``-term support.

    ``T`` is the set of the ``s`` largest coefficients of ``W x`` (the support of
    :func:`best_terms`). The restriction :math:`B_T` of :math:`A W^*` is built densely, one
    column per coefficient (``s`` applications of ``A``), with real and imaginary parts stacked
    when ``A`` has complex range, and its smallest singular value is computed in float64. See
    the module docstring for the proof that :math:`1/\sigma_{\min}(B_T)` bounds the local
    Lipschitz constant of every map that is exact on the images supported on ``T``.

    Parameters
    ----------
    A : LinearOperator
        Forward operator on real images of shape ``W.domain_shape``.
    W : LinearOperator
        Orthonormal sparsifying transform.
    x : torch.Tensor, shape ``(B, *A.domain_shape)``
        Real images; each defines its support ``T``.
    s : int >= 1
        Size of the support, at most the number of measurements (real count) so that
        :math:`B_T` can be injective.

    Returns
    -------
    SupportFloor

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.kernel import support_floor
    >>> from tk_lessons.operators import Identity, MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]], dtype=torch.float64))
    >>> x = torch.tensor([[2.0, 1.0, 0.0]], dtype=torch.float64)   # support T = {0, 1}
    >>> res = support_floor(A, Identity((3,)), x, 2)
    >>> float(res.lipschitz_floor[0])
    2.0
    """
    _validate.operator("A", A)
    _validate.operator("W", W)
    if tuple(W.domain_shape) != tuple(A.domain_shape):
        raise ValueError(f"W must act on the images of A: W.domain_shape {tuple(W.domain_shape)} "
                         f"differs from A.domain_shape {tuple(A.domain_shape)}")
    check_batch("x", x, tuple(A.domain_shape), False)
    c = _coefficients(W, x)
    flat = c.flatten(1)
    s = _check_s(s, flat.shape[1])
    support = flat.abs().topk(s, dim=1).indices
    floors, sigmas, directions = [], [], []
    for T in support:
        E = torch.zeros(s, flat.shape[1], dtype=flat.dtype, device=flat.device)
        E[torch.arange(s, device=flat.device), T] = 1
        basis = W.H(E.view(s, *c.shape[1:]).to(c.dtype))
        basis = basis.real if basis.is_complex() else basis        # the s unit images on T
        cols = A(basis).flatten(1)                                  # (s, m)
        if cols.is_complex():                                       # as a real map: (Re, Im) stacked
            cols = torch.cat([cols.real, cols.imag], dim=1) if cols.imag.any() else cols.real
        if s > cols.shape[1]:
            raise ValueError(f"s must be at most the {cols.shape[1]} real measurements "
                             f"(else B_T has a kernel), got {s}")
        _, sv, vh = torch.linalg.svd(cols.T.double(), full_matrices=False)
        sigma = sv[-1]
        v = vh[-1].to(basis.dtype)
        sigmas.append(sigma)
        floors.append(1 / sigma if sigma > 0 else torch.tensor(float("inf"), dtype=sigma.dtype))
        directions.append((v.view(s, *([1] * (basis.dim() - 1))) * basis).sum(0))
    return SupportFloor(lipschitz_floor=torch.stack(floors).to(flat.dtype), sigma_min=torch.stack(sigmas).to(flat.dtype),
                        direction=torch.stack(directions), support=support)
