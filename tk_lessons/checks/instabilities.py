"""Checks for the instability exercises (Chapter 4) whose references stay hidden.

Each check computes its reference itself, from the network, the data and the student's own
maps (the errors under random perturbations, the ratios behind a local Lipschitz bound, the
provable properties of constrained TV on nested patterns), so the visible check cell holds no
expression that a student could paste as the answer. A failure says what is wrong without
printing the reference. Like :mod:`tk_lessons.checks`, each passes with a short confirmation
or raises :class:`~tk_lessons.checks.CheckError`.
"""

from __future__ import annotations

from typing import Callable

import torch

from .checks import CheckError, _agree, _as_tensor, _number, _ok

__all__ = ["random_errors", "attack_beats_random", "lipschitz_ratios", "nested_sampling"]


def _rel_error(x_hat: torch.Tensor, truth: torch.Tensor) -> float:
    return float((x_hat - truth).norm() / truth.norm())


def _draws(perturb: Callable, y, size: float, count: int, seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [perturb(y, size, generator) for _ in range(count)]


def random_errors(values, perturb: Callable, net: Callable, y, x, e_adv, *, count: int = 20,
                  seed: int = 0, rtol: float = 1e-5) -> None:
    """Check the network's relative errors on ``count`` random perturbations of ``y``.

    The draws are ``perturb(y, ||e_adv||, generator)`` one after the other from a generator
    seeded ``seed``, with the student's own ``perturb``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_instabilities
    >>> y, x = torch.zeros(1, 3), torch.ones(1, 3)
    >>> shift = lambda y, size, gen: y + size * torch.rand(y.shape, generator=gen)
    >>> errors = [float((y + 0.1 * torch.rand(1, 3, generator=g) - x).norm() / x.norm())
    ...           for g in [torch.Generator().manual_seed(0)] for _ in range(2)]
    >>> e = torch.full((1, 1), 0.1)
    >>> checks_instabilities.random_errors(errors, shift, lambda v: v, y, x, e, count=2)
    ✔ random_errors: correct
    >>> checks_instabilities.random_errors(errors[::-1], shift, lambda v: v, y, x, e, count=2)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: random_errors: 2 of 2 entries are wrong, the first at flat index 0. Entry k must be the relative error of net on the k-th draw, all from one generator seeded 0, with size ||e_adv||
    """
    e_adv = _as_tensor("e_adv", e_adv)
    size = float(e_adv.abs().norm())
    with torch.no_grad():
        expected = [_rel_error(net(noisy), x) for noisy in _draws(perturb, y, size, count, seed)]
    _agree("random_errors", values, torch.tensor(expected, dtype=torch.float64), rtol=rtol,
           hint=f"Entry k must be the relative error of net on the k-th draw, all from one "
                f"generator seeded {seed}, with size ||e_adv||")
    _ok("random_errors")


def attack_beats_random(net: Callable, y, x, e_adv, random_errors, *, factor: float = 1.5) -> None:
    """Check that the attack ``e_adv`` hurts ``factor`` times more than the worst random draw.

    The attack's relative error ``||net(y + e_adv) - x|| / ||x||`` is computed here.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_instabilities
    >>> y, x = torch.zeros(1, 3), torch.ones(1, 3)
    >>> checks_instabilities.attack_beats_random(lambda v: v, y, x, -torch.ones(1, 3), [0.5])
    ✔ attack error / worst random error: correct
    >>> checks_instabilities.attack_beats_random(lambda v: v, y, x, -torch.ones(1, 3), [1.5])
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: attack error / worst random error: 1.33, expected at least 1.5: the attack should hurt far more than any random draw of the same norm
    """
    worst = float(_as_tensor("random_errors", random_errors).max())
    with torch.no_grad():
        attacked = _rel_error(net(y + _as_tensor("e_adv", e_adv)), x)
    if not attacked >= factor * worst:
        raise CheckError(f"attack error / worst random error: {attacked / worst:.3g}, expected at least "
                         f"{factor:g}: the attack should hurt far more than any random draw of the "
                         "same norm")
    _ok("attack error / worst random error")


def lipschitz_ratios(L_lower, L_random, net: Callable, y, e_adv, perturb: Callable, *,
                     count: int = 20, seed: int = 0, rtol: float = 1e-5) -> None:
    """Check the ratio ``||net(y + e) - net(y)|| / ||e||`` of the attack and of random draws.

    ``L_lower`` must be the ratio for ``e = e_adv``; ``L_random`` the largest ratio over
    ``count`` draws ``perturb(y, ||e_adv||, generator)`` from a generator seeded ``seed``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks_instabilities
    >>> double = lambda v: 2 * v
    >>> shift = lambda y, size, gen: y + size * torch.rand(y.shape, generator=gen)
    >>> y, e = torch.zeros(1, 3), torch.ones(1, 3)
    >>> checks_instabilities.lipschitz_ratios(2.0, 2.0, double, y, e, shift)
    ✔ L_lower and L_random: correct
    >>> checks_instabilities.lipschitz_ratios(4.0, 2.0, double, y, e, shift)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: L_lower: got 4, which is too large. Divide ||net(y + e_adv) - net(y)|| by ||e_adv|| (the norm of the complex data, e_adv.abs().norm())
    """
    from .attacks import local_lipschitz

    e_adv = _as_tensor("e_adv", e_adv)
    with torch.no_grad():
        lower = local_lipschitz(net, y, e_adv)[0]
        _agree("L_lower", _number("L_lower", L_lower), lower, rtol=rtol,
               hint="Divide ||net(y + e_adv) - net(y)|| by ||e_adv|| (the norm of the complex "
                    "data, e_adv.abs().norm())")
        noisy = torch.cat(_draws(perturb, y, float(e_adv.abs().norm()), count, seed))
        ratios = local_lipschitz(net, y.expand_as(noisy), noisy - y)
        _agree("L_random", _number("L_random", L_random), ratios.max(), rtol=rtol,
               hint=f"the largest ratio over the {count} draws of Task 2, drawn again from a "
                    f"new generator seeded {seed}")
    _ok("L_lower and L_random")


def nested_sampling(net_psnr, peak_rate, tv_psnr, tv_recons, X, *,
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
    >>> from tk_lessons import checks_instabilities
    >>> X = torch.rand(2, 1, 64, 64)
    >>> checks_instabilities.nested_sampling([30.0], 0.25, [30.0], [X], X)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: net_psnr: expected shape (...,), got (1,)
    """
    from . import metrics, networks, operators
    from .networks import recipes

    rates = list(recipes.CARTESIAN_RATES)
    recorded = networks.info(network)["metrics"]["psnr_by_rate"]
    by_rate = torch.tensor([recorded[f"{r:.4f}"] for r in rates], dtype=torch.float64)
    got = _as_tensor("net_psnr", net_psnr).double()
    if got.shape != by_rate.shape:
        raise CheckError(f"net_psnr: expected shape {tuple(by_rate.shape)}, got {tuple(got.shape)}")
    _agree("network PSNR per rate (against the manifest, 100 heads)", got, by_rate, rtol=0.0,
           atol=psnr_atol, hint="use the same network on each new operator, init='adjoint', "
                                "input='channels', and the mean PSNR over the two heads")
    peak = _number("peak_rate", peak_rate)
    if not abs(peak - rates[int(got.argmax())]) <= 1e-9:
        raise CheckError(f"peak_rate: got {peak:.4g}, which is not the rate where net_psnr is largest")
    recons = list(tv_recons)
    if len(recons) != len(rates):
        raise CheckError(f"tv_recons: expected {len(rates)} reconstructions, one per rate; got "
                         f"{len(recons)}")
    D = operators.Gradient(X.shape[-1])

    def tv(z):
        return D(z).abs().flatten(1).sum(dim=1)

    tv_x = tv(X)
    tv_of = []
    for rate, mask, z in zip(rates, recipes.nested_cartesian(), recons):
        z = _as_tensor("tv_recons entry", z)
        if z.shape != X.shape:
            raise CheckError(f"tv_recons: expected shape {tuple(X.shape)} at rate {rate:.3f}, got "
                             f"{tuple(z.shape)}")
        B = operators.SubsampledFourier(mask)
        gap = float(((B(z) - B(X)).flatten(1).norm(dim=1) / B(X).flatten(1).norm(dim=1)).max())
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
    _agree("tv_psnr", tv_psnr, reference, rtol=1e-5,
           hint="the mean PSNR over the two heads of each constrained TV reconstruction")
    _ok("network and constrained TV on nested patterns")
