"""The record every attack returns: :class:`AttackResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ._common import norm, safe_divide


def _fmt(t: torch.Tensor | None, n: int = 4) -> str:
    """Short text for a (B,) tensor: ``[1.23e-02, 4.56e-01]`` (at most ``n`` entries)."""
    if t is None:
        return "-"
    values = [f"{float(v):.3g}" for v in t.detach().flatten()[:n]]
    more = ", ..." if t.numel() > n else ""
    return "[" + ", ".join(values) + more + "]"


@dataclass(repr=False)
class AttackResult:
    """What an attack found: the perturbation, the perturbed input and output, and their sizes.

    All norms are per sample (shape ``(B,)``) and Euclidean over all other dimensions;
    complex entries count as pairs of reals.

    Attributes
    ----------
    method : str
        Which function produced the result (``"adversarial_perturbation"``, ...).
    perturbation : torch.Tensor
        The perturbation the attack controls: an image-domain ``r`` (shape of ``x``) for
        :func:`adversarial_perturbation`, a measurement-domain ``e`` (shape of ``y``) otherwise.
    y_clean, y_adv : torch.Tensor, shape (B, ...)
        The clean measurements and the perturbed ones (``y_adv - y_clean = A r`` or ``e``).
    x_clean, x_adv : torch.Tensor, shape (B, ...)
        ``recon(y_clean)`` and ``recon(y_adv)``.
    x_true : torch.Tensor or None
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
    steps : int
        Iterations actually run (fewer than asked when a stopping norm was reached).
    velocity : torch.Tensor or None
        Momentum state of :func:`adversarial_perturbation`, to warm-start a later call.
    candidates : torch.Tensor or None, shape (restarts, B, ...)
        The best perturbation of every restart (:func:`measurement_attack`), to warm-start
        the next, smaller, ``eps``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.attacks import AttackResult
    >>> y, e = torch.ones(1, 4), torch.full((1, 4), 0.5)
    >>> res = AttackResult("example", perturbation=e, y_clean=y, y_adv=y + e, x_clean=3 * y, x_adv=3 * (y + e))
    >>> res.ratio                          # the map y -> 3 y stretches every perturbation by 3
    tensor([3.])
    """

    method: str
    perturbation: torch.Tensor
    y_clean: torch.Tensor
    y_adv: torch.Tensor
    x_clean: torch.Tensor
    x_adv: torch.Tensor
    x_true: torch.Tensor | None = None
    history: dict[str, torch.Tensor] = field(default_factory=dict)
    seed: int | None = None
    device: torch.device = torch.device("cpu")
    eps: torch.Tensor | None = None
    steps: int = 0
    velocity: torch.Tensor | None = None
    candidates: torch.Tensor | None = None

    # -- sizes --------------------------------------------------------------------------------
    @property
    def norm_pert(self) -> torch.Tensor:
        """``||perturbation||`` per sample."""
        return norm(self.perturbation.detach())

    @property
    def norm_data(self) -> torch.Tensor:
        """``||y_adv - y_clean||`` per sample: the size of the perturbation as the data see it."""
        return norm((self.y_adv - self.y_clean).detach())

    @property
    def norm_diff(self) -> torch.Tensor:
        """``||x_adv - x_clean||`` per sample: how much the reconstruction moved."""
        return norm((self.x_adv - self.x_clean).detach())

    @property
    def ratio(self) -> torch.Tensor:
        """``||x_adv - x_clean|| / ||y_adv - y_clean||``: a lower bound on the local Lipschitz constant.

        For an image-domain perturbation ``r`` the PNAS 2020 papers report
        ``||x_adv - x_clean|| / ||r||`` instead: that is :attr:`ratio_image`.
        """
        return safe_divide(self.norm_diff, self.norm_data)

    @property
    def ratio_image(self) -> torch.Tensor:
        """``||x_adv - x_clean|| / ||perturbation||`` (the PNAS 2020 log's ratio)."""
        return safe_divide(self.norm_diff, self.norm_pert)

    @property
    def error(self) -> torch.Tensor | None:
        """Relative error ``||x_adv - x_true|| / ||x_true||`` per sample (``None`` without ``x_true``)."""
        if self.x_true is None:
            return None
        return safe_divide(norm((self.x_adv - self.x_true).detach()), norm(self.x_true.detach()))

    @property
    def error_clean(self) -> torch.Tensor | None:
        """Relative error of the clean reconstruction, ``||x_clean - x_true|| / ||x_true||``."""
        if self.x_true is None:
            return None
        return safe_divide(norm((self.x_clean - self.x_true).detach()), norm(self.x_true.detach()))

    # -- text ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        parts = [f"method={self.method!r}", f"batch={self.perturbation.shape[0]}", f"steps={self.steps}",
                 f"norm_pert={_fmt(self.norm_pert)}", f"norm_diff={_fmt(self.norm_diff)}",
                 f"ratio={_fmt(self.ratio)}"]
        if self.x_true is not None:
            parts.append(f"error={_fmt(self.error)}")
        parts += [f"seed={self.seed}", f"device={self.device}"]
        return "AttackResult(" + ", ".join(parts) + ")"

    def summary(self) -> str:
        """A small table, one row per sample: perturbation size, output change, ratio, errors."""
        header = f"{self.method} on {self.device}, seed {self.seed}, {self.steps} steps"
        cols = ["sample", "||pert||", "||y_adv-y||", "||x_adv-x_clean||", "ratio"]
        if self.eps is not None:
            cols.insert(1, "eps")
        if self.x_true is not None:
            cols += ["err clean", "err adv"]
        rows = [" ".join(f"{c:>17}" for c in cols)]
        columns = [self.norm_pert, self.norm_data, self.norm_diff, self.ratio]
        if self.eps is not None:
            columns.insert(0, self.eps)
        if self.x_true is not None:
            columns += [self.error_clean, self.error]
        for b in range(self.perturbation.shape[0]):
            rows.append(f"{b:>17} " + " ".join(f"{float(c[b]):>17.4g}" for c in columns))
        return header + "\n" + "\n".join(rows)
