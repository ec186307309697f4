"""What operators say about themselves (``orthonormal_rows``, ``isometry``, ``gram_symbol``)
against a dense oracle, and operator sums and differences."""

import pytest
import torch

from tk_lessons.operators import (Blur, GaussianMatrix, Gradient, Identity, Inpainting, LinearOperator,
                                  MatrixOperator, Radon, SubsampledFourier, SubsampledHadamard, SumOperator,
                                  Wavelet, dot_test)


def random_mask(shape, seed=0, p=0.5):
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(shape, generator=gen) < p
    mask.view(-1)[0] = True
    return mask


def fourier(shape, seed=0):
    return SubsampledFourier(random_mask(shape, seed))


CASES = {
    "identity": lambda: Identity((1, 4, 4)),
    "identity-complex": lambda: Identity((1, 6), complex=True),
    "wavelet-2d": lambda: Wavelet(8, "db2", levels=2),
    "wavelet-1d": lambda: Wavelet((16,), "haar"),
    "fourier-2d": lambda: fourier((8, 8)),
    "fourier-odd": lambda: fourier((5, 6), seed=1),
    "fourier-1d-odd": lambda: fourier((7,), seed=2),
    "blur-2d": lambda: Blur(8, 1.0),
    "blur-odd": lambda: Blur((7, 6), 0.8),
    "blur-1d": lambda: Blur((15,), 2.0),
    "hadamard-2d": lambda: SubsampledHadamard(random_mask((8, 8), seed=3)),
    "hadamard-1d": lambda: SubsampledHadamard(random_mask((16,), seed=4), ordering="natural"),
    "inpainting": lambda: Inpainting(random_mask((6, 6), seed=5)),
    "gradient-2d": lambda: Gradient((5, 7)),
    "gradient-1d": lambda: Gradient((9,)),
    "radon": lambda: Radon(8, 5),
    "gaussian": lambda: GaussianMatrix(6, 16, seed=0, domain_shape=(1, 4, 4)),
    "matrix": lambda: MatrixOperator(torch.randn(5, 5, dtype=torch.float64)),
    # built from others: the flags and the symbol propagate where exact
    "fourier-adjoint": lambda: fourier((8,)).H,
    "wavelet-adjoint": lambda: Wavelet(8).H,
    "fourier@wavelet-synthesis": lambda: fourier((8, 8)) @ Wavelet(8, "db2", levels=1).H,
    "wavelet@blur": lambda: Wavelet(8) @ Blur(8, 1.2),
    "wavelet@fourier-adjoint": lambda: Wavelet((8,)) @ fourier((8,)).H,
    "scaled-blur": lambda: 2.0 * Blur(6, 0.9),
    "negated-fourier": lambda: -fourier((6, 6)),
    "scaled-wavelet": lambda: 0.5 * Wavelet(8),
    "blur+identity": lambda: Blur(6, 1.0) + Identity((1, 6, 6)),
    "fourier-fourier@blur": lambda: fourier((8, 8)) - fourier((8, 8)) @ Blur(8, 1.0),
    "matrix+fourier": lambda: fourier((4,)) + GaussianMatrix(fourier((4,)).m, 4, seed=1, domain_shape=(1, 4)),
}
ids = list(CASES)


def dense(op: LinearOperator) -> torch.Tensor:
    """The matrix, complex so that the adjoint is its conjugate transpose."""
    matrix = op.to_dense(dtype=LinearOperator._dtype(op.domain_complex))
    return matrix.to(torch.complex128)


def is_identity(matrix: torch.Tensor) -> bool:
    eye = torch.eye(matrix.shape[0], dtype=matrix.dtype)
    return bool(torch.allclose(matrix, eye, atol=1e-10))


def gram(op: LinearOperator, M: torch.Tensor) -> torch.Tensor:
    """:math:`A^*A`; on a real domain the adjoint is for ``Re <., .>``, hence the real part."""
    G = M.conj().T @ M
    return G if op.domain_complex else G.real.to(torch.complex128)


@pytest.mark.parametrize("name", ids)
def test_flags_match_the_dense_matrix(name):
    op = CASES[name]()
    M = dense(op)
    assert dot_test(op) < 1e-12
    # the flags are exact: True where the matrix has the property, False where it has not
    if op.domain_complex or not op.range_complex:
        assert op.orthonormal_rows == is_identity(M @ M.conj().T), "orthonormal_rows"
    assert op.isometry == is_identity(gram(op, M)), "isometry"


@pytest.mark.parametrize("name", ids)
def test_gram_symbol_is_the_fourier_multiplier_of_the_gram_matrix(name):
    op = CASES[name]()
    symbol = op.gram_symbol()
    if symbol is None:
        return
    assert symbol.dtype == torch.float64 and tuple(symbol.shape) == op.domain_shape
    assert bool((symbol >= 0).all())
    x = torch.randn(3, *op.domain_shape, dtype=LinearOperator._dtype(op.domain_complex))
    dims = tuple(range(1, x.ndim))
    via_symbol = torch.fft.ifftn(symbol * torch.fft.fftn(x, dim=dims, norm="ortho"), dim=dims, norm="ortho")
    expected = (gram(op, dense(op)) @ x.reshape(3, -1).to(torch.complex128).T).T.reshape(via_symbol.shape)
    assert torch.allclose(via_symbol, expected, atol=1e-10)
    # the same through the operator itself
    assert torch.allclose(op.H(op(x)).to(torch.complex128), expected, atol=1e-10)


@pytest.mark.parametrize("name", ["fourier-2d", "fourier-odd", "fourier-1d-odd", "blur-2d", "blur-odd",
                                  "blur-1d", "gradient-2d", "gradient-1d", "identity", "wavelet-2d",
                                  "wavelet@blur", "scaled-blur", "negated-fourier", "fourier-adjoint"])
def test_the_fourier_diagonal_operators_have_a_symbol(name):
    assert CASES[name]().gram_symbol() is not None


@pytest.mark.parametrize("name", ["blur+identity", "fourier-fourier@blur", "matrix+fourier"])
def test_sums_match_the_dense_sum(name):
    op = CASES[name]()
    assert isinstance(op, SumOperator)
    expected = dense(op.left) + dense(op.right)
    assert torch.allclose(dense(op), expected, atol=1e-12)
    assert dot_test(op) < 1e-12 and dot_test(op, dtype=torch.float32) < 1e-5


def test_difference_of_an_operator_with_itself_is_zero():
    A = Blur(6, 1.0)
    x = torch.rand(2, 1, 6, 6, dtype=torch.float64)
    assert torch.allclose((A - A)(x), torch.zeros_like(x))
    assert torch.allclose((A + A)(x), 2 * A(x))


def test_sums_need_matching_shapes():
    with pytest.raises(ValueError, match="domains and ranges must agree"):
        Blur(6, 1.0) + Identity((1, 5, 5))
    assert Blur(6, 1.0).__add__(3.0) is NotImplemented
    with pytest.raises(TypeError):
        Blur(6, 1.0) + 3.0


def test_sum_rejects_what_is_not_an_operator():
    with pytest.raises(TypeError, match="right must be a LinearOperator, got str"):
        SumOperator(Identity((2, 3)), "B")
