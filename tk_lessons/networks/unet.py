"""A small U-Net for images ``(B, C, H, W)`` and signals ``(B, C, N)``, and complex <-> channel helpers.

The U-Net (Ronneberger, Fischer & Brox, 2015) is the workhorse of learned
reconstruction: the FBPConvNet, the post-processing nets and the sub-networks of the
unrolled "ItNet" of the troublesome-kernel experiments are all U-Nets. Ours is the
same design at laptop scale: ``depth`` times (two 3x3 convolutions, then 2x2
max-pooling, doubling the channels), a bottleneck, and the way back up with
transposed convolutions and skip connections.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from .. import device as _device

__all__ = ["UNet", "to_channels", "from_channels", "ComplexAsChannels"]


def to_channels(x: torch.Tensor) -> torch.Tensor:
    """Complex ``(B, 1, ...)`` -> real ``(B, 2, ...)`` holding the real and imaginary parts.

    Convolutional networks work on real numbers; a complex image is fed to them as
    two channels. Real input gets a zero imaginary channel.

    Parameters
    ----------
    x : torch.Tensor, shape (B, 1, H, W) or (B, 1, N)
        Complex (or real) images or signals with one channel.

    Returns
    -------
    torch.Tensor, shape (B, 2, H, W) or (B, 2, N), real

    Examples
    --------
    >>> import torch
    >>> to_channels(torch.tensor([[[1 + 2j, 3 - 1j]]])).tolist()
    [[[1.0, 3.0], [2.0, -1.0]]]
    """
    _validate.tensor("x", x)
    if x.ndim not in (3, 4) or x.shape[1] != 1:
        raise ValueError(f"x must have shape (B, 1, N) or (B, 1, H, W), got {tuple(x.shape)}")
    if not x.is_complex():
        return torch.cat((x, torch.zeros_like(x)), dim=1)
    return torch.cat((x.real, x.imag), dim=1)


def from_channels(x: torch.Tensor) -> torch.Tensor:
    """Real ``(B, 2, ...)`` (real and imaginary parts) -> complex ``(B, 1, ...)``; inverse of :func:`to_channels`.

    Examples
    --------
    >>> import torch
    >>> z = torch.randn(2, 1, 4, 4, dtype=torch.complex64)
    >>> torch.equal(from_channels(to_channels(z)), z)
    True
    """
    _validate.tensor("x", x)
    if x.ndim not in (3, 4) or x.shape[1] != 2 or x.is_complex():
        raise ValueError(f"x must be real with shape (B, 2, N) or (B, 2, H, W), got {tuple(x.shape)} ({x.dtype})")
    return torch.complex(x[:, :1], x[:, 1:])


class ComplexAsChannels(nn.Module):
    """Run a real 2-channel network on complex one-channel data: ``from_channels(net(to_channels(x)))``.

    Parameters
    ----------
    net : torch.nn.Module
        A network mapping ``(B, 2, ...)`` to ``(B, 2, ...)``.

    Examples
    --------
    >>> import torch
    >>> wrapped = ComplexAsChannels(torch.nn.Identity())
    >>> z = torch.randn(1, 1, 8, 8, dtype=torch.complex64)
    >>> torch.equal(wrapped(z), z)
    True
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return from_channels(self.net(to_channels(x)))


def _block(conv: type, channels_in: int, channels_out: int) -> nn.Sequential:
    """Two 3-wide convolutions with ReLU: the unit every level of the U-Net is built from."""
    return nn.Sequential(
        conv(channels_in, channels_out, 3, padding=1), nn.ReLU(inplace=True),
        conv(channels_out, channels_out, 3, padding=1), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """A small U-Net in 1-D or 2-D.

    Parameters
    ----------
    dim : {1, 2}
        2 for images ``(B, C, H, W)``, 1 for signals ``(B, C, N)``.
    in_channels, out_channels : int
        Channels of the input and the output (2 for complex data fed through
        :func:`to_channels`).
    base : int
        Channels of the first level; level ``k`` has ``base * 2**k``.
    depth : int
        Number of poolings. ``H`` and ``W`` (or ``N``) must be divisible by ``2**depth``.
    residual : bool
        Return ``x + net(x)`` (needs ``in_channels == out_channels``): the network only
        learns a correction, as in the FBPConvNet and the ItNet steps.
    seed : int or torch.Generator, optional
        Draw the initial weights from :func:`tk_lessons.device.generator` (Kaiming
        uniform, the PyTorch default distribution), so the same seed gives the same
        network on every machine. ``None`` uses torch's global generator.

    Notes
    -----
    No normalisation layers: the network is the same function in training and in
    evaluation mode, which keeps attacks and tests simple at this scale.

    Examples
    --------
    >>> import torch
    >>> net = UNet(dim=2, in_channels=2, out_channels=1, base=8, depth=2, seed=0)
    >>> net(torch.zeros(3, 2, 16, 16)).shape
    torch.Size([3, 1, 16, 16])
    >>> UNet(dim=1, base=8, depth=3, residual=True, seed=0)(torch.zeros(1, 1, 64)).shape
    torch.Size([1, 1, 64])
    """

    def __init__(self, dim: int = 2, in_channels: int = 1, out_channels: int = 1, base: int = 16,
                 depth: int = 3, residual: bool = False, *, seed: _device.Seed = None) -> None:
        super().__init__()
        if dim not in (1, 2) or isinstance(dim, bool):
            raise ValueError(f"dim must be 1 (signals) or 2 (images), got {dim!r}")
        in_channels = _validate.positive_int("in_channels", in_channels)
        out_channels = _validate.positive_int("out_channels", out_channels)
        base = _validate.positive_int("base", base)
        depth = _validate.positive_int("depth", depth, minimum=0)
        residual = _validate.flag("residual", residual)
        if residual and in_channels != out_channels:
            raise ValueError(f"residual=True needs in_channels == out_channels, got {in_channels} and {out_channels}")
        self.dim, self.in_channels, self.out_channels = dim, in_channels, out_channels
        self.base, self.depth, self.residual = base, depth, residual

        conv = nn.Conv2d if dim == 2 else nn.Conv1d
        up = nn.ConvTranspose2d if dim == 2 else nn.ConvTranspose1d
        self.pool = (nn.MaxPool2d if dim == 2 else nn.MaxPool1d)(2)
        widths = [base * 2 ** k for k in range(depth + 1)]
        self.down = nn.ModuleList()
        channels = in_channels
        for width in widths[:-1]:
            self.down.append(_block(conv, channels, width))
            channels = width
        self.bottom = _block(conv, channels, widths[-1])
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.up.append(up(2 * width, width, 2, stride=2))     # doubles the size, halves the channels
            self.merge.append(_block(conv, 2 * width, width))     # after concatenating the skip connection
        self.head = conv(widths[0], out_channels, 1)
        if seed is not None:
            self.reset_parameters(seed)

    def reset_parameters(self, seed: _device.Seed = None) -> None:
        """Redraw all weights (Kaiming uniform, as PyTorch does by default) from ``seed``."""
        gen = _device.generator(seed)
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)):
                # PyTorch's own default: kaiming_uniform(a=sqrt(5)), bias U[-1/sqrt(fan_in), 1/sqrt(fan_in)]
                nn.init.kaiming_uniform_(module.weight, a=5 ** 0.5, generator=gen)
                fan_in = module.weight[0].numel() if isinstance(module, (nn.Conv1d, nn.Conv2d)) \
                    else module.weight[:, 0].numel()
                bound = 1 / fan_in ** 0.5
                nn.init.uniform_(module.bias, -bound, bound, generator=gen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        skips = []
        h = x
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = self.pool(h)
        h = self.bottom(h)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            h = merge(torch.cat((up(h), skip), dim=1))
        out = self.head(h)
        return x + out if self.residual else out

    def _check(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.is_complex():
            raise TypeError("x must be real; feed complex data as two channels (tk.networks.to_channels)")
        if x.ndim != self.dim + 2 or x.shape[1] != self.in_channels:
            layout = "(B, C, H, W)" if self.dim == 2 else "(B, C, N)"
            raise ValueError(f"x must have shape {layout} with C = in_channels = {self.in_channels}, "
                             f"got {tuple(x.shape)}")
        factor = 2 ** self.depth
        if any(s % factor for s in x.shape[2:]):
            raise ValueError(f"a UNet of depth {self.depth} needs sizes divisible by {factor}, "
                             f"got {tuple(x.shape[2:])}")

    def extra_repr(self) -> str:
        return (f"dim={self.dim}, in_channels={self.in_channels}, out_channels={self.out_channels}, "
                f"base={self.base}, depth={self.depth}, residual={self.residual}")
