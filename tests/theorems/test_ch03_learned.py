"""Chapter 3, checked on concrete instances independently of the chapter's own cells.

* prop-itnet-landweber: an ItNet whose sub-networks output zero is the Landweber iteration
  x_0 = Re A^* y, x_k = x_{k-1} - lam_k Re A^*(A x_{k-1} - y), and its output has no
  component in the real kernel N_R(A) = {z real : A z = 0}, for every y and all steps.

The reference iteration is written with dense matrices, and the real kernel is computed from
the SVD of the real matrix [Re A; Im A] (a real image z has A z = 0 iff both parts vanish),
never from the operator's own adjoint or from the chapter's Fourier-mask construction.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tk_lessons import sampling
from tk_lessons.networks import ItNet, UNet
from tk_lessons.operators import MatrixOperator, SubsampledFourier

F64, C128 = torch.float64, torch.complex128


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class Zero(nn.Module):
    def forward(self, x):
        return torch.zeros_like(x)


def dense(A, shape) -> torch.Tensor:
    """The complex matrix of A acting on real images of ``shape`` (columns A e_j)."""
    n = int(torch.tensor(shape).prod())
    basis = torch.eye(n, dtype=F64).reshape(n, *shape)
    return A(basis.to(C128) if A.domain_complex else basis).reshape(n, -1).T.to(C128)


def real_kernel_basis(M: torch.Tensor) -> torch.Tensor:
    """Orthonormal basis (columns) of {z real : M z = 0}, from the SVD of [Re M; Im M]."""
    stacked = torch.cat((M.real, M.imag))
    _, s, Vh = torch.linalg.svd(stacked)
    rank = int((s > 1e-10 * s[0]).sum())
    return Vh[rank:].T


def fourier_problem():
    # a random, not point-symmetric mask: the real kernel is smaller than the complex one
    A = SubsampledFourier(sampling.uniform((8, 8), 0.3, seed=2)).to(F64)
    return A, (1, 8, 8)


def matrix_problem():
    M = torch.randn(12, 36, generator=gen(0), dtype=F64) + 1j * torch.randn(12, 36, generator=gen(1), dtype=F64)
    return MatrixOperator(M / 8), (36,)


PROBLEMS = {"fourier": fourier_problem, "complex matrix": matrix_problem}


def landweber_dense(M: torch.Tensor, y: torch.Tensor, steps) -> torch.Tensor:
    """The Landweber iteration over real vectors with an explicit matrix (y: one measurement vector)."""
    x = (M.conj().T @ y).real
    for lam in steps:
        x = x - lam * (M.conj().T @ (M @ x.to(C128) - y)).real
    return x


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("steps", [(0.1, 0.1, 0.1), (0.5, 1.3, 0.0, 2.0), (1.0,)])
def test_itnet_with_zero_networks_is_landweber(name, steps):
    A, shape = PROBLEMS[name]()
    M = dense(A, shape)
    model = ItNet(A, [Zero() for _ in steps], iterations=len(steps), lam_init=0.0)
    with torch.no_grad():
        model.lam.copy_(torch.tensor(steps))
    y = torch.randn(3, *A.range_shape, generator=gen(5), dtype=C128)
    out = model(y)
    for i in range(3):
        ref = landweber_dense(M, y[i], steps)
        assert torch.allclose(out[i].reshape(-1).to(F64), ref, atol=1e-6, rtol=1e-6), (name, steps, i)


@pytest.mark.parametrize("name", PROBLEMS)
def test_landweber_output_has_no_real_kernel_component(name):
    A, shape = PROBLEMS[name]()
    M = dense(A, shape)
    Z = real_kernel_basis(M)
    assert Z.shape[1] > 0
    assert torch.allclose(M @ Z.to(C128), torch.zeros(M.shape[0], Z.shape[1], dtype=C128), atol=1e-10)
    y = torch.randn(4, *A.range_shape, generator=gen(7), dtype=C128)     # arbitrary data, not A x
    for steps in [(0.3, 0.7), (1.9, 0.1, 1.0, 0.5)]:
        model = ItNet(A, [Zero() for _ in steps], iterations=len(steps), lam_init=0.0)
        with torch.no_grad():
            model.lam.copy_(torch.tensor(steps))
        out = model(y).reshape(4, -1).to(F64)
        coefficients = out @ Z                                           # components in N_R(A)
        assert coefficients.abs().max() < 1e-5 * out.abs().max(), (name, steps)


def test_the_real_kernel_is_smaller_than_the_complex_one_for_an_asymmetric_mask():
    # why the chapter zeroes Omega and -Omega: the real kernel has dimension N - |Omega u -Omega|
    A, shape = fourier_problem()
    M = dense(A, shape)
    Z = real_kernel_basis(M)
    mask = A.mask
    mirrored = torch.roll(torch.flip(mask, (0, 1)), (1, 1), (0, 1))
    assert not torch.equal(mask, mirrored)
    assert Z.shape[1] == 64 - int((mask | mirrored).sum())
    assert Z.shape[1] < 64 - A.m


def test_trained_like_networks_do_fill_the_kernel():
    # the converse direction of the remark after the proposition: nonzero sub-networks can
    # put energy into N_R(A), so the kernel component of an ItNet comes from its networks
    A, shape = fourier_problem()
    Z = real_kernel_basis(dense(A, shape))
    model = ItNet(A, lambda: UNet(2, base=4, depth=1, seed=0), iterations=2).double()
    y = torch.randn(2, *A.range_shape, generator=gen(9), dtype=C128)
    with torch.no_grad():
        out = model(y).reshape(2, -1)
    assert (out @ Z).abs().max() > 1e-3
