"""tk_lessons.attacks.two_images: the two-image bound and Tikhonov on the line, against dense references."""

from __future__ import annotations

import pytest
import torch

from tk_lessons.attacks import LineTikhonov, TwoImages, lipschitz_lower_bound, two_images
from tk_lessons.operators import MatrixOperator, SubsampledFourier

DT = torch.float64


def _setting(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    M = torch.randn(5, 8, generator=g, dtype=DT)
    A = MatrixOperator(M)
    x = torch.randn(1, 8, generator=g, dtype=DT)
    z = torch.randn(1, 8, generator=g, dtype=DT)
    return A, M, x, z


def test_quantities_match_a_direct_computation():
    A, M, x, z = _setting()
    R = torch.randn(8, 5, generator=torch.Generator().manual_seed(3), dtype=DT)
    out = two_images(lambda v: v @ R.T, A, x, x + z)
    y, y2 = x @ M.T, (x + z) @ M.T
    rec, rec2 = y @ R.T, y2 @ R.T
    d, d2 = (rec - x).norm(), (rec2 - x - z).norm()
    assert torch.allclose(out.delta, d[None]) and torch.allclose(out.delta_prime, d2[None])
    assert torch.allclose(out.ratio, ((rec2 - rec).norm() / (y2 - y).norm())[None])
    assert torch.allclose(out.lower_bound, ((z.norm() - d - d2) / (y2 - y).norm())[None])
    # the theorem: the ratio on the pair is at least the lower bound, for any map
    assert bool((out.ratio >= out.lower_bound - 1e-12).all())
    assert torch.allclose(out.half_gap(2.0), 0.5 * (z.norm() - 2.0 * (y2 - y).norm())[None])
    assert "TwoImages(" in repr(out)


def test_noisy_data_are_used_when_given():
    A, M, x, z = _setting(1)
    y = x @ M.T + 0.1
    out = two_images(lambda v: v @ torch.linalg.pinv(M).T, A, x, x + z, y=y)
    assert torch.allclose(out.y, y)


@pytest.mark.parametrize("lam", [0.0, 0.3, 5.0])
def test_line_tikhonov_is_the_regularised_least_squares_fit_and_its_lipschitz_constant(lam):
    A, M, x, z = _setting(2)
    psi = LineTikhonov(A, x, z, lam=lam)
    y = torch.randn(3, 5, generator=torch.Generator().manual_seed(4), dtype=DT)
    # dense reference: t = argmin ||A(x + t z) - y||^2 + lam t^2 by the normal equation
    Az = (z @ M.T)[0]
    t_ref = ((y - x @ M.T) @ Az) / (Az @ Az + lam)
    assert torch.allclose(psi(y), x + t_ref[:, None] * z)
    # the Lipschitz constant is the norm of the rank-one linear part z Az^T / (|Az|^2 + lam)
    J = z.T @ Az[None] / (Az @ Az + lam)
    assert psi.lipschitz == pytest.approx(float(torch.linalg.matrix_norm(J, ord=2)), rel=1e-10)
    # and an attack cannot exceed it, but reaches it (an affine map: a power iteration)
    found = lipschitz_lower_bound(psi, y[:1], 0.5, n_iter=30, seed=0).ratio
    assert float(found[0]) == pytest.approx(psi.lipschitz, rel=1e-6)


def test_line_tikhonov_with_complex_data():
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[:3] = True
    A = SubsampledFourier(mask)
    g = torch.Generator().manual_seed(0)
    x, z = torch.rand(1, 1, 8, 8, generator=g), torch.rand(1, 1, 8, 8, generator=g)
    psi = LineTikhonov(A, x, z, lam=0.0)
    assert torch.allclose(psi(A(x + 0.7 * z)), x + 0.7 * z, atol=1e-5)
    assert psi.lipschitz == pytest.approx(float(z.norm() / A(z).abs().norm()), rel=1e-5)


def test_midpoint_family_attains_the_dichotomy():
    A, M, x, z = _setting(5)
    for lam in (0.0, 0.1, 10.0):
        psi = LineTikhonov(A, x + z / 2, z, lam=lam)
        out = two_images(psi, A, x, x + z)
        gap = out.half_gap(psi.lipschitz)
        assert torch.allclose(out.delta, gap) and torch.allclose(out.delta_prime, gap)
        # a deliberately wrong claim, without the factor 1/2, is refuted by this family
        if lam > 0:
            assert not bool((torch.maximum(out.delta, out.delta_prime) >= 2 * gap - 1e-9).all())


def test_errors_name_the_parameter():
    A, M, x, z = _setting()
    with pytest.raises(ValueError, match="x_prime"):
        two_images(lambda v: v, A, x, torch.zeros(1, 7, dtype=DT))
    with pytest.raises(ValueError, match="lam"):
        LineTikhonov(A, x, z, lam=-1.0)
    with pytest.raises(ValueError, match="z must be visible"):
        LineTikhonov(MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=DT)), torch.zeros(1, 2, dtype=DT),
                     torch.tensor([[0.0, 1.0]], dtype=DT), lam=0.0)
    with pytest.raises(ValueError, match="z must have shape"):
        LineTikhonov(A, x, z[0], lam=0.0)
    assert isinstance(two_images(lambda v: v @ M, A, x, x + z), TwoImages)
