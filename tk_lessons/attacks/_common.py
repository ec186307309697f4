"""What every attack shares: input checks, seeded draws, ball projections.

Norms are per sample (:mod:`tk_lessons._batch`): a batch ``(B, ...)`` has ``B`` norms, each
over all the other dimensions, and complex entries count as pairs of reals, so a complex
space is treated as a real vector space of twice the dimension.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Callable

import torch

from .. import _validate
from .. import device as _device
from .._batch import expand, norm, safe_divide

__all__ = ["Reconstructor", "call", "check_batch", "check_same_shape", "fmt_values", "is_number", "project_ball",
           "radius_list", "random_directions", "randn_like", "resolve_seed", "to_sphere",
           "warn_if_not_finite"]

Reconstructor = Callable[[torch.Tensor], torch.Tensor]


# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------
def check_batch(name: str, t: Any) -> torch.Tensor:
    """Raise unless ``t`` is a non-empty floating-point or complex batch ``(B, ...)``."""
    _validate.tensor(name, t)
    if t.ndim < 2:
        raise ValueError(f"{name} must be a batch of shape (B, ...) with at least 2 dimensions, "
                         f"got shape {tuple(t.shape)}")
    if t.shape[0] == 0 or t.numel() == 0:
        raise ValueError(f"{name} must hold at least one non-empty sample, got shape {tuple(t.shape)}")
    if not (t.is_floating_point() or t.is_complex()):
        raise TypeError(f"{name} must be a floating-point or complex tensor, got dtype {t.dtype}")
    return t


def check_same_shape(name: str, t: torch.Tensor, like: torch.Tensor, what: str) -> None:
    """Raise ``ValueError`` unless ``t`` has the shape of ``like`` (described by ``what``)."""
    if tuple(t.shape) != tuple(like.shape):
        raise ValueError(f"{name} must have the shape of {what}, {tuple(like.shape)}, got {tuple(t.shape)}")


def call(recon: Reconstructor, y: torch.Tensor) -> torch.Tensor:
    """``recon(y)``, checked: a tensor with one output per input sample."""
    out = recon(y)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"recon must return a torch.Tensor, got {type(out).__name__}")
    if out.ndim < 1 or out.shape[0] != y.shape[0]:
        raise ValueError(f"recon must map a batch of {y.shape[0]} measurements to a batch of "
                         f"{y.shape[0]} images, got output shape {tuple(out.shape)}")
    return out


def radius_list(name: str, value: Any, *, allow_zero: bool = False) -> list[float]:
    """A float or a non-empty sequence of floats, each checked by ``_validate.positive``."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"{name} must be a number or a non-empty list of numbers, got {value!r}")
        return [_validate.positive(f"{name}[{i}]", v, allow_zero=allow_zero) for i, v in enumerate(value)]
    return [_validate.positive(name, value, allow_zero=allow_zero)]


def resolve_seed(seed: Any) -> tuple[int | None, torch.Generator]:
    """``(seed to record, CPU generator)``.

    ``None`` draws a fresh integer seed from torch's global generator (seeded by
    ``tk.setup``) and records it, so every result can be reproduced from its ``seed``.
    """
    if seed is None:
        seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
    if isinstance(seed, torch.Generator):
        return None, _device.generator(seed)
    return seed, _device.generator(seed)


# ---------------------------------------------------------------------------------------
# balls and random directions
# ---------------------------------------------------------------------------------------
def project_ball(e: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """Project each sample of ``e`` onto the centred ball of its radius (``radius`` is ``(B,)``)."""
    n = norm(e)
    factor = torch.clamp(safe_divide(radius, n), max=1.0)
    factor = torch.where(n > 0, factor, torch.ones_like(factor))
    return e * expand(factor.to(e.real.dtype), e)


def to_sphere(e: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """Scale each (nonzero) sample of ``e`` to norm ``radius``."""
    return e * expand(safe_divide(radius, norm(e)).to(e.real.dtype), e)


def randn_like(t: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Gaussian draw of ``t``'s shape and dtype, made on the CPU by ``gen`` and moved to ``t``'s device.

    Complex dtypes give independent real and imaginary parts (``E|z|^2 = 1``).
    """
    return torch.randn(t.shape, generator=gen, dtype=t.dtype, device="cpu").to(t.device)


def random_directions(t: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Gaussian directions ``g / ||g||`` of ``t``'s shape: uniform on each sample's unit sphere."""
    g = randn_like(t, gen)
    return g / expand(norm(g), g)


def is_number(value: Any) -> bool:
    """True for a real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def warn_if_not_finite(values: torch.Tensor, what: str, advice: str) -> None:
    """Warn (once, with the first bad iterate) when a history holds NaN or inf: never a silent NaN."""
    bad = ~torch.isfinite(values)
    if bool(bad.any()):
        first = int(bad.reshape(bad.shape[0], -1).any(dim=1).nonzero()[0])
        warnings.warn(f"{what} became non-finite (NaN or inf) at iterate {first}: {advice}",
                      RuntimeWarning, stacklevel=3)


def fmt_values(t: torch.Tensor | None, n: int = 4) -> str:
    """Short text for a (B,) tensor: ``[1.23e-02, 4.56e-01]`` (at most ``n`` entries)."""
    if t is None:
        return "-"
    values = [f"{float(v):.3g}" for v in t.detach().flatten()[:n]]
    more = ", ..." if t.numel() > n else ""
    return "[" + ", ".join(values) + more + "]"
