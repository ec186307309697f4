"""The stability test of Antun et al. (PNAS 2020): image-domain adversarial perturbations."""

from __future__ import annotations

from typing import Any

import torch

from .. import _batch, _validate
from .._batch import expand, norm, sqnorm
from ..operators.base import LinearOperator
from . import _common
from ._common import Reconstructor
from .result import AttackResult

__all__ = ["INITS", "adversarial_perturbation"]

INITS = ("rand", "randn", "ones", "zeros")


def _initial(init: Any, init_scale: float, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """The starting perturbation ``r_0`` (shape and dtype of ``x``), drawn on the CPU."""
    if isinstance(init, torch.Tensor):
        _common.check_same_shape("init", init, x, "x")
        return init.detach().to(device=x.device, dtype=x.dtype).clone()
    _validate.choice("init", init, INITS)
    if init == "rand":
        r = torch.rand(x.shape, generator=gen, dtype=x.dtype, device="cpu")
    elif init == "randn":
        r = torch.randn(x.shape, generator=gen, dtype=x.dtype, device="cpu")
    elif init == "ones":
        r = torch.ones(x.shape, dtype=x.dtype)
    else:
        r = torch.zeros(x.shape, dtype=x.dtype)
    return (init_scale * r).to(x.device)


def _reference(reference: Any, x: torch.Tensor, x_rec: torch.Tensor) -> torch.Tensor:
    """What the output is pushed away from: ``recon(A(x))``, ``x`` itself or a given image."""
    if isinstance(reference, torch.Tensor):
        _common.check_same_shape("reference", reference, x_rec, "recon(A(x))")
        return reference.detach().to(x_rec.device)
    _validate.choice("reference", reference, ("pred", "true"))
    if reference == "pred":
        return x_rec
    _common.check_same_shape("x (as reference='true')", x, x_rec, "recon(A(x))")
    return x


def adversarial_perturbation(
    recon: Reconstructor,
    A: LinearOperator,
    x: torch.Tensor,
    *,
    lam: float,
    lr: float = 0.01,
    momentum: float = 0.9,
    n_iter: int = 100,
    eps: float | None = None,
    max_diff: float | None = None,
    init: str | torch.Tensor = "rand",
    init_scale: float = 1e-3,
    reference: str | torch.Tensor = "pred",
    nesterov: bool = False,
    warm_start: AttackResult | None = None,
    seed: int | torch.Generator | None = None,
    progress: bool = False,
) -> AttackResult:
    r"""Search for a small image-domain perturbation :math:`r` that changes ``recon(A(x + r))`` a lot.

    This is the stability test of Antun, Renna, Poon, Adcock and Hansen (PNAS 2020). It
    maximises, by gradient ascent with (heavy-ball) momentum,

    .. math::

        Q(r) = \tfrac12 \| \Psi(A(x + r)) - \mathrm{ref} \|^2 - \tfrac{\lambda}{2} \|r\|^2,

    with :math:`\mathrm{ref} = \Psi(A x)` (``reference="pred"``), the true :math:`x` (``"true"``)
    or a given image. The update, with :math:`g = \nabla Q(r_k)` computed by backpropagation
    through :math:`\Psi \circ A`, is

    .. math::

        v_{k+1} &= \gamma\, v_k + \mathrm{lr}\, g, \\
        r_{k+1} &= r_k + v_{k+1}

    (``nesterov=True`` uses :math:`r_{k+1} = r_k + \gamma\, v_{k+1} + \mathrm{lr}\, g` instead, the
    TensorFlow form used by the FIRENET stability test), with :math:`\gamma` the ``momentum``
    and :math:`\mathrm{lr}` the ``lr``. The perturbation lives in the image domain, so the data
    perturbation :math:`A r` lies in the range of :math:`A`.

    The steps are not normalised: ``lr`` must suit the size of the gradient, and where the
    reconstructor is flat (a saturated network, a sharp memoriser) the ascent stalls; raise
    ``lr``, or use :func:`measurement_attack` with ``optimizer="pgd"``, whose steps have a
    fixed length.

    When ``lam`` is smaller than :math:`\lVert \Psi \circ A \rVert^2` the objective is unbounded:
    :math:`r` grows without limit. Stop it with ``n_iter``, ``eps`` or ``max_diff``. Each sample of
    the batch stops on its own: once :math:`\lVert r \rVert` reaches ``eps`` (:math:`r` is then
    projected onto the ball of radius ``eps``, so it never exceeds it) or
    :math:`\lVert \Psi(A(x + r)) - \Psi(A x) \rVert` reaches ``max_diff`` (the first iterate that
    reaches it is kept), it is frozen.

    Parameters
    ----------
    recon : callable
        The reconstructor :math:`\Psi`: a batch of measurements in, a batch of images out.
    A : LinearOperator
        The forward operator.
    x : torch.Tensor, shape ``(B, *A.domain_shape)``
        The images to perturb (real, or complex for a complex-domain operator).
    lam : float
        :math:`\lambda \ge 0`, the weight of the penalty on :math:`\lVert r \rVert`. It depends on
        the scale of :math:`\Psi` (the paper used 0.001 to 20), so it must be given.
    lr : float
        Step size ``> 0``.
    momentum : float
        Momentum :math:`\gamma \in [0, 1)`.
    n_iter : int
        Most iterations (``>= 1``).
    eps : float or None
        Stop a sample once :math:`\lVert r \rVert` reaches this size.
    max_diff : float or None
        Stop a sample once its reconstruction moved by at least this much.
    init : {"rand", "randn", "ones", "zeros"} or torch.Tensor
        Starting perturbation: ``init_scale`` times uniform [0, 1) noise (the paper's
        choice), Gaussian noise, ones, zeros, or a given tensor of the shape of ``x``.
    init_scale : float
        Scale of the starting perturbation (``>= 0``).
    reference : {"pred", "true"} or torch.Tensor
        What the output is pushed away from.
    nesterov : bool
        Use the Nesterov form of momentum.
    warm_start : AttackResult or None
        A previous result on the same ``x``: continue from its ``r`` and momentum (the
        paper's runner calls the attack repeatedly to show :math:`r_1, r_2, \dots`).
    seed : int, torch.Generator or None
        Seed of the random start; drawn on the CPU, so every device gets the same start.
    progress : bool
        Show a progress bar.

    Returns
    -------
    AttackResult
        ``e`` is ``r`` (shape of ``x``), ``y_adv = A(x + r)``, ``x_adv = Psi(y_adv)``;
        ``history`` has rows for :math:`r_0, r_1, \dots` with keys ``norm_e``
        (:math:`\lVert r \rVert`), ``norm_diff`` (:math:`\lVert \Psi(A(x + r)) - \Psi(A x) \rVert`),
        ``ratio`` (their quotient) and ``objective`` (:math:`Q(r)`), each of shape
        ``(n_iterates, B)``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import adversarial_perturbation
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.eye(3, dtype=torch.float64))
    >>> res = adversarial_perturbation(lambda y: 2 * y, A, torch.ones(1, 3, dtype=torch.float64),
    ...                                lam=1.0, n_iter=50, eps=0.5, seed=0)
    >>> round(float(res.norm_e[0]), 6), round(float(res.ratio[0]), 6)
    (0.5, 2.0)
    """
    _validate.function("recon", recon, "a reconstructor recon(y) -> x")
    _validate.operator("A", A)
    _common.check_batch("x", x)
    if tuple(x.shape[1:]) != A.domain_shape:
        raise ValueError(f"x must have shape (B, {', '.join(map(str, A.domain_shape))}) for "
                         f"{type(A).__name__}, got {tuple(x.shape)}")
    lam = _validate.positive("lam", lam, allow_zero=True)
    lr = _validate.positive("lr", lr)
    momentum = _validate.positive("momentum", momentum, allow_zero=True)
    if momentum >= 1:
        raise ValueError(f"momentum must lie in [0, 1), got {momentum!r}")
    n_iter = _validate.positive_int("n_iter", n_iter)
    eps = None if eps is None else _validate.positive("eps", eps)
    max_diff = None if max_diff is None else _validate.positive("max_diff", max_diff)
    init_scale = _validate.positive("init_scale", init_scale, allow_zero=True)
    nesterov = _validate.flag("nesterov", nesterov)
    progress = _validate.flag("progress", progress)
    seed, gen = _common.resolve_seed(seed)

    x = x.detach()
    with torch.no_grad():
        y = A(x)
        x_rec = _common.call(recon, y)
    ref = _reference(reference, x, x_rec)

    if warm_start is not None:
        if not isinstance(warm_start, AttackResult) or warm_start.method != "adversarial_perturbation":
            raise TypeError("warm_start must be an AttackResult of adversarial_perturbation, "
                            f"got {type(warm_start).__name__}")
        _common.check_same_shape("warm_start.e", warm_start.e, x, "x")
        r = warm_start.e.detach().to(device=x.device, dtype=x.dtype).clone()
        v = (torch.zeros_like(r) if warm_start.velocity is None
             else warm_start.velocity.detach().to(device=x.device, dtype=x.dtype).clone())
    else:
        r = _initial(init, init_scale, x, gen)
        v = torch.zeros_like(r)

    active = torch.ones(x.shape[0], dtype=torch.bool, device=x.device)   # samples still moving
    if eps is not None:                              # a start outside the ball is projected
        active = norm(r) < eps
        r = _common.project_ball(r, torch.full_like(active, eps, dtype=r.real.dtype))
    stoppable = eps is not None or max_diff is not None
    records: list[tuple[torch.Tensor, ...]] = []
    taken = 0
    out = x_rec
    for k in _batch.progress_range(n_iter + 1, progress, "adversarial perturbation"):
        # evaluate r_k: the forward pass for the gradient also gives the log entry of r_k
        r_k = r.detach().requires_grad_(k < n_iter)
        with torch.set_grad_enabled(k < n_iter):
            out = recon(A(x + r_k))
            data = 0.5 * sqnorm(out - ref)
        with torch.no_grad():
            norm_r = norm(r)
            diff = norm(out - x_rec)
            records.append((norm_r, diff, _batch.safe_divide(diff, norm_r), data - 0.5 * lam * norm_r.square()))
            if max_diff is not None:
                active = active & (diff < max_diff)
        # checking the stopping norms costs a device sync, so only when there are any
        if k == n_iter or (stoppable and not bool(active.any())):
            break
        (grad,) = torch.autograd.grad(data.sum(), r_k)
        with torch.no_grad():
            g = grad - lam * r                           # gradient of Q at r_k
            move = expand(active, r)                     # frozen samples keep r and v
            v = torch.where(move, momentum * v + lr * g, v)
            step = momentum * v + lr * g if nesterov else v
            r = torch.where(move, r + step, r)
            if eps is not None:
                reached = norm(r) >= eps
                r = _common.project_ball(r, torch.full_like(reached, eps, dtype=r.real.dtype))
                active = active & ~reached
        taken += 1

    out = out.detach()
    stacked = [torch.stack(col) for col in zip(*records)]
    history = dict(zip(("norm_e", "norm_diff", "ratio", "objective"), stacked))
    _common.warn_if_not_finite(history["objective"], "adversarial_perturbation: the objective",
                               "the ascent diverged; lower lr, raise lam or set eps")
    with torch.no_grad():
        y_adv = A(x + r)
    return AttackResult(
        method="adversarial_perturbation", e=r.detach(), y=y, y_adv=y_adv,
        x_rec=x_rec, x_adv=out, x=x if x.shape == x_rec.shape else None, history=history,
        seed=seed, device=x.device, n_iter=taken, velocity=v.detach(),
        eps=None if eps is None else torch.full((x.shape[0],), eps, device=x.device),
    )
