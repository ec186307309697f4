"""Checks for instabilities (Chapter 4): adversarial perturbations of the data, random
perturbations of the same size, local Lipschitz ratios, and more samples that hurt a network
(nested sampling patterns).

Each check computes its reference itself, from the reconstruction map, the data and the
student's own maps (the errors under random perturbations, the ratios behind a local Lipschitz
bound, the provable properties of constrained TV on nested patterns), so the visible check cell
holds no expression that a student could paste as the answer. A failure says what is wrong
without printing the reference.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from .. import _batch, _validate, attacks, metrics, operators, zoo
from ..zoo import recipes
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["attack_beats_random", "error_growth", "lipschitz_ratios", "nested_sampling",
           "random_direction", "random_errors"]


def error_growth(recon: Callable, y: torch.Tensor, x: torch.Tensor, e: object, eps: float, *,
                 factor: float = 2.0, rtol: float = 1e-6) -> None:
    r"""Check a data perturbation ``e`` of size at most ``eps`` that multiplies the error by ``factor``.

    The relative error :math:`\|\Psi(y + e) - x\| / \|x\|` of the reconstruction map
    :math:`\Psi` (``recon``) must be at least ``factor`` times the error
    :math:`\|\Psi(y) - x\| / \|x\|` of the clean data, for every sample of the batch, and
    :math:`\|e\| \le \varepsilon` (up to ``rtol``) for every sample (Chapter 4).

    Parameters
    ----------
    recon : callable
        The reconstructor, measurements in, images out.
    y : torch.Tensor, shape ``(B, ...)``
        The clean measurements.
    x : torch.Tensor
        The true images, shape of ``recon(y)``.
    e : torch.Tensor, shape of ``y``
        The student's perturbation of the measurements.
    eps : float
        The budget.
    factor : float
        The required growth of the error.
    rtol : float
        Relative rounding allowance on the budget.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> y, x = torch.ones(1, 4), torch.full((1, 4), 2.0)      # the clean error is 50%
    >>> checks.error_growth(lambda v: v, y, x, torch.full((1, 4), -0.1), eps=0.2, factor=1.05)
    ✔ error growth: correct
    """
    _validate.function("recon", recon, "a reconstruction map recon(y) -> x_rec")
    factor = _validate.positive("factor", factor)
    y = as_tensor("y", y)
    x = as_tensor("x", x)
    e = as_tensor("e", e)
    eps = as_number("eps", eps)
    if e.shape != y.shape:
        raise CheckError(f"e: expected the shape of the measurements y, {tuple(y.shape)}; got {tuple(e.shape)}. "
                         "Perturb the data, not the image")
    flat = _batch.flat_real(e)
    if not bool(torch.isfinite(flat).all()):
        raise CheckError("e contains NaN or inf")
    e_norm = _batch.norm(flat)
    worst = int(e_norm.argmax())
    if float(e_norm[worst]) > eps * (1 + rtol):
        raise CheckError(f"e: ||e|| = {float(e_norm[worst]):.6g} (sample {worst}) exceeds the budget eps = {eps:.6g}. "
                         "Keep the perturbation in the ball, e.g. e * min(1, eps / ||e||)")
    with torch.no_grad():
        clean = as_tensor("recon(y)", recon(y))
        perturbed = as_tensor("recon(y + e)", recon(y + e.to(y.dtype)))
    if clean.shape != x.shape:
        raise CheckError(f"x: expected the shape of recon(y), {tuple(clean.shape)}; got {tuple(x.shape)}")

    def error(x_rec: torch.Tensor) -> torch.Tensor:   # any shape (B, ...), unlike tk.metrics.rel_error
        return _batch.norm(_batch.flat_real(x_rec - x)) / _batch.norm(_batch.flat_real(x))

    before, after = error(clean), error(perturbed)
    growth = after / before
    low = int(growth.argmin())
    if not float(growth[low]) >= factor:
        raise CheckError(
            f"error growth: the relative error of sample {low} goes from {float(before[low]):.2%} to "
            f"{float(after[low]):.2%}, a factor {float(growth[low]):.2f}, but this task asks for {factor:g}. "
            "Use the whole budget (||e|| = eps), run more ascent steps or use a larger step")
    ok("error growth")


def random_direction(fn: Callable, *, m: int = 200, trials: int = 3000, seed: int = 0) -> None:
    r"""Check ``fn(y, eps, generator)``: :math:`y + e` with :math:`e = \varepsilon g / \|g\|`, :math:`g`
    complex Gaussian.

    Such an :math:`e` is uniformly distributed on the sphere of radius :math:`\varepsilon` of
    :math:`\mathbb{C}^m` (viewed as :math:`\mathbb{R}^{2m}`): every draw has norm exactly
    :math:`\varepsilon`, each real coordinate carries on average :math:`1 / (2m)` of the
    energy, and real and imaginary parts carry half each. The check also
    requires that the draws come from ``generator`` (same seed, same draws), that each row of a
    batch gets its own direction and that the noise does not depend on ``y``.

    Parameters
    ----------
    fn : callable
        ``fn(y, eps, generator)`` for complex ``y`` of shape ``(B, m)``.
    m, trials : int
        Length and number of the test vectors.
    seed : int
        Seed of the generators handed to ``fn``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> def fn(y, eps, gen):
    ...     g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    ...     return y + eps * g / g.abs().norm(dim=1, keepdim=True)
    >>> checks.random_direction(fn)
    ✔ random direction: correct
    """
    m = _validate.positive_int("m", m)
    trials = _validate.positive_int("trials", trials, minimum=100)
    y_zero = torch.zeros(trials, m, dtype=torch.complex128)
    eps = 0.7
    out = as_tensor("fn(y, eps, generator)", fn(y_zero, eps, torch.Generator().manual_seed(seed)))
    if out.shape != y_zero.shape or not out.is_complex():
        raise CheckError(f"random direction: expected a complex tensor of the shape of y, {tuple(y_zero.shape)}; "
                         f"got {tuple(out.shape)} ({out.dtype}). Draw complex noise (dtype=y.dtype)")
    e = (out - y_zero).to(torch.complex128)
    norms = e.abs().norm(dim=1)
    if float((norms - eps).abs().max()) > 1e-6 * eps:
        raise CheckError(f"random direction: the rows of e have norms from {float(norms.min()):.4g} to "
                         f"{float(norms.max()):.4g}, but every one must be exactly eps = {eps}: divide each "
                         "row by its own norm (dim=1), then multiply by eps")
    again = as_tensor("fn(y, eps, generator)", fn(y_zero, eps, torch.Generator().manual_seed(seed)))
    if not torch.equal(again, out):
        raise CheckError("random direction: the same generator seed gave different noise; draw every random "
                         "number from the generator you are given (generator=...)")
    shifted = as_tensor("fn(y + 1, eps, generator)", fn(y_zero + 1, eps, torch.Generator().manual_seed(seed)))
    if float((shifted - 1 - out).abs().max()) > 1e-9:
        raise CheckError("random direction: the noise changed when y changed; it must not depend on y")
    if float((e[1:] - e[:-1]).abs().max()) < 1e-9:
        raise CheckError("random direction: every row got the same perturbation; draw one direction per row")
    energy_real = float(e.real.square().sum() / e.abs().square().sum())
    if abs(energy_real - 0.5) > 0.02:
        raise CheckError(f"random direction: the real parts carry {energy_real:.1%} of the energy, expected 50%: "
                         "draw real and imaginary parts independently (torch.randn with a complex dtype)")
    per_entry = e.abs().square().mean(dim=0) / eps**2                   # expected 1 / m each
    spread = float((per_entry * m - 1).abs().max())
    if spread > 0.25:
        raise CheckError(f"random direction: the mean energy per entry varies by up to {spread:.0%} from "
                         f"1/m across entries; a uniform direction treats every entry alike (use a Gaussian, "
                         "not uniform noise, before normalising)")
    mean = float(e.mean(dim=0).abs().max()) * m**0.5 / eps
    if mean > 0.15:
        raise CheckError("random direction: the noise is not centred (its mean is far from 0); "
                         "use torch.randn, not torch.rand")
    ok("random direction")


def _rel_error(x_rec: torch.Tensor, x: torch.Tensor) -> float:
    """``||x_rec - x|| / ||x||`` over the whole tensor, as the exercise computes it."""
    return float((x_rec - x).norm() / x.norm())


def _draws(perturb: Callable, y: torch.Tensor, eps: float, trials: int, seed: int) -> list[torch.Tensor]:
    """``trials`` draws ``perturb(y, eps, generator)`` from one generator seeded ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    return [perturb(y, eps, generator) for _ in range(trials)]


def random_errors(values: object, perturb: Callable, recon: Callable, y: torch.Tensor,
                  x: torch.Tensor, e_adv: object, *, trials: int = 20, seed: int = 0,
                  rtol: float = 1e-5) -> None:
    """Check the relative errors of ``recon`` (the exercise's ``net``) on ``trials`` random
    perturbations of ``y``.

    The draws are ``perturb(y, ||e_adv||, generator)`` one after the other from a generator
    seeded ``seed``, with the student's own ``perturb``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> y, x = torch.zeros(1, 3), torch.ones(1, 3)
    >>> shift = lambda y, eps, gen: y + eps * torch.rand(y.shape, generator=gen)
    >>> errors = [float((y + 0.1 * torch.rand(1, 3, generator=g) - x).norm() / x.norm())
    ...           for g in [torch.Generator().manual_seed(0)] for _ in range(2)]
    >>> e = torch.full((1, 1), 0.1)
    >>> checks.random_errors(errors, shift, lambda v: v, y, x, e, trials=2)
    ✔ random_errors: correct
    >>> checks.random_errors(errors[::-1], shift, lambda v: v, y, x, e, trials=2)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: random_errors: 2 of 2 entries are wrong, the first at flat index 0. Entry k must be the relative error of net on the k-th draw, all from one generator seeded 0, with eps = ||e_adv||
    """
    trials = _validate.positive_int("trials", trials)
    e_adv = as_tensor("e_adv", e_adv)
    eps = float(e_adv.abs().norm())
    with torch.no_grad():
        expected = [_rel_error(recon(noisy), x) for noisy in _draws(perturb, y, eps, trials, seed)]
    agree("random_errors", values, torch.tensor(expected, dtype=torch.float64), rtol=rtol,
          hint=f"Entry k must be the relative error of net on the k-th draw, all from one "
               f"generator seeded {seed}, with eps = ||e_adv||")
    ok("random_errors")


def attack_beats_random(recon: Callable, y: torch.Tensor, x: torch.Tensor, e_adv: object,
                        random_errors: object, *, factor: float = 1.5) -> None:
    r"""Check that the attack ``e_adv`` hurts ``factor`` times more than the worst random draw.

    The attack's relative error :math:`\|\Psi(y + e_{\mathrm{adv}}) - x\| / \|x\|` of the
    reconstruction map :math:`\Psi` (``recon``, the exercise's ``net``) is computed here.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> y, x = torch.zeros(1, 3), torch.ones(1, 3)
    >>> checks.attack_beats_random(lambda v: v, y, x, -torch.ones(1, 3), [0.5])
    ✔ attack error / worst random error: correct
    >>> checks.attack_beats_random(lambda v: v, y, x, -torch.ones(1, 3), [1.5])
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: attack error / worst random error: 1.33, expected at least 1.5: the attack should hurt far more than any random draw of the same norm
    """
    worst = float(as_tensor("random_errors", random_errors).max())
    with torch.no_grad():
        attacked = _rel_error(recon(y + as_tensor("e_adv", e_adv)), x)
    if not attacked >= factor * worst:
        raise CheckError(f"attack error / worst random error: {attacked / worst:.3g}, expected at least "
                         f"{factor:g}: the attack should hurt far more than any random draw of the "
                         "same norm")
    ok("attack error / worst random error")


def lipschitz_ratios(L_lower: object, L_random: object, recon: Callable, y: torch.Tensor,
                     e_adv: object, perturb: Callable, *, trials: int = 20, seed: int = 0,
                     rtol: float = 1e-5) -> None:
    r"""Check the ratio :math:`\|\Psi(y + e) - \Psi(y)\| / \|e\|` of the attack and of random draws.

    ``L_lower`` must be the ratio for ``e = e_adv``; ``L_random`` the largest ratio over
    ``trials`` draws ``perturb(y, ||e_adv||, generator)`` from a generator seeded ``seed``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> double = lambda v: 2 * v
    >>> shift = lambda y, eps, gen: y + eps * torch.rand(y.shape, generator=gen)
    >>> y, e = torch.zeros(1, 3), torch.ones(1, 3)
    >>> checks.lipschitz_ratios(2.0, 2.0, double, y, e, shift)
    ✔ L_lower and L_random: correct
    >>> checks.lipschitz_ratios(4.0, 2.0, double, y, e, shift)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L_lower: got 4, which is too large. Divide ||net(y + e_adv) - net(y)|| by ||e_adv|| (the norm of the complex data, e_adv.abs().norm())
    """
    trials = _validate.positive_int("trials", trials)
    e_adv = as_tensor("e_adv", e_adv)
    with torch.no_grad():
        lower = attacks.local_lipschitz(recon, y, e_adv)[0]
        agree("L_lower", as_number("L_lower", L_lower), lower, rtol=rtol,
              hint="Divide ||net(y + e_adv) - net(y)|| by ||e_adv|| (the norm of the complex "
                   "data, e_adv.abs().norm())")
        noisy = torch.cat(_draws(perturb, y, float(e_adv.abs().norm()), trials, seed))
        ratios = attacks.local_lipschitz(recon, y.expand_as(noisy), noisy - y)
        agree("L_random", as_number("L_random", L_random), ratios.max(), rtol=rtol,
              hint=f"the largest ratio over the {trials} draws of Task 2, drawn again from a "
                   f"new generator seeded {seed}")
    ok("L_lower and L_random")


def nested_sampling(net_psnr: object, peak_rate: object, tv_psnr: object, tv_recons: Sequence,
                    X: torch.Tensor, *,
                    network: str = "unet_cartesian_rate", psnr_atol: float = 2.5,
                    misfit: float = 1.1e-3, slack: float = 2e-3) -> None:
    """Check the network and constrained TV on the nested Cartesian patterns.

    * ``net_psnr``: within ``psnr_atol`` dB of the PSNRs per rate recorded in the manifest
      of ``network`` (100 test heads); ``peak_rate``: the rate where ``net_psnr`` is largest;
    * ``tv_recons``: for each pattern, a feasible point (relative data misfit at most
      ``misfit``) whose TV is at most ``TV(X)`` (``X`` is feasible) and does not fall from one
      rate to the next (nested constraints), up to the relative ``slack``;
    * ``tv_psnr``: the mean PSNR of each ``tv_recons`` entry against ``X``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> X = torch.rand(2, 1, 64, 64)
    >>> checks.nested_sampling([30.0], 0.25, [30.0], [X], X)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: net_psnr: expected shape (...,), got (1,)
    """
    rates = list(recipes.CARTESIAN_RATES)
    recorded = zoo.info(network)["metrics"]["psnr_by_rate"]
    by_rate = torch.tensor([recorded[f"{r:.4f}"] for r in rates], dtype=torch.float64)
    got = as_tensor("net_psnr", net_psnr).double()
    if got.shape != by_rate.shape:
        raise CheckError(f"net_psnr: expected shape {tuple(by_rate.shape)}, got {tuple(got.shape)}")
    agree("network PSNR per rate (against the manifest, 100 heads)", got, by_rate, rtol=0.0,
          atol=psnr_atol, hint="use the same network on each new operator, init='adjoint', "
                               "input='channels', and the mean PSNR over the two heads")
    peak = as_number("peak_rate", peak_rate)
    if not abs(peak - rates[int(got.argmax())]) <= 1e-9:
        raise CheckError(f"peak_rate: got {peak:.4g}, which is not the rate where net_psnr is largest")
    recons = list(tv_recons)
    if len(recons) != len(rates):
        raise CheckError(f"tv_recons: expected {len(rates)} reconstructions, one per rate; got "
                         f"{len(recons)}")
    D = operators.Gradient(X.shape[-1])

    def tv(z: torch.Tensor) -> torch.Tensor:
        return _batch.total(D(z).abs())

    tv_x = tv(X)
    tv_of = []
    for rate, mask, z in zip(rates, recipes.nested_cartesian(), recons):
        z = as_tensor("tv_recons entry", z)
        if z.shape != X.shape:
            raise CheckError(f"tv_recons: expected shape {tuple(X.shape)} at rate {rate:.3f}, got "
                             f"{tuple(z.shape)}")
        B = operators.SubsampledFourier(mask)
        gap = float((_batch.norm(B(z) - B(X)) / _batch.norm(B(X))).max())
        if gap > misfit:
            raise CheckError(f"tv_recons at rate {rate:.3f}: relative data misfit {gap:.2g} exceeds "
                             f"{misfit:g}: use the constrained solver bpdn with eta = 1e-3 ||B x||")
        value = tv(z)
        if float(((value - tv_x) / tv_x).max()) > slack:
            raise CheckError(f"tv_recons at rate {rate:.3f}: its TV exceeds TV(x), but x is feasible, "
                             "so the minimiser's TV cannot exceed TV(x): run the solver longer")
        tv_of.append(value)
    for rate, a, b in zip(rates[1:], tv_of, tv_of[1:]):
        if float(((b - a) / a).min()) < -slack:
            raise CheckError(f"tv_recons at rate {rate:.3f}: the minimal TV falls from the previous "
                             "rate, but nested constraints can only raise the minimum")
    with torch.no_grad():
        reference = torch.tensor([metrics.psnr(z, X, 1.0).mean().item() for z in recons],
                                 dtype=torch.float64)
    agree("tv_psnr", tv_psnr, reference, rtol=1e-5,
          hint="the mean PSNR over the two heads of each constrained TV reconstruction")
    ok("network and constrained TV on nested patterns")
