"""The memoriser (nearest training image, and its softmax version) and the least-squares linear map."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tk_lessons import sampling
from tk_lessons.networks import LearnedLinear, Memoriser
from tk_lessons.operators import GaussianMatrix, Radon, SubsampledFourier


@pytest.fixture(scope="module")
def fourier():
    return SubsampledFourier(sampling.radial(16, 4))


def test_memoriser_returns_the_nearest_training_image(fourier):
    X = torch.rand(20, 1, 16, 16)
    memo = Memoriser(fourier, X)
    g = torch.Generator().manual_seed(0)
    # each query: the data of a training image plus small noise -> that image, exactly
    picks = torch.tensor([3, 17, 0, 3])
    y = fourier(X[picks]) + 1e-3 * torch.randn(4, fourier.m, generator=g, dtype=torch.complex64)
    assert torch.equal(memo(y), X[picks])
    assert torch.equal(memo.nearest(y), picks)
    # brute force on an arbitrary query
    q = fourier(torch.rand(1, 1, 16, 16))
    distances = torch.stack([(fourier(X[i:i + 1]) - q).abs().norm() for i in range(20)])
    assert torch.equal(memo(q)[0], X[int(distances.argmin())])


def test_memoriser_handles_nearly_equal_data(fourier):
    # two training images whose data differ by 1e-5 relative: float32 expansion of ||a - b||^2 would tie
    x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    direction = torch.randn(1, 1, 16, 16, dtype=torch.float64)
    X = torch.cat((x, x + 1e-5 * direction))
    memo = Memoriser(fourier, X)
    assert int(memo.nearest(fourier(X[1:]))) == 1 and int(memo.nearest(fourier(X[:1]))) == 0


def test_smooth_memoriser_tends_to_the_hard_one(fourier):
    # seeded: the largest error need not fall monotonically for every draw (it did not for ~3% of them)
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(10, 1, 16, 16, dtype=torch.float64, generator=gen)
    y = fourier(torch.rand(3, 1, 16, 16, dtype=torch.float64, generator=gen))
    hard = Memoriser(fourier, X)(y)
    errors = [float((Memoriser(fourier, X, temperature=t)(y) - hard).abs().max()) for t in (10.0, 1.0, 0.1, 1e-3, 1e-5)]
    assert all(b <= a + 1e-12 for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 1e-8 and errors[0] > 1e-3
    # very hot: the mean of the training set
    assert torch.allclose(Memoriser(fourier, X, temperature=1e9)(y), X.mean(0).expand(3, -1, -1, -1), atol=1e-6)


def test_smooth_memoriser_is_differentiable(fourier):
    X = torch.rand(5, 1, 16, 16)
    y = fourier(torch.rand(1, 1, 16, 16)).requires_grad_(True)
    Memoriser(fourier, X, temperature=1.0)(y).sum().backward()
    assert y.grad is not None and float(y.grad.abs().sum()) > 0


def test_memoriser_on_radon():
    A = Radon(16, 6)
    X = torch.rand(4, 1, 16, 16)
    assert torch.equal(Memoriser(A, X)(A(X)), X)


def _features(y: torch.Tensor) -> np.ndarray:
    flat = y.reshape(y.shape[0], -1)
    if flat.is_complex():
        flat = torch.view_as_real(flat).reshape(y.shape[0], -1)
    return flat.double().numpy()


@pytest.mark.parametrize("K", [30, 300])          # under- and over-determined
def test_linear_matches_numpy_lstsq(fourier, K):
    X = torch.rand(K, 1, 16, 16, dtype=torch.float64)
    model = LearnedLinear.fit(fourier, X)
    F, T = _features(fourier(X)), X.reshape(K, -1).numpy()
    Mt = np.linalg.lstsq(F, T, rcond=None)[0]
    assert np.allclose(model.M.detach().double().numpy(), Mt.T, atol=1e-4)
    y = fourier(torch.rand(2, 1, 16, 16))
    assert torch.allclose(model(y), torch.from_numpy(_features(y) @ Mt).float().reshape(2, 1, 16, 16), atol=1e-4)


def test_linear_real_operator_and_noise_is_ridge():
    A = GaussianMatrix(12, 20, seed=1)
    X = torch.rand(40, 20, dtype=torch.float64)
    F, T = _features(A(X)), X.numpy()
    assert F.shape == (40, 12)
    noisy = LearnedLinear.fit(A, X, eta=0.5)
    ridge = 40 * 0.25 / 12                                # K eta^2 / p
    Mt = np.linalg.solve(F.T @ F + ridge * np.eye(12), F.T @ T)
    assert np.allclose(noisy.M.detach().double().numpy(), Mt.T, atol=1e-5)
    assert torch.allclose(LearnedLinear.fit(A, X, ridge=ridge).M, noisy.M)
    # noise shrinks the map: more stable, less accurate
    plain = LearnedLinear.fit(A, X)
    assert torch.linalg.matrix_norm(noisy.M, 2) < torch.linalg.matrix_norm(plain.M, 2)


def test_linear_on_radon_shapes():
    A = Radon(8, 4)
    model = LearnedLinear.fit(A, torch.rand(10, 1, 8, 8))
    assert model(A(torch.rand(3, 1, 8, 8))).shape == (3, 1, 8, 8)


@pytest.mark.parametrize("call, error, match", [
    (lambda A: Memoriser(A, torch.rand(3, 1, 8, 8)), ValueError, "X must be a non-empty batch"),
    (lambda A: Memoriser(A, torch.rand(3, 1, 16, 16), temperature=0), ValueError, "temperature"),
    (lambda A: Memoriser(A, torch.rand(3, 1, 16, 16))(torch.zeros(1, 5)), ValueError, "y must have shape"),
    (lambda A: LearnedLinear.fit(A, torch.rand(3, 16, 16)), ValueError, "X must be"),
    (lambda A: LearnedLinear.fit(A, torch.rand(3, 1, 16, 16), eta=-1), ValueError, "eta"),
    (lambda A: LearnedLinear(A, torch.zeros(3, 3)), ValueError, "M must be a real"),
])
def test_bad_arguments(fourier, call, error, match):
    with pytest.raises(error, match=match):
        call(fourier)
