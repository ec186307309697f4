r"""Training a reconstruction network: mean-squared error, Adam, optional jitter.

Standard training minimises the empirical risk :math:`\frac1K \sum_i \|\Psi(y_i) - x_i\|^2`
over the training pairs :math:`(y_i, x_i) = (A x_i, x_i)` (Chapter 3). *Jittering* (Genzel,
Macdonald & März; the troublesome-kernel Figure 3) adds fresh random noise to the measurements
of every sample at every step:

.. math::

    y = A x + \eta\, s\, g / \sqrt{m}, \qquad s \sim U[0, 1], \quad g \sim N(0, I_m),

:math:`m` the number of measurements (complex :math:`g` has :math:`E|g_j|^2 = 1`), so the
noise has norm about :math:`\eta s`: a random level between 0 and ``eta``. It trades accuracy
for stability (the course's accuracy-stability trade-off).

All random draws (shuffling, jitter) come from one CPU generator seeded by
``seed``, so a run is reproducible, and the same on CPU and GPU up to the
floating-point differences of the devices.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from .. import _batch, _validate
from .. import device as _device
from ..metrics import psnr
from ..operators import LinearOperator

__all__ = ["train", "History", "add_jitter", "evaluate", "as_tensor"]


@dataclass
class History:
    """What happened during :func:`train`, one entry per epoch.

    Attributes
    ----------
    train_loss : list of float
        Mean training loss (MSE per pixel) over the batches of the epoch.
    val_psnr : list of float
        Mean PSNR (dB, data range 1) on the validation set after the epoch (empty
        without ``val_dataset``).
    epoch_time : list of float
        Wall time of each epoch in seconds (validation included).
    """

    train_loss: list[float] = field(default_factory=list)
    val_psnr: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """Total wall time."""
        return float(sum(self.epoch_time))

    def as_dict(self) -> dict[str, list[float]]:
        """Plain lists (for JSON, e.g. the weights manifest)."""
        return asdict(self)

    def extend(self, other: "History") -> None:
        """Append another run's epochs (training in several phases)."""
        for key in ("train_loss", "val_psnr", "epoch_time"):
            getattr(self, key).extend(getattr(other, key))


def as_tensor(dataset: Any) -> torch.Tensor:
    """A data set of images as one tensor ``(K, ...)``: tensors pass through, data sets are stacked.

    Items may be tensors or tuples whose first entry is the image.

    Examples
    --------
    >>> from tk_lessons.data import EllipsesDataset
    >>> as_tensor(EllipsesDataset(3, size=16)).shape
    torch.Size([3, 1, 16, 16])
    """
    if isinstance(dataset, torch.Tensor):
        if dataset.ndim < 2 or dataset.shape[0] == 0:
            raise ValueError(f"dataset must be a non-empty batch (K, C, ...), got shape {tuple(dataset.shape)}")
        return dataset
    try:
        n = len(dataset)
    except TypeError:
        raise TypeError(f"dataset must be a torch.Tensor or a Dataset with __len__, got {type(dataset).__name__}")
    if n == 0:
        raise ValueError("dataset must not be empty")
    items = []
    for i in range(n):
        item = dataset[i]
        items.append(item[0] if isinstance(item, (tuple, list)) else item)
    return torch.stack(items)


def add_jitter(y: torch.Tensor, eta: float, seed: _device.Seed = None) -> torch.Tensor:
    r"""Jitter: :math:`y + \eta\, s\, g / \sqrt{m}` with :math:`s \sim U[0, 1]` and :math:`g \sim N(0, I)` per sample.

    :math:`m` is the number of entries of one measurement; complex ``y`` gets complex
    :math:`g` with :math:`E|g_j|^2 = 1`. Hence the noise has expected squared norm
    :math:`\eta^2 E[s^2] = \eta^2 / 3`.

    Parameters
    ----------
    y : torch.Tensor, shape (B, ...)
        Clean measurements.
    eta : float >= 0
        Largest noise level.
    seed : int or torch.Generator, optional
        Source of the draws (made on the CPU, then moved to ``y``'s device).

    Returns
    -------
    torch.Tensor, like ``y``

    Examples
    --------
    >>> import torch
    >>> y = torch.zeros(1000, 50)
    >>> noisy = add_jitter(y, 2.0, seed=0)
    >>> abs(float((noisy ** 2).sum(1).mean()) - 2.0 ** 2 / 3) < 0.15
    True
    """
    _validate.tensor("y", y)
    eta = _validate.positive("eta", eta, allow_zero=True)
    gen = _device.generator(seed)
    batch = y.shape[0]
    m = y[0].numel()
    s = torch.rand(batch, generator=gen, dtype=y.real.dtype)
    g = torch.randn(y.shape, generator=gen, dtype=y.dtype)     # complex dtype: E|g|^2 = 1
    noise = (eta / math.sqrt(m)) * s.reshape(batch, *([1] * (y.ndim - 1))) * g
    return y + noise.to(y.device)


def _measure(A: LinearOperator, X: torch.Tensor, device: torch.device, chunk: int = 256) -> torch.Tensor:
    """``A(X)`` in chunks, without gradients, kept on ``device``."""
    with torch.no_grad():
        return torch.cat([A(X[i:i + chunk].to(device)) for i in range(0, X.shape[0], chunk)])


def evaluate(model: nn.Module, A: LinearOperator, dataset: Any, *, batch_size: int = 64, eta: float = 0.0,
             seed: _device.Seed = 0, device: torch.device | str | None = None) -> dict[str, float]:
    """Mean MSE and PSNR (data range 1) of ``model`` on ``(A x [+ jitter], x)`` over ``dataset``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps measurements to images (evaluated in ``eval`` mode, without gradients).
    A : LinearOperator
        Forward operator.
    dataset : torch.Tensor or Dataset
        Ground-truth images.
    batch_size : int
        Images per forward pass.
    eta : float >= 0
        Jitter level added to the measurements (see :func:`add_jitter`; 0: clean data).
    seed : int or torch.Generator
        Seed of the noise.
    device : torch.device or str, optional
        Where to compute (default: the model's device).

    Returns
    -------
    dict
        ``{"mse": ..., "psnr": ...}`` (means over the images).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import Identity
    >>> A = Identity((1, 8, 8))
    >>> evaluate(torch.nn.Identity(), A, torch.rand(4, 1, 8, 8))["mse"]
    0.0
    """
    _validate.operator("A", A)
    batch_size = _validate.positive_int("batch_size", batch_size)
    eta = _validate.positive("eta", eta, allow_zero=True)
    X = as_tensor(dataset)
    device = _device.of(model) if device is None else torch.device(device)
    gen = _device.generator(seed)
    was_training = model.training
    model.eval()
    mse, score = [], []
    with torch.no_grad():
        for i in range(0, X.shape[0], batch_size):
            x = X[i:i + batch_size].to(device)
            y = A(x)
            if eta > 0:
                y = add_jitter(y, eta, gen)
            x_rec = model(y)
            mse.append(((x_rec - x) ** 2).flatten(1).mean(1))
            score.append(psnr(x_rec, x, data_range=1.0))
    model.train(was_training)
    return {"mse": float(torch.cat(mse).mean()), "psnr": float(torch.cat(score).mean())}


def train(model: nn.Module, A: LinearOperator, dataset: Any, *, epochs: int, batch_size: int = 16,
          lr: float = 1e-3, weight_decay: float = 0.0, eta: float = 0.0, val_dataset: Any = None,
          seed: _device.Seed = 0, progress: bool = False, device: torch.device | str | None = None) -> History:
    """Train ``model`` to map ``A x`` (plus jitter) to ``x`` with the MSE loss and Adam.

    Parameters
    ----------
    model : torch.nn.Module
        A reconstruction network ``model(y) -> x`` (e.g. :class:`PostProcessing`,
        :class:`ItNet`); trained in place and left in ``eval`` mode.
    A : LinearOperator
        The forward operator that makes the measurements ``y = A x``.
    dataset : torch.Tensor of shape ``(K, *A.domain_shape)``, or Dataset of images
        Training images (an :class:`~tk_lessons.data.EllipsesDataset` is generated
        once, at the start).
    epochs : int >= 1
        Passes over the training set.
    batch_size : int
        Images per step (the last batch of an epoch may be smaller).
    lr, weight_decay : float
        Adam's step size and L2 weight decay.
    eta : float >= 0
        Jitter level: each step trains on ``A x + eta s g / sqrt(m)`` with fresh
        ``s ~ U[0, 1]`` and ``g ~ N(0, I)`` per image (see :func:`add_jitter`).
    val_dataset : tensor or Dataset, optional
        Images for the validation PSNR (clean measurements) after each epoch.
    seed : int or torch.Generator
        Seed of the shuffling and the jitter (CPU generator). The initial weights are
        the model's own (seed them when you build it, e.g. ``UNet(..., seed=0)``).
    progress : bool
        Show a progress bar over the epochs.
    device : torch.device or str, optional
        Train there (the model and ``A`` are moved); default: where the model is.

    Returns
    -------
    History
        Per-epoch training loss, validation PSNR and wall time.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import sampling
    >>> from tk_lessons.data import EllipsesDataset
    >>> from tk_lessons.networks import PostProcessing, UNet
    >>> from tk_lessons.operators import SubsampledFourier
    >>> A = SubsampledFourier(sampling.radial(32, 8))
    >>> model = PostProcessing(A, UNet(2, in_channels=2, base=4, depth=2, seed=0))
    >>> history = train(model, A, EllipsesDataset(16, size=32), epochs=2, batch_size=8)
    >>> len(history.train_loss)
    2
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _validate.operator("A", A)
    epochs = _validate.positive_int("epochs", epochs)
    batch_size = _validate.positive_int("batch_size", batch_size)
    lr = _validate.positive("lr", lr)
    weight_decay = _validate.positive("weight_decay", weight_decay, allow_zero=True)
    eta = _validate.positive("eta", eta, allow_zero=True)
    progress = _validate.flag("progress", progress)
    X = as_tensor(dataset)
    if tuple(X.shape[1:]) != A.domain_shape:
        raise ValueError(f"dataset images must have shape {A.domain_shape} (the operator's domain), "
                         f"got {tuple(X.shape[1:])}")
    X_val = None if val_dataset is None else as_tensor(val_dataset)
    if X_val is not None and tuple(X_val.shape[1:]) != A.domain_shape:
        raise ValueError(f"val_dataset images must have shape {A.domain_shape}, got {tuple(X_val.shape[1:])}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")

    device = _device.of(model) if device is None else torch.device(device)
    model.to(device)
    A.to(device)
    gen = _device.generator(seed)
    Y = _measure(A, X, device)                 # A is fixed: measure the whole set once
    X = X.to(device)
    optimiser = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    history = History()

    epoch_range: Any = _batch.progress_range(epochs, progress, "train")
    for _ in epoch_range:
        start = time.perf_counter()
        model.train()
        order = torch.randperm(X.shape[0], generator=gen)          # CPU generator: same order everywhere
        total = 0.0
        for i in range(0, X.shape[0], batch_size):
            idx = order[i:i + batch_size].to(device)
            x, y = X[idx], Y[idx]
            if eta > 0:
                y = add_jitter(y, eta, gen)
            x_rec = model(y)
            if x_rec.shape != x.shape:
                raise ValueError(f"model output has shape {tuple(x_rec.shape)}, the images {tuple(x.shape)}")
            loss = torch.mean((x_rec - x) ** 2)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * x.shape[0]
        history.train_loss.append(total / X.shape[0])
        if X_val is not None:
            history.val_psnr.append(evaluate(model, A, X_val, batch_size=max(batch_size, 64))["psnr"])
        history.epoch_time.append(time.perf_counter() - start)
        if progress:
            postfix = {"loss": f"{history.train_loss[-1]:.3g}"}
            if history.val_psnr:
                postfix["val PSNR"] = f"{history.val_psnr[-1]:.2f}"
            epoch_range.set_postfix(postfix)
    model.eval()
    return history
