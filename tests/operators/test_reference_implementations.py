"""The fast paths of the operators agree with the formulas they implement, written literally."""

import pytest
import torch

from tk_lessons.operators import Blur, SubsampledFourier, SubsampledHadamard


def random_mask(shape, seed=0):
    mask = torch.rand(shape, generator=torch.Generator().manual_seed(seed)) < 0.4
    mask.view(-1)[0] = True
    return mask


def batch(op, complex_, dtype=torch.float64, seed=1):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(3, *op.domain_shape, generator=gen, dtype=dtype)
    return torch.complex(x, torch.randn(x.shape, generator=gen, dtype=dtype)) if complex_ else x


@pytest.mark.parametrize("shape", [(8, 8), (7, 6), (5, 9), (16,), (9,)])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_subsampled_fourier(shape, complex_, dtype):
    A = SubsampledFourier(random_mask(shape))
    x = batch(A, complex_, dtype)
    atol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(A(x), A._forward_reference(x), atol=atol, rtol=0)
    y = A(x)
    torch.testing.assert_close(A.H(y), A._adjoint_reference(y), atol=atol, rtol=0)


@pytest.mark.parametrize("shape", [(8, 8), (7, 6), (15,)])
def test_blur(shape):
    A = Blur(shape, 1.3)
    x = batch(A, False)
    torch.testing.assert_close(A(x), A._forward_reference(x), atol=1e-12, rtol=0)


@pytest.mark.parametrize("shape", [(8, 8), (4, 16), (32,)])
@pytest.mark.parametrize("ordering", ["sequency", "natural"])
def test_subsampled_hadamard(shape, ordering):
    A = SubsampledHadamard(random_mask(shape, seed=2), ordering=ordering)
    x = batch(A, False)
    torch.testing.assert_close(A(x), A._forward_reference(x), atol=1e-12, rtol=0)
