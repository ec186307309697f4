r"""The jump class of Chapter 11: ``A(t, s) = t`` and two half-lines at heights +1 and -1.

The class is :math:`\mathcal M_1 = \{(t, 1) : t \le 0\} \cup \{(t, -1) : t > 0\}`; each data
value :math:`y = t` has exactly one member, so the exact map has worst-case error 0, yet
every *continuous* map errs by at least 1 near :math:`y = 0`.

* :func:`jump_operator`: the 1 x 2 matrix of ``A(t, s) = t``;
* :func:`jump_member`: the class member with data ``y``;
* :func:`jump_error`: the error of reconstructions ``x_rec`` of data ``y``, per sample.
"""

from __future__ import annotations

import torch

from ..operators import MatrixOperator

__all__ = ["jump_error", "jump_member", "jump_operator"]


def jump_operator() -> MatrixOperator:
    """The forward operator ``A(t, s) = t``, a real 1 x 2 matrix (float64).

    Examples
    --------
    >>> import torch
    >>> jump_operator()(torch.tensor([[0.5, -1.0]], dtype=torch.float64))
    tensor([[0.5000]], dtype=torch.float64)
    """
    return MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))


def _data(y: object) -> torch.Tensor:
    if not isinstance(y, torch.Tensor) or y.is_complex() or y.ndim != 2 or y.shape[1] != 1:
        raise ValueError(f"y must be a real tensor of shape (B, 1), got "
                         f"{getattr(y, 'shape', type(y))}")
    return y.to(torch.float64)


def jump_member(y: torch.Tensor) -> torch.Tensor:
    """The member of the class with data ``y``: ``(y, 1)`` for ``y <= 0``, ``(y, -1)`` else.

    Parameters
    ----------
    y : torch.Tensor, shape (B, 1)
        Data values, real.

    Returns
    -------
    torch.Tensor, shape (B, 2), float64

    Examples
    --------
    >>> import torch
    >>> jump_member(torch.tensor([[-0.5], [0.0], [1e-9]]))
    tensor([[-5.0000e-01,  1.0000e+00],
            [ 0.0000e+00,  1.0000e+00],
            [ 1.0000e-09, -1.0000e+00]], dtype=torch.float64)
    """
    t = _data(y)
    height = torch.where(t <= 0, 1.0, -1.0).to(torch.float64)
    return torch.cat([t, height], dim=1)


def jump_error(x_rec: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample error ``||x_rec_i - jump_member(y)_i||`` of reconstructions of data ``y``.

    Parameters
    ----------
    x_rec : torch.Tensor, shape (B, 2)
        Reconstructions of the data ``y``, real.
    y : torch.Tensor, shape (B, 1)
        Data values, real.

    Returns
    -------
    torch.Tensor, shape (B,), float64

    Examples
    --------
    >>> import torch
    >>> y = torch.tensor([[-1.0], [0.0], [1e-6]], dtype=torch.float64)
    >>> jump_error(torch.cat([y, torch.zeros_like(y)], dim=1), y)   # the map (t, 0)
    tensor([1., 1., 1.], dtype=torch.float64)
    """
    x = jump_member(y)
    if not isinstance(x_rec, torch.Tensor) or x_rec.shape != x.shape or x_rec.is_complex():
        raise ValueError(f"x_rec must be a real tensor of shape {tuple(x.shape)}, got "
                         f"{getattr(x_rec, 'shape', type(x_rec))}")
    return (x_rec.to(torch.float64) - x).norm(dim=1)
