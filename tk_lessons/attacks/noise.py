"""Are failures rare? Random noise of a given size, and random balls around an adversarial point.

* :func:`random_noise_test`: Gaussian perturbations of exactly norm ``eps``; compared with an
  adversarial perturbation of the same norm it shows that the instability is *adversarial*
  (random noise of the same size, or three times larger, does little).
* :func:`ball_test`: perturbations ``e_adv + rho * g / ||g||`` around an adversarial ``e_adv``
  (the ball experiment on AUTOMAP in the code of the first version of
  Gottschling et al., arXiv:2001.01258v1); when the failure rate stays high for
  ``rho`` comparable to ``||e_adv||``, the failures fill a set of positive measure: they are
  not rare events (a result of Gottschling et al., SIAM Review 2025).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from .. import _batch, _validate
from .._batch import expand, norm
from . import _common
from ._common import Reconstructor, fmt_values

__all__ = ["NoiseTest", "ball_test", "random_noise_test", "sphere_scores"]


@dataclass(repr=False)
class NoiseTest:
    """Errors of a reconstructor under random perturbations, and how often they fail.

    Attributes
    ----------
    method : str
        ``"random_noise_test"`` or ``"ball_test"``.
    eps : torch.Tensor, shape (R, B)
        Noise norm of each level, per sample (after ``relative``).
    errors : torch.Tensor, shape (R, trials, B)
        Relative error ``||Psi(y + e) - x|| / ||x||`` of every draw.
    failure_rate : torch.Tensor, shape (R, B)
        Fraction of draws whose error exceeds ``threshold``.
    threshold : float
        The error above which a reconstruction counts as a failure.
    clean_error : torch.Tensor, shape (B,)
        Relative error of the unperturbed reconstruction ``Psi(y)`` (of ``Psi(y + e_adv)``
        for the ball test).
    worst_noise : torch.Tensor, shape (R, B, ...)
        The draw with the largest error, for each level and sample.
    seed : int or None
        Seed of the draws.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import random_noise_test
    >>> y = torch.ones(1, 8)
    >>> res = random_noise_test(lambda y: y, y, y, [0.01, 10.0], trials=5, threshold=0.5, seed=0)
    >>> res.failure_rate
    tensor([[0.],
            [1.]])
    """

    method: str
    eps: torch.Tensor
    errors: torch.Tensor
    failure_rate: torch.Tensor
    threshold: float
    clean_error: torch.Tensor
    worst_noise: torch.Tensor
    seed: int | None

    @property
    def worst_error(self) -> torch.Tensor:
        """Largest error over the draws, shape ``(R, B)``."""
        return self.errors.max(dim=1).values

    @property
    def mean_error(self) -> torch.Tensor:
        """Mean error over the draws, shape ``(R, B)``."""
        return self.errors.mean(dim=1)

    def __repr__(self) -> str:
        return (f"NoiseTest(method={self.method!r}, levels={self.eps.shape[0]}, trials={self.errors.shape[1]}, "
                f"batch={self.errors.shape[2]}, threshold={self.threshold:.3g}, "
                f"failure_rate(sample 0)={fmt_values(self.failure_rate[:, 0], 8)}, seed={self.seed})")

    def summary(self) -> str:
        """A table of failure rate, mean and worst error against the noise level (sample 0 first)."""
        lines = [f"{self.method}: threshold {self.threshold:.3g}, {self.errors.shape[1]} draws, seed {self.seed}"]
        lines.append(f"{'sample':>6} {'eps':>11} {'fail rate':>10} {'mean err':>10} {'worst err':>10}")
        for b in range(self.errors.shape[2]):
            for i in range(self.eps.shape[0]):
                lines.append(f"{b:>6} {float(self.eps[i, b]):>11.4g} {float(self.failure_rate[i, b]):>10.3f} "
                             f"{float(self.mean_error[i, b]):>10.4g} {float(self.worst_error[i, b]):>10.4g}")
        return "\n".join(lines)


def _rel_error(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return _batch.safe_divide(norm(out - x), norm(x))


def _draws(recon: Reconstructor, y: torch.Tensor, centre: torch.Tensor, x: torch.Tensor, eps: torch.Tensor,
           trials: int, gen: torch.Generator, progress: bool, desc: str
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Errors of ``recon(y + centre + radius * u)`` for random unit ``u``: ``(R, trials, B)``, and the worst ``u``.

    The same directions serve every radius (common random numbers), so the curves against
    the radius are smooth.
    """
    errors = torch.empty(eps.shape[0], trials, y.shape[0], dtype=eps.dtype)
    worst = torch.zeros(eps.shape[0], *y.shape, dtype=y.dtype, device=y.device)
    top = torch.full((eps.shape[0], y.shape[0]), -1.0, dtype=eps.dtype)
    with torch.no_grad():
        for t in _batch.progress_range(trials, progress, desc):
            u = _common.random_directions(y, gen)
            for i in range(eps.shape[0]):
                noise = centre + expand(eps[i].to(y.device), u).to(u.dtype) * u
                err = _rel_error(_common.call(recon, y + noise), x).cpu()
                errors[i, t] = err
                better = err > top[i]
                top[i] = torch.where(better, err, top[i])
                worst[i] = torch.where(expand(better.to(y.device), noise), noise, worst[i])
    return errors, worst


def _prepare(recon: Reconstructor, y: torch.Tensor, x: torch.Tensor | None, trials: int, threshold: float,
             seed, progress: bool):
    _validate.function("recon", recon, "a reconstructor recon(y) -> x")
    _common.check_batch("y", y)
    trials = _validate.positive_int("trials", trials)
    threshold = _validate.positive("threshold", threshold)
    progress = _validate.flag("progress", progress)
    seed, gen = _common.resolve_seed(seed)
    y = y.detach()
    with torch.no_grad():
        x_clean = _common.call(recon, y)
    if x is None:
        x = x_clean
    else:
        _common.check_batch("x", x)
        _common.check_same_shape("x", x, x_clean, "recon(y)")
        x = x.detach().to(x_clean.device)
    return y, x, trials, threshold, progress, seed, gen


def random_noise_test(
    recon: Reconstructor,
    y: torch.Tensor,
    x: torch.Tensor | None,
    eps: float | Sequence[float],
    *,
    trials: int = 20,
    relative: bool = False,
    threshold: float = 0.1,
    seed: int | torch.Generator | None = None,
    progress: bool = False,
) -> NoiseTest:
    """Reconstruct from ``y + e`` for random Gaussian ``e`` of norm exactly ``eps``; count the failures.

    Each draw is ``e = eps * g / ||g||`` with ``g`` standard Gaussian (complex Gaussian for
    complex ``y``): a uniformly random direction. A draw *fails* when the relative error
    ``||Psi(y + e) - x|| / ||x||`` exceeds ``threshold``.

    Parameters
    ----------
    recon : callable
        The reconstructor ``Psi``.
    y : torch.Tensor, shape (B, ...)
        Measurements.
    x : torch.Tensor or None
        Ground truth, shape of ``recon(y)``; ``None`` measures against ``recon(y)``.
    eps : float or sequence of float
        Noise norm(s), each ``> 0``.
    trials : int
        Draws per level (``>= 1``).
    relative : bool
        Read ``eps`` as a fraction of ``||y||`` (per sample).
    threshold : float
        Relative error above which a reconstruction is a failure.
    seed : int, torch.Generator or None
        Seed of the draws (made on the CPU).
    progress : bool
        Show a progress bar.

    Returns
    -------
    NoiseTest
        Errors ``(levels, trials, B)``, failure rates ``(levels, B)``, worst draws.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import random_noise_test
    >>> res = random_noise_test(lambda y: 2 * y, torch.ones(1, 4), None, 0.5, trials=3, seed=0)
    >>> round(float(res.errors.max()), 4)           # ||2 e|| / ||2 y|| = 0.5 / 2
    0.25
    """
    y, x, trials, threshold, progress, seed, gen = _prepare(recon, y, x, trials, threshold, seed, progress)
    levels = _common.radius_list("eps", eps)
    relative = _validate.flag("relative", relative)
    scale = norm(y).cpu() if relative else torch.ones(y.shape[0], dtype=y.real.dtype)
    radius = torch.tensor(levels, dtype=scale.dtype)[:, None] * scale[None]
    errors, worst = _draws(recon, y, torch.zeros_like(y), x, radius, trials, gen, progress, "random noise")
    with torch.no_grad():
        clean = _rel_error(recon(y), x).cpu()
    return NoiseTest("random_noise_test", radius, errors, (errors > threshold).to(errors.dtype).mean(dim=1),
                     threshold, clean, worst, seed)


def ball_test(
    recon: Reconstructor,
    y: torch.Tensor,
    e_adv: torch.Tensor,
    x: torch.Tensor | None,
    eps: float | Sequence[float],
    *,
    trials: int = 20,
    relative: bool = False,
    threshold: float = 0.1,
    seed: int | torch.Generator | None = None,
    progress: bool = False,
) -> NoiseTest:
    """Failure rate on random points of spheres of radius ``rho`` around an adversarial perturbation.

    Each draw is ``e = e_adv + rho * g / ||g||`` (``g`` Gaussian, ``rho`` one of ``eps``); it fails when
    ``||Psi(y + e) - x|| / ||x|| > threshold``. The failure rate against ``rho`` shows how
    large the region of bad perturbations around ``e_adv`` is: if it stays high up to
    ``rho ~ ||e_adv|| / 2`` (the AUTOMAP ball experiment of arXiv:2001.01258v1 used half of ``||A r||``),
    the failures are not confined to a thin set.

    Parameters
    ----------
    recon : callable
        The reconstructor ``Psi``.
    y : torch.Tensor, shape (B, ...)
        Clean measurements.
    e_adv : torch.Tensor, shape of ``y``
        The adversarial perturbation (e.g. ``measurement_attack(...).e``).
    x : torch.Tensor or None
        Ground truth, shape of ``recon(y)``; ``None`` measures against ``recon(y)``.
    eps : float or sequence of float
        Radii ``rho >= 0`` of the spheres.
    trials : int
        Draws per radius (the same directions for every radius).
    relative : bool
        Read ``eps`` as fractions of ``||e_adv||`` (per sample).
    threshold : float
        Relative error above which a reconstruction is a failure.
    seed : int, torch.Generator or None
        Seed of the draws (made on the CPU).
    progress : bool
        Show a progress bar.

    Returns
    -------
    NoiseTest
        Errors ``(len(eps), trials, B)`` and failure rates ``(len(eps), B)``;
        ``clean_error`` is the error at ``e_adv`` itself.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import ball_test
    >>> y = torch.ones(1, 4)
    >>> res = ball_test(lambda y: y, y, torch.full((1, 4), 0.5), y, [0.0, 0.1], trials=4, threshold=0.3, seed=0)
    >>> res.failure_rate.flatten()                  # the error stays 0.5 +- 0.1, above 0.3
    tensor([1., 1.])
    """
    y, x, trials, threshold, progress, seed, gen = _prepare(recon, y, x, trials, threshold, seed, progress)
    _common.check_batch("e_adv", e_adv)
    _common.check_same_shape("e_adv", e_adv, y, "y")
    levels = _common.radius_list("eps", eps, allow_zero=True)
    relative = _validate.flag("relative", relative)
    e_adv = e_adv.detach().to(y.device, y.dtype)
    scale = norm(e_adv).cpu() if relative else torch.ones(y.shape[0], dtype=y.real.dtype)
    rho = torch.tensor(levels, dtype=scale.dtype)[:, None] * scale[None]
    errors, worst = _draws(recon, y, e_adv, x, rho, trials, gen, progress, "ball test")
    with torch.no_grad():
        at_centre = _rel_error(recon(y + e_adv), x).cpu()
    return NoiseTest("ball_test", rho, errors, (errors > threshold).to(errors.dtype).mean(dim=1),
                     threshold, at_centre, worst, seed)


def sphere_scores(
    score: Reconstructor,
    y: torch.Tensor,
    eps: float | Sequence[float],
    *,
    centre: torch.Tensor | None = None,
    unit: torch.Tensor | None = None,
    trials: int = 20,
    seed: int | torch.Generator | None = None,
    batch_size: int = 4096,
) -> torch.Tensor:
    """Any per-sample score at random points ``y + centre + rho u`` (``u`` uniform on the unit sphere), batched.

    The draws are those of :func:`ball_test` and :func:`random_noise_test` with the same
    seed (one direction per sample and trial, the same for every radius), but ``score`` may
    be anything computed from the perturbed data, one number per sample: a relative error,
    or the share of a detail drawn. Many trials go through ``score`` in one call of up to
    ``batch_size`` measurements, which is what makes thousands of draws affordable.

    Parameters
    ----------
    score : callable
        ``score(y_batch) -> (batch,)`` tensor; it receives measurements of shape
        ``(k * B, ...)``, the ``B`` samples repeated ``k`` times (trial-major).
    y : torch.Tensor, shape (B, ...)
        Clean measurements.
    eps : float or sequence of float
        Radii ``rho >= 0``, in units of ``unit``.
    centre : torch.Tensor or None
        Centre of the spheres relative to ``y`` (e.g. an adversarial perturbation); ``None``: 0.
    unit : torch.Tensor of shape (B,) or None
        Per-sample unit of ``eps`` (e.g. ``||centre||`` or ``||y||``); ``None``: 1.
    trials : int
        Draws per radius.
    seed : int, torch.Generator or None
        Seed of the draws (made on the CPU).
    batch_size : int
        Largest number of measurements per call of ``score``.

    Returns
    -------
    torch.Tensor, shape (len(eps), trials, B)
        The score of every draw (on the CPU).

    Examples
    --------
    >>> import torch
    >>> y = torch.zeros(2, 3)
    >>> s = sphere_scores(lambda v: v.norm(dim=1), y, [0.0, 1.0, 2.0], trials=4, seed=0)
    >>> s.shape, [round(float(v), 4) for v in s[:, 0, 0]]
    (torch.Size([3, 4, 2]), [0.0, 1.0, 2.0])
    """
    _validate.function("score", score, "a function y -> one score per sample")
    _common.check_batch("y", y)
    levels = _common.radius_list("eps", eps, allow_zero=True)
    trials = _validate.positive_int("trials", trials)
    batch_size = _validate.positive_int("batch_size", batch_size)
    y = y.detach()
    if centre is None:
        centre = torch.zeros_like(y)
    else:
        _common.check_batch("centre", centre)
        _common.check_same_shape("centre", centre, y, "y")
        centre = centre.detach().to(y.device, y.dtype)
    n_samples = y.shape[0]
    if unit is None:
        unit = torch.ones(n_samples, dtype=y.real.dtype)
    else:
        _validate.tensor("unit", unit)
        if tuple(unit.shape) != (n_samples,):
            raise ValueError(f"unit must have shape ({n_samples},) (one unit per sample of y), "
                             f"got {tuple(unit.shape)}")
    _, gen = _common.resolve_seed(seed)
    directions = torch.stack([_common.random_directions(y, gen) for _ in range(trials)])   # (T, B, ...)
    per_call = max(1, batch_size // n_samples)
    out = torch.empty(len(levels), trials, n_samples, dtype=torch.float64)
    with torch.no_grad():
        for i, level in enumerate(levels):
            rho = (level * unit).to(y.device).to(y.real.dtype)
            for start in range(0, trials, per_call):
                u = directions[start:start + per_call]
                k = u.shape[0]
                noisy = (y + centre)[None] + rho.reshape(1, -1, *([1] * (y.ndim - 1))) * u
                values = score(noisy.reshape(k * n_samples, *y.shape[1:]))
                if not isinstance(values, torch.Tensor) or tuple(values.shape) != (k * n_samples,):
                    raise ValueError(f"score must return one number per measurement, shape ({k * n_samples},), "
                                     f"got {getattr(values, 'shape', type(values).__name__)}")
                out[i, start:start + k] = values.detach().double().cpu().reshape(k, n_samples)
    return out
