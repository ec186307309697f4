"""UNet and the complex <-> channel helpers: shapes, dtypes, seeding, clear errors."""

from __future__ import annotations

import pytest
import torch

from tk_lessons.networks import ComplexAsChannels, UNet, from_channels, to_channels


@pytest.mark.parametrize("dim, shape", [(2, (3, 2, 16, 24)), (1, (3, 2, 64))])
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_shapes_and_dtypes(dim, shape, depth):
    net = UNet(dim, in_channels=2, out_channels=1, base=4, depth=depth, seed=0)
    x = torch.randn(shape)
    out = net(x)
    assert out.shape == (shape[0], 1, *shape[2:]) and out.dtype == torch.float32
    assert net.double()(x.double()).dtype == torch.float64


def test_residual_adds_the_input():
    net = UNet(2, base=4, depth=2, residual=True, seed=0)
    torch.nn.init.zeros_(net.head.weight)
    torch.nn.init.zeros_(net.head.bias)
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(net(x), x)


def test_same_seed_same_weights_other_seed_different():
    a, b, c = (UNet(2, base=4, depth=2, seed=s) for s in (5, 5, 6))
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q), name
    assert any(not torch.equal(p, r) for p, r in zip(a.parameters(), c.parameters()))


def test_seeded_init_has_pytorchs_default_scale():
    seeded, default = UNet(2, base=8, depth=2, seed=0), UNet(2, base=8, depth=2)
    for (name, p), q in zip(seeded.named_parameters(), default.parameters()):
        if p.numel() >= 500:                     # enough entries for a stable spread
            assert 0.8 < float(p.detach().std() / q.detach().std()) < 1.25, name


def test_complex_channels_round_trip():
    z = torch.randn(2, 1, 4, 6, dtype=torch.complex64)
    c = to_channels(z)
    assert c.shape == (2, 2, 4, 6) and c.dtype == torch.float32
    assert torch.equal(from_channels(c), z)
    assert torch.equal(to_channels(z.real)[:, 1], torch.zeros(2, 4, 6))
    wrapped = ComplexAsChannels(UNet(1, 2, 2, base=4, depth=1, seed=0))
    s = torch.randn(3, 1, 8, dtype=torch.complex64)
    assert wrapped(s).shape == s.shape and wrapped(s).is_complex()


@pytest.mark.parametrize("call, error, match", [
    (lambda: UNet(3), ValueError, "dim must be 1"),
    (lambda: UNet(2, in_channels=0), ValueError, "in_channels"),
    (lambda: UNet(2, base=2.5), TypeError, "base"),
    (lambda: UNet(2, 2, 1, residual=True), ValueError, "in_channels == out_channels"),
    (lambda: UNet(2, depth=3)(torch.zeros(1, 1, 20, 20)), ValueError, "divisible by 8, got \\(20, 20\\)"),
    (lambda: UNet(2)(torch.zeros(1, 2, 16, 16)), ValueError, "in_channels = 1"),
    (lambda: UNet(1)(torch.zeros(1, 1, 16, 16)), ValueError, "\\(B, C, N\\)"),
    (lambda: UNet(2)(torch.zeros(1, 1, 16, 16, dtype=torch.complex64)), TypeError, "to_channels"),
    (lambda: to_channels(torch.zeros(1, 2, 4, 4)), ValueError, "shape"),
    (lambda: from_channels(torch.zeros(1, 1, 4, 4)), ValueError, "shape"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
