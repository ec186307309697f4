"""Image-quality numbers: PSNR, SSIM, relative l2 error and sup-norm error, one per batch item.

Inputs are batches ``(B, C, H, W)`` (images) or ``(B, C, N)`` (signals), usually with
``C = 1``; ``x_rec`` and ``x`` must have exactly the same shape (no broadcasting).
Complex inputs are compared by magnitude, ``|x_rec|`` against ``|x|``, as MRI images
are viewed. Every function returns a tensor of shape ``(B,)``. Computations run in
float64; results come back in the real dtype of ``x`` (float32 for float32 data).

PSNR and SSIM need the ``data_range`` (max minus min of the possible values; 1 for
images in [0, 1]) explicitly: guessing it from the data, as some libraries do,
silently changes the numbers.
"""

from __future__ import annotations

import torch

from . import _validate

__all__ = ["psnr", "ssim", "rel_error", "sup_error"]


def _pair(x_rec: torch.Tensor, x: torch.Tensor, magnitude: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Check shapes; return float64 copies (magnitudes for complex input)."""
    _validate.tensor("x_rec", x_rec)
    _validate.tensor("x", x)
    if x_rec.shape != x.shape:
        raise ValueError(f"x_rec and x must have the same shape, got x_rec {tuple(x_rec.shape)} "
                         f"and x {tuple(x.shape)}")
    if x.ndim not in (3, 4):
        raise ValueError(f"x must be a batch (B, C, N) or (B, C, H, W), got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one item, got an empty batch")
    if magnitude:
        x_rec, x = x_rec.abs(), x.abs()                  # abs is a no-op for real data
    return _as64(x_rec), _as64(x)


def _as64(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.complex128 if t.is_complex() else torch.float64)


def _out_dtype(x: torch.Tensor) -> torch.dtype:
    real = x.real.dtype if x.is_complex() else x.dtype
    return real if real.is_floating_point else torch.float32


def psnr(x_rec: torch.Tensor, x: torch.Tensor, data_range: float) -> torch.Tensor:
    r"""Peak signal-to-noise ratio :math:`10\log_{10}(R^2 / \mathrm{MSE})` in dB, per item, with
    :math:`R` the ``data_range``.

    Same definition as ``skimage.metrics.peak_signal_noise_ratio``; identical images
    give ``inf``.

    Parameters
    ----------
    x_rec : torch.Tensor, shape ``(B, C, H, W)`` or ``(B, C, N)``
        Reconstruction.
    x : torch.Tensor, same shape
        Reference.
    data_range : float > 0
        Range of the possible values (1 for images in [0, 1], 255 for 8-bit).

    Returns
    -------
    torch.Tensor, shape ``(B,)``

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.metrics import psnr
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> psnr(x + 0.1, x, data_range=1.0)
    tensor([20.])
    """
    data_range = _validate.positive("data_range", data_range)
    out_dtype = _out_dtype(x)
    a, b = _pair(x_rec, x)
    mse = ((a - b) ** 2).flatten(1).mean(1)
    return (10 * torch.log10(data_range**2 / mse)).to(out_dtype)


def _gaussian_window(sigma: float, truncate: float) -> torch.Tensor:
    # As scipy.ndimage.gaussian_filter (used by skimage): radius int(truncate * sigma + 0.5).
    radius = int(truncate * sigma + 0.5)
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    w = torch.exp(-0.5 * (t / sigma) ** 2)
    return w / w.sum()


def _blur_valid(t: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter, keeping only windows that fit inside the image."""
    if t.ndim == 3:                                          # (B*C, 1, N)
        return torch.nn.functional.conv1d(t, w.view(1, 1, -1))
    t = torch.nn.functional.conv2d(t, w.view(1, 1, -1, 1))   # along rows
    return torch.nn.functional.conv2d(t, w.view(1, 1, 1, -1))  # along columns


def ssim(x_rec: torch.Tensor, x: torch.Tensor, data_range: float, *, sigma: float = 1.5,
         k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004) with a Gaussian window, per item.

    Matches ``skimage.metrics.structural_similarity(x_rec, x, data_range=...,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``, the setting of
    Wang et al.: local means, variances and covariance come from an 11 x 11 Gaussian
    window (``sigma = 1.5``, truncated at 3.5 sigma), with constants
    ``C1 = (k1 data_range)^2`` and ``C2 = (k2 data_range)^2``; the SSIM map is averaged
    over the positions where the whole window fits in the image (skimage computes it
    everywhere, then crops the same border). 1-D signals use a 1-D window; channels
    are averaged.

    Parameters
    ----------
    x_rec : torch.Tensor, shape ``(B, C, H, W)`` or ``(B, C, N)``
        Reconstruction; each spatial size must be at least the window size (11).
    x : torch.Tensor, same shape
        Reference.
    data_range : float > 0
        Range of the possible values (1 for images in [0, 1]).
    sigma : float > 0
        Standard deviation of the Gaussian window.
    k1, k2 : float > 0
        Stabilising constants.

    Returns
    -------
    torch.Tensor, shape ``(B,)``

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.metrics import ssim
    >>> x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> ssim(x, x, data_range=1.0)
    tensor([1., 1.])
    """
    data_range = _validate.positive("data_range", data_range)
    sigma = _validate.positive("sigma", sigma)
    k1, k2 = _validate.positive("k1", k1), _validate.positive("k2", k2)
    out_dtype = _out_dtype(x)
    a, b = _pair(x_rec, x)
    w = _gaussian_window(sigma, truncate=3.5)
    if min(x.shape[2:]) < w.numel():
        raise ValueError(f"x is too small for a {w.numel()}-point SSIM window: spatial shape "
                         f"{tuple(x.shape[2:])}; use at least {w.numel()} per side")
    batch, channels = x.shape[:2]
    a, b = a.reshape(batch * channels, 1, *x.shape[2:]), b.reshape(batch * channels, 1, *x.shape[2:])

    mu_a, mu_b = _blur_valid(a, w), _blur_valid(b, w)
    var_a = _blur_valid(a * a, w) - mu_a**2              # population (not sample) variances
    var_b = _blur_valid(b * b, w) - mu_b**2
    cov = _blur_valid(a * b, w) - mu_a * mu_b
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return ssim_map.reshape(batch, -1).mean(1).to(out_dtype)


def rel_error(x_rec: torch.Tensor, x: torch.Tensor, *, magnitude: bool = True) -> torch.Tensor:
    r"""Relative :math:`\ell^2` error :math:`\|x_{\mathrm{rec}} - x\|_2 / \|x\|_2` per item (0.1 = 10%).

    Parameters
    ----------
    x_rec : torch.Tensor, shape ``(B, C, H, W)`` or ``(B, C, N)``
        Reconstruction.
    x : torch.Tensor, same shape; no item may be all zero
        Reference.
    magnitude : bool
        Compare ``|x_rec|`` with ``|x|`` (default); ``False`` measures the complex
        difference ``|x_rec - x|``, phase errors included.

    Returns
    -------
    torch.Tensor, shape ``(B,)``

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.metrics import rel_error
    >>> x = torch.ones(1, 1, 4, 4)
    >>> rel_error(1.1 * x, x)
    tensor([0.1000])
    """
    out_dtype = _out_dtype(x)
    a, b = _pair(x_rec, x, magnitude)
    ref = torch.linalg.vector_norm(b.flatten(1), dim=1)
    if bool((ref == 0).any()):
        raise ValueError("x has an all-zero item: the relative error is undefined for it")
    return (torch.linalg.vector_norm((a - b).flatten(1), dim=1) / ref).to(out_dtype)


def sup_error(x_rec: torch.Tensor, x: torch.Tensor, *, magnitude: bool = True) -> torch.Tensor:
    r"""Largest pointwise error :math:`\max_i |x_{\mathrm{rec},i} - x_i|` per item (the fastMRI
    hallucination flag).

    Parameters
    ----------
    x_rec : torch.Tensor, shape ``(B, C, H, W)`` or ``(B, C, N)``
        Reconstruction.
    x : torch.Tensor, same shape
        Reference.
    magnitude : bool
        Compare magnitudes (default) or the complex difference.

    Returns
    -------
    torch.Tensor, shape ``(B,)``

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.metrics import sup_error
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> x_rec = x.clone(); x_rec[0, 0, 1, 2] = 0.4
    >>> sup_error(x_rec, x)
    tensor([0.4000])
    """
    out_dtype = _out_dtype(x)
    a, b = _pair(x_rec, x, magnitude)
    return (a - b).abs().flatten(1).amax(1).to(out_dtype)

