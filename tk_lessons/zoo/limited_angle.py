"""The limited-angle CT model of Chapter 12: operator, model spec and its evaluation.

``fbpunet_limited_angle`` is an FBP + residual U-Net (the architecture of
``fbpunet_radon_halluc``) trained on random heads (:func:`tk_lessons.data.random_head`) of
32 x 32 pixels, measured by the Radon transform restricted to the wedge of angles
0, 3, ..., 117 degrees (40 angles, 120 of the 180 degrees). The operator is injective on
32 x 32 images but ill-conditioned: the directions the missing wedge does not see have tiny
singular values, and at 1024 pixels a dense SVD (:func:`tk_lessons.kernel.approximate`)
gives all of them in about a second. :mod:`tk_lessons.zoo.recipes` turns these pieces into
the recipe; :func:`limited_angle_test` scores the network against filtered backprojection,
Tikhonov and TV, each classical weight tuned on validation images.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .. import metrics
from ..operators import LinearOperator
from ..solvers import tikhonov
from .evaluation import Evaluation, predict, scores, tuned_classical

if TYPE_CHECKING:  # pragma: no cover - the recipes import this module
    from .recipes import Recipe

__all__ = ["LIMITED_SIZE", "WEDGE", "LIMITED_OPERATOR", "LIMITED_SCHEDULE", "limited_model", "TIKHONOV_LAMS",
           "tuned_tikhonov", "limited_angle_test", "fbpunet_limited_angle"]

#: Image size of the limited-angle model (a dense SVD of its operator fits the chapter's budget).
LIMITED_SIZE = 32
#: The measured angles in degrees: a wedge of 120 of the 180 degrees, 3 degrees apart.
WEDGE = tuple(3.0 * k for k in range(40))
#: The operator spec (the zoo's Radon transform, normalised to norm 1, on the wedge).
LIMITED_OPERATOR: dict[str, Any] = {"kind": "radon", "size": LIMITED_SIZE, "angles": list(WEDGE)}
#: Training-set size and phases (step-decayed learning rate, as the other recipes): about 10 minutes
#: on one CPU thread.
LIMITED_SCHEDULE: dict[str, Any] = {
    "n_train": 1000, "phases": [{"epochs": 60, "batch_size": 8, "lr": 1e-3},
                                {"epochs": 30, "batch_size": 8, "lr": 2.5e-4}]}
#: The grid of Tikhonov weights searched on validation images.
TIKHONOV_LAMS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def limited_model(seed: int = 0) -> dict[str, Any]:
    """The model spec: filtered backprojection, then a residual U-Net (base 16, depth 3).

    Examples
    --------
    >>> limited_model()["init"]
    'fbp'
    """
    net = {"kind": "unet", "dim": 2, "in_channels": 1, "out_channels": 1, "base": 16, "depth": 3,
           "residual": True, "seed": seed}
    return {"kind": "postprocessing", "init": "fbp", "input": "real", "net": net}


def tuned_tikhonov(A: LinearOperator, val: torch.Tensor, test: torch.Tensor,
                   quick: bool = False) -> tuple[float, torch.Tensor]:
    """Tikhonov with ``lam`` from :data:`TIKHONOV_LAMS` chosen by mean PSNR on (up to 8) validation images.

    Returns ``(lam, reconstructions of test)`` (conjugate gradients, 200 iterations; 5 in quick mode).

    Examples
    --------
    >>> from tk_lessons.operators import Identity
    >>> lam, x_rec = tuned_tikhonov(Identity((1, 4)), torch.ones(2, 1, 4), torch.ones(1, 1, 4))
    >>> lam
    0.0001
    """
    n_iter = 5 if quick else 200
    lams = TIKHONOV_LAMS[2:4] if quick else TIKHONOV_LAMS
    val = val[:8]
    y_val = A(val)

    def psnr(lam: float) -> float:
        x_rec = tikhonov(A, y_val, lam, n_iter=n_iter).real
        return float(metrics.psnr(x_rec, val, data_range=1.0).double().mean())

    best = max(lams, key=psnr)
    return best, tikhonov(A, A(test), best, n_iter=n_iter).real


def limited_angle_test(recipe: Recipe, quick: bool) -> Evaluation:
    """Network against FBP, tuned Tikhonov and tuned TV on the recipe's test images (mean PSNR, data range 1)."""
    def evaluate(model: nn.Module, A: LinearOperator) -> dict[str, Any]:
        test, val = recipe.test, recipe.val
        out = scores("test", predict(model, A, test), test)
        out.update(scores("fbp", A.fbp(A(test)), test))
        lam, x_tik = tuned_tikhonov(A, val, test, quick)
        out.update(scores("tikhonov", x_tik, test))
        out["tikhonov_lam"] = lam
        lam, x_tv = tuned_classical("tv", A, val, test, quick)
        out.update(scores("tv", x_tv, test))
        out["tv_lam"] = lam
        out["beats_tv"] = out["test_psnr"] > out["tv_psnr"]
        out["n_test"] = int(test.shape[0])
        return out
    return evaluate


def fbpunet_limited_angle(quick: bool = False) -> Recipe:
    """FBP + residual U-Net, limited-angle CT (32 x 32 heads, 40 angles in a 120-degree wedge)."""
    from .recipes import Recipe, head_images       # here: the recipes module imports this one

    n_train, n_val, n_test = (8, 4, 4) if quick else (LIMITED_SCHEDULE["n_train"], 32, 100)
    phases = LIMITED_SCHEDULE["phases"]
    if quick:
        phases = [{**p, "epochs": 1, "batch_size": 4} for p in phases]
    recipe = Recipe(
        name="fbpunet_limited_angle", description=fbpunet_limited_angle.__doc__,
        spec={"operator": LIMITED_OPERATOR, "model": limited_model()},
        train=head_images(n_train, seed=1, size=LIMITED_SIZE), val=head_images(n_val, seed=2, size=LIMITED_SIZE),
        test=head_images(n_test, seed=3, size=LIMITED_SIZE), phases=phases,
        data=(f"HeadsDataset(size=32): {n_train} train (seed 1), {n_val} val (seed 2), {n_test} test (seed 3); "
              "Radon transform on angles 0, 3, ..., 117 degrees"),
        seed=0, evaluate=lambda model, A: {})
    recipe.evaluate = limited_angle_test(recipe, quick)
    return recipe

