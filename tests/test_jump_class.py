"""tk_lessons.kernel.jump_class: A(t, s) = t on two half-lines (Chapter 11)."""

from __future__ import annotations

import math

import pytest
import torch

from tk_lessons import kernel


def test_operator_reads_the_first_coordinate():
    x = torch.tensor([[0.25, -3.0], [-2.0, 7.0]], dtype=torch.float64)
    assert torch.equal(kernel.jump_operator()(x), x[:, :1])


def test_member_by_brute_force():
    ys = [-1.0, -1e-12, 0.0, 1e-12, 0.5]
    member = kernel.jump_member(torch.tensor(ys, dtype=torch.float64)[:, None])
    for (t, s), y in zip(member.tolist(), ys):
        assert t == y and s == (1.0 if y <= 0 else -1.0)


def test_member_has_its_data():
    y = torch.linspace(-1, 1, 11, dtype=torch.float64)[:, None]
    assert torch.equal(kernel.jump_operator()(kernel.jump_member(y)), y)


def test_error_of_known_maps():
    y = torch.linspace(-1, 1, 101, dtype=torch.float64)[:, None]
    exact = kernel.jump_member(y)
    assert kernel.jump_error(exact, y).max() == 0
    flat = torch.cat([y, torch.zeros_like(y)], dim=1)                 # (t, 0)
    assert torch.allclose(kernel.jump_error(flat, y), torch.ones(101, dtype=torch.float64))
    wrong = torch.cat([y, -exact[:, 1:]], dim=1)                      # the other half-line
    assert torch.allclose(kernel.jump_error(wrong, y), torch.full((101,), 2.0,
                                                                  dtype=torch.float64))
    shifted = exact + torch.tensor([0.3, 0.4], dtype=torch.float64)
    assert kernel.jump_error(shifted, y).sub(0.5).abs().max() < 1e-15
    assert math.isclose(kernel.jump_error(shifted[:1], y[:1]).item(), 0.5)


@pytest.mark.parametrize("y", [torch.zeros(3), torch.zeros(3, 2), torch.zeros(3, 1) * 1j, [0.0]])
def test_bad_data_rejected(y):
    with pytest.raises(ValueError, match="y must be"):
        kernel.jump_member(y)


def test_bad_reconstruction_shape_rejected():
    with pytest.raises(ValueError, match="x_rec must be"):
        kernel.jump_error(torch.zeros(3, 1), torch.zeros(3, 1))
