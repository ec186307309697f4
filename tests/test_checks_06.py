"""The checks of Chapter 6 (tk_lessons.checks.hallucinations): right answers pass, wrong ones fail
with a message that says what is wrong and does not print the reference."""

from __future__ import annotations

import pytest
import torch

import tk_lessons as tk
from tk_lessons.checks import CheckError
from tk_lessons.networks import Memoriser
from tk_lessons.operators import MatrixOperator

F64 = torch.float64


def _pair():
    A = MatrixOperator(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=F64))
    x = torch.tensor([[1.0, 2.0, 0.0]], dtype=F64)
    x_prime = torch.tensor([[1.0, 2.0, 3.0]], dtype=F64)        # x + z, z = 3 e_3 in the kernel
    other = torch.tensor([[5.0, -1.0, 1.0]], dtype=F64)
    return A, x, x_prime, other


def test_memoriser_transfer(capsys):
    A, x, x_prime, other = _pair()
    tk.checks.memoriser_transfer(Memoriser(A, torch.cat((x_prime, other))), A, x, x_prime, 1.0)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="returns x itself"):
        tk.checks.memoriser_transfer(Memoriser(A, torch.cat((x, x_prime))), A, x, x_prime, 0.0)
    with pytest.raises(CheckError, match="is not x_prime"):
        tk.checks.memoriser_transfer(Memoriser(A, other), A, x, x_prime, 1.0)
    with pytest.raises(CheckError, match="fraction: got 0.5, which is too small") as err:
        tk.checks.memoriser_transfer(Memoriser(A, x_prime), A, x, x_prime, 0.5)
    assert "got 1" not in str(err.value)
    with pytest.raises(CheckError, match="no answer yet"):
        tk.checks.memoriser_transfer(Memoriser(A, x_prime), A, x, x_prime, ...)


def test_transfer_sides():
    A, x, x_prime, _ = _pair()
    half = x + 0.5 * (x_prime - x)

    def psi(y):                    # returns the midpoint for every data: delta = delta_prime = 1.5
        return half.expand(y.shape[0], 3)

    tk.checks.transfer_sides(psi, A, x_prime, x, 1.5, 1.5, 1.5, 0.5)
    with pytest.raises(CheckError, match="lower_bound: got 3, which is too large"):
        tk.checks.transfer_sides(psi, A, x_prime, x, 1.5, 1.5, 3.0, 0.5)    # forgot delta
    with pytest.raises(CheckError, match="delta"):
        tk.checks.transfer_sides(psi, A, x_prime, x, 0.0, 1.5, 1.5, 0.5)
    with pytest.raises(CheckError, match="fraction: got -0.5"):
        tk.checks.transfer_sides(psi, A, x_prime, x, 1.5, 1.5, 1.5, -0.5)   # sign of the detail


def test_transfer_map_function():
    def right(x_rec, x, z):
        return (x_rec - x) * z / (z * z).flatten(1).sum(1).view(-1, 1, 1, 1)

    tk.checks.transfer_map_function(right)
    tk.checks.transfer_map_function(right, seed=3)

    def summed(x_rec, x, z):
        return right(x_rec, x, z).flatten(1).sum(1)

    def batch_norm(x_rec, x, z):
        return (x_rec - x) * z / (z * z).sum()

    def unnormalised(x_rec, x, z):
        return (x_rec - x) * z

    with pytest.raises(CheckError, match="do not sum it"):
        tk.checks.transfer_map_function(summed)
    with pytest.raises(CheckError, match="per-sample sum of the map"):
        tk.checks.transfer_map_function(batch_norm)
    with pytest.raises(CheckError, match="per-sample sum"):
        tk.checks.transfer_map_function(unnormalised)
