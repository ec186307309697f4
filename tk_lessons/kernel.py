"""The kernel N(A) of a forward operator: projections, approximate kernels, kernel sizes.

Two images that differ by an element of the kernel ``N(A) = {z : A z = 0}`` give the
same data, so no reconstruction method can tell them apart. This module computes
the objects the course builds on that fact:

* :func:`project` and :func:`component`: the part of an image the data cannot see;
* :func:`approximate`: the approximate kernel of an ill-conditioned operator, spanned by
  the right singular vectors with singular value at most ``tau``;
* :func:`kernel_size` and :func:`feasible_sets`: worst-case and average kernel sizes of
  a finite set of images, the accuracy limit of *every* method (theorem T0);
* :func:`chebyshev_centre`: the centre of the smallest ball around a finite set, the
  optimal reconstruction of a finite feasible set.

Inner products are real, ``Re <u, v>``, so real- and complex-valued spaces are handled
alike; all iterative work is done in double precision.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import torch

from . import _validate
from .operators.base import LinearOperator

__all__ = [
    "project", "component", "approximate", "ApproximateKernel", "kernel_size", "KernelSize",
    "feasible_sets", "chebyshev_centre",
]

# Largest domain for which approximate() forms the dense matrix and its SVD (64 x 64 images).
MAX_DENSE_ENTRIES = 4096


# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------
def _check_operator(A: object) -> LinearOperator:
    if not isinstance(A, LinearOperator):
        raise TypeError(f"A must be a tk_lessons.operators.LinearOperator, got {type(A).__name__}")
    return A


def _check_batch(name: str, t: object, shape: tuple[int, ...], complex_: bool) -> torch.Tensor:
    """Raise unless ``t`` is a non-empty batch of shape ``(B, *shape)`` of a supported dtype."""
    _validate.tensor(name, t)
    if t.ndim != len(shape) + 1 or tuple(t.shape[1:]) != shape:
        raise ValueError(f"{name} must have shape (B, {', '.join(map(str, shape))}), got {tuple(t.shape)}")
    if t.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one element (B >= 1), got an empty batch {tuple(t.shape)}")
    if not (t.is_floating_point() or t.is_complex()):
        raise TypeError(f"{name} must be a floating-point or complex tensor, got dtype {t.dtype}")
    if t.is_complex() and not complex_:
        raise TypeError(f"{name} must be real for this operator (a real-valued space), got dtype {t.dtype}")
    return t


def _check_tol(tol: object, max_iter: object) -> tuple[float, int]:
    tol = _validate.positive("tol", tol)
    if tol >= 1:
        raise ValueError(f"tol must be a relative tolerance in (0, 1), got {tol!r}")
    return tol, _validate.positive_int("max_iter", max_iter)


# ---------------------------------------------------------------------------------------
# small numerical helpers
# ---------------------------------------------------------------------------------------
def _double(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.complex128 if t.is_complex() else torch.float64)


def _dot(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Per-sample real inner product ``Re <u, v>``, shape (B,)."""
    prod = u.conj() * v if u.is_complex() else u * v
    return prod.real.reshape(u.shape[0], -1).sum(dim=1)


def _flat_real(t: torch.Tensor) -> torch.Tensor:
    """``(B, ...)`` real or complex -> ``(B, n)`` float64, complex entries split into (re, im)."""
    t = torch.view_as_real(t.resolve_conj()) if t.is_complex() else t
    return t.reshape(t.shape[0], -1).to(torch.float64)


def _cast_like(out: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Return ``out`` in ``v``'s precision (complex if ``out`` is complex, e.g. a Fourier adjoint)."""
    if out.is_complex() and not v.is_complex():
        return out.to(torch.complex128 if v.dtype == torch.float64 else torch.complex64)
    return out.to(v.dtype)


def _per_sample(s: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a (B,) tensor so that it broadcasts against the batch ``like``."""
    return s.reshape(-1, *([1] * (like.ndim - 1)))


def _kernel_part(A: LinearOperator, v: torch.Tensor, ridge: float, tol: float, max_iter: int,
                 what: str) -> torch.Tensor:
    """``s = v - A^H w`` with ``(A A^H + ridge I) w = A v``, by batched conjugate residuals.

    The conjugate-residual method (CG's sibling for self-adjoint systems ``M w = b``, here
    ``M = A A^H + ridge I``) makes ``||b - M w||`` decrease at every step; for ``ridge = 0``
    that residual is ``||A s||``, the quantity we want small. It updates ``s`` directly, so
    ``w`` is never stored, and costs one ``A`` and one ``A^H`` per step. Each sample has its
    own step sizes and stops once ``||b - M w|| <= tol * max(||A v||, sigma * ||s||)``, where
    ``sigma <= ||A||`` is estimated on the fly; the second term stops the iteration at
    rounding level when ``v`` is (numerically) in the kernel already. Real inner products
    ``Re <u, v>`` let the same code serve real and complex spaces.
    """
    r = A(v)                                        # residual b - M w, with w = 0
    b_norm = _dot(r, r).sqrt()
    s = v.clone()
    Ah_r = A.adjoint(r)
    M_r = A(Ah_r) + ridge * r
    p, Ah_p, M_p = r, Ah_r, M_r                     # search direction, A^H p and M p
    r_Mr = _dot(r, M_r)
    sigma2 = torch.zeros_like(b_norm)               # running estimate of ||A||^2 (never above it)
    for it in range(max_iter + 1):
        rr = _dot(r, r)
        sigma2 = torch.maximum(sigma2, _dot(Ah_r, Ah_r) / torch.where(rr > 0, rr, 1.0))
        active = rr.sqrt() > tol * torch.maximum(b_norm, sigma2.sqrt() * _dot(s, s).sqrt())
        if not bool(active.any()):
            return s
        if it == max_iter:
            break
        Mp_Mp = _dot(M_p, M_p)
        # converged samples take no step, so the batch can keep going without them
        alpha = torch.where(active & (Mp_Mp > 0), r_Mr / torch.where(Mp_Mp > 0, Mp_Mp, 1.0), 0.0)
        s = s - _per_sample(alpha, s) * Ah_p
        r = r - _per_sample(alpha, r) * M_p
        Ah_r = A.adjoint(r)
        M_r = A(Ah_r) + ridge * r
        r_Mr_new = _dot(r, M_r)
        beta = torch.where(active & (r_Mr > 0), r_Mr_new / torch.where(r_Mr > 0, r_Mr, 1.0), 0.0)
        p = r + _per_sample(beta, p) * p
        Ah_p = Ah_r + _per_sample(beta, Ah_p) * Ah_p
        M_p = M_r + _per_sample(beta, M_p) * M_p
        r_Mr = r_Mr_new
    scale = torch.maximum(b_norm, sigma2.sqrt() * _dot(s, s).sqrt())
    worst = float((rr.sqrt() / torch.where(scale > 0, scale, 1.0)).max())
    warnings.warn(f"{what}: conjugate residuals stopped after max_iter={max_iter} iterations at "
                  f"relative residual {worst:.1e} > tol={tol:.0e}", RuntimeWarning, stacklevel=6)
    return s


class _SelfAdjoint(torch.autograd.Function):
    """Apply a self-adjoint linear map ``fn``; its gradient is ``fn`` again.

    Saves backpropagating through every iteration: since ``P = P^H``, the
    vector-Jacobian product of ``z -> P z`` is ``g -> P g``.
    """

    @staticmethod
    def forward(ctx, z: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        ctx.fn = fn
        ctx.real_input = not z.is_complex()
        return fn(z)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        g = _SelfAdjoint.apply(grad, ctx.fn)
        # a real input of a complex-valued map gets the real part (the real-space adjoint)
        return (g.real if ctx.real_input and g.is_complex() else g), None


# ---------------------------------------------------------------------------------------
# projection onto the kernel
# ---------------------------------------------------------------------------------------
def project(A: LinearOperator, z: torch.Tensor, *, tol: float = 1e-8, max_iter: int = 500,
            method: str = "auto") -> torch.Tensor:
    """Orthogonal projection of ``z`` onto the kernel ``N(A)``.

    The kernel part of ``z`` is ``P z = z - A^H w`` with ``w`` solving the normal
    equations ``A A^H w = A z``; then ``A(P z) = 0`` and ``z - P z`` lies in the row space.

    * Operators that declare ``orthonormal_rows = True`` (``A A^H = I``: subsampled
      Fourier and Hadamard, inpainting) get the exact formula ``P z = z - A^H A z``,
      accurate to rounding in ``z``'s precision.
    * Any other operator is handled iteratively: the normal equations are solved by
      batched conjugate residuals (a variant of conjugate gradients whose residual
      ``||A(P z)||`` never increases), in double precision, and the result is cast back to
      ``z``'s precision. Each sample stops once
      ``||A(P z)|| <= tol * max(||A z||, ||A|| ||P z||)`` (``||A||`` is estimated from below
      on the fly): the data of ``P z`` are a ``tol`` fraction of those of ``z``, or ``P z``
      is in the kernel to relative level ``tol``. The distance to the exact projection is
      then at most ``||A(P z)|| / sigma_min``, with ``sigma_min`` the smallest *nonzero*
      singular value of ``A``. A ``RuntimeWarning`` reports a run that hits ``max_iter``.

      Ill-conditioned operators converge slowly: a 16 x 16 Radon transform with 8 angles
      needs about 800 iterations for ``tol=1e-8`` (pass ``max_iter=2000``). When the singular values decay
      continuously to zero (a 64 x 64 Radon transform with 30 angles has singular values
      at every scale down to 1e-10), the kernel itself is numerically ill-defined and the
      residual stalls near 1e-4; use ``component(A, d, ridge=r)`` there, as the paper did.
      Likewise an injective but ill-conditioned ``A`` (``Blur``) has ``N(A) = {0}``; its
      directions of small gain are described by :func:`approximate`.

    The result is differentiable in ``z``: ``P`` is self-adjoint, so its gradient is ``P``.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    z : torch.Tensor, shape (B, *A.domain_shape)
        Images to project (real, or complex for a complex-domain operator).
    tol : float
        Relative residual at which the iteration stops, in (0, 1) (unused by the exact formula).
    max_iter : int
        Most iterations.
    method : {"auto", "cg"}
        ``"auto"`` uses the exact formula when ``A`` declares orthonormal rows; ``"cg"``
        always iterates (to compare the two).

    Returns
    -------
    torch.Tensor, shape (B, *A.domain_shape)
        ``P z``, in ``z``'s precision; complex whenever ``A^H`` returns complex images
        (``SubsampledFourier``, even for real ``z``).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 1.0]], dtype=torch.float64))
    >>> kernel.project(A, torch.tensor([[2.0, 0.0]], dtype=torch.float64))
    tensor([[ 1., -1.]], dtype=torch.float64)
    """
    _check_operator(A)
    _check_batch("z", z, A.domain_shape, A.domain_complex)
    tol, max_iter = _check_tol(tol, max_iter)
    if method not in ("auto", "cg"):
        raise ValueError(f"method must be 'auto' or 'cg', got {method!r}")

    if method == "auto" and getattr(A, "orthonormal_rows", False):
        return z - A.adjoint(A(z))  # exact because A A^H = I

    def apply_P(v: torch.Tensor) -> torch.Tensor:
        return _cast_like(_kernel_part(A, _double(v), 0.0, tol, max_iter, "kernel.project"), v)

    return _SelfAdjoint.apply(z, apply_P)


def component(A: LinearOperator, d: torch.Tensor, *, ridge: float | None = None, tol: float = 1e-8,
              max_iter: int = 500) -> torch.Tensor:
    """The part of a detail ``d`` that the data cannot see: its kernel component.

    * ``ridge=None``: the exact kernel component ``project(A, d)``.
    * ``ridge=r > 0``: the ridge-regularised version used for CT in the paper
      (``hallucination_radon``): the visible part is the ridge regression
      ``x_perp = (A^H A + r I)^{-1} A^H A d`` and the returned kernel part is
      ``d_N = d - x_perp``. Each singular direction of ``A`` with singular value ``sigma``
      is kept with weight ``r / (sigma^2 + r)``: the invisible (``sigma = 0``) directions
      fully, directions with ``sigma^2 >> r`` hardly. ``d_N`` is only approximately in the
      kernel: ``||A d_N|| <= (sqrt(r) / 2) ||d||``. ``r`` is absolute, so compare it with
      ``A.norm() ** 2``; as ``r -> 0``, ``d_N`` tends to ``project(A, d)``.
      Computed through the equal form ``x_perp = A^H (A A^H + r I)^{-1} A d``, by the same
      conjugate residuals as :func:`project` (now on ``A A^H + r I``, whose condition
      number is at most ``1 + ||A||^2 / r``) and the same stopping rule, the residual being
      that of the ridge system.

    Differentiable in ``d`` (the map is self-adjoint, so its gradient is itself).

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    d : torch.Tensor, shape (B, *A.domain_shape)
        Details, e.g. a text or a "tumour" image.
    ridge : float or None
        ``None`` for the exact kernel component, or the ridge parameter ``r > 0``.
    tol : float
        Relative residual at which the iteration stops, in (0, 1).
    max_iter : int
        Most iterations.

    Returns
    -------
    torch.Tensor, shape (B, *A.domain_shape)
        The kernel component of ``d``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    >>> kernel.component(A, torch.tensor([[1.0, 1.0]], dtype=torch.float64), ridge=1.0)
    tensor([[0.5000, 1.0000]], dtype=torch.float64)
    """
    _check_operator(A)
    _check_batch("d", d, A.domain_shape, A.domain_complex)
    if ridge is None:
        return project(A, d, tol=tol, max_iter=max_iter)
    ridge = _validate.positive("ridge", ridge)
    tol, max_iter = _check_tol(tol, max_iter)

    def apply_ridge(v: torch.Tensor) -> torch.Tensor:
        return _cast_like(_kernel_part(A, _double(v), ridge, tol, max_iter, "kernel.component"), v)

    return _SelfAdjoint.apply(d, apply_ridge)


# ---------------------------------------------------------------------------------------
# approximate kernel of an ill-conditioned operator
# ---------------------------------------------------------------------------------------
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
        """Orthogonal projection of a batch ``z`` (B, *domain_shape) onto the span of the basis."""
        _check_batch("z", z, self.domain_shape, True)
        V = self.basis.to(torch.promote_types(self.basis.dtype, z.dtype))
        flat = z.reshape(z.shape[0], -1).to(V.dtype)
        coeffs = flat @ V.conj()                    # <v_j, z> for each j
        return _cast_like((coeffs @ V.T).reshape(z.shape), z)


def approximate(A: LinearOperator, tau: float) -> ApproximateKernel:
    """The approximate kernel: right singular vectors of ``A`` with singular value ``<= tau``.

    Their span is the subspace of directions the data barely sees, ``||A v|| <= tau ||v||``
    (the approximate kernel of Chapter 1: it lies inside the cone ``N_tau(A)``). ``tau = 0`` gives a basis of the
    exact kernel ``N(A)``. To absorb rounding, the threshold actually used is
    ``max(tau, max(m, N) * eps * sigma_max)`` (numpy's ``matrix_rank`` tolerance, with
    ``eps`` the float64 machine epsilon).

    Two cases are supported:

    * operators that are diagonal in the DFT and expose their multiplier as ``A.transfer``
      (``Blur``): the singular values are ``|transfer|`` and the singular vectors are
      Fourier modes. On a real domain each pair of frequencies ``+k, -k`` contributes a
      cosine and a sine image (real and orthonormal); on a complex domain the complex
      exponentials themselves are returned.
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
    _check_operator(A)
    tau = _validate.positive("tau", tau, allow_zero=True)
    transfer = getattr(A, "transfer", None)
    if isinstance(transfer, torch.Tensor) and _fits_domain(transfer.shape, A.domain_shape):
        return _approximate_fourier(A, transfer, tau)
    n = math.prod(A.domain_shape)
    if n > MAX_DENSE_ENTRIES:
        raise ValueError(
            f"A has a domain of {n} entries {A.domain_shape}; approximate() forms the dense matrix and "
            f"its SVD only for at most {MAX_DENSE_ENTRIES} entries (64 x 64 images). Use a smaller "
            f"size, or an FFT-diagonal operator with a 'transfer' attribute")
    return _approximate_dense(A, tau)


def _fits_domain(shape: torch.Size, domain_shape: tuple[int, ...]) -> bool:
    """True when a multiplier of ``shape`` covers the trailing axes of the domain, leading axes of size 1."""
    k = len(shape)
    return 0 < k <= len(domain_shape) and tuple(shape) == domain_shape[-k:] and all(
        s == 1 for s in domain_shape[:-k])


def _threshold(tau: float, sigma_max: float, m: int, n: int) -> float:
    return max(tau, max(m, n) * torch.finfo(torch.float64).eps * sigma_max)


def _approximate_dense(A: LinearOperator, tau: float) -> ApproximateKernel:
    M = A.to_dense(torch.complex128 if A.domain_complex else torch.float64)
    M = _double(M)
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


def _approximate_fourier(A: LinearOperator, transfer: torch.Tensor, tau: float) -> ApproximateKernel:
    shape = tuple(transfer.shape)
    n = transfer.numel()
    gain = transfer.detach().abs().to(torch.float64).flatten().cpu()
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
        # a real operator has |h(k)| = |h(-k)|: the singular vectors are cos and sin of each pair
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
    basis = vectors[order].T.contiguous().to(transfer.device)
    return ApproximateKernel(basis, sigma[order].to(transfer.device), A.domain_shape, tau)


# ---------------------------------------------------------------------------------------
# feasible sets and kernel sizes of a finite model class
# ---------------------------------------------------------------------------------------
def _apply_in_chunks(A: LinearOperator, X: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([A(X[i:i + chunk]) for i in range(0, X.shape[0], chunk)])


def _pairwise(U: torch.Tensor, V: torch.Tensor | None = None) -> torch.Tensor:
    """All distances ``||u_i - v_j||`` in float64 (``V=None``: within ``U``, zero diagonal).

    Computed from inner products (fast) after removing the mean of ``U``, which keeps the
    rounding near ``1e-8`` of the spread of the points, far below the default slack.
    """
    shift = U.mean(dim=0)
    same = V is None
    D = torch.cdist(U - shift, (U if same else V) - shift, compute_mode="use_mm_for_euclid_dist")
    return D.fill_diagonal_(0.0) if same else D


def feasible_sets(A: LinearOperator, X: torch.Tensor, Y: torch.Tensor, eta: float, *,
                  rtol: float = 1e-5) -> list[torch.Tensor]:
    """For each measurement ``y_k``, the indices of the images in ``X`` consistent with it.

    The feasible set of ``y_k`` within the finite model class ``X`` is
    ``F_k = {i : ||A x_i - y_k|| <= eta}`` (noise of norm at most ``eta``). Rounding makes
    exact equality meaningless, so the test is ``<= eta + rtol * s`` with ``s`` the largest
    norm among the ``A x_i`` and ``y_k``.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape (B, *A.domain_shape)
        The model class: a finite set of images.
    Y : torch.Tensor, shape (K, *A.range_shape)
        Measurements.
    eta : float
        Noise level, ``>= 0``.
    rtol : float
        Relative slack for rounding, ``>= 0``.

    Returns
    -------
    list of K torch.Tensor of int64
        ``F_k`` as sorted indices into ``X`` (possibly empty).

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    >>> kernel.feasible_sets(A, X, torch.tensor([[0.0]]), eta=0.0)
    [tensor([0, 1])]
    """
    _check_operator(A)
    _check_batch("X", X, A.domain_shape, A.domain_complex)
    _check_batch("Y", Y, A.range_shape, A.range_complex)
    eta = _validate.positive("eta", eta, allow_zero=True)
    rtol = _validate.positive("rtol", rtol, allow_zero=True)
    AX, Yf = _flat_real(_apply_in_chunks(A, X)), _flat_real(Y.detach())
    scale = max(float(AX.norm(dim=1).max()), float(Yf.norm(dim=1).max()))
    inside = _pairwise(Yf, AX.to(Yf.device)) <= eta + rtol * scale
    return [torch.nonzero(row).flatten() for row in inside]


@dataclass
class KernelSize:
    """Worst-case and average kernel size of a finite model class (see :func:`kernel_size`).

    Attributes
    ----------
    worst : float
        ``max ||x_i - x_j||`` over feasible pairs.
    average : float
        The ``p``-average kernel size.
    p : float
        Order of the average.
    eta : float
        Noise level.
    distances : torch.Tensor of float64, shape (B, B)
        ``||x_i - x_j||`` for all pairs.
    feasible : torch.Tensor of bool, shape (B, B)
        ``||A(x_i - x_j)|| <= 2 eta``: the pair can produce the same measurement.
    worst_pair : tuple of int
        Indices ``(i, j)`` of a pair attaining ``worst`` (``(0, 0)`` if no two distinct
        images are feasible, when ``worst`` is 0).
    """

    worst: float
    average: float
    p: float
    eta: float
    distances: torch.Tensor
    feasible: torch.Tensor
    worst_pair: tuple[int, int]


def kernel_size(A: LinearOperator, X: torch.Tensor, eta: float = 0.0, *, p: float | None = None,
                rtol: float = 1e-5) -> KernelSize:
    """Worst-case and average kernel size of a finite model class ``X`` with noise ``||e|| <= eta``.

    By theorem T0, no reconstruction method has worst-case error below ``worst / 2``.

    **Worst case.** Two images ``x_i, x_j`` can produce the same measurement
    ``y = A x_i + e = A x_j + e'`` with ``||e||, ||e'|| <= eta`` exactly when
    ``||A(x_i - x_j)|| <= 2 eta`` (take ``y`` halfway). ``worst`` is the largest
    ``||x_i - x_j||`` over these *feasible pairs*: the kernel size
    ``sup {||x - x'|| : x, x' in X, ||A(x - x')|| <= 2 eta}`` of Gottschling et al. (2025), exact for
    the finite class. For ``eta = 0`` the pairs differ by a kernel element.

    **Average** (arXiv 2510.10229, algorithm of ``nm19000/AccuracyBounds``). Each image gives
    a measurement ``y_k = A x_k`` with feasible set ``F_k = {i : ||A x_i - y_k|| <= eta}``
    (see :func:`feasible_sets`); then

        average = ( (1/B) sum_k (1/|F_k|^2) sum_{i, j in F_k} ||x_i - x_j||^p )^(1/p),

    the ``p``-mean distance of two independent draws from a feasible set, averaged over the
    measurements. For ``eta = 0`` this is exactly ``(E_y E_{x, x' | y} ||x - x'||^p)^(1/p)``
    for ``x`` uniform on ``X``, and every map ``Psi`` has
    ``(mean_i ||Psi(A x_i) - x_i||^p)^(1/p) >= average / 2``.

    "Equal" means equal up to rounding: both tests allow ``rtol * max_k ||A x_k||`` of slack.

    Parameters
    ----------
    A : LinearOperator
        The forward operator.
    X : torch.Tensor, shape (B, *A.domain_shape)
        The model class (e.g. phantoms, and the same phantoms plus kernel details).
    eta : float
        Noise level ``>= 0``.
    p : float or None
        Order of the average, ``>= 1``; ``None`` means 2 (the root-mean-square, the bound
        for the mean squared error).
    rtol : float
        Relative slack for rounding, ``>= 0``.

    Returns
    -------
    KernelSize
        ``worst``, ``average``, the distance matrix, the feasible-pair matrix and the worst pair.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [5.0, 0.0]])    # x_1 - x_0 is in N(A)
    >>> sizes = kernel.kernel_size(A, X)
    >>> sizes.worst, sizes.worst_pair
    (2.0, (0, 1))
    """
    _check_operator(A)
    _check_batch("X", X, A.domain_shape, A.domain_complex)
    eta = _validate.positive("eta", eta, allow_zero=True)
    p = 2.0 if p is None else _validate.positive("p", p)
    if p < 1 or math.isinf(p):
        raise ValueError(f"p must be a finite number >= 1, got {p!r}")
    rtol = _validate.positive("rtol", rtol, allow_zero=True)

    AX, Xf = _flat_real(_apply_in_chunks(A, X)), _flat_real(X.detach())
    data = _pairwise(AX)                             # ||A x_i - A x_j||
    distances = _pairwise(Xf).to(data.device)        # ||x_i - x_j||
    slack = rtol * float(AX.norm(dim=1).max())
    feasible = data <= 2 * eta + slack
    masked = torch.where(feasible, distances, torch.zeros_like(distances))
    flat_index = int(torch.argmax(masked))
    worst_pair = (flat_index // masked.shape[1], flat_index % masked.shape[1])

    member = (data <= eta + slack).to(torch.float64)     # row k: the feasible set F_k of y_k = A x_k
    sizes = member.sum(dim=1)                            # >= 1: x_k is in its own feasible set
    mean_p = ((member @ distances**p) * member).sum(dim=1) / sizes**2
    average = float(mean_p.mean() ** (1 / p))
    return KernelSize(float(masked.max()), average, p, eta, distances, feasible, worst_pair)


# ---------------------------------------------------------------------------------------
# Chebyshev centre: the optimal reconstruction of a finite feasible set
# ---------------------------------------------------------------------------------------
def chebyshev_centre(points: torch.Tensor, *, tol: float = 1e-12,
                     max_iter: int = 10_000) -> tuple[torch.Tensor, float]:
    """Centre and radius of the smallest ball containing a finite set of points.

    Reconstructing every ``y`` by the Chebyshev centre of its feasible set gives the smallest
    possible worst-case error on a finite class, equal to the largest radius (theorem T0).

    Method: the dual of ``min_c max_i ||c - p_i||^2`` is the concave quadratic program

        max over weights lambda >= 0, sum lambda = 1 of   sum_i lambda_i ||p_i||^2 - ||sum_i lambda_i p_i||^2,

    whose maximiser gives the centre ``c = sum_i lambda_i p_i`` and the squared radius. It is
    solved by Frank-Wolfe with away steps and exact line search (each step moves weight to
    the farthest point or away from the nearest point in use). For ``c`` the duality gap is
    ``max_i ||p_i - c||^2 - dual value``, an upper bound on ``R(c)^2 - R*^2``. Every 10 steps
    the weights are polished by solving the optimality conditions (equal distance to the
    points in use) exactly. The loop stops when the gap is ``<= tol * R(c)^2``.

    Accuracy: the returned radius ``max_i ||p_i - c||`` is attained by the returned centre
    and exceeds the optimal radius by at most ``tol`` relative; the centre lies within
    ``sqrt(tol) * radius`` of the exact one (usually far closer, after polishing).

    Parameters
    ----------
    points : torch.Tensor, shape (B, ...)
        ``B >= 1`` points (e.g. images ``(B, 1, H, W)``), real or complex.
    tol : float
        Relative duality gap at which to stop, in (0, 1).
    max_iter : int
        Most Frank-Wolfe steps (a ``RuntimeWarning`` reports the gap if they run out).

    Returns
    -------
    centre : torch.Tensor, shape points.shape[1:]
        The Chebyshev centre, in the dtype of ``points``.
    radius : float
        ``max_i ||p_i - centre||``.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import kernel
    >>> centre, radius = kernel.chebyshev_centre(torch.tensor([[0.0, 0.0], [2.0, 0.0], [1.0, 0.5]]))
    >>> centre, radius
    (tensor([1., 0.]), 1.0)
    """
    _validate.tensor("points", points)
    if points.ndim < 2 or points.shape[0] == 0:
        raise ValueError(f"points must have shape (B, ...) with B >= 1 points, got {tuple(points.shape)}")
    if not (points.is_floating_point() or points.is_complex()):
        raise TypeError(f"points must be a floating-point or complex tensor, got dtype {points.dtype}")
    tol, max_iter = _check_tol(tol, max_iter)

    P = _flat_real(points.detach())
    shift = P.mean(dim=0)
    P = P - shift                               # centring keeps the Gram matrix well scaled
    G = P @ P.T
    a = G.diagonal().clone()                    # ||p_i||^2
    lam = torch.zeros(len(P), dtype=torch.float64, device=P.device)
    lam[int(torch.argmax(a))] = 1.0             # start at the point farthest from the mean
    Glam = G @ lam                              # c . p_i, kept up to date
    gap = float("inf")
    for it in range(max_iter):
        cc = float(lam @ Glam)                  # ||c||^2
        dist2 = a - 2 * Glam + cc               # ||p_i - c||^2
        R2 = float(dist2.max())
        gap = R2 - (float(lam @ a) - cc)        # primal - dual, >= 0 up to rounding
        if gap <= tol * R2 or R2 == 0.0:
            break
        if it % 10 == 9:
            polished = _polish(G, a, lam)
            if polished is not None:
                lam, Glam = polished, G @ polished
                continue
        s = int(torch.argmax(dist2))                                # farthest point: Frank-Wolfe
        used = lam > 0
        v = int(torch.argmin(torch.where(used, dist2, torch.inf)))  # nearest point in use: away
        if R2 - float(lam @ dist2) >= float(lam @ dist2) - float(dist2[v]) or lam[v] == 1:
            direction = -lam.clone()
            direction[s] += 1                   # towards vertex s
            step_max = 1.0
        else:
            direction = lam.clone()
            direction[v] -= 1                   # away from vertex v
            step_max = float(lam[v] / (1 - lam[v]))
        Gd = G @ direction
        slope = float(direction @ (a - 2 * Glam))   # derivative of the dual along the direction
        curvature = float(direction @ Gd)           # ||movement of c||^2
        step = min(step_max, slope / (2 * curvature)) if curvature > 0 else step_max
        lam = torch.clamp(lam + step * direction, min=0.0)
        lam = lam / lam.sum()
        Glam = G @ lam
    else:
        warnings.warn(f"chebyshev_centre: stopped after max_iter={max_iter} steps with relative "
                      f"duality gap {gap / R2:.1e} > tol={tol:.0e}", RuntimeWarning, stacklevel=2)
    centre = lam @ P
    radius = float((P - centre).norm(dim=1).max())
    centre = centre + shift
    if points.is_complex():
        centre = torch.view_as_complex(centre.reshape(*points.shape[1:], 2).contiguous())
    return centre.reshape(points.shape[1:]).to(points.dtype), radius


def _polish(G: torch.Tensor, a: torch.Tensor, lam: torch.Tensor) -> torch.Tensor | None:
    """Exact dual weights on the current support S, or None if they are not valid.

    On S the optimal centre is equidistant from the points: ``2 G_SS l + mu 1 = a_S``,
    ``sum l = 1``. Accepted only when ``l >= 0`` and the dual value does not decrease.
    """
    S = torch.nonzero(lam > 0).flatten()
    k = len(S)
    K = torch.zeros(k + 1, k + 1, dtype=G.dtype, device=G.device)
    K[:k, :k] = 2 * G[S][:, S]
    K[:k, k] = K[k, :k] = 1.0
    rhs = torch.cat([a[S], torch.ones(1, dtype=G.dtype, device=G.device)])
    sol = torch.linalg.lstsq(K, rhs.unsqueeze(1), driver="gelsd" if K.device.type == "cpu" else None)
    l_S = sol.solution[:k, 0]
    if bool((l_S < 0).any()):
        return None
    new = torch.zeros_like(lam)
    new[S] = l_S / l_S.sum()

    def dual(w: torch.Tensor) -> float:
        return float(w @ a - w @ G @ w)

    return new if dual(new) >= dual(lam) else None
