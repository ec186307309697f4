"""tk_lessons.checks.false_positives (Chapter 7): right answers pass, wrong ones fail with a useful message.

The references are computed here by dense linear algebra, independently of the checks.
"""

from __future__ import annotations

import pytest
import torch

from tk_lessons import checks
from tk_lessons.checks import CheckError
from tk_lessons.operators import MatrixOperator, SubsampledFourier

F64 = torch.float64


@pytest.fixture
def dense():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(4, 7, generator=g, dtype=F64)
    _, _, Vh = torch.linalg.svd(M)
    z = (2.0 * Vh[-1] + 0.02 * Vh[0])[None]
    x = torch.randn(1, 7, generator=g, dtype=F64)
    return MatrixOperator(M), M, x, z


@pytest.fixture
def fourier():
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[:, :3] = True
    g = torch.Generator().manual_seed(1)
    return SubsampledFourier(mask), torch.rand(1, 1, 8, 8, generator=g), torch.rand(1, 1, 8, 8, generator=g)


def test_false_positive_data(fourier, capsys):
    A, x, z = fourier
    e = A(x + z) - A(x)
    checks.false_positive_data(e, float(e.abs().norm()), A, x, x + z)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="Subtract the data of x"):
        checks.false_positive_data(-e, float(e.abs().norm()), A, x, x + z)
    with pytest.raises(CheckError, match="eta"):
        checks.false_positive_data(e, float(e.abs().square().sum()), A, x, x + z)   # squared norm
    with pytest.raises(CheckError, match="shape"):
        checks.false_positive_data(e[0], float(e.abs().norm()), A, x, x + z)
    with pytest.raises(CheckError, match="no answer"):
        checks.false_positive_data(..., 1.0, A, x, x + z)


def test_two_image_bound(dense):
    A, M, x, z = dense
    R = torch.linalg.solve(M.T @ M + 1e-4 * torch.eye(7, dtype=F64), M.T)
    def psi(v):
        return v @ R.T
    d = (psi(x @ M.T) - x).norm()
    d2 = (psi((x + z) @ M.T) - x - z).norm()
    right = float((z.norm() - d - d2) / (z @ M.T).norm())
    checks.two_image_bound(right, psi, A, x, x + z)
    with pytest.raises(CheckError, match="too large"):
        checks.two_image_bound(float(z.norm() / (z @ M.T).norm()), psi, A, x, x + z)   # errors left out
    with pytest.raises(CheckError):
        checks.two_image_bound(float((z.norm() - d - d2) / (z @ M.T).norm() ** 2), psi, A, x, x + z)


def test_line_dichotomy(dense):
    A, M, x, z = dense
    lam = 1e-3
    Az = (z @ M.T)[0]
    def right_map(y):
        t = ((y - x @ M.T) @ Az) / (Az @ Az + lam)
        return x + t[:, None] * z
    def unregularised(y):
        t = ((y - x @ M.T) @ Az) / (Az @ Az)
        return x + t[:, None] * z
    eta = float(Az.norm())
    L = float(z.norm()) * eta / (eta ** 2 + lam)
    max_error = float(z.norm()) * lam / (eta ** 2 + lam)     # delta = 0, delta' = this
    floor = 0.5 * (float(z.norm()) - L * eta)
    checks.line_dichotomy(right_map, max_error, floor, A, x, z, lam)
    with pytest.raises(CheckError, match="line_map"):
        checks.line_dichotomy(unregularised, max_error, floor, A, x, z, lam)
    with pytest.raises(CheckError, match="max_error"):
        checks.line_dichotomy(right_map, floor, floor, A, x, z, lam)
    with pytest.raises(CheckError, match="floor"):
        checks.line_dichotomy(right_map, max_error, float(z.norm()) - L * eta, A, x, z, lam)   # no 1/2
    with pytest.raises(CheckError, match="shape"):
        checks.line_dichotomy(lambda y: right_map(y)[:1], max_error, floor, A, x, z, lam)


def test_certified_bound():
    R = torch.diag(torch.tensor([3.0, 1.0], dtype=F64))
    def psi(v):
        return v @ R.T
    y = torch.zeros(1, 2, dtype=F64)
    e = torch.tensor([[0.1, 0.0]], dtype=F64)
    checks.certified_bound(3.0, psi, y, e, 0.1, bound=2.5)
    with pytest.raises(CheckError, match="exceeds the radius"):
        checks.certified_bound(3.0, psi, y, 2 * e, 0.1)
    with pytest.raises(CheckError, match="zero perturbation"):
        checks.certified_bound(3.0, psi, y, 0 * e, 0.1)
    with pytest.raises(CheckError, match="too large"):
        checks.certified_bound(30.0, psi, y, e, 0.1)                 # not divided by ||e||
    with pytest.raises(CheckError, match="below"):
        checks.certified_bound(1.0, psi, y, torch.tensor([[0.0, 0.1]], dtype=F64), 0.1, bound=2.5)
