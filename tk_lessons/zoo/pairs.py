"""Training pairs with the same data: the laboratory's experiments on what training does (Chapter 10).

A map ``Psi`` trained on data ``y = A x`` sees *only* ``y``. When the training set holds two
signals ``p`` and ``p + z`` with ``A z = 0`` (a *kernel pair*), both have the data ``A p``,
and no map can return both: the empirical risk with the squared loss is smallest at the
weighted mean of the targets that share one datum (:func:`erm_over_all_maps`), ``p + z/2``
for equal weights and ``p + l z / (k + l)`` for ``k`` copies of ``p`` and ``l`` of
``p + z``. This module builds that situation in the laboratory (:mod:`tk_lessons.zoo.lab`:
1-D piecewise polynomials of 256 samples, data = the 64 lowest frequencies) and measures
what trained networks do with it.

* :func:`real_kernel_part` gives the exact real kernel component ``z`` of a signal
  (``A z = 0`` to rounding, also where the mask is not point-symmetric);
* :func:`fixed_detail` is the laboratory's detail at a fixed place;
* :func:`pair_data` builds the training sets of the recipes ``pairs_both`` (some signals as
  ``p`` *and* ``p + z``), ``pairs_one`` (those signals only as ``p + z``) and
  ``pairs_one_jitter`` (the same, trained with jitter);
* :func:`pair_recipe` / :func:`pairs_test` are their recipes and their evaluation
  (registered in :data:`tk_lessons.zoo.recipes.RECIPES`: ``python -m tk_lessons.zoo
  pairs_both`` retrains one);
* :func:`erm_over_all_maps`, :func:`expected_jitter_loss`, :func:`jitter_variance` and
  :func:`near_kernel_pairs` are the small computations the chapter proves and tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from .. import _validate
from ..operators import LinearOperator
from .lab import DETAIL_FREQUENCY, DETAIL_WIDTH, SCALES, detail_share, lab_data, mean_data_norm

__all__ = ["PAIR_MODELS", "PairData", "real_kernel_part", "fixed_detail", "pair_data", "pair_recipe",
           "pairs_test", "erm_over_all_maps", "expected_jitter_loss", "jitter_variance", "near_kernel_pairs",
           "jitter_minimiser",
           "PAIR_N_PLAIN", "PAIR_MARKED", "PAIR_REPEATS", "PAIR_JITTER"]

#: The recipes of this module.
PAIR_MODELS = ("pairs_both", "pairs_one", "pairs_one_lowjitter", "pairs_one_jitter")
#: Plain training signals, marked signals among them, copies of each marked signal per role.
PAIR_N_PLAIN, PAIR_MARKED, PAIR_REPEATS = 64, 8, 8
#: Relative jitter levels (times the mean data norm of the training set) of the jittered recipes: the
#: laboratory's "high noise" level, and a level of the order of the distance from a plain training
#: datum to its nearest neighbour (Chapter 10 prints the median).
PAIR_JITTER = {"pairs_one_lowjitter": 0.05, "pairs_one_jitter": 0.25}
#: Training phases of the pair recipes. 1200 + 400 + 200 epochs on 96 plain signals with 4 copies of
#: each marked one left three of the eight marked signals of ``pairs_one`` below a share of 0.4
#: (mean 0.68, measured); hence 8 copies, 64 plain signals and 2400 epochs.
PAIR_PHASES = [{"epochs": 1500, "batch_size": 32, "lr": 1e-3}, {"epochs": 600, "batch_size": 32, "lr": 2.5e-4},
               {"epochs": 300, "batch_size": 32, "lr": 5e-5}]


def real_kernel_part(A: Callable[[torch.Tensor], torch.Tensor], d: torch.Tensor, *, n_iter: int = 200,
                     adjoint: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """The orthogonal projection of the real signal ``d`` onto the real kernel ``{x real : A x = 0}``.

    For a real signal ``x``, ``A x = 0`` means ``Re A x = Im A x = 0``: the kernel of the
    real-linear map ``B x = (Re A x, Im A x)``, whose normal operator is ``B^T B x = Re(A^* A x)``.
    The projection is the limit of ``z <- z - Re(A^* A z)`` from ``z = d`` (a Landweber
    iteration, convergent when ``||A|| <= 1``: the components with ``B^T B``-eigenvalue
    ``s`` in (0, 1] shrink by ``1 - s`` per step). For a low-pass Fourier mask that is not
    point-symmetric the eigenvalues are 1 and 1/2, and 200 steps reach rounding; the real part
    of the complex projection ``d - A^* A d`` is *not* in the kernel there.

    Parameters
    ----------
    A : LinearOperator
        With ``||A|| <= 1`` (subsampled unitary transforms) and an ``adjoint``.
    d : torch.Tensor, real
        Signals, a batch.
    n_iter : int
        Landweber steps.
    adjoint : callable, optional
        ``A^*`` (default ``A.adjoint``).

    Returns
    -------
    torch.Tensor, real, like ``d``

    Examples
    --------
    >>> from tk_lessons.zoo import build_operator
    >>> from tk_lessons.zoo.lab import setting
    >>> A = build_operator(setting().operator)
    >>> z = real_kernel_part(A, fixed_detail())
    >>> float(A(z).abs().max()) < 1e-6, round(float(z.norm() / fixed_detail().norm()), 2)
    (True, 0.96)
    """
    _validate.tensor("d", d)
    if torch.is_complex(d):
        raise ValueError(f"d must be real, got dtype {d.dtype}")
    n_iter = _validate.positive_int("n_iter", n_iter)
    adj = A.adjoint if adjoint is None else adjoint      # type: ignore[attr-defined]
    z = d.double() if d.dtype == torch.float64 else d.clone()
    for _ in range(n_iter):
        z = z - adj(A(z)).real
    return z.to(d.dtype)


def fixed_detail(size: int = 256, *, location: float = 0.5, amplitude: float = 0.2) -> torch.Tensor:
    """The laboratory's detail ``a cos(2 pi f (t - c)) exp(-((t - c) / w)^2)`` at ``c = location``, shape ``(1, 1, size)``.

    On 256 samples of [0, 1] the grid misses ``location = 0.5`` by half a step, so the largest value is
    below ``a``.

    ``f`` and ``w`` are the laboratory's (:data:`~tk_lessons.zoo.lab.DETAIL_FREQUENCY`,
    :data:`~tk_lessons.zoo.lab.DETAIL_WIDTH`).

    Examples
    --------
    >>> d = fixed_detail()
    >>> d.shape, round(float(d.max()), 3)
    (torch.Size([1, 1, 256]), 0.175)
    """
    size = _validate.positive_int("size", size, minimum=8)
    if not 0 <= location <= 1:
        raise ValueError(f"location must be in [0, 1], got {location!r}")
    if not amplitude > 0:
        raise ValueError(f"amplitude must be positive, got {amplitude!r}")
    t = torch.linspace(0, 1, size)
    shift = t - location
    d = amplitude * torch.cos(2 * math.pi * DETAIL_FREQUENCY * shift) * torch.exp(-(shift / DETAIL_WIDTH) ** 2)
    return d[None, None]


@dataclass
class PairData:
    """A pair recipe's data.

    Attributes
    ----------
    train : torch.Tensor
        The training signals, in order: the plain signals (marked ones left out where the
        recipe has them only with the detail), extra plain copies of the marked ones, then
        ``repeats`` copies of each marked signal plus ``z``.
    plain : torch.Tensor
        The ``n_plain`` plain signals (no detail).
    marked : torch.Tensor
        Indices (into ``plain``) of the marked signals.
    z : torch.Tensor
        The real kernel detail, shape ``(1, 1, size)``, ``A z = 0``.
    copies : tuple of int
        ``(k, l)``: copies of each marked ``p`` and of each marked ``p + z`` in ``train``.
    """

    train: torch.Tensor
    plain: torch.Tensor
    marked: torch.Tensor
    z: torch.Tensor
    copies: tuple[int, int]


def pair_data(kind: str, A: LinearOperator, *, n_plain: int = PAIR_N_PLAIN, n_marked: int = PAIR_MARKED,
              repeats: int = PAIR_REPEATS) -> PairData:
    """The training set of a pair recipe: ``kind="both"`` (``p`` and ``p + z``) or ``"one"`` (only ``p + z``).

    ``n_plain`` plain laboratory training signals (no random detail); every
    ``n_plain // n_marked``-th is *marked*. With ``"both"`` each marked ``p`` appears
    ``repeats`` times and ``p + z`` ``repeats`` times (weights 1:1), with ``"one"`` only
    ``p + z``, ``repeats`` times. ``z`` is the real kernel part of :func:`fixed_detail`.

    Examples
    --------
    >>> from tk_lessons.zoo import build_operator
    >>> A = build_operator(SCALES["laptop"].operator)
    >>> data = pair_data("both", A, n_plain=8, n_marked=2, repeats=3)
    >>> data.train.shape[0], data.marked.tolist(), data.copies
    (18, [0, 4], (3, 3))
    """
    _validate.choice("kind", kind, ("both", "one"))
    n_plain = _validate.positive_int("n_plain", n_plain)
    n_marked = _validate.positive_int("n_marked", n_marked)
    repeats = _validate.positive_int("repeats", repeats)
    if n_marked > n_plain:
        raise ValueError(f"n_marked must be at most n_plain = {n_plain}, got {n_marked}")
    lab = SCALES["laptop"]
    plain = lab_data("train", lab, with_detail=False, n=n_plain).plain
    z = real_kernel_part(A, fixed_detail(lab.size))
    marked = torch.arange(0, n_plain, n_plain // n_marked)[:n_marked]
    is_marked = torch.zeros(n_plain, dtype=torch.bool)
    is_marked[marked] = True
    with_z = (plain[marked] + z).repeat(repeats, 1, 1)
    if kind == "both":
        train = torch.cat((plain, plain[marked].repeat(repeats - 1, 1, 1), with_z))
        copies = (repeats, repeats)
    else:
        train = torch.cat((plain[~is_marked], with_z))
        copies = (0, repeats)
    return PairData(train, plain, marked, z, copies)


def pair_recipe(name: str, quick: bool = False) -> Any:
    """The recipe of pair model ``name`` (one of :data:`PAIR_MODELS`): the laboratory's U-Net and operator.

    ``quick`` keeps 8 plain signals (2 marked, 2 copies) and one epoch per phase.

    Examples
    --------
    >>> r = pair_recipe("pairs_both", quick=True)
    >>> r.train.shape, r.extra["copies"]
    (torch.Size([14, 1, 256]), (2, 2))
    """
    from .recipes import Recipe
    from .registry import build_operator

    _validate.choice("name", name, PAIR_MODELS)
    lab = SCALES["laptop"]
    A = build_operator(lab.operator)
    sizes = {"n_plain": 8, "n_marked": 2, "repeats": 2} if quick else {}
    data = pair_data("both" if name == "pairs_both" else "one", A, **sizes)
    norm = mean_data_norm(A, data.plain)
    eta = PAIR_JITTER.get(name, 0.0) * norm
    phases = PAIR_PHASES if not quick else [{**p, "epochs": 1, "batch_size": 4} for p in PAIR_PHASES]
    phases = [dict(p, eta=eta) if eta > 0 else dict(p) for p in phases]
    val = lab_data("val", lab, with_detail=False, n=4 if quick else 32).plain
    test = lab_data("test", lab, with_detail=False, n=4 if quick else 100).plain
    k, l = data.copies
    what = {"pairs_both": "the marked signals as p and as p + z",
            "pairs_one": "the marked signals only as p + z",
            "pairs_one_lowjitter": "the marked signals only as p + z, jitter "
                                   f"{PAIR_JITTER.get(name, 0):g} x mean ||A x||",
            "pairs_one_jitter": f"the marked signals only as p + z, jitter {PAIR_JITTER.get(name, 0):g} x mean ||A x||"}[name]
    recipe = Recipe(
        name=name, description=f"The laboratory's 1-D U-Net trained with {what} (z in the kernel of A).",
        spec={"operator": lab.operator, "model": lab.model}, train=data.train, val=val, test=test,
        phases=phases,
        data=(f"tk_lessons.zoo.pairs.pair_data: {data.plain.shape[0]} plain lab signals (seed 0), "
              f"{data.marked.numel()} marked (every {data.plain.shape[0] // data.marked.numel()}-th) in "
              f"{k} copies of p and {l} of p + z, z = real kernel part of fixed_detail(); "
              f"{val.shape[0]} val (seed 1), {test.shape[0]} test (seed 2) plain signals; jitter {eta:.4g}"),
        seed=0, evaluate=lambda model, A: {},
        extra={"pair_data": data, "data_norm": norm, "jitter": eta, "copies": data.copies})
    recipe.evaluate = pairs_test(recipe)
    return recipe


def pairs_test(recipe: Any) -> Callable[..., dict[str, Any]]:
    """A pair model's evaluation: the share of ``z`` drawn on the marked and on new signals, and the accuracy.

    ``share_marked``: mean of :func:`~tk_lessons.zoo.lab.detail_share` of ``Psi(A p)`` over
    the marked ``p`` (the data of ``p`` and ``p + z`` coincide); ``share_unmarked`` over the
    other training signals and ``share_test`` over the held-out test signals (where no
    training signal had the detail); ``rel_error_*`` the mean relative errors against the
    targets ``p`` (unmarked, test) and the distance of ``Psi(A p)`` to ``p + z`` and ``p``
    on the marked ones.
    """
    from .. import metrics
    from .evaluation import predict

    def evaluate(model: Any, A: Any) -> dict[str, Any]:
        data: PairData = recipe.extra["pair_data"]
        z = data.z
        is_marked = torch.zeros(data.plain.shape[0], dtype=torch.bool)
        is_marked[data.marked] = True
        out: dict[str, Any] = {}
        rec = predict(model, A, data.plain)
        test_rec = predict(model, A, recipe.test)
        share = detail_share(rec, data.plain, z.expand_as(rec))
        out["share_marked"] = float(share[is_marked].double().mean())
        out["share_marked_min"] = float(share[is_marked].min())
        out["share_marked_max"] = float(share[is_marked].max())
        out["share_unmarked"] = float(share[~is_marked].double().mean())
        out["share_test"] = float(detail_share(test_rec, recipe.test, z.expand_as(test_rec)).double().mean())
        rel = metrics.rel_error(rec, data.plain).double()
        out["rel_error_unmarked"] = float(rel[~is_marked].mean())
        out["rel_error_test"] = float(metrics.rel_error(test_rec, recipe.test).double().mean())
        out["test_psnr"] = float(metrics.psnr(test_rec, recipe.test, 1.0).double().mean())
        marked_rec = rec[is_marked]
        out["dist_to_p_plus_z"] = float((marked_rec - data.plain[is_marked] - z).flatten(1).norm(dim=1).double().mean())
        out["dist_to_p"] = float((marked_rec - data.plain[is_marked]).flatten(1).norm(dim=1).double().mean())
        out["z_norm"] = float(z.norm())
        return out
    return evaluate


def erm_over_all_maps(Y: torch.Tensor, X: torch.Tensor, sample_weights: torch.Tensor | None = None, *,
                      tol: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """The minimiser of the weighted empirical risk ``sum_i w_i ||Psi(y_i) - x_i||^2`` over *all* maps ``Psi``.

    The risk splits over the distinct data: for each datum ``y`` it is
    ``sum_{i : y_i = y} w_i ||Psi(y) - x_i||^2``, smallest at the weighted mean of those
    ``x_i``. Data closer than ``tol`` times the largest entry of ``Y`` (in the max-norm) count as
    equal: float32 data of ``x`` and ``x + z`` with ``A z = 0`` differ by rounding.

    Parameters
    ----------
    Y, X : torch.Tensor
        Data and targets, first axis the samples.
    sample_weights : torch.Tensor, optional
        Positive weights of the samples (default 1).
    tol : float
        Relative tolerance for equal data.

    Returns
    -------
    (outputs, groups) : the minimiser's output at each ``y_i`` (like ``X``) and the group index of each sample.

    Examples
    --------
    >>> Y = torch.tensor([[1.0], [1.0], [2.0]])
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    >>> out, groups = erm_over_all_maps(Y, X)
    >>> out.tolist(), groups.tolist()
    ([[0.0, 1.0], [0.0, 1.0], [5.0, 5.0]], [0, 0, 1])
    """
    _validate.tensor("Y", Y)
    _validate.tensor("X", X)
    n = Y.shape[0]
    if X.shape[0] != n:
        raise ValueError(f"X and Y must have as many samples, got {X.shape[0]} and {n}")
    w = torch.ones(n, dtype=torch.float64) if sample_weights is None else sample_weights.double()
    if w.shape != (n,) or bool((w <= 0).any()):
        raise ValueError(f"sample_weights must be {n} positive numbers, got shape {tuple(w.shape)}")
    flat = Y.reshape(n, -1)
    tol = float(tol) * float(flat.abs().max()) if n else 0.0
    groups = torch.full((n,), -1, dtype=torch.long)
    g = 0
    for i in range(n):
        if groups[i] >= 0:
            continue
        same = (flat - flat[i]).abs().amax(dim=1) <= tol
        groups[same & (groups < 0)] = g
        g += 1
    Xf = X.reshape(n, -1).double()
    out = torch.empty_like(Xf)
    for k in range(g):
        idx = groups == k
        out[idx] = (w[idx, None] * Xf[idx]).sum(0) / w[idx].sum()
    return out.reshape(X.shape).to(X.dtype), groups


def jitter_variance(eta: float, m: int) -> float:
    """``E|xi_j|^2`` per entry of the jitter ``xi = eta s g / sqrt(m)``, ``s ~ U[0, 1]``, ``g ~ N(0, I)``: ``eta^2 / (3 m)``.

    ``E[s^2] = 1/3`` and ``E|g_j|^2 = 1`` (also for complex ``g``,
    :func:`tk_lessons.networks.add_jitter`); the entries are uncorrelated with mean zero,
    so ``E xi xi^* = eta^2 / (3 m) I``, for real and complex data alike.

    Examples
    --------
    >>> jitter_variance(3.0, 9)
    0.3333333333333333
    """
    eta = _validate.positive("eta", eta, allow_zero=True)
    m = _validate.positive_int("m", m)
    return eta ** 2 / (3 * m)


def expected_jitter_loss(matrix: torch.Tensor, y: torch.Tensor, x: torch.Tensor, s2: float) -> float:
    """``E ||W (y + xi) - x||^2 = ||W y - x||^2 + s2 ||W||_F^2`` for jitter with ``E xi = 0``, ``E xi xi^* = s2 I``.

    ``W`` is the linear map ``matrix`` (``(n, m)``), ``y`` a datum ``(m,)``, ``x`` a target ``(n,)``.

    Examples
    --------
    >>> W = torch.eye(2)
    >>> expected_jitter_loss(W, torch.ones(2), torch.zeros(2), 0.5)
    3.0
    """
    _validate.tensor("matrix", matrix)
    W = matrix
    if W.ndim != 2 or y.shape != (W.shape[1],) or x.shape != (W.shape[0],):
        raise ValueError(f"matrix must be (n, m), y (m,) and x (n,), got {tuple(W.shape)}, {tuple(y.shape)}, "
                         f"{tuple(x.shape)}")
    if s2 < 0:
        raise ValueError(f"s2 must be >= 0, got {s2!r}")
    W = W.to(torch.complex128) if torch.is_complex(W) or torch.is_complex(y) else W.double()
    r = W @ y.to(W.dtype) - x.to(W.dtype)
    return float(r.abs().pow(2).sum() + s2 * W.abs().pow(2).sum())


def near_kernel_pairs(A: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor, eta: float, gap: float,
                      *, chunk: int = 256) -> int:
    """The number of pairs ``i < j`` with ``||A (x_i - x_j)|| <= eta`` and ``||x_i - x_j|| >= gap``.

    Such a pair forces any map with training error at most ``delta`` on both to have
    ``L^eta >= (gap - 2 delta) / eta`` (Chapter 10). Distances via the Gram matrices
    (in float64), ``chunk`` rows at a time.

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [0.1, 3.0]])
    >>> near_kernel_pairs(A, X, eta=0.2, gap=0.5)
    3
    """
    _validate.tensor("X", X)
    eta = _validate.positive("eta", eta, allow_zero=True)
    gap = _validate.positive("gap", gap, allow_zero=True)
    chunk = _validate.positive_int("chunk", chunk)
    with torch.no_grad():
        Y = A(X)
    Y = (torch.view_as_real(Y.to(torch.complex128)) if Y.is_complex() else Y.double()).reshape(X.shape[0], -1)
    Xf = X.reshape(X.shape[0], -1).double()
    n = Xf.shape[0]
    count = 0
    for s in range(0, n, chunk):
        dy = torch.cdist(Y[s:s + chunk], Y)
        dx = torch.cdist(Xf[s:s + chunk], Xf)
        rows = torch.arange(s, min(s + chunk, n))[:, None]
        upper = torch.arange(n)[None, :] > rows
        count += int(((dy <= eta) & (dx >= gap) & upper).sum())
    return count


def jitter_minimiser(Y: torch.Tensor, X: torch.Tensor, points: torch.Tensor, eta: float, *,
                     n_grid: int = 4000) -> torch.Tensor:
    """The minimiser over all maps of the expected jittered loss ``sum_j E ||Psi(y_j + xi) - x_j||^2``, at ``points``.

    With jitter ``xi = eta s g / sqrt(m)`` (``s ~ U[0, 1]``, ``g ~ N(0, I)``, complex ``g``
    with ``E|g_j|^2 = 1``; :func:`tk_lessons.networks.add_jitter`) of density ``p``, the
    expected loss is ``int sum_j p(u - y_j) ||Psi(u) - x_j||^2 du``, smallest pointwise at
    ``Psi(u) = sum_j p(u - y_j) x_j / sum_j p(u - y_j)``: a weighted mean of the targets.
    ``p`` depends on ``r = ||u - y_j||`` only: ``p(r) = int_0^1 (2 pi sigma_s^2)^(-D/2)
    exp(-r^2 / (2 sigma_s^2)) ds`` with ``D`` real dimensions and ``sigma_s^2 = eta^2 s^2 / D``
    per real component (``D = 2m`` for complex data); the integral is a midpoint rule with
    ``n_grid`` points, in logarithms. ``p(0)`` is infinite (the integrand grows like
    ``s^(-D)``), so at a training datum the weights concentrate on the samples with that datum;
    the grid's smallest scale ``1 / (2 n_grid)`` caps that concentration.

    Parameters
    ----------
    Y : torch.Tensor
        Training data ``(K, ...)`` (real or complex).
    X : torch.Tensor
        Training targets ``(K, ...)``.
    points : torch.Tensor
        Data at which to evaluate, ``(B, ...)`` like ``Y``.
    eta : float > 0
        The jitter level.

    Returns
    -------
    torch.Tensor, ``(B, *X.shape[1:])``

    Examples
    --------
    >>> Y = torch.tensor([[0.0], [0.0], [10.0]])
    >>> X = torch.tensor([[0.0], [1.0], [7.0]])
    >>> jitter_minimiser(Y, X, torch.tensor([[0.0]]), eta=1.0)
    tensor([[0.5000]])
    """
    _validate.tensor("Y", Y)
    _validate.tensor("X", X)
    _validate.tensor("points", points)
    v = points
    eta = _validate.positive("eta", eta)
    n_grid = _validate.positive_int("n_grid", n_grid)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must have as many samples, got {X.shape[0]} and {Y.shape[0]}")

    def real(t: torch.Tensor) -> torch.Tensor:
        t = t.reshape(t.shape[0], -1)
        return torch.view_as_real(t.to(torch.complex128)).flatten(1) if torch.is_complex(t) else t.double()

    Yr, vr = real(Y), real(v)
    dim = Yr.shape[1]
    s = (torch.arange(n_grid, dtype=torch.float64) + 0.5) / n_grid
    var = eta ** 2 * s ** 2 / dim
    r2 = torch.cdist(vr, Yr) ** 2                                      # (B, K)
    logp = torch.logsumexp(-dim / 2 * torch.log(2 * math.pi * var) - r2[..., None] / (2 * var), dim=-1)
    w = torch.softmax(logp, dim=1)
    out = w @ X.reshape(X.shape[0], -1).double()
    return out.reshape(v.shape[0], *X.shape[1:]).to(X.dtype)
