"""Per-sample arithmetic on batches, and the optional progress bar: shared by solvers,
attacks and kernel tools.

A batch is a tensor ``(B, ...)``; every function here works sample by sample and returns
one value per sample, shape ``(B,)``. Complex entries count as pairs of reals
(``|z|^2 = Re^2 + Im^2``), so a complex space is a real vector space of twice the dimension.

Examples
--------
>>> import torch
>>> from tk_lessons import _batch
>>> t = torch.tensor([[3.0, 4.0], [0.0, 1.0]])
>>> _batch.norm(t)
tensor([5., 1.])
>>> _batch.inner(t, t)
tensor([25.,  1.])
>>> (t / _batch.expand(_batch.norm(t), t)).norm(dim=1)
tensor([1., 1.])
"""

from __future__ import annotations

import math
from typing import Iterable

import torch

__all__ = ["entries", "expand", "flat_real", "inner", "norm", "progress_range",
           "safe_divide", "sqnorm", "total"]


def total(t: torch.Tensor) -> torch.Tensor:
    """Sum over all but the batch dimension: shape ``(B,)``."""
    return t.reshape(t.shape[0], -1).sum(dim=1)


def inner(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Real inner product of each pair of samples, :math:`\\mathrm{Re}\\langle u, v\\rangle`: ``(B,)``."""
    prod = u.conj() * v if u.is_complex() else u * v
    return total(prod.real if prod.is_complex() else prod)


def sqnorm(t: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean norm of each sample, ``(B,)``, real and differentiable."""
    sq = t.real.square() + t.imag.square() if t.is_complex() else t.square()
    return total(sq)


def norm(t: torch.Tensor) -> torch.Tensor:
    """Euclidean norm of each sample, ``(B,)``."""
    return sqnorm(t).sqrt()


def expand(per_sample: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a ``(B,)`` tensor so that it broadcasts against the batch ``like``."""
    return per_sample.reshape(-1, *([1] * (like.ndim - 1)))


def safe_divide(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a / b``, with 0 where ``b == 0`` (a zero vector has no ratio)."""
    return torch.where(b > 0, a / torch.where(b > 0, b, torch.ones_like(b)), torch.zeros_like(a))


def flat_real(t: torch.Tensor) -> torch.Tensor:
    """``(B, ...)`` real or complex to ``(B, n)`` float64, complex entries split into (re, im)."""
    t = torch.view_as_real(t.resolve_conj()) if t.is_complex() else t
    return t.reshape(t.shape[0], -1).to(torch.float64)


def entries(t: torch.Tensor) -> int:
    """Number of *real* entries of one sample (a complex entry counts twice)."""
    return math.prod(t.shape[1:]) * (2 if t.is_complex() else 1)


def progress_range(n: int, progress: bool = False, desc: str = "") -> Iterable[int]:
    """``range(n)``, wrapped in a tqdm progress bar when ``progress`` is True."""
    if progress:
        from tqdm.auto import trange

        return trange(n, desc=desc, leave=False)
    return range(n)
