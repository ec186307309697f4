"""Radial spokes drawn as robust-nets' ``RadialMaskFunc`` draws them (Genzel, Macdonald & März).

Shared by :func:`~tk_lessons.sampling.radial` and the radial case of
:func:`~tk_lessons.sampling.nested`.
"""

from __future__ import annotations

import math

import torch

__all__ = ["GOLDEN_STEP", "SpokeDrawer", "round_half_away", "spoke_angles"]

# Golden-angle increment in degrees, 180 * (sqrt(5) - 1) / 2 ~ 111.25.
GOLDEN_STEP = 180.0 * (math.sqrt(5) - 1) / 2


def spoke_angles(n_spokes: int, golden: bool, offset: int) -> list[float]:
    """Angles in degrees: golden-angle steps (skipping ``offset * n_spokes``) or equispaced."""
    if golden:
        return [GOLDEN_STEP * k for k in range(offset * n_spokes, (offset + 1) * n_spokes)]
    return [180.0 * k / n_spokes for k in range(n_spokes)]


def round_half_away(t: torch.Tensor) -> torch.Tensor:
    """C's round(): halves go away from zero (torch.round sends them to even)."""
    whole = torch.trunc(t)
    return whole + torch.sign(t) * ((t - whole).abs() >= 0.5)


class SpokeDrawer:
    """Draws single spokes exactly like robust-nets' ``RadialMaskFunc``.

    The reference draws the middle row of a ``d x d`` grid, ``d = ceil(sqrt(2) max(H, W))``,
    rotates it with ``skimage.transform.rotate(order=0)`` (nearest neighbour, about the
    grid centre ``d / 2 - 1/2``) and crops the central ``H x W`` block. We compute the
    same thing backwards: an output pixel is on the spoke when rotating it by the angle
    about the centre lands, after rounding, on the template row.
    """

    def __init__(self, shape: tuple[int, int]) -> None:
        h, w = shape
        self.d = math.ceil(math.sqrt(2) * max(h, w))
        mid = self.d // 2
        rows = torch.arange(mid - h // 2, mid + (h + 1) // 2, dtype=torch.float64)
        cols = torch.arange(mid - w // 2, mid + (w + 1) // 2, dtype=torch.float64)
        self.r, self.c = torch.meshgrid(rows, cols, indexing="ij")
        self.centre = self.d / 2 - 0.5

    def __call__(self, angle_deg: float) -> torch.Tensor:
        theta = math.radians(angle_deg)
        cos, sin = math.cos(theta), math.sin(theta)
        dc, dr = self.c - self.centre, self.r - self.centre
        c_in = round_half_away(self.centre + cos * dc - sin * dr)
        r_in = round_half_away(self.centre + sin * dc + cos * dr)
        return (r_in == self.d // 2) & (c_in >= 0) & (c_in < self.d)
