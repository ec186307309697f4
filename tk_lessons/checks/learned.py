"""Checks for learned reconstruction (Chapter 3): training noise (jitter), networks against
TV, the parts of an unrolled ItNet, inputs outside the training distribution, and the minimiser
of an empirical risk.

Each check except :func:`jitter` computes its reference itself, from the shipped networks, the
operator and the student's own inputs (the PSNRs of a network and of TV, the output of an
ItNet, the minimiser of an empirical risk), so the visible check cell holds no expression that
a student could paste as the answer. A failure says what is wrong without printing the
reference.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import _batch, _validate, device, metrics, solvers, zoo
from ..operators import LinearOperator
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["data_step", "jitter", "mean_noise_ratio", "out_of_distribution", "psnr_comparison",
           "risk_minimiser", "unrolled_itnet"]


def jitter(fn: Callable, *, eta: float = 2.0, m: int = 400, trials: int = 4000, seed: int = 0) -> None:
    r"""Check a jitter function ``fn(y, eta, generator)``: :math:`y + \eta\, s\, g / \sqrt{m}`
    (Chapter 3).

    The noise must be drawn from ``generator``, with one :math:`s \sim U[0, 1]` per measurement
    vector (row of ``y``) and complex :math:`g \sim N(0, I_m)` with :math:`E|g_j|^2 = 1`, so that
    :math:`E\|\mathrm{noise}\|^2 = \eta^2 / 3` and :math:`\|\mathrm{noise}\| / \eta` is close to
    :math:`s`. The check
    draws ``trials`` noise vectors of length ``m`` and tests these statistics, that the
    output has the shape and dtype of ``y``, and that the noise does not depend on ``y``.

    Parameters
    ----------
    fn : callable
        ``fn(y, eta, generator)`` for complex ``y`` of shape ``(B, m)``.
    eta : float
        The jitter level used in the test.
    m, trials : int
        Length and number of the test measurement vectors.
    seed : int
        Seed of the generators handed to ``fn``.

    Examples
    --------
    >>> import math, torch
    >>> from tk_lessons import checks
    >>> def fn(y, eta, gen):
    ...     s = torch.rand(y.shape[0], 1, generator=gen, dtype=torch.float64)
    ...     g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    ...     return y + eta * s * g / math.sqrt(y.shape[1])
    >>> checks.jitter(fn)
    ✔ jitter: correct
    """
    eta = _validate.positive("eta", eta)
    m = _validate.positive_int("m", m)
    trials = _validate.positive_int("trials", trials, minimum=100)
    y0 = torch.zeros(trials, m, dtype=torch.complex128)
    out = as_tensor("jitter(y, eta, generator)", fn(y0, eta, device.generator(seed)))
    if out.shape != y0.shape:
        raise CheckError(f"jitter: the output must have the shape of y, {tuple(y0.shape)}, got {tuple(out.shape)}")
    if not out.is_complex():
        raise CheckError("jitter: complex measurements need complex noise, but the output is real "
                         "(draw g with torch.randn(..., dtype=y.dtype))")
    noise = out.to(torch.complex128) - y0
    if float(noise.imag.abs().max()) == 0.0:
        raise CheckError("jitter: the noise has no imaginary part; draw complex g "
                         "(torch.randn(..., dtype=y.dtype) gives E |g_j|^2 = 1)")
    y1 = device.randn(trials, m, seed=seed + 1, dtype=torch.complex128)
    out1 = as_tensor("jitter(y, eta, generator)", fn(y1, eta, device.generator(seed)))
    if out1.shape != y1.shape or not torch.allclose(out1.to(torch.complex128) - y1, noise, atol=1e-6):
        raise CheckError("jitter: with a generator of the same seed, jitter(y) - y must be the same noise "
                         "for every y. Draw s and g from the generator you are given (not torch's global "
                         "random state), and add the noise to y")
    r2 = (noise.abs() ** 2).sum(dim=1) / eta**2          # s^2 ||g||^2 / m per row
    mean_r2 = float(r2.mean())
    if mean_r2 > 10:
        raise CheckError(f"jitter: E ||noise||^2 / eta^2 = {mean_r2:.4g}, about m / 3 = {m / 3:.4g}: "
                         "divide g by sqrt(m), the number of entries of one measurement vector")
    if abs(mean_r2 - 1.0) < 0.1:
        raise CheckError(f"jitter: E ||noise||^2 / eta^2 = {mean_r2:.3f}, about 1 instead of 1/3: "
                         "multiply by a random level s ~ U[0, 1] (torch.rand)")
    if abs(mean_r2 - 2 / 3) < 0.05:
        raise CheckError(f"jitter: E ||noise||^2 / eta^2 = {mean_r2:.3f}, about 2/3 instead of 1/3: your g "
                         "has E |g_j|^2 = 2 (variance 1 in the real and in the imaginary part); "
                         "torch.randn with a complex dtype already gives E |g_j|^2 = 1")
    if abs(mean_r2 - 1 / 3) > 0.03:
        raise CheckError(f"jitter: E ||noise||^2 / eta^2 = {mean_r2:.3f}, expected 1/3 "
                         "(E s^2 = 1/3 and E ||g||^2 / m = 1)")
    r = r2.sqrt()
    if float(r.std()) < 0.15:
        raise CheckError(f"jitter: ||noise|| / eta hardly varies between rows (std {float(r.std()):.3f}, "
                         "expected about 0.29 for s ~ U[0, 1]): draw one s per measurement vector "
                         "(shape (B, 1)), not one per entry or one for the whole batch")
    for q in (0.25, 0.5, 0.75):
        share = float((r < q).double().mean())
        if abs(share - q) > 0.04:
            raise CheckError(f"jitter: {share:.1%} of the rows have ||noise|| / eta < {q}, expected about "
                             f"{q:.0%}: the level s must be uniform on [0, 1]")
    ok("jitter")


def _tv(A: LinearOperator, network: str) -> Callable:
    """TV as the zoo evaluated it against ``network``: its recorded ``tv_lam``, 300 iterations."""
    lam = float(zoo.info(network)["metrics"]["tv_lam"])
    return lambda y: solvers.tv(A, y, lam, n_iter=300, real=True)


def mean_noise_ratio(value: object, m: int, *, rtol: float = 0.03) -> None:
    r"""Check an empirical mean of :math:`\|\mathrm{noise}\| / \eta` for jitter on ``m`` measurements.

    The reference is :math:`E[s]\, E\|g\| / \sqrt{m}` with :math:`s \sim U[0, 1]` and :math:`g`
    standard complex Gaussian in :math:`\mathbb{C}^m`; ``rtol`` allows for the sampling error of
    a mean over a few thousand draws.

    Examples
    --------
    >>> from tk_lessons import checks
    >>> checks.mean_noise_ratio(0.499, 1000)
    ✔ mean of ||noise|| / eta: correct
    >>> checks.mean_noise_ratio(0.577, 1000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: mean of ||noise|| / eta: got 0.577, which is too large...
    """
    m = int(as_number("m", m))
    # E ||g|| for ||g||^2 ~ Gamma(m, 1): Gamma(m + 1/2) / Gamma(m)
    mean_norm = float(torch.exp(torch.lgamma(torch.tensor(m + 0.5, dtype=torch.float64))
                                - torch.lgamma(torch.tensor(float(m), dtype=torch.float64))))
    agree("mean of ||noise|| / eta", as_number("mean_ratio", value), 0.5 * mean_norm / m**0.5,
          rtol=rtol, hint="average the norms ||noise_i|| / eta of the rows (not their squares)")
    ok("mean of ||noise|| / eta")


def psnr_comparison(unet: torch.nn.Module, X: torch.Tensor, psnr_unet: object, psnr_tv: object,
                    gain: object, *, network: str = "unet_radial64") -> None:
    """Check the PSNRs of a network and of TV on the test images ``X``, and the mean gain.

    The references are computed here: ``unet(A X)`` and 300 iterations of TV with the
    ``tv_lam`` recorded in the manifest entry of ``network``, both against ``X`` with data
    range 1; ``gain`` must be the mean of ``psnr_unet - psnr_tv``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks, zoo
    >>> unet = zoo.load("unet_radial64")
    >>> X = torch.zeros(1, 1, 64, 64)
    >>> checks.psnr_comparison(unet, X, None, None, None)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: psnr_unet: no answer yet (got None); replace the placeholder with your code
    """
    A = unet.A
    got_unet = as_tensor("psnr_unet", psnr_unet)
    got_tv = as_tensor("psnr_tv", psnr_tv)
    got_gain = as_number("gain", gain)
    with torch.no_grad():
        ref_unet = metrics.psnr(unet(A(X)), X, data_range=1.0)
        agree("psnr_unet", got_unet, ref_unet, rtol=1e-4,
              hint="compare unet(A(X)) with X, data range 1, one PSNR per image")
        ref_tv = metrics.psnr(_tv(A, network)(A(X)), X, data_range=1.0)
        agree("psnr_tv", got_tv, ref_tv, rtol=1e-4,
              hint="use solvers.tv with the recorded tv_lam and n_iter=300, one PSNR per image")
    agree("gain", got_gain, (got_unet.double() - got_tv.double()).mean(), rtol=1e-5,
          atol=1e-9, hint="the mean over the images of psnr_unet - psnr_tv")
    ok("PSNRs of the network and of TV")


def data_step(fn: Callable, itnet: torch.nn.Module, X: torch.Tensor, *, seed: int = 3,
              k: int = 1) -> None:
    r"""Check ``fn(x, y, lam)``, the ItNet's data-consistency step
    :math:`x - \lambda\,\mathrm{Re}\,A^*(Ax - y)`.

    Tried on random images with the data of ``X[:2]`` and the learned step ``itnet.lam[k]``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks, zoo
    >>> itnet = zoo.load("itnet_radial64_nonoise")
    >>> X = torch.rand(2, 1, 64, 64)
    >>> good = lambda x, y, lam: x - lam * itnet.A.H(itnet.A(x) - y).real
    >>> checks.data_step(good, itnet, X)
    ✔ data_step: correct
    >>> bad = lambda x, y, lam: x + lam * itnet.A.H(itnet.A(x) - y).real
    >>> checks.data_step(bad, itnet, X)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: data_step: ... entries are wrong...
    """
    A = itnet.A
    x_any = torch.rand(2, *X.shape[1:], generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        y = A(X[:2])
        agree("data_step", fn(x_any, y, itnet.lam[k]), itnet.data_step(x_any, y, k), rtol=1e-5,
              atol=1e-6, hint="a gradient step on 1/2 ||A x - y||^2 over real images: "
                              "subtract lam times the real part of A^*(A x - y)")
    ok("data_step")


def unrolled_itnet(fn: Callable, itnet: torch.nn.Module, X: torch.Tensor) -> None:
    """Check ``fn(y)``, an ItNet put together from its parts, against the ItNet on ``A(X)``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks, zoo
    >>> itnet = zoo.load("itnet_radial64_nonoise")
    >>> X = torch.rand(1, 1, 64, 64)
    >>> checks.unrolled_itnet(itnet, itnet, X)
    ✔ my_itnet: correct
    >>> checks.unrolled_itnet(lambda y: itnet.A.H(y).real, itnet, X)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: my_itnet: ... entries are wrong...
    """
    with torch.no_grad():
        y = itnet.A(X)
        agree("my_itnet", fn(y), itnet(y), rtol=1e-4, atol=1e-5,
              hint="start from Re A^* y; for k = 0, ..., K - 1 add itnet.nets[k](x), then take "
                   "a data step with itnet.lam[k]")
    ok("my_itnet")


def out_of_distribution(x_ood: object, growth_unet: object, growth_tv: object,
                        unet: torch.nn.Module, X: torch.Tensor, *,
                        network: str = "unet_radial64", unet_factor: float = 3.0,
                        ratio: float = 2.0) -> None:
    """Check an image ``x_ood`` on which the network's error grows far more than TV's.

    ``x_ood`` must be one real image in ``[0, 1]``; the growth of a method is its relative error
    on ``x_ood`` divided by its mean relative error on ``X``. The check recomputes both growths
    (TV: 300 iterations with the recorded ``tv_lam``), compares them with ``growth_unet`` and
    ``growth_tv``, and requires a network growth of at least ``unet_factor`` and at least
    ``ratio`` times TV's.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks, zoo
    >>> unet = zoo.load("unet_radial64")
    >>> X = torch.rand(1, 1, 64, 64)
    >>> checks.out_of_distribution(2 * X, 1.0, 1.0, unet, X)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: x_ood must have values in [0, 1]
    """
    x_ood = as_tensor("x_ood", x_ood)
    if tuple(x_ood.shape) != (1, *X.shape[1:]) or x_ood.is_complex():
        raise CheckError(f"x_ood must be one real image of shape {(1, *X.shape[1:])}, got "
                         f"{'a complex tensor' if x_ood.is_complex() else tuple(x_ood.shape)}")
    if float(x_ood.min()) < 0 or float(x_ood.max()) > 1:
        raise CheckError("x_ood must have values in [0, 1]")
    if not float(x_ood.norm()) > 0:
        raise CheckError("x_ood must be a nonzero image")
    x_ood = x_ood.to(X.dtype)
    A = unet.A
    growth = {}
    for label, recon in (("U-Net", unet), ("TV", _tv(A, network))):
        with torch.no_grad():
            growth[label] = float(metrics.rel_error(recon(A(x_ood)), x_ood)
                                  / metrics.rel_error(recon(A(X)), X).mean())
    hint = "divide the relative error on x_ood by the mean relative error on X"
    agree("growth_unet", as_number("growth_unet", growth_unet), growth["U-Net"], rtol=1e-3,
          hint=hint)
    agree("growth_tv", as_number("growth_tv", growth_tv), growth["TV"], rtol=1e-3,
          hint=hint + " (TV with the recorded tv_lam, 300 iterations)")
    if not growth["U-Net"] >= unet_factor:
        raise CheckError(f"growth of the U-Net's error: {growth['U-Net']:.3g}, expected at least "
                         f"{unet_factor:g}. Pick an image that looks less like a head")
    if not growth["U-Net"] >= ratio * growth["TV"]:
        raise CheckError(f"U-Net growth / TV growth: {growth['U-Net'] / growth['TV']:.3g}, expected "
                         f"at least {ratio:g}. TV should not mind the image much more than it "
                         "minds a head")
    ok("an image outside the training distribution")


def risk_minimiser(t_best: object, ts: torch.Tensor, train_images: torch.Tensor, x: torch.Tensor,
                   z: torch.Tensor, *, atol: float = 0.006) -> None:
    r"""Check ``t_best``, the ``t`` in ``ts`` that minimises the risk of :math:`c_t = x + tz`.

    The empirical risk :math:`\frac1n\sum_i \|c_t - x_i\|^2` over the ``train_images``
    :math:`x_i` is evaluated here for
    every ``t`` in ``ts``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import checks
    >>> x, z = torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)
    >>> images = torch.cat([x] * 3 + [x + z])
    >>> ts = torch.linspace(0, 1, 101)
    >>> checks.risk_minimiser(0.25, ts, images, x, z)
    ✔ t_best: correct
    >>> checks.risk_minimiser(0.5, ts, images, x, z)
    Traceback (most recent call last):
    ...
    tk_lessons.checks.CheckError: t_best: the risk at t = 0.5 is not the smallest over ts; a smaller t has a lower risk
    """
    t = as_number("t_best", t_best)
    ts = as_tensor("ts", ts).double().flatten()
    images = as_tensor("train_images", train_images).double()
    x, z = as_tensor("x", x).double(), as_tensor("z", z).double()
    risks = torch.stack([_batch.sqnorm(x + s * z - images).mean() for s in ts])
    best = float(ts[risks.argmin()])
    if not abs(t - best) <= atol:
        side = "smaller" if best < t else "larger"
        raise CheckError(f"t_best: the risk at t = {t:.4g} is not the smallest over ts; a {side} t "
                         "has a lower risk")
    ok("t_best")
