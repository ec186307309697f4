"""How the recipes of :mod:`tk_lessons.zoo.recipes` score a trained model on their test data.

Every shipped model is compared with a classical method on the *same* clean test data: total
variation for images, ℓ1-wavelets (Daubechies 4) for 1-D signals, each with its weight
``lam`` tuned on validation data (Chapter 3). The hallucination recipes also measure how much
of a kernel detail a network adds to an image (:func:`detail_fraction`), and the Cartesian
recipe tests one network at several sampling rates (Chapter 4).

The evaluations need a recipe's own data: :func:`against_tv`, :func:`tumour_test`,
:func:`hallucination_test` and :func:`rate_test` take a :class:`~tk_lessons.zoo.recipes.Recipe`
and return its ``evaluate(model, A) -> dict``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import torch
from torch import nn

from .. import _validate, metrics
from ..networks import PostProcessing, evaluate as evaluate_noisy
from ..operators import LinearOperator, SubsampledFourier, Wavelet
from ..solvers import fista, tv

if TYPE_CHECKING:  # pragma: no cover - the recipes import this module
    from .recipes import Recipe

__all__ = ["predict", "scores", "classical", "tuned_classical", "versus_classical", "detail_fraction",
           "against_tv", "tumour_test", "hallucination_test", "rate_test", "METHODS", "TV_LAMS",
           "L1_LAMS"]

#: The classical methods a model is compared with: TV for images, ℓ1-wavelets for signals.
METHODS = ("tv", "l1")
#: The grids of weights ``lam`` searched for TV and for ℓ1-wavelets.
TV_LAMS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
L1_LAMS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)


def _mean(t: torch.Tensor) -> float:
    return float(t.double().mean())


@torch.no_grad()
def predict(model: nn.Module, A: LinearOperator, X: torch.Tensor, batch_size: int = 50) -> torch.Tensor:
    """``model(A x)`` for every image ``x`` of ``X``, ``batch_size`` at a time, in ``eval`` mode, on the CPU.

    Examples
    --------
    >>> from tk_lessons.operators import Identity
    >>> predict(torch.nn.Identity(), Identity((1, 4)), torch.ones(3, 1, 4)).shape
    torch.Size([3, 1, 4])
    """
    _validate.function("model", model, "a torch.nn.Module")
    _validate.operator("A", A)
    _validate.tensor("X", X)
    batch_size = _validate.positive_int("batch_size", batch_size)
    model.eval()
    device = next(iter(model.parameters()), torch.empty(0)).device
    out = [model(A(X[i:i + batch_size].to(device))).cpu() for i in range(0, X.shape[0], batch_size)]
    return torch.cat(out)


def scores(prefix: str, x_rec: torch.Tensor, x: torch.Tensor) -> dict[str, float]:
    """Mean PSNR (data range 1) and relative error of ``x_rec`` against ``x``.

    The keys are ``PREFIX_psnr`` and ``PREFIX_rel_error``.

    Examples
    --------
    >>> scores("test", torch.zeros(2, 1, 4), torch.ones(2, 1, 4))
    {'test_psnr': 0.0, 'test_rel_error': 1.0}
    """
    return {f"{prefix}_psnr": _mean(metrics.psnr(x_rec, x, data_range=1.0)),
            f"{prefix}_rel_error": _mean(metrics.rel_error(x_rec, x))}


def classical(method: str, A: LinearOperator, y: torch.Tensor, lam: float, n_iter: int) -> torch.Tensor:
    """TV (``method="tv"``, images) or ℓ1-db4 wavelets (``"l1"``, signals) reconstruction, real."""
    _validate.choice("method", method, METHODS)
    if method == "tv":
        return tv(A, y, lam, n_iter=n_iter, real=True)
    return fista(A, y, lam, Wavelet(A.domain_shape[1:], "db4"), n_iter=n_iter, real=True)


def tuned_classical(method: str, A: LinearOperator, val: torch.Tensor, test: torch.Tensor,
                    quick: bool) -> tuple[float, torch.Tensor]:
    """Pick ``lam`` from a grid by the mean PSNR on (up to 8) validation images; reconstruct ``test``.

    The grid search makes the comparison fair: the network was tuned on data too. Returns
    ``(lam, reconstructions of test)``; ``quick`` searches two weights with 5 iterations.
    """
    _validate.choice("method", method, METHODS)
    grid = TV_LAMS if method == "tv" else L1_LAMS
    lams = grid[1:3] if quick else grid
    n_iter = 5 if quick else 300
    val = val[:8]
    y_val = A(val)
    best = max(lams, key=lambda lam: _mean(metrics.psnr(classical(method, A, y_val, lam, n_iter), val, 1.0)))
    return best, classical(method, A, A(test), best, n_iter)


def versus_classical(model: nn.Module, A: LinearOperator, val: torch.Tensor, test: torch.Tensor,
                     quick: bool, method: str = "tv") -> dict[str, Any]:
    """Network and tuned TV/ℓ1 on the same clean test data: the "beats it in distribution" check."""
    out = scores("test", predict(model, A, test), test)
    lam, x_classical = tuned_classical(method, A, val, test, quick)
    out.update(scores(method, x_classical, test))
    out[f"{method}_lam"] = lam
    out[f"beats_{method}"] = out["test_psnr"] > out[f"{method}_psnr"]
    out["n_test"] = int(test.shape[0])
    return out


def detail_fraction(x_rec: torch.Tensor, x: torch.Tensor, z: torch.Tensor) -> float:
    r"""How much of the detail ``z`` a reconstruction ``x_rec`` adds to ``x`` (1 = all of it).

    The fraction is :math:`\langle x_{rec} - x, z\rangle / \|z\|^2`.

    Examples
    --------
    >>> z = torch.tensor([[0.0, 2.0]])
    >>> detail_fraction(torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0, 0.0]]), z)
    0.5
    """
    for name, t in (("x_rec", x_rec), ("x", x), ("z", z)):
        _validate.tensor(name, t)
        if t.shape != z.shape:
            raise ValueError(f"{name} must have the shape of z, {tuple(z.shape)}, got {tuple(t.shape)}")
    if not bool(z.any()):
        raise ValueError("z must be a nonzero detail, got all zeros")
    return float(((x_rec - x) * z).sum() / (z * z).sum())


# ----------------------------------------------------------------------------------------
# the evaluations of the recipes (each needs its recipe's data)
# ----------------------------------------------------------------------------------------
#: What an evaluation is: ``evaluate(model, A) -> dict`` of test metrics.
Evaluation = Callable[[nn.Module, LinearOperator], "dict[str, Any]"]


def against_tv(recipe: Recipe, quick: bool) -> Evaluation:
    """Network against tuned TV on the recipe's test images; ItNets also under noise (``eta = 1``)."""
    def evaluate(model: nn.Module, A: LinearOperator) -> dict[str, Any]:
        out = versus_classical(model, A, recipe.val, recipe.test, quick)
        if recipe.name.startswith("itnet"):
            # accuracy under noise: the other side of the trade-off (jitter-like noise, eta = 1)
            out["test_psnr_noise_eta1"] = evaluate_noisy(model, A, recipe.test, eta=1.0, seed=0)["psnr"]
        return out
    return evaluate


def tumour_test(recipe: Recipe, quick: bool) -> Evaluation:
    """Network against tuned ℓ1 on test signals, and how much of the tumour each shows on its training signals."""
    def evaluate(model: nn.Module, A: LinearOperator) -> dict[str, Any]:
        out = versus_classical(model, A, recipe.val, recipe.test, quick, method="l1")
        e = recipe.extra
        x, x_t, z = e["signals"][e["indices"]], e["with_tumour"], e["tumour"]
        out["tumour_data_fraction"] = float(A(z).abs().norm() / z.norm())
        net_x, net_t = predict(model, A, x), predict(model, A, x_t)
        lam = out["l1_lam"]
        n_iter = 5 if quick else 300
        l1_x, l1_t = classical("l1", A, A(x), lam, n_iter), classical("l1", A, A(x_t), lam, n_iter)
        out.update({f"tumour_train_{k}": v for k, v in scores("net", net_t, x_t).items()})
        out.update({f"tumour_train_{k}": v for k, v in scores("l1", l1_t, x_t).items()})
        # does the reconstruction change by the tumour when the tumour is added? (1 = fully, 0 = not at all)
        zz = z.expand_as(x)
        out["tumour_shown_net"] = detail_fraction(net_t - net_x, torch.zeros_like(zz), zz)
        out["tumour_shown_l1"] = detail_fraction(l1_t - l1_x, torch.zeros_like(zz), zz)
        return out
    return evaluate


def hallucination_test(recipe: Recipe, quick: bool) -> Evaluation:
    """How much of the training image's kernel detail the network puts into the clean image and into test images."""
    def evaluate(model: nn.Module, A: LinearOperator) -> dict[str, Any]:
        out = scores("test", predict(model, A, recipe.test), recipe.test)
        out["n_test"] = int(recipe.test.shape[0])
        e = recipe.extra
        x, z = e["x_clean"], e["kernel_detail"]
        out["kernel_detail_data_fraction"] = float(A(z).abs().norm() / A(e["detail"]).abs().norm())
        x_rec = predict(model, A, x)
        # the clean image was never in the training set; its data equal (nearly) those of x + z
        out["hallucination"] = detail_fraction(x_rec, x, z)
        out["train_image_psnr"] = _mean(metrics.psnr(predict(model, A, x + z), x + z, 1.0))
        test = recipe.test
        controls = predict(model, A, test)
        out["hallucination_on_test_mean"] = sum(detail_fraction(controls[i:i + 1], test[i:i + 1], z)
                                                for i in range(test.shape[0])) / test.shape[0]
        return out
    return evaluate


def rate_test(recipe: Recipe, quick: bool) -> Evaluation:
    """Network against tuned TV, then the same network and TV at each nested Cartesian rate of the recipe.

    The recipe's ``extra`` holds the ``rates``, their nested ``masks`` and the ``train_rate``.
    """
    def evaluate(model: nn.Module, A: LinearOperator) -> dict[str, Any]:
        out = versus_classical(model, A, recipe.val, recipe.test, quick)
        rates, masks = recipe.extra["rates"], recipe.extra["masks"]
        trained = rates.index(recipe.extra["train_rate"])
        if not torch.equal(masks[trained], A.mask.cpu()):
            raise RuntimeError("the nested Cartesian masks do not contain the training mask")
        n_iter = 5 if quick else 300
        net_by_rate, tv_by_rate = {}, {}
        for rate, mask in zip(rates, masks):
            B = SubsampledFourier(mask)
            same_net = PostProcessing(B, model.net, init="adjoint", input="channels")
            key = f"{rate:.4f}"
            net_by_rate[key] = _mean(metrics.psnr(predict(same_net, B, recipe.test), recipe.test, 1.0))
            tv_by_rate[key] = _mean(metrics.psnr(classical("tv", B, B(recipe.test), out["tv_lam"], n_iter),
                                                 recipe.test, 1.0))
        out["psnr_by_rate"], out["tv_psnr_by_rate"] = net_by_rate, tv_by_rate
        return out
    return evaluate
