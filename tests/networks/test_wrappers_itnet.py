"""PostProcessing and ItNet: shapes for every operator family, and ItNet(0) = Landweber by hand."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tk_lessons import sampling
from tk_lessons.networks import ItNet, PostProcessing, UNet
from tk_lessons.operators import Radon, SubsampledFourier


class Zero(nn.Module):
    """A sub-network that always returns 0: the ItNet then only takes data-consistency steps."""

    def forward(self, x):
        return torch.zeros_like(x)


@pytest.fixture(scope="module")
def fourier():
    return SubsampledFourier(sampling.radial(16, 4))


@pytest.fixture(scope="module")
def radon():
    return Radon(16, 8)


@pytest.mark.parametrize("mode, channels", [("auto", 2), ("channels", 2), ("real", 1), ("magnitude", 1)])
def test_postprocessing_fourier_inputs(fourier, mode, channels):
    model = PostProcessing(fourier, UNet(2, channels, 1, base=4, depth=2, seed=0), input=mode)
    y = fourier(torch.rand(3, 1, 16, 16))
    assert y.is_complex()
    out = model(y)
    assert out.shape == (3, 1, 16, 16) and out.dtype == torch.float32


def test_postprocessing_feeds_the_right_first_guess(fourier, radon):
    x = torch.rand(2, 1, 16, 16)
    seen = {}

    class Spy(nn.Module):
        in_channels = 2

        def forward(self, t):
            seen["t"] = t
            return t[:, :1]

    PostProcessing(fourier, Spy())(fourier(x))
    zero_filled = fourier.H(fourier(x))
    assert torch.equal(seen["t"], torch.cat((zero_filled.real, zero_filled.imag), dim=1))
    Spy.in_channels = 1
    PostProcessing(radon, Spy(), init="fbp")(radon(x))
    assert torch.allclose(seen["t"], radon.fbp(radon(x)))


def test_postprocessing_1d():
    A = SubsampledFourier(torch.arange(64).sub(32).abs().lt(8))
    model = PostProcessing(A, UNet(1, 2, 1, base=4, depth=3, seed=0))
    assert model(A(torch.rand(5, 1, 64))).shape == (5, 1, 64)


@pytest.mark.parametrize("final_dc", [True, False])
def test_itnet_with_zero_subnet_is_landweber(fourier, final_dc):
    n_iter = 4
    model = ItNet(fourier, Zero, n_iter=n_iter, lam_init=0.7, final_dc=final_dc)
    with torch.no_grad():
        model.lam.copy_(torch.tensor([0.7, 0.5, 1.2, 0.3]))
    x_true = torch.rand(2, 1, 16, 16, dtype=torch.float64)
    y = fourier(x_true)
    # by hand: x0 = Re A^H y, x <- x - lam_k Re A^H (A x - y) with the dense matrix
    M = fourier.to_dense(torch.complex128)
    flat_y = y.reshape(2, -1).T
    x = (M.conj().T @ flat_y).real
    steps = n_iter if final_dc else n_iter - 1
    for k in range(steps):
        x = x - float(model.lam[k].detach()) * (M.conj().T @ (M @ x.to(torch.complex128) - flat_y)).real
    expected = x.T.reshape(2, 1, 16, 16)
    assert torch.allclose(model.double()(y), expected, atol=1e-10)


def test_itnet_with_zero_subnet_on_radon_is_landweber(radon):
    model = ItNet(radon, Zero(), n_iter=3, lam_init=0.5, shared=True).double()
    y = radon(torch.rand(1, 1, 16, 16, dtype=torch.float64))
    x = radon.H(y)
    for _ in range(3):
        x = x - 0.5 * radon.H(radon(x) - y)
    assert torch.allclose(model(y), x, atol=1e-12)


def test_itnet_shapes_sharing_and_learnable_steps(fourier, radon):
    model = ItNet(fourier, lambda: UNet(2, base=4, depth=2, seed=0), n_iter=3)
    assert len(model.nets) == 3 and model.lam.requires_grad
    out = model(fourier(torch.rand(2, 1, 16, 16)))
    assert out.shape == (2, 1, 16, 16) and out.dtype == torch.float32
    out.sum().backward()
    assert model.lam.grad is not None and model.lam.grad.shape == (3,)
    shared = ItNet(radon, lambda: UNet(2, base=4, depth=2, seed=0), n_iter=5, shared=True, init="fbp")
    assert len(shared.nets) == 1
    assert shared(radon(torch.rand(1, 1, 16, 16))).shape == (1, 1, 16, 16)
    signals = SubsampledFourier(torch.arange(32).sub(16).abs().lt(6))
    model_1d = ItNet(signals, [UNet(1, base=4, depth=2, seed=k) for k in range(2)], n_iter=2)
    assert model_1d(signals(torch.rand(3, 1, 32))).shape == (3, 1, 32)


@pytest.mark.parametrize("call, error, match", [
    (lambda A: PostProcessing("A", UNet()), TypeError, "LinearOperator"),
    (lambda A: PostProcessing(A, "net"), TypeError, "net must be"),
    (lambda A: PostProcessing(A, UNet(2, 2, 1), init="fbp"), TypeError, "fbp method"),
    (lambda A: PostProcessing(A, UNet(2, 1, 1)), ValueError, "in_channels=1"),
    (lambda A: PostProcessing(A, UNet(2, 2, 1), input="phase"), ValueError, "input must be one of"),
    (lambda A: PostProcessing(A, UNet(2, 2, 1, depth=2))(torch.zeros(1, 7, dtype=torch.complex64)),
     ValueError, "images \\(16, 16\\)"),
    (lambda A: ItNet(A, UNet(2, depth=2), n_iter=3), ValueError, "shared=True"),
    (lambda A: ItNet(A, [UNet(2, depth=2)], n_iter=3), ValueError, "3 torch.nn.Module"),
    (lambda A: ItNet(A, lambda: UNet(2, depth=2, residual=True), n_iter=2), ValueError, "residual"),
    (lambda A: ItNet(A, lambda: UNet(), n_iter=0), ValueError, "n_iter"),
    (lambda A: ItNet(A, lambda: UNet(), lam_init=-1), ValueError, "lam_init"),
    (lambda A: ItNet(A, 3), TypeError, "factory"),
])
def test_bad_arguments(fourier, call, error, match):
    with pytest.raises(error, match=match):
        call(fourier)
