"""Ellipses on a grid, shared by the Shepp–Logan phantom, the random ellipses and the random heads."""

from __future__ import annotations

import torch

__all__ = ["SHEPP_LOGAN", "inside_ellipses"]

# Ellipses of the modified Shepp–Logan phantom (Toft, "The Radon transform", 1996):
# (intensity, semi-axis along x, semi-axis along y, centre x, centre y, angle in degrees).
SHEPP_LOGAN = (
    (1.0, 0.69, 0.92, 0.0, 0.0, 0.0),
    (-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0),
    (-0.2, 0.11, 0.31, 0.22, 0.0, -18.0),
    (-0.2, 0.16, 0.41, -0.22, 0.0, 18.0),
    (0.1, 0.21, 0.25, 0.0, 0.35, 0.0),
    (0.1, 0.046, 0.046, 0.0, 0.1, 0.0),
    (0.1, 0.046, 0.046, 0.0, -0.1, 0.0),
    (0.1, 0.046, 0.023, -0.08, -0.605, 0.0),
    (0.1, 0.023, 0.023, 0.0, -0.606, 0.0),
    (0.1, 0.023, 0.046, 0.06, -0.605, 0.0),
)


def inside_ellipses(x: torch.Tensor, y: torch.Tensor, ax: torch.Tensor, ay: torch.Tensor,
                    cx: torch.Tensor, cy: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Boolean ``(E, H, W)``: which grid points ``(x, y)`` lie in each of the E ellipses."""
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    dx, dy = x - cx[:, None, None], y - cy[:, None, None]
    u = (dx * cos + dy * sin) / ax[:, None, None]    # coordinates along the ellipse's axes
    v = (-dx * sin + dy * cos) / ay[:, None, None]
    return u**2 + v**2 <= 1
