"""Orthonormal periodised discrete wavelet transforms (Haar and Daubechies), 1-D and 2-D.

The transform ``W`` is a real orthogonal matrix, so ``W.H`` is its exact inverse
and ``||W x|| = ||x||``. Coefficients are stored in one tensor of the input's
shape, in the layout of PyWavelets with ``mode="periodization"``:
``np.concatenate(pywt.wavedec(x))`` in 1-D (approximation first, then the
details from coarse to fine) and ``pywt.coeffs_to_array(pywt.wavedec2(x))`` in
2-D (approximation in the top-left corner, then the detail bands).
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

import torch

from .. import _validate
from .base import LinearOperator

__all__ = ["WAVELETS", "Wavelet", "wavelet_filters"]

# Scaling (low-pass reconstruction) filters h with sum(h) = sqrt(2), as in Daubechies'
# "Ten lectures" and PyWavelets' ``rec_lo``. The high-pass filter and the analysis filters
# follow from h (quadrature mirror filters), so one list per wavelet is all we store.
_SQRT3 = math.sqrt(3.0)
_FILTERS: dict[str, tuple[float, ...]] = {
    "haar": (1 / math.sqrt(2), 1 / math.sqrt(2)),
    # db2 has a closed form: (1 + sqrt3, 3 + sqrt3, 3 - sqrt3, 1 - sqrt3) / (4 sqrt2)
    "db2": tuple(c / (4 * math.sqrt(2)) for c in (1 + _SQRT3, 3 + _SQRT3, 3 - _SQRT3, 1 - _SQRT3)),
    "db3": (0.33267055295008263, 0.8068915093110925, 0.45987750211849154, -0.13501102001025458,
            -0.08544127388202666, 0.03522629188570953),
    "db4": (0.2303778133088965, 0.7148465705529157, 0.6308807679298589, -0.027983769416859854,
            -0.18703481171909309, 0.030841381835560764, 0.0328830116668852, -0.010597401785069032),
    "db8": (0.05441584224310401, 0.31287159091429995, 0.6756307362972898, 0.5853546836542067,
            -0.015829105256349306, -0.2840155429615469, 0.0004724845739132828, 0.12874742662047847,
            -0.017369301001807547, -0.044088253930794755, 0.013981027917398282, 0.008746094047405777,
            -0.004870352993451574, -0.00039174037337694705, 0.0006754494064505693,
            -0.00011747678412476953),
}
_FILTERS["db1"] = _FILTERS["haar"]
WAVELETS: tuple[str, ...] = tuple(sorted(_FILTERS))


def wavelet_filters(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Low-pass ``h`` and high-pass ``g`` filters of an orthonormal wavelet.

    Parameters
    ----------
    name : str
        One of :data:`WAVELETS` (``"haar"`` = ``"db1"``, ``"db2"``, ``"db3"``, ``"db4"``, ``"db8"``).

    Returns
    -------
    h, g : tuple of float
        ``h`` is the scaling filter (PyWavelets' ``rec_lo``) and ``g[i] = (-1)**i h[L-1-i]``
        the wavelet filter (``rec_hi``). The shifts of ``h`` and ``g`` by even amounts form an
        orthonormal set.

    Examples
    --------
    >>> h, g = wavelet_filters("haar")
    >>> [round(c, 4) for c in g]
    [0.7071, -0.7071]
    """
    if not isinstance(name, str) or name.lower() not in _FILTERS:
        raise ValueError(f"name must be one of {', '.join(WAVELETS)}; got {name!r}")
    h = _FILTERS[name.lower()]
    g = tuple((-1) ** i * h[len(h) - 1 - i] for i in range(len(h)))
    return h, g


class Wavelet(LinearOperator):
    """Orthonormal periodised discrete wavelet transform ``W`` (analysis: image -> coefficients).

    One level filters every axis with the low-pass ``h`` and the high-pass ``g``, circularly,
    and keeps every second sample: along an axis of length ``n`` this is an orthogonal
    ``n x n`` matrix (the even shifts of ``h`` and ``g``), applied here by matrix products.
    The next level transforms the approximation (the top-left block) again.
    ``W`` is orthogonal, so ``W.H`` (synthesis) is its inverse. Real filters act
    complex-linearly, so complex images (MRI) are transformed too.

    Parameters
    ----------
    size : int or tuple of int
        ``N`` for square images ``(B, 1, N, N)``; ``(H, W)`` for images ``(B, 1, H, W)``;
        ``(N,)`` for signals ``(B, 1, N)``. Each side must be divisible by ``2**levels``.
    name : str
        Wavelet: ``"haar"`` (= ``"db1"``), ``"db2"``, ``"db3"``, ``"db4"`` or ``"db8"``.
    levels : int, optional
        Number of decomposition levels. Default: PyWavelets' default
        ``pywt.dwt_max_level(min side, filter length)`` (the deepest level at which the
        filter still fits), capped so that every side stays divisible by ``2**levels``.

    Attributes
    ----------
    levels : int
        The number of levels used.

    Examples
    --------
    >>> import torch
    >>> W = Wavelet(8, "db2", levels=2)
    >>> x = torch.randn(3, 1, 8, 8, dtype=torch.float64)
    >>> c = W(x)                       # coefficients, same shape as x
    >>> bool(torch.allclose(W.H(c), x)), bool(torch.allclose(c.norm(), x.norm()))
    (True, True)
    """

    orthonormal_rows = True  # an orthogonal matrix: W W^* = W^* W = I
    isometry = True

    def __init__(self, size: int | Sequence[int], name: str = "haar", levels: int | None = None) -> None:
        shape = _parse_size(size)
        h, g = wavelet_filters(name)
        # deepest level that keeps every side divisible by 2**levels (needed for periodisation)
        max_levels = min(_twos(n) for n in shape)
        if max_levels == 0:
            raise ValueError(f"size must have even sides for a wavelet transform, got {size!r}")
        if levels is None:
            # pywt.dwt_max_level: floor(log2(n / (L - 1))), at least 1
            fits = int(math.floor(math.log2(min(shape) / (len(h) - 1))))
            levels = min(max(fits, 1), max_levels)
        levels = _validate.positive_int("levels", levels, minimum=1)
        if levels > max_levels:
            raise ValueError(
                f"levels={levels} is too deep for size {shape}: each side must be divisible by "
                f"2**levels, so at most {max_levels} levels are possible"
            )
        super().__init__((1, *shape), (1, *shape), domain_complex=True, range_complex=True)
        self.shape = shape
        self.name = name.lower()
        self.levels = levels
        # one level along an axis of length n is an orthogonal matrix; keep one per length
        for n in {n >> level for n in shape for level in range(levels)}:
            self.register_buffer(f"level_matrix_{n}", _level_matrix(h, g, n), persistent=False)

    # -- one level along one axis ----------------------------------------------------------
    def _level_matrix(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        """The orthogonal ``n x n`` matrix of one level along one axis (cast to ``dtype``)."""
        return getattr(self, f"level_matrix_{n}").to(dtype)

    # -- the transform ---------------------------------------------------------------------
    def _block(self, level: int) -> tuple:
        """Index of the top-left block that level ``level`` (0 = finest) transforms."""
        return (..., *(slice(0, n >> level) for n in self.shape))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_complex():  # a real matrix: transform the real and imaginary parts
            return torch.complex(self._forward(x.real), self._forward(x.imag))
        out = x
        for level in range(self.levels):
            block = out[self._block(level)]  # the approximation of the previous level
            block = block @ self._level_matrix(block.shape[-1], x.dtype).T  # along rows
            if len(self.shape) == 2:
                block = self._level_matrix(block.shape[-2], x.dtype) @ block  # along columns
            out = out.clone()  # write the new block into a copy (keeps autograd simple)
            out[self._block(level)] = block
        return out

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        if y.is_complex():
            return torch.complex(self._adjoint(y.real), self._adjoint(y.imag))
        out = y
        for level in reversed(range(self.levels)):  # coarsest first
            block = out[self._block(level)]
            block = block @ self._level_matrix(block.shape[-1], y.dtype)  # transpose of the above
            if len(self.shape) == 2:
                block = self._level_matrix(block.shape[-2], y.dtype).T @ block
            out = out.clone()
            out[self._block(level)] = block
        return out

    def norm(self, **kwargs) -> float:
        """``||W|| = 1`` exactly (an orthogonal matrix)."""
        return 1.0

    def level_masks(self) -> list[torch.Tensor]:
        """Boolean masks of the coefficient array, one per scale.

        Returns
        -------
        list of torch.Tensor, each bool of shape ``domain_shape`` (``(1, H, W)`` or ``(1, N)``)
            ``masks[0]`` selects the approximation (coarsest) block and ``masks[j]``,
            ``j = 1..levels``, the detail bands of level ``j`` counted from the coarsest
            to the finest. The masks partition the array (sparsity in levels).

        Examples
        --------
        >>> W = Wavelet(8, "haar", levels=2)
        >>> [int(m.sum()) for m in W.level_masks()]
        [4, 12, 48]
        """
        masks = []
        inside = torch.ones(self.domain_shape, dtype=torch.bool)  # block of the current level
        for level in range(self.levels):
            coarser = torch.zeros(self.domain_shape, dtype=torch.bool)
            coarser[self._block(level + 1)] = True
            masks.append(inside & ~coarser)
            inside = coarser
        masks.append(inside)
        return masks[::-1]

    def extra_repr(self) -> str:
        return f"shape={self.shape}, name={self.name!r}, levels={self.levels}"


def _level_matrix(h: Sequence[float], g: Sequence[float], n: int) -> torch.Tensor:
    """One periodised analysis level on signals of even length ``n``, as an ``n x n`` matrix.

    Row ``k < n/2`` computes the approximation ``a[k] = sum_i h[i] x[(2k + i + s) mod n]``, row
    ``n/2 + k`` the detail ``d[k]`` with ``g``; the shift ``s = 1 - L/2`` (``L`` the filter
    length) aligns the coefficients with PyWavelets' ``mode="periodization"``. The rows are
    the even shifts of ``h`` and ``g``, hence orthonormal.
    """
    matrix = torch.zeros(n, n, dtype=torch.float64)
    k = torch.arange(n // 2)
    shift = 1 - len(h) // 2
    for i, (hi, gi) in enumerate(zip(h, g)):
        cols = (2 * k + i + shift) % n  # a long filter wraps around short signals several times
        matrix[k, cols] += hi
        matrix[n // 2 + k, cols] += gi
    return matrix


def _twos(n: int) -> int:
    """How many times ``n`` can be halved exactly."""
    count = 0
    while n % 2 == 0 and n > 1:
        n //= 2
        count += 1
    return count


def _parse_size(size: int | Sequence[int]) -> tuple[int, ...]:
    """``N`` -> ``(N, N)``; ``(N,)`` or ``(H, W)`` unchanged (checked)."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        n = _validate.positive_int("size", size, minimum=2)
        return (n, n)
    if isinstance(size, (tuple, list)) and len(size) in (1, 2):
        return tuple(_validate.positive_int("size", n, minimum=2) for n in size)
    raise TypeError(f"size must be an int N (N x N images), a tuple (N,) (signals) or (H, W), got {size!r}")
