"""The laboratory: a setting designed so that the papers' phenomena must occur, and its control.

The theory says when a reconstruction method is *forced* to be unstable: when it is accurate
on a pair of signals whose measurements nearly coincide (a near-kernel pair; Chapters 5-8).
The laboratory builds that situation on purpose, at a size a laptop trains to convergence:

* **Signals** (``preset="laptop"``): v1's piecewise polynomials
  (:func:`tk_lessons.data.piecewise_polynomial`, 256 samples, degree 3, 3 jumps), and with
  probability 1/2 a **detail**: a bump ``a cos(2 pi f (t - c)) exp(-((t - c) / w)^2)`` with
  ``f = 40`` cycles per unit length, ``w = 0.03``, amplitude ``a ~ U[0.15, 0.25]`` and centre
  ``c ~ U[0.15, 0.85]`` (:func:`details`).
* **Measurements**: the 64 lowest frequencies (25 %) of the unitary DFT. The band edge is
  32 cycles, so the detail lies just above it: only a quarter of its norm reaches the data
  (its *visible fraction* ``||A d|| / ||d|| = 0.25``). A signal with the detail and the same
  signal without it are a near-kernel pair: any map that draws the detail where it is and
  leaves it out where it is not has to amplify some perturbation of size ``||A d||`` into an
  error of size about ``||d||``, a factor ``1 / 0.25 = 4``.
* **Networks**: a 1-D U-Net post-processing of the zero-filled reconstruction (base 8,
  depth 4, the architecture of ``unet1d_tumour``), trained on 1500 signals with jitter of
  relative level 0 (``lab_nonoise``), 1 % (``lab_lownoise``) and 5 % (``lab_highnoise``) of
  the mean data norm, the three networks of the paper's accuracy-stability figure (v4).
* **Competitor**: total variation with its weight tuned on validation signals, a serious
  method for piecewise-smooth signals with jumps.
* **Control** (``lab_control``): the same network, trained without noise on the same signals
  *without* the detail. That class has no near-kernel pairs at the scale of the noise (a
  one-sample box keeps about a quarter of its energy in the band as well, but the class holds
  no two signals that differ by one), and the network is accurate *and* stable there.

``preset="paper"`` (``--scale paper`` on the command lines) is the same code with the paper's setting (v4 Figure 3: 256 x 256 random
ellipses, golden-angle radial sampling with 40 spokes, 10,941 samples, 8-step ItNets of base
32, 25,000 training images, jitter 47 % and 0.47 % relative, TV weight 1e-3), for a GPU;
:func:`setting` gives either, and ``setting("paper", size=32)`` a tiny instance the tests run.
The recipes here are registered in :data:`tk_lessons.zoo.recipes.RECIPES`, so
``python -m tk_lessons.zoo lab_nonoise`` retrains one; :mod:`tk_lessons.records.lab_worst_case`
holds the attack records and ``python -m tk_lessons.zoo.laboratory lab_nonoise lab_lownoise
lab_highnoise --tv`` prints the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import torch

from .. import _validate
from ..data import EllipsesDataset, piecewise_polynomial
from ..networks import as_tensor

__all__ = ["LabSetting", "LabData", "SCALES", "LAB_MODELS", "setting", "details", "lab_data", "tv_map", "visible_fraction",
           "mean_data_norm", "lab_recipe", "lab_test", "detail_drawn", "detail_share", "DETAIL_FREQUENCY", "DETAIL_WIDTH", "DETAIL_AMPLITUDE", "DETAIL_PROBABILITY"]

#: The detail's frequency in cycles per unit length (the band edge of 25 % low-pass data is 32).
DETAIL_FREQUENCY = 40.0
#: Width ``w`` of the detail's Gaussian envelope (as a fraction of the signal's length).
DETAIL_WIDTH = 0.03
#: Range of the detail's amplitude ``a``.
DETAIL_AMPLITUDE = (0.15, 0.25)
#: Probability that a signal carries the detail.
DETAIL_PROBABILITY = 0.5
#: The laboratory's models, in the order of the table: no, low and high noise, then the control.
LAB_MODELS = ("lab_nonoise", "lab_lownoise", "lab_highnoise", "lab_control")


@dataclass(frozen=True)
class LabSetting:
    """One scale of the laboratory: data, operator, networks, training and attack effort.

    Attributes
    ----------
    name : str
        ``"laptop"`` or ``"paper"``.
    dim, size : int
        Signals (``dim=1``, ``size`` samples) or images (``dim=2``, ``size x size``).
    operator : dict
        The operator spec (:func:`tk_lessons.zoo.build_operator`).
    model : dict
        The model spec of the networks (their ``seed`` is the initialisation's).
    n_train, n_val, n_test : int
        Training, validation and test set sizes.
    phases : list of dict
        Training phases (keyword arguments of :func:`tk_lessons.networks.train`) without the jitter.
    eta_relative : dict of str to float
        Relative jitter level per network (``"nonoise"``, ``"lownoise"``, ``"highnoise"``): the
        jitter ``eta`` is this times the mean data norm of the training set.
    with_detail : bool
        Whether the class carries the near-kernel detail (the laptop laboratory; the paper's
        ellipses have their own fine structure).
    tv_lams : tuple of float
        The TV weights tuned on validation data (a single one: the paper's).
    tv_n_iter : int
        ADMM iterations of the TV map (the attacks differentiate through all of them).
    attack_n_iter, attack_restarts, attack_samples : int
        The worst-case search: steps per restart, random restarts, test signals attacked.
    levels : tuple of float
        The relative noise levels ``||e|| / ||y||`` of the worst-case table.
    lipschitz_eps : float
        Radius of the Lipschitz search relative to the mean ``||y||``.
    """

    name: str
    dim: int
    size: int
    operator: dict[str, Any]
    model: dict[str, Any]
    n_train: int
    n_val: int
    n_test: int
    phases: list[dict[str, Any]]
    eta_relative: dict[str, float]
    with_detail: bool
    tv_lams: tuple[float, ...]
    tv_n_iter: int
    attack_n_iter: int
    attack_restarts: int
    attack_samples: int
    levels: tuple[float, ...] = (0.0, 0.02, 0.04, 0.08)
    lipschitz_eps: float = 0.05
    notes: dict[str, str] = field(default_factory=dict)


def _unet1d() -> dict[str, Any]:
    return {"kind": "postprocessing", "init": "adjoint", "input": "channels",
            "net": {"kind": "unet", "dim": 1, "in_channels": 2, "out_channels": 1, "base": 8, "depth": 4,
                    "residual": False, "seed": 0}}


def _itnet_paper() -> dict[str, Any]:
    return {"kind": "itnet", "n_iter": 8, "lam_init": 0.1, "final_dc": True, "shared": False, "init": "adjoint",
            "net": {"kind": "unet", "dim": 2, "in_channels": 1, "out_channels": 1, "base": 32, "depth": 4,
                    "residual": False, "seed": 0}}     # the ItNet adds the skip x + net(x) itself


#: The two scales. ``laptop`` is measured and shipped; ``paper`` is the paper's setting for a GPU.
SCALES: dict[str, LabSetting] = {
    "laptop": LabSetting(
        name="laptop", dim=1, size=256,
        operator={"kind": "fourier", "mask": {"kind": "lowpass", "size": 256, "rate": 0.25}},
        model=_unet1d(), n_train=1500, n_val=50, n_test=100,
        phases=[{"epochs": 400, "batch_size": 32, "lr": 1e-3}, {"epochs": 150, "batch_size": 32, "lr": 2.5e-4},
                {"epochs": 50, "batch_size": 32, "lr": 5e-5}],
        eta_relative={"nonoise": 0.0, "lownoise": 0.01, "highnoise": 0.05}, with_detail=True,
        tv_lams=(1e-3, 3e-3, 1e-2, 3e-2), tv_n_iter=300,
        attack_n_iter=300, attack_restarts=6, attack_samples=12),
    "paper": LabSetting(
        name="paper", dim=2, size=256,
        operator={"kind": "fourier", "mask": {"kind": "radial", "size": 256, "spokes": 40}},
        model=_itnet_paper(), n_train=25000, n_val=1000, n_test=1000,
        phases=[{"epochs": 35, "batch_size": 10, "lr": 5e-5, "weight_decay": 1e-4},
                {"epochs": 6, "batch_size": 10, "lr": 1e-5, "weight_decay": 1e-4}],
        eta_relative={"nonoise": 0.0, "lownoise": 0.0047, "highnoise": 0.47}, with_detail=False,
        tv_lams=(1e-3,), tv_n_iter=200,
        attack_n_iter=1000, attack_restarts=6, attack_samples=10,
        notes={"source": "Gottschling, Antun, Hansen & Adcock, The troublesome kernel (v4), the "
                         "accuracy-stability figure and its code: ellipses, 40 spokes, ItNet 8 x U-Net "
                         "base 32, jitter eta = 10 and 0.1, i.e. 47 % and 0.47 % of the mean data norm"}),
}


def setting(preset: str = "laptop", *, size: int | None = None) -> LabSetting:
    """The laboratory at scale ``preset`` (``"laptop"`` or ``"paper"``); ``size`` shrinks it (same code, fewer samples) for tests.

    With ``size``, the operator is rebuilt at that size (the radial mask keeps its sampling
    *rate*: ``40 * size / 256`` spokes, at least 2), the sets shrink to 16 / 4 / 4 and training
    to one short epoch per phase, the attacks to 3 steps and 2 restarts on 2 signals.

    Examples
    --------
    >>> setting().operator["mask"]
    {'kind': 'lowpass', 'size': 256, 'rate': 0.25}
    >>> tiny = setting("paper", size=32)
    >>> tiny.size, tiny.operator["mask"]["spokes"], tiny.attack_n_iter
    (32, 5, 3)
    """
    _validate.choice("preset", preset, tuple(SCALES))
    base = SCALES[preset]
    if size is None:
        return base
    size = _validate.positive_int("size", size, minimum=8)
    mask = dict(base.operator["mask"], size=size)
    if mask["kind"] == "radial":
        mask["spokes"] = max(2, round(mask["spokes"] * size / base.size))
    model = dict(base.model)
    if model["kind"] == "itnet":                        # a tiny network for the tiny instance
        model = dict(model, n_iter=2, net=dict(model["net"], base=4, depth=2))
    else:
        model = dict(model, net=dict(model["net"], base=4, depth=2))
    return replace(base, size=size, operator=dict(base.operator, mask=mask), model=model, n_train=16, n_val=4,
                   n_test=4, phases=[{**p, "epochs": 1, "batch_size": 4} for p in base.phases[:1]],
                   attack_n_iter=3, attack_restarts=2, attack_samples=2, tv_n_iter=5, tv_lams=base.tv_lams[:1])


def details(n: int, size: int, seed: int, *, probability: float = DETAIL_PROBABILITY) -> tuple[torch.Tensor, torch.Tensor]:
    """The laboratory's near-kernel details: ``(d, on)``, ``d`` of shape ``(n, 1, size)``, zero where ``on`` is False.

    Detail ``j`` is ``a cos(2 pi f (t - c)) exp(-((t - c) / w)^2)`` on ``size`` points of
    [0, 1] with ``f =`` :data:`DETAIL_FREQUENCY`, ``w =`` :data:`DETAIL_WIDTH`, ``a ~ U`` over
    :data:`DETAIL_AMPLITUDE`, ``c ~ U[0.15, 0.85]``; it is present (``on[j]``) with
    probability ``probability``. Seeded by ``seed``.

    Examples
    --------
    >>> d, on = details(4, 256, seed=0, probability=1.0)
    >>> d.shape, bool(on.all()), round(float(d.abs().max()), 2) <= 0.25
    (torch.Size([4, 1, 256]), True, True)
    """
    n = _validate.positive_int("n", n)
    size = _validate.positive_int("size", size, minimum=8)
    if not 0 <= probability <= 1:
        raise ValueError(f"probability must be in [0, 1], got {probability!r}")
    g = torch.Generator().manual_seed(int(seed))
    t = torch.linspace(0, 1, size)
    on = torch.rand(n, generator=g) < probability
    centre = 0.15 + 0.7 * torch.rand(n, generator=g)
    low, high = DETAIL_AMPLITUDE
    amplitude = low + (high - low) * torch.rand(n, generator=g)
    shift = t[None] - centre[:, None]
    d = amplitude[:, None] * torch.cos(2 * math.pi * DETAIL_FREQUENCY * shift) * torch.exp(-(shift / DETAIL_WIDTH) ** 2)
    return (d * on[:, None])[:, None, :], on


@dataclass
class LabData:
    """Signals of the laboratory: ``signals = plain + detail`` (``detail`` zero where ``on`` is False)."""

    signals: torch.Tensor
    plain: torch.Tensor
    detail: torch.Tensor
    has_detail: torch.Tensor


#: Seeds of the training, validation and test draws.
_SEEDS = {"train": 0, "val": 1, "test": 2}


def lab_data(part: str, lab_setting: LabSetting | None = None, *, with_detail: bool | None = None,
             n: int | None = None) -> LabData:
    """The training, validation or test signals (or images) of the laboratory ``lab``.

    ``part`` is ``"train"``, ``"val"`` or ``"test"``; ``n`` overrides the set's size and
    ``with_detail=False`` gives the control class (always the case at the paper's scale, whose
    images are the paper's random ellipses, :class:`tk_lessons.data.EllipsesDataset`). Item
    ``j`` depends only on the seeds and ``j``; the details are drawn for the whole set at once,
    so they do depend on ``n``.

    Examples
    --------
    >>> test = lab_data("test", n=8)
    >>> test.signals.shape, int(test.has_detail.sum())
    (torch.Size([8, 1, 256]), 6)
    >>> bool(torch.equal(test.signals, test.plain + test.detail))
    True
    """
    lab = SCALES["laptop"] if lab_setting is None else lab_setting
    _validate.choice("part", part, tuple(_SEEDS))
    size_of = {"train": lab.n_train, "val": lab.n_val, "test": lab.n_test}
    n = size_of[part] if n is None else _validate.positive_int("n", n)
    seed = _SEEDS[part]
    if lab.dim == 2:
        plain = as_tensor(EllipsesDataset(n, size=lab.size, seed=seed + 1))
        zero = torch.zeros_like(plain)
        return LabData(plain, plain, zero, torch.zeros(n, dtype=torch.bool))
    plain = piecewise_polynomial(n, lab.size, seed=seed)
    with_detail = lab.with_detail if with_detail is None else bool(with_detail)
    if not with_detail:
        return LabData(plain, plain, torch.zeros_like(plain), torch.zeros(n, dtype=torch.bool))
    d, on = details(n, lab.size, seed=10 + seed)
    return LabData(plain + d, plain, d, on)


def tv_map(lam: float, A: Any = None, n_iter: int | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    """TV with weight ``lam`` as a map of the data, carrying its operator as ``.A``.

    ``solvers.tv`` (ADMM) with ``n_iter`` iterations (default: the laptop setting's ``tv_n_iter``)
    on ``A`` (default: the laptop setting's operator). The laboratory's table, its attack records
    and Chapter 8 all build TV here, so that they differentiate the same map.

    Examples
    --------
    >>> tv = tv_map(0.01)
    >>> x = lab_data("test", n=2).signals
    >>> tuple(tv(tv.A(x)).shape)
    (2, 1, 256)
    """
    from .. import solvers
    from .registry import build_operator
    lam = _validate.positive("lam", lam)
    n_iter = SCALES["laptop"].tv_n_iter if n_iter is None else _validate.positive_int("n_iter", n_iter)
    A = build_operator(SCALES["laptop"].operator) if A is None else A

    def tv(y: torch.Tensor) -> torch.Tensor:
        return solvers.tv(A, y, lam, n_iter=n_iter, real=True)
    tv.A = A                                    # type: ignore[attr-defined]
    return tv


def visible_fraction(A: Callable[[torch.Tensor], torch.Tensor], d: torch.Tensor) -> torch.Tensor:
    """``||A d|| / ||d||`` per detail (rows of ``d`` that are zero give NaN).

    Examples
    --------
    >>> from tk_lessons.zoo import build_operator
    >>> A = build_operator(setting().operator)
    >>> d, _ = details(1, 256, seed=0, probability=1.0)
    >>> round(float(visible_fraction(A, d)), 2)
    0.25
    """
    _validate.tensor("d", d)
    return A(d).abs().flatten(1).norm(dim=1) / d.flatten(1).norm(dim=1)


def mean_data_norm(A: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor) -> float:
    """The mean of ``||A x||`` over the signals ``X`` (the unit of the relative jitter and noise levels).

    Examples
    --------
    >>> from tk_lessons.operators import Identity
    >>> mean_data_norm(Identity((1, 4)), torch.ones(3, 1, 4))
    2.0
    """
    _validate.tensor("X", X)
    with torch.no_grad():
        return float(A(X).abs().flatten(1).norm(dim=1).double().mean())


_DOCS = {
    "lab_nonoise": "The laboratory's 1-D U-Net, trained without noise on signals with the near-kernel detail.",
    "lab_lownoise": "The laboratory's 1-D U-Net, trained with 1 % jitter on signals with the near-kernel detail.",
    "lab_highnoise": "The laboratory's 1-D U-Net, trained with 5 % jitter on signals with the near-kernel detail.",
    "lab_control": "The control: the laboratory's 1-D U-Net trained without noise on the signals without the detail.",
}


def lab_recipe(name: str, quick: bool = False, lab_setting: LabSetting | None = None) -> Any:
    """The recipe of laboratory model ``name`` (one of :data:`LAB_MODELS`) at the scale of ``lab_setting``.

    ``lab_setting`` defaults to the laptop's; ``quick`` uses ``setting(lab_setting.name, size=32)``'s
    tiny sets and one epoch. The jitter is the
    setting's relative level times the mean data norm of the training set.

    Examples
    --------
    >>> r = lab_recipe("lab_highnoise", quick=True)
    >>> r.train.shape, round(r.phases[0]["eta"] / r.extra["data_norm"], 2)
    (torch.Size([16, 1, 32]), 0.05)
    """
    from .recipes import Recipe          # here: the recipes module imports this one

    _validate.choice("name", name, LAB_MODELS)
    lab = SCALES["laptop"] if lab_setting is None else lab_setting
    if quick:
        lab = setting(lab.name, size=32)
    control = name == "lab_control"
    noise = "nonoise" if control else name.split("_", 1)[1]
    train_set = lab_data("train", lab, with_detail=False if control else None)
    val = lab_data("val", lab, with_detail=False if control else None)
    test = lab_data("test", lab, with_detail=False if control else None)
    from .registry import build_operator
    A = build_operator(lab.operator)
    norm = mean_data_norm(A, train_set.signals)
    eta = lab.eta_relative[noise] * norm
    phases = [dict(p, eta=eta) if eta > 0 else dict(p) for p in lab.phases]
    what = "without the detail (the control class)" if control else (
        f"with the detail (f = {DETAIL_FREQUENCY:g}, w = {DETAIL_WIDTH:g}, probability {DETAIL_PROBABILITY:g})")
    recipe = Recipe(
        name=name, description=_DOCS[name], spec={"operator": lab.operator, "model": lab.model},
        train=train_set.signals, val=val.signals, test=test.signals, phases=phases,
        data=(f"tk_lessons.zoo.lab.lab_data, scale {lab.name!r}: {train_set.signals.shape[0]} train (seed 0), "
              f"{val.signals.shape[0]} val (seed 1), {test.signals.shape[0]} test (seed 2), {what}; "
              f"jitter {lab.eta_relative[noise]:g} x mean ||A x|| = {eta:.4g}"),
        seed=0, evaluate=lambda model, A: {},
        extra={"lab": lab, "test_data": test, "val_data": val, "data_norm": norm, "jitter_relative": lab.eta_relative[noise]})
    recipe.evaluate = lab_test(recipe, quick)
    return recipe


def lab_test(recipe: Any, quick: bool) -> Callable[..., dict[str, Any]]:
    """The laboratory's evaluation: test PSNR overall, with and without the detail, for the network and TV.

    TV's weight is picked from the setting's ``tv_lams`` by mean PSNR on all validation signals,
    with the setting's ``tv_n_iter`` (not :func:`~tk_lessons.zoo.evaluation.tuned_classical`,
    whose grid and iteration count are the 2-D recipes'; ``quick`` is unused: a quick recipe's
    setting is already the tiny one).

    Also the *share of the detail drawn*: the coefficient of the reconstruction's deviation from the
    plain signal along the detail, ``<recon - plain, d> / ||d||^2`` (1: drawn in full, 0: left out),
    averaged over the test signals that carry a detail.
    """
    from . import evaluation
    from .. import metrics

    def evaluate(model: Any, A: Any) -> dict[str, Any]:
        lab, test, val = recipe.extra["lab"], recipe.extra["test_data"], recipe.extra["val_data"]
        out: dict[str, Any] = {"n_test": int(test.signals.shape[0])}
        x_net = evaluation.predict(model, A, test.signals)
        recons = {"test": x_net}
        lam = max(lab.tv_lams, key=lambda l: float(metrics.psnr(
            evaluation.classical("tv", A, A(val.signals), l, lab.tv_n_iter), val.signals, 1.0).double().mean()))
        recons["tv"] = evaluation.classical("tv", A, A(test.signals), lam, lab.tv_n_iter)
        out["tv_lam"] = lam
        for prefix, x_rec in recons.items():
            out.update(evaluation.scores(prefix, x_rec, test.signals))
            psnr = metrics.psnr(x_rec, test.signals, 1.0).double()
            if bool(test.has_detail.any()):
                out[f"{prefix}_psnr_detail"] = float(psnr[test.has_detail].mean())
                out[f"{prefix}_detail_drawn"] = float(detail_drawn(x_rec, test)[test.has_detail].mean())
            if bool((~test.has_detail).any()):
                out[f"{prefix}_psnr_plain"] = float(psnr[~test.has_detail].mean())
        return out
    return evaluate


def detail_drawn(x_rec: torch.Tensor, data: LabData) -> torch.Tensor:
    """Per signal, ``<x_rec - plain, d> / ||d||^2`` (NaN where there is no detail).

    Examples
    --------
    >>> test = lab_data("test", n=4)
    >>> j = int(test.has_detail.nonzero()[0])
    >>> round(float(detail_drawn(test.signals, test)[j]), 6), round(float(detail_drawn(test.plain, test)[j]), 6)
    (1.0, 0.0)
    """
    return detail_share(x_rec, data.plain, data.detail)


def detail_share(x_rec: torch.Tensor, plain: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """Per signal, the share of the detail ``d`` that ``x_rec`` adds to ``plain``: ``<x_rec - plain, d> / ||d||^2``.

    1 means the whole detail is drawn, 0 none of it; NaN where ``d`` is zero. The record's
    false-positive and false-negative searches push this number.

    Examples
    --------
    >>> d = torch.tensor([[[0.0, 2.0]]])
    >>> detail_share(torch.tensor([[[0.0, 1.0]]]), torch.zeros(1, 1, 2), d)
    tensor([0.5000])
    """
    _validate.tensor("x_rec", x_rec)
    if not (x_rec.shape == plain.shape == d.shape):
        raise ValueError(f"x_rec, plain and d must have one shape, got {tuple(x_rec.shape)}, "
                         f"{tuple(plain.shape)} and {tuple(d.shape)}")
    d = d.flatten(1)
    return ((x_rec - plain).flatten(1) * d).sum(1) / (d * d).sum(1)
