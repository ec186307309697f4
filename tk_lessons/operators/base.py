"""The linear-operator interface shared by every forward model of the course.

An operator ``A`` maps a batch ``x`` of shape ``(B, *domain_shape)`` to a batch
``A(x)`` of shape ``(B, *range_shape)``; ``A.H(y)`` applies the exact adjoint.
Operators are ``torch.nn.Module`` s (so ``.to(device)`` moves their masks and
matrices), work in float32/float64 and complex64/complex128 and are
differentiable.

Real and complex spaces. An operator declares whether its domain and range are
complex. A *real-domain* operator (Radon, Blur, Hadamard, ...) accepts only real
input; its adjoint is the adjoint for the real inner product ``Re <u, v>``. A
*complex-domain* operator (Fourier) accepts real or complex input and its
adjoint returns complex output.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from .. import device as _device

__all__ = ["LinearOperator", "AdjointOperator", "ComposedOperator", "ScaledOperator", "SumOperator", "Identity",
           "dot_test"]


class LinearOperator(torch.nn.Module):
    """Base class: subclasses implement ``_forward`` and ``_adjoint`` on checked batches.

    Parameters
    ----------
    domain_shape : sequence of int
        Shape of one input, without the batch dimension, e.g. ``(1, 64, 64)``.
    range_shape : sequence of int
        Shape of one output, without the batch dimension, e.g. ``(673,)``.
    domain_complex, range_complex : bool
        Whether the domain/range are complex vector spaces.
    """

    #: True iff :math:`AA^* = I`: then :math:`A^*` is the pseudo-inverse and :math:`I - A^*A` is
    #: exactly the projector onto the kernel (solvers and ``tk.kernel.project`` ask this).
    orthonormal_rows: bool = False
    #: True iff :math:`A^*A = I` (an isometry: :math:`\|Ax\| = \|x\|`); then :math:`A^*` is a left inverse.
    isometry: bool = False

    def __init__(self, domain_shape: Sequence[int], range_shape: Sequence[int], *,
                 domain_complex: bool = False, range_complex: bool = False) -> None:
        super().__init__()
        self.domain_shape = tuple(int(s) for s in domain_shape)
        self.range_shape = tuple(int(s) for s in range_shape)
        self.domain_complex = bool(domain_complex)
        self.range_complex = bool(range_complex)

    # -- to be implemented by subclasses -------------------------------------------------
    def _forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- public interface -----------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the operator to a batch ``x`` of shape ``(B, *domain_shape)``."""
        self._check(x, "x", self.domain_shape, self.domain_complex)
        return self._forward(x)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Apply the adjoint to a batch ``y`` of shape ``(B, *range_shape)``."""
        self._check(y, "y", self.range_shape, self.range_complex)
        return self._adjoint(y)

    @property
    def H(self) -> "LinearOperator":
        """The adjoint as an operator: ``A.H(y)``, ``A.H.H`` is ``A`` again."""
        # Built once: creating a Module costs ~15 us per call. Kept in __dict__, outside
        # the module tree, because a registered child would make the cycle A -> A.H -> A.
        adjoint = self.__dict__.get("_adjoint_operator")
        if adjoint is None:
            adjoint = self.__dict__["_adjoint_operator"] = AdjointOperator(self)
        return adjoint

    def norm(self, *, n_iter: int = 200, tol: float = 1e-7, seed: int = 0) -> float:
        """Operator 2-norm ``||A||`` (largest singular value; not its square).

        Estimated by power iteration on ``A^H A`` in float64 and cached (operators do
        not change after construction); subclasses with a known norm override this.
        """
        cache = self.__dict__.setdefault("_norm_cache", {})
        key = (n_iter, tol, seed)
        if key not in cache:
            cache[key] = self._power_iteration(n_iter, tol, seed)
        return cache[key]

    def _power_iteration(self, n_iter: int, tol: float, seed: int) -> float:
        x = _device.randn(1, *self.domain_shape, seed=seed, dtype=self._dtype(self.domain_complex))
        x = x.to(self.device)
        x = x / x.norm()
        estimate = 0.0
        with torch.no_grad():
            for _ in range(n_iter):
                z = self.adjoint(self.forward(x))
                new = float(z.norm())
                if new == 0.0:
                    return 0.0
                x = z / new
                if abs(new - estimate) <= tol * new:
                    estimate = new
                    break
                estimate = new
        return math.sqrt(estimate)

    def gram_symbol(self) -> torch.Tensor | None:
        r"""The Fourier symbol :math:`s` of :math:`A^*A`, or None when :math:`A^*A` is not a Fourier multiplier.

        When it is not None, for every ``x`` in the domain

        .. math:: A^*A x = \mathrm{ifftn}(s \cdot \mathrm{fftn}(x, \text{norm="ortho"}), \text{norm="ortho"})

        over all the domain's axes. ``s`` is real, ``>= 0``, float64, of shape ``domain_shape``,
        in the unshifted FFT layout (zero frequency at index 0). Solvers use it for exact
        FFT solves of :math:`(A^*A + \rho M) x = b` (Tikhonov, TV's ADMM). The default knows
        only isometries (:math:`s = 1`); Fourier-diagonal operators override it.

        Examples
        --------
        >>> from tk_lessons.operators import Identity, MatrixOperator
        >>> Identity((1, 4)).gram_symbol()
        tensor([[1., 1., 1., 1.]], dtype=torch.float64)
        >>> MatrixOperator(torch.eye(3)).gram_symbol() is None
        True
        """
        if self.isometry:
            return torch.ones(self.domain_shape, dtype=torch.float64, device=self.device)
        return None

    def to_dense(self, dtype: torch.dtype | None = None) -> torch.Tensor:
        """The matrix of the operator, shape ``(prod(range_shape), prod(domain_shape))``.

        Column ``j`` is ``A(e_j)``. Only for small sizes (teaching and tests).
        """
        n = math.prod(self.domain_shape)
        if n > 65536:
            raise ValueError(f"to_dense is meant for small operators; the domain has {n} > 65536 entries")
        if dtype is None:
            dtype = self._dtype(self.domain_complex)
        columns = []
        eye = torch.eye(n, dtype=dtype, device=self.device)
        for start in range(0, n, 1024):
            block = eye[start:start + 1024].reshape(-1, *self.domain_shape)
            columns.append(self.forward(block).reshape(block.shape[0], -1))
        return torch.cat(columns, dim=0).T

    def __matmul__(self, other: "LinearOperator") -> "LinearOperator":
        if not isinstance(other, LinearOperator):
            return NotImplemented
        return ComposedOperator(self, other)

    def __mul__(self, scalar: float) -> "LinearOperator":
        return ScaledOperator(self, scalar)

    __rmul__ = __mul__

    def __add__(self, other: "LinearOperator") -> "LinearOperator":
        if not isinstance(other, LinearOperator):
            return NotImplemented
        return SumOperator(self, other)

    def __sub__(self, other: "LinearOperator") -> "LinearOperator":
        if not isinstance(other, LinearOperator):
            return NotImplemented
        return SumOperator(self, ScaledOperator(other, -1.0))

    def __neg__(self) -> "LinearOperator":
        return ScaledOperator(self, -1.0)

    # -- helpers ----------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        """Where the operator's tensors live (move it with ``.to(device)``): inputs go there."""
        return _device.of(self)

    @staticmethod
    def _dtype(complex_: bool, precision: int = 64) -> torch.dtype:
        if precision == 64:
            return torch.complex128 if complex_ else torch.float64
        return torch.complex64 if complex_ else torch.float32

    def _check(self, t: torch.Tensor, name: str, shape: tuple[int, ...], complex_: bool) -> None:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if tuple(t.shape[1:]) != shape or t.ndim != len(shape) + 1:
            raise ValueError(
                f"{name} must have shape (B, {', '.join(map(str, shape))}) for {type(self).__name__}, "
                f"got {tuple(t.shape)}"
            )
        if t.is_complex() and not complex_:
            raise TypeError(
                f"{name} must be real for {type(self).__name__} (a real-valued space), got dtype {t.dtype}"
            )
        if not (t.is_floating_point() or t.is_complex()):
            raise TypeError(f"{name} must be a floating-point or complex tensor, got dtype {t.dtype}")

    def extra_repr(self) -> str:
        return f"domain={self.domain_shape}, range={self.range_shape}"


class AdjointOperator(LinearOperator):
    """The adjoint ``A^H`` of an operator, itself an operator."""

    def __init__(self, op: LinearOperator) -> None:
        super().__init__(op.range_shape, op.domain_shape,
                         domain_complex=op.range_complex, range_complex=op.domain_complex)
        self.op = op
        # (A^*)(A^*)^* = A^*A: the adjoint swaps the two properties
        self.orthonormal_rows = op.isometry
        self.isometry = op.orthonormal_rows

    # Check the input through the wrapped operator, so that A.H(y) errors name `y` and A.
    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.op.adjoint(y)

    def adjoint(self, x: torch.Tensor) -> torch.Tensor:
        return self.op.forward(x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op._adjoint(x)

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self.op._forward(y)

    @property
    def H(self) -> LinearOperator:
        return self.op

    def norm(self, **kwargs) -> float:
        return self.op.norm(**kwargs)


class ComposedOperator(LinearOperator):
    """The composition ``A @ B``: ``x -> A(B(x))`` (``left`` is ``A``, ``right`` is ``B``)."""

    def __init__(self, left: LinearOperator, right: LinearOperator) -> None:
        if right.range_shape != left.domain_shape:
            raise ValueError(
                f"cannot compose: the right operator's range {right.range_shape} differs from "
                f"the left operator's domain {left.domain_shape}"
            )
        super().__init__(right.domain_shape, left.range_shape,
                         domain_complex=right.domain_complex, range_complex=left.range_complex)
        self.left = left
        self.right = right
        # (AB)(AB)^* = A (BB^*) A^* = AA^* and (AB)^*(AB) = B^*(A^*A)B = B^*B
        self.orthonormal_rows = left.orthonormal_rows and right.orthonormal_rows
        self.isometry = left.isometry and right.isometry

    def gram_symbol(self) -> torch.Tensor | None:
        """``B``'s symbol when ``A`` is an isometry (then :math:`(AB)^*AB = B^*B`), else None."""
        return self.right.gram_symbol() if self.left.isometry else None

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.left(self.right(x))

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        z = self.left.adjoint(y)
        if z.is_complex() and not self.right.range_complex:
            z = z.real  # adjoint for the real inner product of B's range
        return self.right.adjoint(z)


class ScaledOperator(LinearOperator):
    """``c * A`` for a real scalar ``c``."""

    def __init__(self, op: LinearOperator, scalar: float) -> None:
        if not isinstance(scalar, (int, float)) or isinstance(scalar, bool):
            raise TypeError(f"scalar must be a real number, got {type(scalar).__name__}")
        super().__init__(op.domain_shape, op.range_shape,
                         domain_complex=op.domain_complex, range_complex=op.range_complex)
        self.op = op
        self.scalar = float(scalar)
        unit = abs(self.scalar) == 1.0
        self.orthonormal_rows = op.orthonormal_rows and unit
        self.isometry = op.isometry and unit

    def gram_symbol(self) -> torch.Tensor | None:
        """:math:`c^2 s` for the symbol :math:`s` of the operator (None if it has none)."""
        symbol = self.op.gram_symbol()
        return None if symbol is None else self.scalar**2 * symbol

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scalar * self.op(x)

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self.scalar * self.op.adjoint(y)

    def norm(self, **kwargs) -> float:
        return abs(self.scalar) * self.op.norm(**kwargs)


class SumOperator(LinearOperator):
    """The sum ``A + B`` of two operators with the same domain and range (``A - B`` is ``A + (-1) B``).

    The domain is complex only if both domains are; the range is complex if either is.
    A sum of orthonormal or Fourier-diagonal operators is in general neither, so the
    flags stay False and :meth:`gram_symbol` None.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import Identity, MatrixOperator, dot_test
    >>> M = MatrixOperator(torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=torch.float64))
    >>> (M - Identity((2,))).to_dense()
    tensor([[0., 2.],
            [0., 0.]], dtype=torch.float64)
    >>> dot_test(M + Identity((2,))) < 1e-12
    True
    """

    def __init__(self, left: LinearOperator, right: LinearOperator) -> None:
        for name, op in (("left", left), ("right", right)):
            if not isinstance(op, LinearOperator):
                raise TypeError(f"{name} must be a LinearOperator, got {type(op).__name__}")
        if left.domain_shape != right.domain_shape or left.range_shape != right.range_shape:
            raise ValueError(
                f"cannot add operators of shapes {left.domain_shape} -> {left.range_shape} and "
                f"{right.domain_shape} -> {right.range_shape}: domains and ranges must agree"
            )
        super().__init__(left.domain_shape, left.range_shape,
                         domain_complex=left.domain_complex and right.domain_complex,
                         range_complex=left.range_complex or right.range_complex)
        self.left = left
        self.right = right

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.left(x) + self.right(x)

    def _term_adjoint(self, op: LinearOperator, y: torch.Tensor) -> torch.Tensor:
        # a real range takes Re y: the adjoint for the real inner product Re <A x, y>
        z = op.adjoint(y.real if y.is_complex() and not op.range_complex else y)
        return z.real if z.is_complex() and not self.domain_complex else z

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self._term_adjoint(self.left, y) + self._term_adjoint(self.right, y)


class Identity(LinearOperator):
    """The identity on ``shape`` (real or complex)."""

    orthonormal_rows = True
    isometry = True

    def __init__(self, shape: Sequence[int], *, complex: bool = False) -> None:
        super().__init__(shape, shape, domain_complex=complex, range_complex=complex)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def _adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return y

    def norm(self, **kwargs) -> float:
        return 1.0


def _inner(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Complex inner product ``sum(conj(u) * v)`` (the ordinary dot product for real tensors)."""
    if u.is_complex() or v.is_complex():
        return torch.sum(u.conj() * v) if u.is_complex() else torch.sum(u * v)
    return torch.sum(u * v)


def dot_test(op: LinearOperator, *, seed: int = 0, dtype: torch.dtype = torch.float64) -> float:
    """Relative adjoint mismatch ``|<Ax, y> - <x, A^H y>| / (||Ax|| ||y||)`` on random ``x, y``.

    ``x`` and ``y`` are complex where the operator's domain/range are complex. On a
    real domain the real inner product ``Re <u, v>`` is compared. ``dtype`` sets the
    precision: torch.float32 or torch.float64.

    Examples
    --------
    >>> from tk_lessons.operators import Identity, dot_test
    >>> dot_test(Identity((1, 4, 4))) < 1e-12
    True
    """
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    precision = 64 if dtype == torch.float64 else 32
    gen = _device.generator(seed)
    dev = op.device
    x = torch.randn(1, *op.domain_shape, generator=gen, dtype=op._dtype(op.domain_complex, precision)).to(dev)
    y = torch.randn(1, *op.range_shape, generator=gen, dtype=op._dtype(op.range_complex, precision)).to(dev)
    lhs = _inner(op(x), y)
    rhs = _inner(x, op.adjoint(y))
    if not op.domain_complex:
        lhs, rhs = lhs.real, rhs.real
    scale = float(op(x).norm() * y.norm()) or 1.0
    return float((lhs - rhs).abs()) / scale
