r"""Local Lipschitz constants of a reconstructor: ratios, certified lower bounds, Jacobian norms.

The local :math:`\varepsilon`-Lipschitz constant of ``Psi`` at ``y`` (defined in Chapter 2 of the course) is

.. math::

    L^\varepsilon(\Psi, y) = \sup_{0 < \|e\| \le \varepsilon} \frac{\|\Psi(y + e) - \Psi(y)\|}{\|e\|}.

Every ratio we evaluate is one term of this supremum, so the largest ratio found is a
*certified lower bound* on :math:`L^\varepsilon` (up to rounding). As
:math:`\varepsilon \to 0` it tends to the spectral norm of the Jacobian, which
:func:`jacobian_norm` computes directly. For a linear ``Psi = R`` all three equal ``||R||``.
"""

from __future__ import annotations

import warnings

import torch

from .. import _batch, _validate
from .._batch import expand, norm, sqnorm
from . import _common
from ._common import Reconstructor
from .result import AttackResult

__all__ = ["jacobian_norm", "lipschitz_lower_bound", "local_lipschitz"]


def local_lipschitz(recon: Reconstructor, y: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """The ratio ``||Psi(y + e) - Psi(y)|| / ||e||`` for a given perturbation, per sample.

    Parameters
    ----------
    recon : callable
        The reconstructor ``Psi``.
    y : torch.Tensor, shape (B, ...)
        Measurements.
    e : torch.Tensor, shape of ``y``
        Perturbations (each nonzero).

    Returns
    -------
    torch.Tensor, shape (B,)
        The ratios, a lower bound on the local ``||e||``-Lipschitz constant of each sample.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import local_lipschitz
    >>> local_lipschitz(lambda y: 3 * y, torch.zeros(2, 4), torch.ones(2, 4))
    tensor([3., 3.])
    """
    _validate.function("recon", recon, "a reconstructor recon(y) -> x")
    _common.check_batch("y", y)
    _common.check_batch("e", e)
    _common.check_same_shape("e", e, y, "y")
    size = norm(e.detach())
    if not bool((size > 0).all()):
        raise ValueError("e must be nonzero in every sample (the ratio divides by ||e||)")
    with torch.no_grad():
        diff = norm(_common.call(recon, y + e) - _common.call(recon, y))
    return diff / size


def lipschitz_lower_bound(
    recon: Reconstructor,
    y: torch.Tensor,
    eps: float,
    *,
    n_iter: int = 100,
    restarts: int = 1,
    lr: float = 1.0,
    sphere: bool = True,
    seed: int | torch.Generator | None = None,
    progress: bool = False,
) -> AttackResult:
    r"""A certified lower bound on the local :math:`\varepsilon`-Lipschitz constant, by gradient ascent.

    With ``sphere=True`` it maximises :math:`\|\Psi(y + e) - \Psi(y)\|^2` over the sphere
    :math:`\|e\| = \varepsilon` (the measurement-domain search of Chapter 4), where the ratio is that quantity's root
    over :math:`\varepsilon`; with ``sphere=False`` it maximises the ratio
    :math:`\|\Psi(y + e) - \Psi(y)\|^2 / \|e\|^2` itself over the ball (kept off the origin,
    :math:`\|e\| \ge 10^{-3}\varepsilon`, where the ratio is 0/0). Each step is a
    normalised gradient step followed by the projection,

    .. math::

        e \leftarrow \operatorname{proj}\bigl(e + \mathrm{step} \cdot g / \lVert g \rVert\bigr),
        \qquad \mathrm{step} = \mathrm{lr} \cdot \varepsilon \text{ at first},

    starting from a random direction :math:`\varepsilon u / \lVert u \rVert`; a step that lowers the
    objective is undone and that sample's step halved, so the objective never decreases. For a
    linear :math:`\Psi = R` on the sphere this is a shifted power iteration on :math:`R^H R`, so
    the ratio climbs to :math:`\lVert R \rVert`. For a nonlinear :math:`\Psi` different starts may
    end at different local maxima: use ``restarts``. The largest ratio over all iterates and
    restarts is returned; every ratio is an exact evaluation at some
    :math:`0 < \lVert e \rVert \le \varepsilon`, hence a lower bound on :math:`L^\varepsilon`.

    Parameters
    ----------
    recon : callable
        The reconstructor :math:`\Psi`.
    y : torch.Tensor, shape (B, ...)
        Measurements (real or complex; complex entries are pairs of reals).
    eps : float
        Radius :math:`\varepsilon > 0`.
    n_iter : int
        Ascent iterations per restart (``>= 1``).
    restarts : int
        Random starts (``>= 1``).
    lr : float
        Step length relative to ``eps`` (``> 0``).
    sphere : bool
        Search the sphere :math:`\lVert e \rVert = \varepsilon` (True) or the ball (False).
    seed : int, torch.Generator or None
        Seed of the random starts (drawn on the CPU).
    progress : bool
        Show a progress bar.

    Returns
    -------
    AttackResult
        ``e`` is the perturbation attaining the best ratio, ``ratio`` that ratio (recomputed
        from ``x_adv = Psi(y + e)`` and ``x_rec = Psi(y)``), ``history["ratio"]`` the ratio of
        every iterate, shape ``(restarts, n_iter + 1, B)``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import lipschitz_lower_bound
    >>> R = torch.diag(torch.tensor([3.0, 1.0, 0.5], dtype=torch.float64))
    >>> res = lipschitz_lower_bound(lambda y: y @ R.T, torch.zeros(1, 3, dtype=torch.float64), 0.1, seed=0)
    >>> round(float(res.ratio[0]), 6)
    3.0
    """
    _validate.function("recon", recon, "a reconstructor recon(y) -> x")
    _common.check_batch("y", y)
    eps = _validate.positive("eps", eps)
    n_iter = _validate.positive_int("n_iter", n_iter)
    restarts = _validate.positive_int("restarts", restarts)
    lr = _validate.positive("lr", lr)
    sphere = _validate.flag("sphere", sphere)
    progress = _validate.flag("progress", progress)
    seed, gen = _common.resolve_seed(seed)

    y = y.detach()
    with torch.no_grad():
        x_rec = _common.call(recon, y)
    radius = torch.full((y.shape[0],), eps, dtype=y.real.dtype, device=y.device)
    floor = 1e-3 * radius
    best = torch.full_like(radius, -1.0)
    best_e = torch.zeros_like(y)
    history = []

    def evaluate(e: torch.Tensor, with_grad: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(objective, ratio, gradient of the objective) at ``e``, per sample."""
        e = e.detach().requires_grad_(with_grad)
        with torch.set_grad_enabled(with_grad):
            d2 = sqnorm(recon(y + e) - x_rec)
            size2 = sqnorm(e)
            objective = d2 if sphere else d2 / size2
        grad = torch.autograd.grad(objective.sum(), e)[0] if with_grad else None
        return objective.detach(), (d2.detach() / size2.detach()).sqrt(), grad

    def project(e: torch.Tensor) -> torch.Tensor:
        if sphere:
            return _common.to_sphere(e, radius)
        e = _common.project_ball(e, radius)         # into the ball, and off the origin
        return torch.where(expand(norm(e) < floor, e), _common.to_sphere(e, floor), e)

    for j in range(restarts):
        e = eps * _common.random_directions(y, gen)
        step = torch.full_like(radius, lr * eps)    # per-sample step length
        objective, ratio, g = evaluate(e, True)
        ratios = [ratio]
        better = ratio > best                       # every evaluated ratio is a valid lower bound
        best = torch.where(better, ratio, best)
        best_e = torch.where(expand(better, e), e, best_e)
        desc = f"Lipschitz lower bound (restart {j + 1}/{restarts})"
        for k in _batch.progress_range(n_iter, progress, desc):
            with torch.no_grad():
                unit = g / expand(torch.clamp(norm(g), min=torch.finfo(radius.dtype).tiny), g)
                e_new = project(e + expand(step, e).to(e.dtype) * unit)
            objective_new, ratio_new, g_new = evaluate(e_new, k + 1 < n_iter)
            ratios.append(ratio_new)
            # keep a step that does not lose ground; otherwise stay and halve the step
            accept = objective_new >= objective
            step = torch.where(accept, step, step / 2)
            e = torch.where(expand(accept, e), e_new, e)
            objective = torch.where(accept, objective_new, objective)
            if g_new is not None:
                g = torch.where(expand(accept, g), g_new, g)
            better = ratio_new > best
            best = torch.where(better, ratio_new, best)
            best_e = torch.where(expand(better, e_new), e_new, best_e)
        history.append(torch.stack(ratios))
        _common.warn_if_not_finite(history[-1], "lipschitz_lower_bound: the ratio",
                                   "recon returned NaN or inf on some perturbed data")
    with torch.no_grad():
        x_adv = recon(y + best_e)
    return AttackResult(
        method="lipschitz_lower_bound", e=best_e, y=y, y_adv=y + best_e, x_rec=x_rec,
        x_adv=x_adv, history={"ratio": torch.stack(history)}, seed=seed, device=y.device, eps=radius,
        n_iter=n_iter,
    )


# ---------------------------------------------------------------------------------------
# Jacobian spectral norm
# ---------------------------------------------------------------------------------------
def _real_function(recon: Reconstructor, y: torch.Tensor):
    """``recon`` as a map between real tensors: complex input and output become ``(..., 2)`` pairs."""
    complex_in = y.is_complex()

    def f(v: torch.Tensor) -> torch.Tensor:
        out = recon(torch.view_as_complex(v) if complex_in else v)
        return torch.view_as_real(out) if out.is_complex() else out

    v0 = torch.view_as_real(y.resolve_conj()).clone() if complex_in else y.clone()
    return f, v0


def _products_func(f, v0: torch.Tensor):
    """``u -> J u`` and ``w -> J^T w`` at ``v0`` with torch.func (forward- and reverse-mode)."""
    _, vjp_fn = torch.func.vjp(f, v0)
    return (lambda u: torch.func.jvp(f, (v0,), (u,))[1]), (lambda w: vjp_fn(w)[0])


def _products_autograd(f, v0: torch.Tensor):
    """``u -> J u`` and ``w -> J^T w`` by the double-backward trick (reverse mode only).

    ``J^T w`` is linear in ``w``, so differentiating ``<J^T w, u>`` with respect to ``w``
    gives ``J u``; the graph of ``f`` is built once and reused.
    """
    v = v0.detach().requires_grad_(True)
    out = f(v)
    w = torch.zeros_like(out, requires_grad=True)
    (jt_w,) = torch.autograd.grad(out, v, w, create_graph=True)

    def jvp(u: torch.Tensor) -> torch.Tensor:
        (ju,) = torch.autograd.grad(jt_w, w, u, retain_graph=True)
        return ju

    def vjp(z: torch.Tensor) -> torch.Tensor:
        (jtz,) = torch.autograd.grad(out, v, z, retain_graph=True)
        return jtz

    return jvp, vjp


def jacobian_norm(
    recon: Reconstructor,
    y: torch.Tensor,
    *,
    n_iter: int = 50,
    tol: float = 1e-6,
    seed: int | torch.Generator | None = 0,
    method: str = "auto",
) -> torch.Tensor:
    r"""Spectral norm of the Jacobian of ``recon`` at ``y``, per sample, by power iteration.

    Iterates :math:`u \leftarrow J^\top J u / \|J^\top J u\|` with Jacobian-vector products
    ``J u`` and vector-Jacobian products ``J^T w`` (never forming ``J``), and returns
    :math:`\|J u\|` for the final unit vector ``u``: the infinitesimal local Lipschitz
    constant :math:`\lim_{\varepsilon \to 0} L^\varepsilon(\Psi, y)`. Complex inputs and
    outputs are treated as real vector spaces (pairs of reals), so ``J`` is a real matrix.
    Each sample has its own ``u`` (the reconstructor must treat samples independently, as
    networks in eval mode and solvers do). The estimate never exceeds the true norm and
    stops once it changes by less than ``tol`` (relative) for every sample.

    Parameters
    ----------
    recon : callable
        The reconstructor ``Psi`` (differentiable).
    y : torch.Tensor, shape (B, ...)
        Measurements.
    n_iter : int
        Most power iterations (``>= 1``).
    tol : float
        Relative change at which to stop (``> 0``).
    seed : int, torch.Generator or None
        Seed of the starting vector (drawn on the CPU).
    method : {"auto", "func", "autograd"}
        ``"autograd"``: the double-backward trick (reverse mode only: ``J u`` is the gradient
        of ``<J^T w, u>`` with respect to ``w``); ``"func"``: ``torch.func.jvp``/``vjp`` (needs
        forward-mode support and no in-place changes of captured tensors; its first call
        costs torch about 2 s of set-up); ``"auto"`` tries ``"autograd"``, then ``"func"``.

    Returns
    -------
    torch.Tensor, shape (B,)
        ``||J_Psi(y)||_2`` for each sample (real dtype of the output).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import jacobian_norm
    >>> R = torch.tensor([[2.0, 1.0], [0.0, 1.0]], dtype=torch.float64)
    >>> round(float(jacobian_norm(lambda y: y @ R.T, torch.ones(1, 2, dtype=torch.float64))[0]), 6)
    2.288246
    """
    _validate.function("recon", recon, "a reconstructor recon(y) -> x")
    _common.check_batch("y", y)
    n_iter = _validate.positive_int("n_iter", n_iter)
    tol = _validate.positive("tol", tol)
    _validate.choice("method", method, ("auto", "func", "autograd"))
    _, gen = _common.resolve_seed(seed)

    f, v0 = _real_function(recon, y.detach())
    u = _common.random_directions(v0, gen)          # drawn first: the same start for either method
    builders = {"autograd": _products_autograd, "func": _products_func}
    order = ("autograd", "func") if method == "auto" else (method,)
    for i, name in enumerate(order):
        try:
            with warnings.catch_warnings():         # torch's first jvp call warns about its own internals
                warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=DeprecationWarning)
                jvp, vjp = builders[name](f, v0)
                jvp(u)                              # fails here if this kind of derivative is unsupported
            break
        except (RuntimeError, NotImplementedError):
            if i == len(order) - 1:
                raise
    estimate = None
    for _ in range(n_iter):
        ju = jvp(u)
        sigma = norm(ju.detach())                   # ||J u|| <= ||J||, for unit u
        jtju = vjp(ju).detach()
        size = norm(jtju)
        if not bool((size > 0).all()):              # J u = 0: this sample's Jacobian vanishes (or u is unlucky)
            size = torch.where(size > 0, size, torch.ones_like(size))
        converged = estimate is not None and bool(((sigma - estimate).abs() <= tol * sigma).all())
        estimate = sigma if estimate is None else torch.maximum(sigma, estimate)
        if converged:
            break
        u = jtju / expand(size, jtju)
    return estimate
