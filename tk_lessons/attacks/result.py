"""The record every attack returns: :class:`AttackResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .._batch import norm, safe_divide
from ._common import fmt_values

__all__ = ["AttackResult"]


@dataclass(repr=False)
class AttackResult:
    """What an attack found: the perturbation, the perturbed input and output, and their sizes.

    All norms are per sample (shape ``(B,)``) and Euclidean over all other dimensions;
    complex entries count as pairs of reals.

    Attributes
    ----------
    method : str
        Which function produced the result (``"adversarial_perturbation"``, ...).
    e : torch.Tensor
        The perturbation the attack controls: an image-domain ``r`` (shape of ``x``) for
        :func:`adversarial_perturbation`, a measurement-domain ``e`` (shape of ``y``) otherwise.
    y, y_adv : torch.Tensor, shape (B, ...)
        The clean measurements and the perturbed ones (``y_adv - y = A r`` or ``e``).
    x_rec, x_adv : torch.Tensor, shape (B, ...)
        ``recon(y)`` and ``recon(y_adv)``.
    x : torch.Tensor or None
        The ground truth, when the attack was given one (errors are measured against it).
    history : dict of str to torch.Tensor
        Per-iteration records, one row per iterate (row 0 is the starting point); each
        value has shape ``(n_iterates, B)`` or ``(restarts, n_iterates, B)`` (see each function;
        :func:`measurement_attack` also stores ``best_error``, ``(restarts, B)``).
    seed : int or None
        The seed of the random start (``None`` when a generator was passed).
    device : torch.device
        Where the attack ran.
    eps : torch.Tensor or None, shape (B,)
        The radius of the ball searched, if any.
    n_iter : int
        Iterations actually run (fewer than asked when a stopping norm was reached).
    velocity : torch.Tensor or None
        Momentum state of :func:`adversarial_perturbation`, to warm-start a later call.
    candidates : torch.Tensor or None, shape (restarts, B, ...)
        The best perturbation of every restart (:func:`measurement_attack`), best first, to
        warm-start the next, smaller, ``eps``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import AttackResult
    >>> y, e = torch.ones(1, 4), torch.full((1, 4), 0.5)
    >>> res = AttackResult("example", e=e, y=y, y_adv=y + e, x_rec=3 * y, x_adv=3 * (y + e))
    >>> res.ratio                          # the map y -> 3 y stretches every perturbation by 3
    tensor([3.])
    """

    method: str
    e: torch.Tensor
    y: torch.Tensor
    y_adv: torch.Tensor
    x_rec: torch.Tensor
    x_adv: torch.Tensor
    x: torch.Tensor | None = None
    history: dict[str, torch.Tensor] = field(default_factory=dict)
    seed: int | None = None
    device: torch.device = torch.device("cpu")
    eps: torch.Tensor | None = None
    n_iter: int = 0
    velocity: torch.Tensor | None = None
    candidates: torch.Tensor | None = None

    # -- sizes --------------------------------------------------------------------------------
    @property
    def norm_e(self) -> torch.Tensor:
        """``||e||`` per sample."""
        return norm(self.e.detach())

    @property
    def norm_data(self) -> torch.Tensor:
        """``||y_adv - y||`` per sample: the size of the perturbation as the data see it."""
        return norm((self.y_adv - self.y).detach())

    @property
    def norm_diff(self) -> torch.Tensor:
        """``||x_adv - x_rec||`` per sample: how much the reconstruction moved."""
        return norm((self.x_adv - self.x_rec).detach())

    @property
    def ratio(self) -> torch.Tensor:
        """``||x_adv - x_rec|| / ||y_adv - y||``: a lower bound on the local Lipschitz constant.

        For an image-domain perturbation ``r`` the PNAS 2020 papers report
        ``||x_adv - x_rec|| / ||r||`` instead: that is :attr:`ratio_image`.
        """
        return safe_divide(self.norm_diff, self.norm_data)

    @property
    def ratio_image(self) -> torch.Tensor:
        """``||x_adv - x_rec|| / ||e||`` (the PNAS 2020 log's ratio)."""
        return safe_divide(self.norm_diff, self.norm_e)

    @property
    def error(self) -> torch.Tensor | None:
        """Relative error ``||x_adv - x|| / ||x||`` per sample (``None`` without ``x``)."""
        if self.x is None:
            return None
        return safe_divide(norm((self.x_adv - self.x).detach()), norm(self.x.detach()))

    @property
    def error_rec(self) -> torch.Tensor | None:
        """Relative error of the clean reconstruction, ``||x_rec - x|| / ||x||``."""
        if self.x is None:
            return None
        return safe_divide(norm((self.x_rec - self.x).detach()), norm(self.x.detach()))

    # -- text ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        parts = [f"method={self.method!r}", f"batch={self.e.shape[0]}", f"n_iter={self.n_iter}",
                 f"norm_e={fmt_values(self.norm_e)}", f"norm_diff={fmt_values(self.norm_diff)}",
                 f"ratio={fmt_values(self.ratio)}"]
        if self.x is not None:
            parts.append(f"error={fmt_values(self.error)}")
        parts += [f"seed={self.seed}", f"device={self.device}"]
        return "AttackResult(" + ", ".join(parts) + ")"

    def summary(self) -> str:
        """A small table, one row per sample: perturbation size ||e||, output change, ratio, errors."""
        header = f"{self.method} on {self.device}, seed {self.seed}, {self.n_iter} iterations"
        cols = ["sample", "||e||", "||y_adv-y||", "||x_adv-x_rec||", "ratio"]
        if self.eps is not None:
            cols.insert(1, "eps")
        if self.x is not None:
            cols += ["err rec", "err adv"]
        rows = [" ".join(f"{c:>17}" for c in cols)]
        columns = [self.norm_e, self.norm_data, self.norm_diff, self.ratio]
        if self.eps is not None:
            columns.insert(0, self.eps)
        if self.x is not None:
            columns += [self.error_rec, self.error]
        for b in range(self.e.shape[0]):
            rows.append(f"{b:>17} " + " ".join(f"{float(c[b]):>17.4g}" for c in columns))
        return header + "\n" + "\n".join(rows)
