"""Post-processing networks: ``Psi(y) = net(A^H y)`` (or ``net(FBP y)`` for CT).

The simplest learned reconstruction: a classical, fixed first guess, then a
network that removes its artefacts (the FBPConvNet of Jin et al. 2017, and the
one-step U-Nets of the troublesome-kernel experiments).

Complex first guesses (the zero-filled ``A^H y`` of Fourier sampling) reach the
network as two real channels, real and imaginary parts (``input="channels"``,
the default for complex adjoints, as in the paper's code): dropping the imaginary
part (``"real"``) or the phase (``"magnitude"``) throws information away before the
network sees it. The network returns real images ``(B, 1, H, W)``: the course's
images are real.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from ..operators import LinearOperator
from .unet import to_channels

__all__ = ["PostProcessing", "first_guess"]

INITS = ("adjoint", "fbp")
INPUTS = ("auto", "channels", "real", "magnitude")


def check_measurements(A: LinearOperator, y: object) -> torch.Tensor:
    """Raise a clear error unless ``y`` is a batch ``(B, *A.range_shape)`` of measurements."""
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"y must be a torch.Tensor of measurements, got {type(y).__name__}")
    if y.ndim != len(A.range_shape) + 1 or tuple(y.shape[1:]) != A.range_shape:
        raise ValueError(f"y must have shape (B, {', '.join(map(str, A.range_shape))}) for this model's "
                         f"{type(A).__name__} (images {A.domain_shape[1:]}), got {tuple(y.shape)}")
    return y


def first_guess(A: LinearOperator, y: torch.Tensor, init: str = "adjoint") -> torch.Tensor:
    """The classical first reconstruction a network refines: ``A^H y`` or ``A.fbp(y)``.

    Parameters
    ----------
    A : LinearOperator
        Forward operator.
    y : torch.Tensor, shape ``(B, *A.range_shape)``
        Measurements.
    init : {"adjoint", "fbp"}
        ``"adjoint"``: ``A^H y`` (the zero-filled reconstruction for Fourier sampling;
        complex then). ``"fbp"``: filtered backprojection, for operators with ``fbp``
        (:class:`~tk_lessons.operators.Radon`).

    Returns
    -------
    torch.Tensor, shape ``(B, *A.domain_shape)``

    Examples
    --------
    >>> import torch
    >>> from tk_lessons.operators import Identity
    >>> A = Identity((1, 4, 4))
    >>> first_guess(A, torch.ones(1, 1, 4, 4)).shape
    torch.Size([1, 1, 4, 4])
    """
    _validate.choice("init", init, INITS)
    check_measurements(A, y)
    if init == "fbp":
        return A.fbp(y)
    return A.adjoint(y)


def network_input(guess: torch.Tensor, mode: str) -> torch.Tensor:
    """Turn a first guess into real network channels: ``"channels"`` (re, im), ``"real"`` or ``"magnitude"``."""
    if mode == "channels":
        return to_channels(guess)
    if mode == "magnitude":
        return guess.abs()
    return guess.real if guess.is_complex() else guess


class PostProcessing(nn.Module):
    """``Psi(y) = net(g(y))``: a network applied to a classical first guess ``g(y)``.

    Parameters
    ----------
    A : LinearOperator
        The forward operator; moved with the module (``.to(device)``).
    net : torch.nn.Module
        Maps real ``(B, C, *image)`` to real ``(B, 1, *image)``, e.g. a
        :class:`~tk_lessons.networks.UNet` with ``out_channels=1`` and ``in_channels``
        2 for ``input="channels"``, else 1.
    init : {"adjoint", "fbp"}
        First guess ``A^H y`` or filtered backprojection ``A.fbp(y)`` (Radon).
    input : {"auto", "channels", "real", "magnitude"}
        How a complex first guess reaches the network: as two channels (real and
        imaginary parts), its real part, or its magnitude. ``"auto"`` picks
        ``"channels"`` when ``A^H`` returns complex images and ``"real"`` otherwise.

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import sampling
    >>> from tk_lessons.networks import UNet
    >>> from tk_lessons.operators import SubsampledFourier
    >>> A = SubsampledFourier(sampling.radial(32, 8))
    >>> model = PostProcessing(A, UNet(2, in_channels=2, out_channels=1, base=8, depth=2, seed=0))
    >>> model(A(torch.rand(2, 1, 32, 32))).shape
    torch.Size([2, 1, 32, 32])
    """

    def __init__(self, A: LinearOperator, net: nn.Module, init: str = "adjoint", input: str = "auto") -> None:
        super().__init__()
        self.A = _validate.operator("A", A)
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
        self.init = _validate.choice("init", init, INITS)
        if init == "fbp" and not callable(getattr(A, "fbp", None)):
            raise TypeError(f"init='fbp' needs an operator with an fbp method (Radon), got {type(A).__name__}")
        _validate.choice("input", input, INPUTS)
        complex_guess = A.domain_complex and init == "adjoint"
        self.input = ("channels" if complex_guess else "real") if input == "auto" else input
        expected = 2 if self.input == "channels" else 1
        channels = getattr(net, "in_channels", expected)
        if channels != expected:
            raise ValueError(f"net has in_channels={channels}, but input={self.input!r} feeds it {expected} "
                             f"channel(s)")
        self.net = net

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Reconstruct real images ``(B, *A.domain_shape)`` from measurements ``y``."""
        return self.net(network_input(first_guess(self.A, y, self.init), self.input))

    def extra_repr(self) -> str:
        return f"init={self.init!r}, input={self.input!r}"
