"""tk.kernel.transfer: the transferred fraction, the transfer map and the quantities of Chapter 6.

References are computed independently: inner products by explicit loops over NumPy arrays,
norms by numpy.linalg, and the inequalities of Chapter 6 for maps whose values are known in
closed form (a constant map, zero filling, the exact inverse of an invertible matrix).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tk_lessons import kernel
from tk_lessons.networks import Memoriser
from tk_lessons.operators import MatrixOperator
from tk_lessons.zoo.evaluation import detail_fraction


def _loop_fraction(x_rec, x, z):
    a, b, c = (t.double().numpy().ravel() for t in (x_rec, x, z))
    num = sum((a[i] - b[i]) * c[i] for i in range(len(c)))
    return num / sum(v * v for v in c)


def test_fraction_against_loops_and_the_manifest_function():
    g = torch.Generator().manual_seed(0)
    x_rec, x, z = (torch.randn(3, 1, 4, 5, generator=g) for _ in range(3))
    got = kernel.transferred_fraction(x_rec, x, z)
    for i in range(3):
        ref = _loop_fraction(x_rec[i], x[i], z[i])
        assert got[i].item() == pytest.approx(ref, rel=1e-5)
        assert got[i].item() == pytest.approx(detail_fraction(x_rec[i:i + 1], x[i:i + 1], z[i:i + 1]))


def test_transfer_map_sums_to_the_fraction_and_vanishes_off_the_detail():
    g = torch.Generator().manual_seed(1)
    x_rec, x = torch.randn(2, 1, 6, 6, generator=g), torch.randn(2, 1, 6, 6, generator=g)
    z = torch.zeros(2, 1, 6, 6)
    z[:, :, 2:4, 1:5] = torch.randn(2, 1, 2, 4, generator=g)
    tmap = kernel.transfer_map(x_rec, x, z)
    assert torch.allclose(tmap.flatten(1).sum(1).double(), kernel.transferred_fraction(x_rec, x, z), atol=1e-6)
    assert bool((tmap[z == 0] == 0).all())
    # pixel by pixel: (x_rec - x) z / ||z||^2 for sample 1, pixel (2, 3)
    ref = (x_rec[1, 0, 2, 3] - x[1, 0, 2, 3]) * z[1, 0, 2, 3] / (z[1] ** 2).sum()
    assert tmap[1, 0, 2, 3].item() == pytest.approx(ref.item(), rel=1e-6)


def test_a_fraction_that_ignores_the_sign_or_the_norm_is_not_what_is_computed():
    # a reconstruction that subtracts the detail has fraction -1, one that adds half of it 0.5
    x = torch.zeros(1, 1, 2, 2)
    z = torch.tensor([[[[1.0, 2.0], [0.0, -1.0]]]])
    assert kernel.transferred_fraction(x - z, x, z).item() == pytest.approx(-1.0)
    assert kernel.transferred_fraction(x + 0.5 * z, x, z).item() == pytest.approx(0.5)
    assert kernel.transferred_fraction(x + 2 * z, x, 2 * z).item() == pytest.approx(1.0)


def _problem():
    # A sees the first two coordinates of R^3; e_3 spans the kernel
    A = MatrixOperator(torch.tensor([[1.0, 0, 0], [0, 1.0, 0]], dtype=torch.float64))
    x = torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64)
    return A, x


def test_noiseless_inequalities_on_known_maps():
    A, x = _problem()
    z = torch.tensor([[0.0, 0.0, -3.0]], dtype=torch.float64)
    x_prime = x + z
    # a map exact on x (it fills the kernel with x's third coordinate): the memoriser of {x}
    memo = Memoriser(A, x)
    out = kernel.detail_transfer(memo, A, x, x_prime)
    assert out.delta.item() == 0.0 and out.data_distance.item() == 0.0 and out.change.item() == 0.0
    assert out.delta_prime.item() == pytest.approx(3.0)          # = ||z|| - 0: the bound is attained
    assert out.lower_bound.item() == pytest.approx(3.0)
    assert out.to_x.item() == 0.0 and out.fraction.item() == pytest.approx(1.0)
    # zero filling: delta = 2 (the kernel part of x), error on x' = 1 = the bound 3 - 2
    zf = kernel.detail_transfer(lambda y: torch.cat((y, torch.zeros(y.shape[0], 1, dtype=y.dtype)), 1),
                                A, x, x_prime)
    assert zf.delta.item() == pytest.approx(2.0) and zf.delta_prime.item() == pytest.approx(1.0)
    assert zf.lower_bound.item() == pytest.approx(1.0)
    assert zf.fraction.item() == pytest.approx(1 / 3)    # (0, 0, 1) is a third of x - x' = (0, 0, 3)


def test_noisy_quantities_for_an_invertible_map():
    # A invertible but barely sees coordinate 2; Psi = A^{-1} is exact everywhere, so the
    # "change" c is the whole detail and the lower bound is ||x - x'|| - 0 - ||x - x'|| = 0
    M = torch.tensor([[1.0, 0.0], [0.0, 1e-3]], dtype=torch.float64)
    A = MatrixOperator(M)
    inverse = torch.linalg.inv(M)
    x = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    x_prime = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    out = kernel.detail_transfer(lambda y: y @ inverse.T, A, x, x_prime)
    assert out.data_distance.item() == pytest.approx(1e-3)
    assert out.change.item() == pytest.approx(1.0)
    assert out.change.item() / out.data_distance.item() == pytest.approx(1e3)   # <= L^eta = ||A^-1||
    assert out.delta_prime.item() == pytest.approx(0.0, abs=1e-12)
    assert out.lower_bound.item() == pytest.approx(0.0, abs=1e-12)
    assert out.upper_bound.item() == pytest.approx(1.0) and out.to_x.item() == pytest.approx(1.0)
    # the noiseless bound ||x - x'|| - delta (without c) is false here: 0 < 1 - 0
    assert out.delta_prime.item() < (out.distance - out.delta).item() - 0.5


def test_inequalities_hold_for_random_maps_and_a_wrong_bound_fails():
    A, x = _problem()
    g = torch.Generator().manual_seed(3)
    X = x + torch.randn(20, 3, generator=g, dtype=torch.float64)
    X_prime = X + torch.randn(20, 3, generator=g, dtype=torch.float64)
    table = torch.randn(2, 3, generator=g, dtype=torch.float64)

    def psi(y):          # an arbitrary nonlinear map
        return torch.tanh(y @ table) * 3

    out = kernel.detail_transfer(psi, A, X, X_prime)
    distance = np.linalg.norm((X - X_prime).numpy(), axis=1)
    assert np.allclose(out.distance.numpy(), distance)
    assert bool((out.delta_prime >= out.lower_bound - 1e-12).all())
    assert bool((out.to_x <= out.upper_bound + 1e-12).all())


def test_nan_fraction_for_identical_images_and_errors_name_the_parameter():
    A, x = _problem()
    out = kernel.detail_transfer(Memoriser(A, x), A, torch.cat((x, x)), torch.cat((x, x + 1)))
    assert np.isnan(out.fraction[0].item()) and not np.isnan(out.fraction[1].item())
    with pytest.raises(ValueError, match="z must be a nonzero detail"):
        kernel.transfer_map(x, x, torch.zeros_like(x))
    with pytest.raises(ValueError, match="x_rec must have the shape of z"):
        kernel.transferred_fraction(torch.zeros(1, 2), x, x)
    with pytest.raises(ValueError, match="x_prime must have the shape"):
        kernel.detail_transfer(lambda y: y, A, x, torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="recon\\(A\\(x\\)\\) must be an image batch"):
        kernel.detail_transfer(lambda y: y, A, x, x)
    assert "delta_prime=" in repr(out) and "lower_bound=" in repr(out)
