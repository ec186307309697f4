r"""The unrolled "ItNet" of the troublesome-kernel Figure 3 (Genzel, Macdonald & März's ``IterativeNet``).

Start from a classical first guess, then alternate ``n_iter`` times (Chapter 3)

* a residual network step :math:`x \leftarrow x + \phi_k(x)` (a U-Net: the learned prior), and
* a data-consistency gradient step :math:`x \leftarrow x - \lambda_k A^*(A x - y)` on
  :math:`\frac12 \|A x - y\|^2`, with a learnable step :math:`\lambda_k`.

With every :math:`\phi_k = 0` this is Landweber's iteration (gradient descent on the
data misfit); the networks pull each iterate towards images that look like the
training data, the gradient steps pull it back towards the measurements.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from .. import _validate
from ..operators import LinearOperator
from .wrappers import INITS, first_guess

__all__ = ["ItNet"]


class ItNet(nn.Module):
    """Unrolled network: ``n_iter`` x (residual U-Net step, learnable gradient step).

    Parameters
    ----------
    A : LinearOperator
        The forward operator (moved with the module).
    nets : callable or sequence of torch.nn.Module
        A factory ``nets()`` returning a fresh sub-network, called once per iteration
        (once in all with ``shared=True``), or the sub-networks themselves: a sequence
        of ``n_iter`` modules (one module with ``shared=True``). A sub-network maps
        real ``(B, 1, *image)`` to ``(B, 1, *image)``; the ItNet adds the skip itself,
        so it must not be residual (``UNet(residual=False)``).
    n_iter : int >= 1
        Number of unrolled iterations (8 in the paper).
    lam_init : float >= 0
        Initial value of every step ``lam_k`` (0.1 in the paper); the steps are learned.
    final_dc : bool
        End with a data-consistency step (True in the paper's Figure 3 ItNets). With
        False the last iteration stops after its network step.
    shared : bool
        Use one sub-network (the same weights) at every iteration.
    init : {"adjoint", "fbp"}
        First guess: the real part of ``A^H y`` (zero filling, for Fourier sampling) or
        ``A.fbp(y)`` (Radon).

    Notes
    -----
    The iterates are kept *real*: the course's images are real, so the data step is the
    gradient over real images, ``Re A^H (A x - y)``, and each sub-network sees one
    channel. (The paper's code keeps complex iterates as two channels.)

    Examples
    --------
    >>> import torch
    >>> from tk_lessons import sampling
    >>> from tk_lessons.networks import UNet
    >>> from tk_lessons.operators import SubsampledFourier
    >>> A = SubsampledFourier(sampling.radial(32, 8))
    >>> model = ItNet(A, lambda: UNet(2, base=8, depth=2, seed=0), n_iter=3)
    >>> model(A(torch.rand(2, 1, 32, 32))).shape, model.lam.shape
    (torch.Size([2, 1, 32, 32]), torch.Size([3]))
    """

    def __init__(self, A: LinearOperator, nets: Callable[[], nn.Module] | Sequence[nn.Module] | nn.Module,
                 n_iter: int = 8, lam_init: float = 0.1, final_dc: bool = True, shared: bool = False,
                 init: str = "adjoint") -> None:
        super().__init__()
        self.A = _validate.operator("A", A)
        self.n_iter = _validate.positive_int("n_iter", n_iter)
        lam_init = _validate.positive("lam_init", lam_init, allow_zero=True)
        self.final_dc = _validate.flag("final_dc", final_dc)
        self.shared = _validate.flag("shared", shared)
        self.init = _validate.choice("init", init, INITS)
        if init == "fbp" and not callable(getattr(A, "fbp", None)):
            raise TypeError(f"init='fbp' needs an operator with an fbp method (Radon), got {type(A).__name__}")
        self.nets = nn.ModuleList(self._subnets(nets))
        for k, net in enumerate(self.nets):
            if getattr(net, "residual", False):
                raise ValueError(f"nets[{k}] is residual, but ItNet adds the skip x + net(x) itself; "
                                 "use UNet(..., residual=False)")
        # one learnable step per iteration
        self.lam = nn.Parameter(torch.full((self.n_iter,), lam_init))

    def _subnets(self, nets: object) -> list[nn.Module]:
        count = 1 if self.shared else self.n_iter
        if isinstance(nets, nn.Module) and not isinstance(nets, nn.ModuleList):
            if count != 1:
                raise ValueError(f"a single module as nets needs shared=True (or n_iter=1); "
                                 f"pass a factory or {self.n_iter} modules")
            return [nets]
        if isinstance(nets, (list, tuple, nn.ModuleList)):
            if len(nets) != count or not all(isinstance(n, nn.Module) for n in nets):
                raise ValueError(f"nets must hold {count} torch.nn.Module(s) (n_iter={self.n_iter}, "
                                 f"shared={self.shared}), got {len(nets)} item(s)")
            return list(nets)
        if callable(nets):
            made = [nets() for _ in range(count)]
            if not all(isinstance(n, nn.Module) for n in made):
                raise TypeError("the factory nets() must return torch.nn.Module instances")
            return made
        raise TypeError(f"nets must be a factory (callable) or a sequence of torch.nn.Module, "
                        f"got {type(nets).__name__}")

    def net(self, k: int) -> nn.Module:
        """The sub-network used at iteration ``k``."""
        return self.nets[0 if self.shared else k]

    def data_step(self, x: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
        """One gradient step on ``1/2 ||A x - y||^2`` over real images: ``x - lam_k Re A^H (A x - y)``."""
        gradient = self.A.adjoint(self.A(x) - y)
        if gradient.is_complex():
            gradient = gradient.real
        return x - self.lam[k] * gradient

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Reconstruct real images ``(B, *A.domain_shape)`` from measurements ``y``."""
        x = first_guess(self.A, y, self.init)
        x = x.real if x.is_complex() else x
        for k in range(self.n_iter):
            x = x + self.net(k)(x)
            if self.final_dc or k < self.n_iter - 1:
                x = self.data_step(x, y, k)
        return x

    def extra_repr(self) -> str:
        return (f"n_iter={self.n_iter}, final_dc={self.final_dc}, shared={self.shared}, "
                f"init={self.init!r}")
