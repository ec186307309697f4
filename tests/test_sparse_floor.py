"""tk.kernel.sparse_floor: best s-term approximations and the least amplification of a map exact on a support.

References are independent: best terms by sorting NumPy arrays, the floor by the SVD of a
dense matrix built from a dense DFT (not from the operator), and the proposition checked on
the one map that is exact on a support and linear (least squares on ``T``), whose local
Lipschitz constant the attack finds by power iteration.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tk_lessons import attacks, kernel
from tk_lessons.operators import Identity, MatrixOperator, SubsampledFourier, Wavelet


def _images(seed, shape=(2, 1, 8, 8)):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("s", [1, 5, 17, 64])
def test_best_terms_against_sorting(s):
    W = Wavelet((8, 8), "haar", levels=2)
    x = _images(1)
    got = kernel.best_terms(x, W, s)
    for b in range(2):
        c = W(x[b:b + 1]).flatten().numpy()
        keep = np.argsort(-np.abs(c), kind="stable")[:s]
        cs = np.zeros_like(c)
        cs[keep] = c[keep]
        assert np.count_nonzero(W(got[b:b + 1]).flatten().numpy().round(12)) == s
        ref = W.H(torch.from_numpy(cs).view(1, 1, 8, 8))
        assert torch.allclose(got[b:b + 1], ref.real if ref.is_complex() else ref, atol=1e-12)
    # the best s-term approximation is nearest among s-sparse images: no random s-sparse image is nearer
    g = torch.Generator().manual_seed(2)
    c0 = W(x[:1])
    for _ in range(20):
        keep = torch.randperm(64, generator=g)[:s]
        other = torch.zeros_like(c0).flatten()
        other[keep] = c0.flatten()[keep]
        assert (W.H(other.view_as(c0)) - x[:1]).norm() >= (got[:1] - x[:1]).norm() - 1e-12


def _dense_fourier(mask):
    """The sampled rows of the unitary centred 2-D DFT, as a dense complex matrix (pixel domain)."""
    H, Wd = mask.shape
    F1 = [np.fft.fftshift(np.fft.fft(np.fft.ifftshift(np.eye(n), axes=0), axis=0, norm="ortho"), axes=0)
          for n in (H, Wd)]
    F = np.kron(F1[0], F1[1])
    return F[mask.flatten().numpy()]


def test_support_floor_against_a_dense_oracle():
    g = torch.Generator().manual_seed(3)
    mask = torch.rand(8, 8, generator=g) < 0.4
    A = SubsampledFourier(mask)
    W = Wavelet((8, 8), "haar", levels=2)
    x = _images(4)
    s = 6
    res = kernel.support_floor(A, W, x.float(), s)
    F = _dense_fourier(mask)
    assert np.allclose(F @ x[0].flatten().numpy(), A(x[:1].float()).flatten().numpy(), atol=1e-4)
    Wmat = np.stack([W.H(e.view(1, 1, 8, 8)).flatten().numpy() for e in torch.eye(64, dtype=torch.float64)], 1)
    for b in range(2):
        c = W(x[b:b + 1]).flatten().numpy()
        T = np.argsort(-np.abs(c))[:s]
        assert set(T.tolist()) == set(res.support[b].tolist())
        BT = F @ Wmat[:, T]                                       # complex (m, s)
        sigma = np.linalg.svd(np.vstack([BT.real, BT.imag]), compute_uv=False)[-1]
        assert res.sigma_min[b].item() == pytest.approx(sigma, rel=1e-4)
        assert res.lipschitz_floor[b].item() == pytest.approx(1 / sigma, rel=1e-4)
        z = res.direction[b:b + 1]
        assert z.norm().item() == pytest.approx(1.0, rel=1e-5)
        assert A(z).abs().norm().item() == pytest.approx(sigma, rel=1e-3)
        off = np.setdiff1d(np.arange(64), T)
        assert np.abs(W(z.double()).flatten().numpy()[off]).max() < 1e-6   # z lives on T


def test_the_floor_is_attained_by_least_squares_on_the_support():
    """The proposition, both ways: the map exact on T that is linear has exactly the floor as constant."""
    g = torch.Generator().manual_seed(5)
    M = torch.randn(7, 12, generator=g, dtype=torch.float64)
    A, W = MatrixOperator(M), Identity((12,))
    x = torch.zeros(1, 12, dtype=torch.float64)
    x[0, [1, 4, 9]] = torch.tensor([3.0, -2.0, 1.5], dtype=torch.float64)
    res = kernel.support_floor(A, W, x, 3)
    T = res.support[0]
    pinv = torch.linalg.pinv(M[:, T])

    def least_squares_on_T(y):
        out = torch.zeros(y.shape[0], 12, dtype=y.dtype)
        out[:, T] = y @ pinv.T
        return out

    y = A(x)
    assert torch.allclose(least_squares_on_T(y), x)                          # exact on the class
    sigma = torch.linalg.svdvals(M[:, T])[-1]
    assert res.lipschitz_floor[0].item() == pytest.approx(1 / sigma.item(), rel=1e-10)
    found = attacks.lipschitz_lower_bound(least_squares_on_T, y, 0.1, n_iter=300, seed=0)
    assert found.ratio[0].item() == pytest.approx(res.lipschitz_floor[0].item(), rel=1e-6)
    e = 0.1 * A(res.direction) / A(res.direction).norm()
    ratio = attacks.local_lipschitz(least_squares_on_T, y, e)
    assert ratio[0].item() == pytest.approx(res.lipschitz_floor[0].item(), rel=1e-8)   # the proof's perturbation


def test_a_map_not_exact_on_the_support_can_be_below_the_floor():
    """Exactness is what forces the floor: shrinking the data (a map that is not exact) beats it."""
    g = torch.Generator().manual_seed(6)
    M = torch.randn(5, 8, generator=g, dtype=torch.float64)
    A, W = MatrixOperator(M), Identity((8,))
    x = torch.zeros(1, 8, dtype=torch.float64)
    x[0, [0, 3]] = torch.tensor([1.0, 2.0], dtype=torch.float64)
    res = kernel.support_floor(A, W, x, 2)
    shrink = 0.5 / res.lipschitz_floor[0].item()

    def not_exact(y):
        return shrink * y @ torch.linalg.pinv(M).T

    found = attacks.lipschitz_lower_bound(not_exact, A(x), 0.1, n_iter=300, seed=0)
    assert found.ratio[0].item() < res.lipschitz_floor[0].item()


def test_errors_name_the_parameter():
    A, W = MatrixOperator(torch.eye(3, 4, dtype=torch.float64)), Identity((4,))
    x = torch.ones(1, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="s must be at most the 3 real measurements"):
        kernel.support_floor(A, W, x, 4)
    with pytest.raises(ValueError, match="s must be at most the number of coefficients 4"):
        kernel.best_terms(x, W, 5)
    with pytest.raises(ValueError, match="s"):
        kernel.best_terms(x, W, 0)
    with pytest.raises(TypeError, match="x must be real"):
        kernel.best_terms(torch.ones(1, 4, dtype=torch.complex128), W, 2)
    with pytest.raises(ValueError, match="x must have shape"):
        kernel.support_floor(A, W, torch.ones(1, 5, dtype=torch.float64), 2)
    with pytest.raises(ValueError, match="W must act on the images of A"):
        kernel.support_floor(A, Identity((5,)), x, 2)
    with pytest.raises(TypeError, match="W must be a tk_lessons.operators.LinearOperator"):
        kernel.best_terms(x, "haar", 2)
