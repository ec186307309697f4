r"""Checks for hallucinations (Chapter 6): a memoriser that transfers a kernel detail, both sides of
the no-free-lunch inequality for a reconstruction map, and a per-pixel transfer map.

Each check computes its reference itself, with :mod:`tk_lessons.kernel.transfer` (the
reconstructions of both images, the transferred fraction :math:`\langle x_{rec} - x, z\rangle /
\|z\|^2`, the transfer map), so the visible check cell holds no expression that a student could
paste as the answer. A failure says what is wrong without printing the reference.
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import _validate
from ..kernel import transfer
from ..operators import LinearOperator
from ._core import CheckError, agree, as_number, as_tensor, ok

__all__ = ["memoriser_transfer", "transfer_map_function", "transfer_sides"]


def _image_like(name: str, value: object, like: torch.Tensor) -> torch.Tensor:
    t = as_tensor(name, value)
    if t.shape != like.shape:
        raise CheckError(f"{name}: expected an image batch of shape {tuple(like.shape)}, got {tuple(t.shape)}")
    if t.is_complex():
        raise CheckError(f"{name}: expected a real image; take the real part of a real-kernel component")
    return t.to(like.dtype)


def memoriser_transfer(recon: Callable, A: LinearOperator, x: torch.Tensor, x_prime: torch.Tensor,
                       fraction: object, *, rtol: float = 1e-4) -> None:
    r"""Check a memoriser that hallucinates the detail of ``x_prime`` into the reconstruction of ``x``.

    ``x`` and ``x_prime`` have the same data. The reconstruction map ``recon`` must return
    ``x_prime`` (up to float32 rounding) from the data of ``x``: it has memorised ``x_prime``
    but not ``x``. ``fraction`` must be the share :math:`\langle \Psi(Ax) - x, z\rangle/\|z\|^2`
    of the detail :math:`z = x' - x` in that reconstruction (Chapter 6).

    Parameters
    ----------
    recon : callable
        The student's memoriser, measurements in, images out.
    A : LinearOperator
        The forward operator.
    x, x_prime : torch.Tensor, shape ``(1, *A.domain_shape)``
        The clean image and the image with the kernel detail.
    fraction : float
        The student's transferred fraction.
    rtol : float
        Relative tolerance of the comparisons.

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> from tk_lessons.networks import Memoriser
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> x, x_prime = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 2.0]])
    >>> memoriser_transfer(Memoriser(A, x_prime), A, x, x_prime, 1.0)
    ✔ memoriser transfer: correct
    """
    _validate.function("recon", recon, "a reconstruction map recon(y) -> x_rec")
    _validate.operator("A", A)
    x, x_prime = as_tensor("x", x), as_tensor("x_prime", x_prime)
    value = as_number("fraction", fraction)
    with torch.no_grad():
        x_rec = _image_like("recon(A(x))", recon(A(x)), x)
    z = x_prime - x
    scale = float(z.norm())
    if float((x_rec - x).norm()) <= rtol * scale:
        raise CheckError("recon(A(x)) returns x itself: the memoriser must not have x in its training set, "
                         "only x_prime (and other images)")
    if float((x_rec - x_prime).norm()) > rtol * max(scale, 1.0) + 1e-4 * float(x_prime.norm()):
        raise CheckError("recon(A(x)) is not x_prime: put x_prime, not x, into the memoriser's training "
                         "images, and no other image whose data are as close")
    reference = float(transfer.transferred_fraction(x_rec, x, z)[0])
    agree("fraction", value, reference, rtol=rtol, atol=rtol,
          hint="<Psi(Ax) - x, z> / ||z||^2 with z = x_prime - x")
    ok("memoriser transfer")


def transfer_sides(recon: Callable, A: LinearOperator, x: torch.Tensor, x_prime: torch.Tensor,
                   delta: object, delta_prime: object, lower_bound: object, fraction: object, *,
                   rtol: float = 1e-3) -> None:
    r"""Check both sides of the no-free-lunch inequality for a reconstruction map on two images.

    ``x`` is the image the map is accurate on (the training image), ``x_prime`` an image with
    (nearly) the same data. Expected: ``delta`` :math:`\delta = \|\Psi(Ax) - x\|`, ``delta_prime``
    :math:`= \|\Psi(Ax') - x'\|`, ``lower_bound`` :math:`= \|x - x'\| - \delta - c` with
    :math:`c = \|\Psi(Ax') - \Psi(Ax)\|`, and ``fraction`` the share of the detail
    :math:`x - x'` in :math:`\Psi(Ax')` (Chapter 6).

    Parameters
    ----------
    recon : callable
        The reconstruction map.
    A : LinearOperator
        The forward operator.
    x, x_prime : torch.Tensor, shape ``(1, *A.domain_shape)``
        The two images.
    delta, delta_prime, lower_bound, fraction : float
        The student's numbers.
    rtol : float
        Relative tolerance.

    Examples
    --------
    >>> from tk_lessons.operators import MatrixOperator
    >>> A = MatrixOperator(torch.tensor([[1.0, 0.0]]))
    >>> x, x_prime = torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0]])
    >>> transfer_sides(lambda y: x.expand(y.shape[0], 2), A, x, x_prime, 0.0, 2.0, 2.0, 1.0)
    ✔ both sides of the inequality: correct
    """
    _validate.function("recon", recon, "a reconstruction map recon(y) -> x_rec")
    out = transfer.detail_transfer(recon, A, as_tensor("x", x), as_tensor("x_prime", x_prime))
    scale = float(out.distance[0])
    numbers = {"delta": (delta, out.delta, "||Psi(A x) - x||, the error on the image the map is accurate on"),
               "delta_prime": (delta_prime, out.delta_prime, "||Psi(A x_prime) - x_prime||, the error on the other image"),
               "lower_bound": (lower_bound, out.lower_bound,
                               "||x - x_prime|| - delta - c, with c = ||Psi(A x_prime) - Psi(A x)||")}
    for name, (value, reference, hint) in numbers.items():
        agree(name, as_number(name, value), float(reference[0]), rtol=rtol, atol=rtol * scale, hint=hint)
    agree("fraction", as_number("fraction", fraction), float(out.fraction[0]), rtol=rtol, atol=rtol,
          hint="<Psi(A x_prime) - x_prime, x - x_prime> / ||x - x_prime||^2")
    if as_number("delta_prime", delta_prime) < as_number("lower_bound", lower_bound) - rtol * scale:
        raise CheckError("delta_prime < lower_bound: the theorem says the error on x_prime is at least the bound")
    ok("both sides of the inequality")


def transfer_map_function(fn: Callable, *, seed: int = 0) -> None:
    r"""Check a student's ``fn(x_rec, x, z)`` against :func:`tk_lessons.kernel.transfer_map`.

    The map must be :math:`(x_{rec} - x) \odot z / \|z\|^2` per sample, of the shape of ``z``,
    summing (per sample) to the transferred fraction; tested on a random batch of two images
    whose details have different norms (Chapter 6).

    Parameters
    ----------
    fn : callable
        The student's map.
    seed : int
        Seed of the random test batch.

    Examples
    --------
    >>> def good(x_rec, x, z):
    ...     return (x_rec - x) * z / (z ** 2).flatten(1).sum(1).view(-1, 1, 1, 1)
    >>> transfer_map_function(good)
    ✔ transfer map: correct
    """
    _validate.function("fn", fn, "a function fn(x_rec, x, z) -> per-pixel map")
    g = torch.Generator().manual_seed(seed)
    x_rec, x = torch.rand(2, 1, 8, 8, generator=g), torch.rand(2, 1, 8, 8, generator=g)
    z = torch.zeros(2, 1, 8, 8)
    z[0, 0, 2:5, 1:6] = torch.rand(3, 5, generator=g)
    z[1, 0, 4:7, 3:5] = 4 * torch.rand(3, 2, generator=g) - 2
    got = as_tensor("fn(x_rec, x, z)", fn(x_rec, x, z))
    if got.shape != z.shape:
        raise CheckError(f"fn(x_rec, x, z): expected the shape of z, {tuple(z.shape)}, got {tuple(got.shape)}; "
                         "return the map pixel by pixel, do not sum it")
    reference = transfer.transfer_map(x_rec, x, z)
    sums = got.flatten(1).sum(1)
    agree("per-sample sum of the map", sums, reference.flatten(1).sum(1), rtol=1e-4, atol=1e-6,
          hint="each sample's map must sum to <x_rec - x, z> / ||z||^2 of that sample, with its own ||z||")
    agree("fn(x_rec, x, z)", got, reference, rtol=1e-4, atol=1e-6,
          hint="(x_rec - x) * z divided by ||z||^2 of each sample")
    ok("transfer map")
