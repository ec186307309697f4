"""Linear forward operators ``A`` with exact adjoints ``A.H`` (see :class:`LinearOperator`)."""

from .base import (AdjointOperator, ComposedOperator, Identity, LinearOperator, ScaledOperator,
                   SumOperator, dot_test)
from .matrix import MatrixOperator
from .fourier import SubsampledFourier
from .hadamard import SubsampledHadamard, fwht
from .gaussian import GaussianMatrix
from .blur import Blur
from .inpainting import Inpainting
from .gradient import Gradient
from .radon import Radon
from .wavelet import Wavelet

__all__ = [
    "LinearOperator", "AdjointOperator", "ComposedOperator", "ScaledOperator", "SumOperator", "Identity",
    "MatrixOperator", "dot_test",
    "SubsampledFourier", "SubsampledHadamard", "fwht", "GaussianMatrix", "Blur", "Inpainting", "Gradient",
    "Radon", "Wavelet",
]
