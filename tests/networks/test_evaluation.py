"""The zoo's scoring functions reject bad input with errors that name the parameter."""

import pytest
import torch

from tk_lessons.operators import Identity
from tk_lessons.zoo import evaluation


@pytest.mark.parametrize("call, error, match", [
    (lambda: evaluation.classical("TV", Identity((4, 4)), torch.ones(1, 4, 4), 1e-3, 5),
     ValueError, "method must be one of 'tv', 'l1'; got 'TV'"),
    (lambda: evaluation.tuned_classical("wavelets", Identity((4, 4)), torch.ones(1, 4, 4),
                                        torch.ones(1, 4, 4), True),
     ValueError, "method must be one of"),
    (lambda: evaluation.predict(torch.nn.Identity(), "A", torch.ones(2, 4)),
     TypeError, "A must be a tk_lessons.operators.LinearOperator"),
    (lambda: evaluation.predict(torch.nn.Identity(), Identity((4,)), torch.ones(2, 4),
                                batch_size=0),
     ValueError, "batch_size must be an integer >= 1"),
    (lambda: evaluation.detail_fraction(torch.ones(1, 3), torch.ones(1, 2), torch.ones(1, 2)),
     ValueError, r"x_rec must have the shape of z, \(1, 2\), got \(1, 3\)"),
    (lambda: evaluation.detail_fraction(torch.ones(1, 2), torch.ones(1, 2), torch.zeros(1, 2)),
     ValueError, "z must be a nonzero detail"),
])
def test_bad_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_classical_methods_are_the_two_it_knows():
    gen = torch.Generator().manual_seed(0)
    image, signal = torch.rand(1, 1, 8, 8, generator=gen), torch.rand(1, 1, 16, generator=gen)
    # with A = I and a tiny weight both methods nearly return their (real) data
    for method, y in (("tv", image), ("l1", signal)):
        x_rec = evaluation.classical(method, Identity(tuple(y.shape[1:])), y, 1e-6, 300)
        assert not x_rec.is_complex() and torch.allclose(x_rec, y, atol=1e-3), method
