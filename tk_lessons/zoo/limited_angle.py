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

from .. import kernel, metrics
from ..operators import LinearOperator
from .evaluation import Evaluation, classical, scores

if TYPE_CHECKING:  # pragma: no cover - the recipes import this module
    from .recipes import Recipe

__all__ = ["LIMITED_SIZE", "WEDGE", "LIMITED_OPERATOR", "LIMITED_SCHEDULE", "limited_model", "TIKHONOV_LAMS",
           "TV_LAMS_LIMITED", "TV_STEPS", "NOISE_LEVEL", "noisy_data", "tuned", "predict_data", "limited_angle_test",
           "fbpunet_limited_angle"]

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
#: The grids of Tikhonov and TV weights searched on validation images. Tikhonov is exact
#: (:func:`tk_lessons.kernel.svd_tikhonov`, from the dense SVD); TV runs 3000 primal-dual steps,
#: since the wedge's tiny singular values make it slow (with the zoo's usual 300 it stays 2 dB
#: lower on validation heads, 20.5 dB) and is still not converged there.
TIKHONOV_LAMS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
TV_LAMS_LIMITED = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3)
TV_STEPS = 3000
#: Relative noise level of the noisy test: ``||e|| = NOISE_LEVEL * ||A x||`` for each image.
NOISE_LEVEL = 0.01


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


def noisy_data(A: LinearOperator, X: torch.Tensor, level: float = NOISE_LEVEL, seed: int = 0) -> torch.Tensor:
    """``A x + e`` for each image, Gaussian ``e`` scaled to ``||e|| = level * ||A x||`` (seeded).

    Examples
    --------
    >>> from tk_lessons.operators import Identity
    >>> y = noisy_data(Identity((1, 4)), torch.ones(2, 1, 4), 0.5)
    >>> [round(float((v - 1).norm()), 4) for v in y]
    [1.0, 1.0]
    """
    with torch.no_grad():
        y = A(X)
        g = torch.Generator().manual_seed(seed)
        e = torch.randn(y.shape, generator=g, dtype=y.dtype).to(y.device)
        scale = level * y.flatten(1).norm(dim=1) / e.flatten(1).norm(dim=1)
        return y + scale.reshape(-1, *([1] * (y.ndim - 1))) * e


def tuned(method: str, A: LinearOperator, y_val: torch.Tensor, val: torch.Tensor, y_test: torch.Tensor,
          quick: bool = False) -> tuple[float, torch.Tensor]:
    """Tikhonov or TV with ``lam`` chosen by mean PSNR on validation data ``y_val`` of the images ``val``.

    ``method`` is ``"tikhonov"`` (grid :data:`TIKHONOV_LAMS`, exact from the dense SVD) or ``"tv"``
    (grid :data:`TV_LAMS_LIMITED`, :data:`TV_STEPS` primal-dual steps; quick mode: two weights,
    5 steps). Returns ``(lam, reconstructions from y_test)``.

    Examples
    --------
    >>> from tk_lessons.operators import Radon
    >>> A = Radon(8, [0.0, 45.0, 90.0])
    >>> val = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> lam, x_rec = tuned("tikhonov", A, A(val), val, A(val[:1]))
    >>> x_rec.shape
    torch.Size([1, 1, 8, 8])
    """
    if method == "tikhonov":
        svd = kernel.approximate(A, 2.0 * A.norm())       # every singular direction

        def solve(y: torch.Tensor, lam: float) -> torch.Tensor:
            return kernel.svd_tikhonov(svd, A, y, lam)
        lams = TIKHONOV_LAMS
    elif method == "tv":
        def solve(y: torch.Tensor, lam: float) -> torch.Tensor:
            return classical("tv", A, y, lam, 5 if quick else TV_STEPS)
        lams = TV_LAMS_LIMITED[1:3] if quick else TV_LAMS_LIMITED
    else:
        raise ValueError(f"method must be 'tikhonov' or 'tv', got {method!r}")

    def psnr(lam: float) -> float:
        return float(metrics.psnr(solve(y_val, lam), val, data_range=1.0).double().mean())

    best = max(lams, key=psnr)
    return best, solve(y_test, best)


def limited_angle_test(recipe: Recipe, quick: bool) -> Evaluation:
    """Network against FBP, tuned Tikhonov and tuned TV on the test heads, noiseless and with 1% noise.

    Mean PSNR (data range 1). The weights ``lam`` are recorded as strings (``"1e-06"``), since the
    manifest rounds floats to 4 decimals. With noise, Tikhonov is tuned again on noisy validation
    data; TV is not run (its 3000 steps per weight would double the time).
    """
    def evaluate(model: nn.Module, A: LinearOperator) -> dict[str, Any]:
        test, val = recipe.test[:8] if quick else recipe.test, recipe.val[:8]
        out: dict[str, Any] = {}
        for suffix, y_val, y_test in (("", A(val), A(test)),
                                      ("_noisy", noisy_data(A, val, seed=1), noisy_data(A, test, seed=2))):
            out.update({k + suffix: v for k, v in scores("test", predict_data(model, y_test), test).items()})
            out.update({k + suffix: v for k, v in scores("fbp", A.fbp(y_test), test).items()})
            lam, x_tik = tuned("tikhonov", A, y_val, val, y_test, quick)
            out.update({k + suffix: v for k, v in scores("tikhonov", x_tik, test).items()})
            out["tikhonov_lam" + suffix] = f"{lam:g}"
        lam, x_tv = tuned("tv", A, A(val), val, A(test), quick)
        out.update(scores("tv", x_tv, test))
        out["tv_lam"] = f"{lam:g}"
        out["noise_level"] = NOISE_LEVEL
        out["n_test"] = int(test.shape[0])
        return out
    return evaluate


def predict_data(model: nn.Module, y: torch.Tensor, batch_size: int = 50) -> torch.Tensor:
    """``model(y)`` batch by batch, in ``eval`` mode, without gradients.

    Examples
    --------
    >>> predict_data(torch.nn.Identity(), torch.ones(3, 2)).shape
    torch.Size([3, 2])
    """
    model.eval()
    with torch.no_grad():
        return torch.cat([model(y[i:i + batch_size]) for i in range(0, y.shape[0], batch_size)])


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

