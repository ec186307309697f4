r"""The approximate kernel of an ill-conditioned operator: the directions the data barely see (Chapter 1).

An injective but ill-conditioned operator (a blur) has no kernel, yet it maps some images
to almost nothing. :func:`approximate` returns the right singular vectors of :math:`A` with
singular value at most :math:`\tau`, from the operator's Fourier symbol when it has one and
from a dense SVD otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import _validate
from ..operators.base import LinearOperator
from ._common import cast_like, check_batch, double

__all__ = ["ApproximateKernel", "approximate"]

# Largest domain for which approximate() forms the dense matrix and its SVD (64 x 64 images).
MAX_DENSE_ENTRIES = 4096


@dataclass
class ApproximateKernel:
    """Orthonormal right singular vectors of ``A`` with singular value ``<= tau``.

    Attributes
    ----------
    basis : torch.Tensor, shape (N, k)
        Orthonormal columns (``N = prod(domain_shape)``), ordered by increasing singular value.
    singular_values : torch.Tensor of float64, shape (k,)
        ``||A v_j||`` for column ``j`` (ascending).
    domain_shape : tuple of int
        Shape of one image of the operator's domain.
    tau : float
        The threshold that was asked for.
    """

    basis: torch.Tensor
    singular_values: torch.Tensor
    domain_shape: tuple[int, ...]
    tau: float

    def __len__(self) -> int:
        return self.basis.shape[1]

    def images(self) -> torch.Tensor:
        """The basis vectors as a batch of images, shape ``(k, *domain_shape)`` (ready for ``A``)."""
        return self.basis.T.reshape(-1, *self.domain_shape)

    def project(self, z: torch.Tensor) -> torch.Tensor:
        """Orthogonal projection of a batch ``z`` ``(B, *domain_shape)`` onto the span of the basis."""
        check_batch("z", z, self.domain_shape, True)
        V = self.basis.to(torch.promote_types(self.basis.dtype, z.dtype))
        flat = z.reshape(z.shape[0], -1).to(V.dtype)
        coeffs = flat @ V.conj()                    # <v_j, z> for each j
        return cast_like((coeffs @ V.T).reshape(z.shape), z)


def approximate(A: LinearOperator, tau: float) -> ApproximateKernel:
    """The approximate kernel: right singular vectors of ``A`` with singular value ``<= tau``.

    Their span is the subspace of directions the data barely sees, ``||A v|| <= tau ||v||``
    (the approximate kernel of Chapter 1: it lies inside the cone ``N_tau(A)``). ``tau = 0`` gives a basis of the
    exact kernel ``N(A)``. To absorb rounding, the threshold actually used is
    ``max(tau, max(m, N) * eps * sigma_max)`` (numpy's ``matrix_rank`` tolerance, with
    ``eps`` the float64 machine epsilon).

    Two cases are supported:

    * operators whose normal operator :math:`A^*A` is a Fourier multiplier, i.e. whose
      ``A.gram_symbol()`` is not None (``Blur``, ``SubsampledFourier``): the singular values
      are the square roots of the symbol and the singular vectors are Fourier modes. On a
      real domain each pair of frequencies ``+k, -k`` contributes a cosine and a sine image
      (real and orthonormal); on a complex domain the complex exponentials themselves are
      returned.
    * any other operator with at most 4096 domain entries (64 x 64 images): ``A.to_dense()``
      and a full SVD in double precision.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    tau : float
        Threshold on the singular values, ``>= 0``.

    Returns
    -------
    ApproximateKernel
        ``basis`` (N, k) with orthonormal columns, ``singular_values`` (k,) ascending, and
        ``images()`` giving the basis as a batch ``(k, *domain_shape)``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1e-3, 0.0]], dtype=torch.float64))
    >>> kernel.approximate(A, 0.01).singular_values
    tensor([0.0000, 0.0010], dtype=torch.float64)
    """
    _validate.operator("A", A)
    tau = _validate.positive("tau", tau, allow_zero=True)
    symbol = A.gram_symbol()
    if symbol is not None:
        return _approximate_fourier(A, symbol, tau)
    n = math.prod(A.domain_shape)
    if n > MAX_DENSE_ENTRIES:
        raise ValueError(
            f"A has a domain of {n} entries {A.domain_shape}; approximate() forms the dense matrix and "
            f"its SVD only for at most {MAX_DENSE_ENTRIES} entries (64 x 64 images). Use a smaller "
            f"size, or an operator with a Fourier symbol (A.gram_symbol() not None)")
    return _approximate_dense(A, tau)


def _threshold(tau: float, sigma_max: float, m: int, n: int) -> float:
    return max(tau, max(m, n) * torch.finfo(torch.float64).eps * sigma_max)


def _approximate_dense(A: LinearOperator, tau: float) -> ApproximateKernel:
    M = A.to_dense(torch.complex128 if A.domain_complex else torch.float64)
    M = double(M)
    if M.is_complex() and not A.domain_complex:
        # a real domain with complex data: the real-linear map is the stacked real matrix [Re; Im]
        M = torch.cat([M.real, M.imag], dim=0)
    elif M.is_complex() and bool((M.imag == 0).all()):
        M = M.real                                  # real singular vectors serve a complex domain too
    m, n = M.shape
    _, s, Vh = torch.linalg.svd(M, full_matrices=True)
    sigma = torch.zeros(n, dtype=torch.float64, device=s.device)
    sigma[: s.numel()] = s                          # rows of Vh beyond rank(M) <= m have sigma = 0
    keep = sigma <= _threshold(tau, float(s.max()) if s.numel() else 0.0, m, n)
    order = torch.argsort(sigma[keep])
    basis = Vh.conj().T[:, keep][:, order]
    return ApproximateKernel(basis, sigma[keep][order], A.domain_shape, tau)


def _approximate_fourier(A: LinearOperator, symbol: torch.Tensor, tau: float) -> ApproximateKernel:
    """Fourier modes as singular vectors, with singular values ``sqrt(symbol)``."""
    shape = tuple(A.domain_shape)
    while len(shape) > 1 and shape[0] == 1:         # leading axes of size 1 (channels) need no FFT
        shape = shape[1:]
    n = symbol.numel()
    gain = symbol.detach().to(torch.float64).reshape(-1).cpu().sqrt()
    # partner[j] is the flat index of the frequency -k (mod the grid) for frequency k = j
    grids = torch.meshgrid(*[torch.arange(s) for s in shape], indexing="ij")
    partner = torch.zeros(shape, dtype=torch.long)
    for axis, g in enumerate(grids):
        partner = partner * shape[axis] + (-g) % shape[axis]
    partner = partner.flatten()
    index = torch.arange(n)
    limit = _threshold(tau, float(gain.max()), n, n)
    dims = tuple(range(-len(shape), 0))

    def modes(idx: torch.Tensor) -> torch.Tensor:
        """Unit-norm complex exponentials e_k, one per flat frequency index, shape (len(idx), n)."""
        onehot = torch.zeros(len(idx), n, dtype=torch.complex128)
        if len(idx) == 0:
            return onehot                           # (0, n): the FFT refuses empty batches
        onehot[torch.arange(len(idx)), idx] = 1
        return torch.fft.ifftn(onehot.reshape(-1, *shape), dim=dims, norm="ortho").reshape(len(idx), n)

    if A.domain_complex:
        singles, pairs = index[gain <= limit], index[:0]   # each complex exponential alone
    else:
        # on a real domain A^*A has symbol (s(k) + s(-k)) / 2: the singular vectors are cos and sin of each pair
        gain = torch.sqrt((gain**2 + gain[partner]**2) / 2)
        keep = gain <= limit
        singles = index[keep & (partner == index)]      # k = -k: the exponential is real already
        pairs = index[keep & (index < partner)]         # one representative of each pair +k, -k
    k = len(singles) + 2 * len(pairs)
    if k * n > 2**24:
        raise ValueError(f"tau={tau!r} selects {k} Fourier modes of {n}: the basis would hold {k * n} "
                         f"entries (> 2**24); choose a smaller tau or a smaller image")
    e_single, e_pair = modes(singles), modes(pairs)
    if A.domain_complex:
        vectors = e_single
    else:
        vectors = torch.cat([e_single.real, math.sqrt(2) * e_pair.real, math.sqrt(2) * e_pair.imag])
    sigma = torch.cat([gain[singles], gain[pairs], gain[pairs]])
    order = torch.argsort(sigma, stable=True)
    basis = vectors[order].T.contiguous().to(symbol.device)
    return ApproximateKernel(basis, sigma[order].to(symbol.device), A.domain_shape, tau)


