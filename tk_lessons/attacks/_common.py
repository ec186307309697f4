"""What every attack shares: input checks, per-sample norms, seeded draws, ball projections.

Norms are per sample: a batch ``(B, ...)`` has ``B`` norms, each over all the other
dimensions, and complex entries count as pairs of reals (``|z|^2 = Re^2 + Im^2``), so a
complex space is treated as a real vector space of twice the dimension.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Callable, Iterable

import torch

from .. import _validate
from .. import device as _device

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


def radii(name: str, value: Any, *, allow_zero: bool = False) -> list[float]:
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
# per-sample arithmetic
# ---------------------------------------------------------------------------------------
def sqnorm(t: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean norm of each sample, shape ``(B,)``, real (differentiable)."""
    sq = t.real.square() + t.imag.square() if t.is_complex() else t.square()
    return sq.reshape(t.shape[0], -1).sum(dim=1)


def norm(t: torch.Tensor) -> torch.Tensor:
    """Euclidean norm of each sample, shape ``(B,)``."""
    return sqnorm(t).sqrt()


def expand(s: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a ``(B,)`` tensor to broadcast against the batch ``like``."""
    return s.reshape(-1, *([1] * (like.ndim - 1)))


def safe_divide(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a / b``, with 0 where ``b == 0`` (a zero perturbation has no ratio)."""
    return torch.where(b > 0, a / torch.where(b > 0, b, torch.ones_like(b)), torch.zeros_like(a))


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


def entries(t: torch.Tensor) -> int:
    """Number of *real* entries of one sample (a complex entry counts twice)."""
    return math.prod(t.shape[1:]) * (2 if t.is_complex() else 1)


def iterations(n: int, progress: bool, desc: str) -> Iterable[int]:
    """``range(n)``, wrapped in a tqdm progress bar when ``progress`` is True."""
    if progress:
        from tqdm.auto import trange

        return trange(n, desc=desc, leave=False)
    return range(n)


def check_progress(progress: Any) -> bool:
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    return progress


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def warn_if_not_finite(values: torch.Tensor, what: str, advice: str) -> None:
    """Warn (once, with the first bad iterate) when a history holds NaN or inf: never a silent NaN."""
    bad = ~torch.isfinite(values)
    if bool(bad.any()):
        first = int(bad.reshape(bad.shape[0], -1).any(dim=1).nonzero()[0])
        warnings.warn(f"{what} became non-finite (NaN or inf) at iterate {first}: {advice}",
                      RuntimeWarning, stacklevel=3)
