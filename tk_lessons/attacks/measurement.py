"""Worst-case measurement noise: maximise the reconstruction error over an l2 ball of data.

This is the attack behind the accuracy-stability figure of *The troublesome kernel* (v4),
taken from Genzel, Macdonald and Marz (2023): projected Adam with random restarts. A
descending list of noise levels is a loop over :func:`measurement_attack`, each level
warm-started (``warm_start=``) from the worst perturbations of the level above (Chapter 4).
"""

from __future__ import annotations

import math
import numbers
from typing import Callable

import torch

from .. import _batch, _validate
from .._batch import expand, norm, sqnorm
from . import _common
from ._common import Reconstructor
from .result import AttackResult

__all__ = ["measurement_attack"]

# evaluate(w, with_grad) -> (squared error per sample, its gradient with respect to w or None)
Evaluate = Callable[[torch.Tensor, bool], "tuple[torch.Tensor, torch.Tensor | None]"]


def _as_real(t: torch.Tensor) -> torch.Tensor:
    """A complex tensor as real ``(..., 2)`` pairs (Adam then updates real and imaginary parts)."""
    return torch.view_as_real(t.resolve_conj()) if t.is_complex() else t


def _as_input(t: torch.Tensor, complex_: bool) -> torch.Tensor:
    return torch.view_as_complex(t) if complex_ else t


def _objective(recon: Reconstructor, y: torch.Tensor, e: torch.Tensor, x: torch.Tensor,
               complex_: bool) -> torch.Tensor:
    """``||recon(y + e) - x||^2`` per sample, for real views ``y`` and ``e``."""
    return sqnorm(recon(_as_input(y + e, complex_)) - x)


def _best_first(candidates: torch.Tensor, errors: torch.Tensor) -> torch.Tensor:
    """Reorder the restarts of every sample by decreasing error: ``(R, B, ...)`` -> same shape."""
    order = torch.argsort(errors, dim=0, descending=True)               # (R, B)
    index = order.reshape(*order.shape, *([1] * (candidates.ndim - 2))).expand_as(candidates)
    return torch.gather(candidates, 0, index)


def _adam(evaluate: Evaluate, w: torch.Tensor, bound: torch.Tensor, n_iter: int, lr: float, progress: bool, desc: str,
          betas: tuple[float, float] = (0.9, 0.999), adam_eps: float = 1e-5
          ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    r"""Projected Adam (the paper's ``PAdam``): an Adam ascent step on :math:`\mathrm{err}^2`, then back into the ball.

    Adam is written out (it is ``torch.optim.Adam(lr, betas, eps=1e-5)``, the same numbers, and
    saves torch's optimiser machinery, which takes seconds to load). With :math:`g` the gradient
    and :math:`(\beta_1, \beta_2)` the ``betas``:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \\
        w &\leftarrow w + \mathrm{lr} \cdot \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    Returns the best ``w`` seen, its squared error and the error of every iterate.
    """
    b1, b2 = betas
    w = w.detach().clone()
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    top = torch.full_like(bound, -1.0)
    top_w = w.clone()
    errors = []
    for k in _batch.progress_range(n_iter + 1, progress, desc):
        err2, grad = evaluate(w, k < n_iter)
        better = err2 > top                         # keep the best iterate seen (the last need not be)
        top = torch.where(better, err2, top)
        top_w = torch.where(expand(better, w), w, top_w)
        errors.append(err2.sqrt())
        if k == n_iter:
            break
        # The gradient is first scaled to unit size per coordinate (RMS 1, per sample), so that
        # Adam's eps stays negligible even where a saturated reconstructor has gradients of 1e-9
        rms = torch.clamp(norm(grad) / math.sqrt(grad[0].numel()), min=torch.finfo(grad.dtype).tiny)
        g = grad / expand(rms, grad)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g.square()
        t = k + 1
        w = w + lr * (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + adam_eps)
        w = _common.project_ball(w, bound)
    return top_w, top, errors


def _pgd(evaluate: Evaluate, w: torch.Tensor, bound: torch.Tensor, n_iter: int, lr: float, progress: bool, desc: str
         ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """Projected normalised gradient ascent with step halving (Euclidean, unlike Adam).

    ``w <- proj(w + step * g / ||g||)`` with ``step = lr * sqrt(n)`` (``lr`` times the radius);
    a step that lowers the error is undone and the sample's step halved, so the error
    never decreases and the iteration settles on a point where ``g`` is normal to the ball.
    """
    w = w.detach()
    step = lr * bound                               # per sample
    err2, g = evaluate(w, n_iter > 0)
    errors = [err2.sqrt()]
    for k in _batch.progress_range(n_iter, progress, desc):
        unit = g / expand(torch.clamp(norm(g), min=torch.finfo(g.dtype).tiny), g)
        w_new = _common.project_ball(w + expand(step, w) * unit, bound)
        err2_new, g_new = evaluate(w_new, k + 1 < n_iter)
        errors.append(err2_new.sqrt())
        accept = err2_new >= err2
        w = torch.where(expand(accept, w), w_new, w)
        err2 = torch.where(accept, err2_new, err2)
        if g_new is not None:
            g = torch.where(expand(accept, g), g_new, g)
        step = torch.where(accept, step, step / 2)
    return w, err2, errors


def _one_level(recon: Reconstructor, y: torch.Tensor, x: torch.Tensor, complex_: bool,
               radius: torch.Tensor, starts: list[torch.Tensor | None], n_iter: int, lr: float, optimizer: str,
               gen: torch.Generator, progress: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run the optimiser from each start; returns the best ``e`` of every restart, their errors and the history.

    The optimiser works on ``w = e * sqrt(n) / radius`` (``n`` real entries per sample):
    the ball ``||e|| <= radius`` becomes ``||w|| <= sqrt(n)`` for every sample, so one
    learning rate suits every sample and every noise level, and a coordinate of a
    typical point of the sphere has size 1.
    """
    n = _batch.entries(y)
    scale = expand(radius / math.sqrt(n), y).to(y.dtype)       # e = scale * w
    bound = torch.full_like(radius, math.sqrt(n))

    def evaluate(w: torch.Tensor, with_grad: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Squared error per sample at ``w``, and its gradient with respect to ``w``."""
        if not with_grad:
            with torch.no_grad():
                return _objective(recon, y, w * scale, x, complex_), None
        w = w.detach().requires_grad_(True)
        err2 = _objective(recon, y, w * scale, x, complex_)
        (grad,) = torch.autograd.grad(err2.sum(), w)    # only w: the network's own gradients are untouched
        return err2.detach(), grad

    run = _adam if optimizer == "adam" else _pgd
    best_e, best_err, history = [], [], []
    for j, start in enumerate(starts):
        if start is None:                           # GMM's start: y + 3 eta g / sqrt(n), projected
            w_init = 3 * _common.randn_like(y, gen)
        else:
            w_init = start / scale
        w_init = _common.project_ball(w_init, bound)
        top_w, top, errors = run(evaluate, w_init, bound, n_iter, lr, progress,
                                 f"measurement attack (restart {j + 1}/{len(starts)})")
        best_e.append(top_w.detach() * scale)
        best_err.append(top.sqrt())
        history.append(torch.stack(errors))
    return torch.stack(best_e), torch.stack(best_err), torch.stack(history)


def measurement_attack(
    recon: Reconstructor,
    y: torch.Tensor,
    x: torch.Tensor | None,
    eps: float,
    *,
    relative: bool = False,
    n_iter: int = 200,
    lr: float = 0.1,
    restarts: int = 1,
    keep_init: int = 3,
    optimizer: str = "adam",
    warm_start: AttackResult | None = None,
    seed: int | torch.Generator | None = None,
    progress: bool = False,
) -> AttackResult:
    r"""Find the measurement perturbation ``e`` of size at most ``eps`` that hurts ``recon`` most.

    Solves, for each sample,

    .. math::

        \max_{\|e\|_2 \le \varepsilon} \ \| \Psi(y + e) - x \|_2^2

    by projected Adam (Genzel, Macdonald and Marz; the troublesome-kernel v4 evaluation):
    an Adam step on ``-||Psi(y + e) - x||^2`` (Adam's ``eps = 1e-5``; the gradient is first
    scaled to RMS 1 per sample, so that it stays negligible where a saturated reconstructor
    is nearly flat), then projection of ``e`` back onto the ball. Each restart starts at
    ``e = 3 eps g / sqrt(n)`` (``g`` Gaussian, ``n`` real entries per sample), projected; the
    best iterate over all iterations and restarts is returned. Complex measurements (Fourier
    data) are optimised as pairs of reals.

    Adam rescales each coordinate separately (it behaves like a sign-gradient method), which
    does not fit a round ball: projected Adam stalls where its *rescaled* step points out of
    the ball, short of the true maximiser (5-15 % short on a random linear map). Every value
    it reports is still attained, so it remains a valid lower bound on the worst case.
    ``optimizer="pgd"`` uses projected normalised gradient ascent instead (Euclidean steps
    ``lr * eps * g / ||g||``, halved whenever a step would lower the error), which converges
    to the maximiser of a linear map.

    Several noise levels are a loop from the largest down, each call warm-started from the
    previous result: the ``keep_init`` worst perturbations of the level above, projected onto
    the smaller ball, start this level, and the remaining restarts start at random (the
    paper's ``keep_init`` warm starts). Small-noise attacks then inherit the structure found
    with more room. Pass one ``torch.Generator`` as ``seed`` to every call to draw the random
    starts of all levels from one stream.

    Parameters
    ----------
    recon : callable
        The reconstructor ``Psi``.
    y : torch.Tensor, shape (B, ...)
        Clean measurements (real or complex).
    x : torch.Tensor or None
        The images whose error is maximised (the ground truth in the paper), shape of
        ``recon(y)``; ``None`` uses ``recon(y)`` itself (push the output away from the
        clean reconstruction).
    eps : float
        Radius ``> 0`` of the ball (one radius; loop for several).
    relative : bool
        Read ``eps`` relative to the data: the radius is ``eps * ||y||`` for each sample.
    n_iter : int
        Iterations per restart (``>= 1``; the paper used 1000 for networks).
    lr : float
        Step size in units of the ball. Adam: a step moves each coordinate of the
        perturbation by about ``lr * eps / sqrt(n)``, a fraction ``lr`` of a typical coordinate
        of a point on the sphere, so the whole step has length about ``lr * eps``. (The paper's
        absolute ``lr = 5`` is this with ``lr = 5 sqrt(n) / eps``: very large steps, each ending
        in the projection.) PGD: the first step has length ``lr * eps`` (``lr = 1`` works well).
    restarts : int
        Random starts (the paper used 6).
    keep_init : int
        With a ``warm_start``: how many of its worst perturbations start this level (the paper
        used 3).
    optimizer : {"adam", "pgd"}
        Projected Adam (the paper's choice) or projected normalised gradient ascent.
    warm_start : AttackResult or None
        A result of this function at a larger ``eps`` on the same ``y``; its best perturbations
        start this level.
    seed : int, torch.Generator or None
        Seed of the random starts (drawn on the CPU).
    progress : bool
        Show a progress bar.

    Returns
    -------
    AttackResult
        ``e = y_adv - y``, ``eps`` the radius used per sample, ``history["error"]`` the error
        ``||Psi(y + e) - x||`` of every iterate, shape ``(restarts, n_iter + 1, B)``, and
        ``candidates`` the best perturbation of every restart, best first, ``(restarts, B, ...)``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import measurement_attack
    >>> y = torch.ones(2, 3, dtype=torch.float64)
    >>> res = measurement_attack(lambda y: y.square(), y, None, 0.1, n_iter=100, seed=0)
    >>> bool((res.norm_e <= 0.1 * (1 + 1e-6)).all())
    True

    Two noise levels, the smaller one warm-started from the larger:

    >>> gen = torch.Generator().manual_seed(0)
    >>> results, previous = {}, None
    >>> for level in (0.2, 0.1):
    ...     previous = measurement_attack(lambda y: y.square(), y, None, level, n_iter=20, restarts=2,
    ...                                   warm_start=previous, seed=gen)
    ...     results[level] = previous
    >>> bool((results[0.1].norm_e <= 0.1 * (1 + 1e-6)).all())
    True
    """
    _validate.function("recon", recon, "a reconstructor recon(y) -> x")
    _common.check_batch("y", y)
    if isinstance(eps, (list, tuple)):
        raise TypeError(f"eps must be one radius (a number), got {type(eps).__name__} {eps!r}; for several "
                        "radii loop from the largest down, passing warm_start= the previous result")
    if isinstance(eps, numbers.Real) and not isinstance(eps, bool):
        eps = _validate.positive("eps", eps)
    else:
        raise TypeError(f"eps must be a real number, got {type(eps).__name__} ({eps!r})")
    relative = _validate.flag("relative", relative)
    n_iter = _validate.positive_int("n_iter", n_iter)
    lr = _validate.positive("lr", lr)
    restarts = _validate.positive_int("restarts", restarts)
    keep_init = _validate.positive_int("keep_init", keep_init, minimum=0)
    _validate.choice("optimizer", optimizer, ("adam", "pgd"))
    progress = _validate.flag("progress", progress)
    seed, gen = _common.resolve_seed(seed)

    y = y.detach()
    with torch.no_grad():
        x_rec = _common.call(recon, y)
    if x is not None:
        _common.check_batch("x", x)
        _common.check_same_shape("x", x, x_rec, "recon(y)")
        x = x.detach().to(x_rec.device)
    goal = x_rec if x is None else x                # the images the error is measured against
    complex_ = y.is_complex()
    data_norm = norm(y)
    if relative and not bool((data_norm > 0).all()):
        raise ValueError("relative=True needs nonzero measurements, but some sample of y has ||y|| = 0")

    radius = eps * data_norm if relative else torch.full_like(data_norm, eps)
    starts: list[torch.Tensor | None] = [None] * restarts
    if warm_start is not None:                      # the worst ones of the level above, projected
        if not isinstance(warm_start, AttackResult) or warm_start.method != "measurement_attack":
            raise TypeError("warm_start must be an AttackResult of measurement_attack, "
                            f"got {type(warm_start).__name__}")
        _common.check_same_shape("warm_start.y", warm_start.y, y, "y")
        previous = warm_start.candidates if warm_start.candidates is not None else warm_start.e[None]
        previous = _as_real(previous.detach().to(y.device).reshape(-1, *y.shape))
        for j in range(min(keep_init, restarts, previous.shape[0])):
            starts[j] = _common.project_ball(previous[j], radius)
    cand, cand_err, history = _one_level(recon, _as_real(y), goal, complex_, radius, starts, n_iter, lr,
                                         optimizer, gen, progress)
    _common.warn_if_not_finite(history.transpose(0, 1), "measurement_attack: the error ||recon(y + e) - x||",
                               "recon returned NaN or inf on some perturbed data")
    best = _best_first(cand, cand_err)
    with torch.no_grad():
        e = _as_input(best[0].contiguous(), complex_)
        y_adv = y + e
        x_adv = recon(y_adv)
    return AttackResult(
        method="measurement_attack", e=e, y=y, y_adv=y_adv, x_rec=x_rec, x_adv=x_adv, x=x,
        history={"error": history, "best_error": torch.sort(cand_err, dim=0, descending=True).values},
        seed=seed, device=y.device, eps=radius, n_iter=n_iter,
        candidates=torch.stack([_as_input(c.contiguous(), complex_) for c in best]),
    )
