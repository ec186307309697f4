"""Proximal maps and projections used by the solvers. Complex entries are handled by modulus."""

from __future__ import annotations

import torch

from .. import _batch

__all__ = ["proj_l2_ball", "soft_threshold"]


def soft_threshold(z: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """``prox`` of ``t * ||.||_1``: ``z * max(0, 1 - t / |z|)``, for real or complex ``z``.

    For real ``z`` this is ``sign(z) * max(|z| - t, 0)``; for complex ``z`` the modulus
    shrinks and the phase is kept. ``t`` may be a scalar or a tensor broadcasting
    against ``z`` (weights).

    Examples
    --------
    >>> import torch
    >>> soft_threshold(torch.tensor([-2.0, 0.5, 4.0]), 1.0)
    tensor([-1.,  0.,  3.])
    """
    tiny = torch.finfo(z.real.dtype if z.is_complex() else z.dtype).tiny
    if z.is_complex():
        # |z| from the real and imaginary parts: several times faster than z.abs() on a CPU
        magnitude = torch.sqrt(torch.clamp(z.real.square() + z.imag.square(), min=tiny))
    else:
        magnitude = torch.clamp(z.abs(), min=tiny)
    # the clamps avoid 0/0 (and infinite gradients) where z = 0; those entries are set to 0 anyway
    return z * torch.clamp(1 - t / magnitude, min=0)


def proj_l2_ball(z: torch.Tensor, centre: torch.Tensor | None = None,
                 radius: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Project each item of the batch ``z`` onto the ball ``||z - centre|| <= radius``.

    ``radius`` is a scalar or a ``(B,)`` tensor of per-item radii.
    """
    d = z if centre is None else z - centre
    r = torch.as_tensor(radius, dtype=_batch.norm(d).dtype, device=z.device)
    factor = torch.clamp(r / torch.clamp(_batch.norm(d), min=torch.finfo(r.dtype).tiny), max=1)
    d = d * _batch.expand(factor.expand(z.shape[0]), d)
    return d if centre is None else centre + d
