"""Unit tests of tk_lessons.kernel.optimal_maps against independent references.

References: closed-form Chebyshev centres of triangles in the plane (circumcentre if acute,
midpoint of the longest side otherwise), a brute-force grid search for the radius, explicit
loops over pairs for feasible sets and errors, and a dense matrix operator.
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from tk_lessons import kernel
from tk_lessons.operators import MatrixOperator

torch.set_num_threads(1)


def _triangle_centre(P: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Chebyshev centre of three points in R^2 in closed form."""
    a, b, c = P
    for u, v, w in ((a, b, c), (b, c, a), (c, a, b)):      # angle at w obtuse or right
        if float((u - w) @ (v - w)) <= 0:
            mid = (u + v) / 2
            return mid, float((u - v).norm() / 2)
    d = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
    ux = ((a @ a) * (b[1] - c[1]) + (b @ b) * (c[1] - a[1]) + (c @ c) * (a[1] - b[1])) / d
    uy = ((a @ a) * (c[0] - b[0]) + (b @ b) * (a[0] - c[0]) + (c @ c) * (b[0] - a[0])) / d
    centre = torch.stack([ux, uy])
    return centre, float((a - centre).norm())


def _class_in_r3() -> tuple[MatrixOperator, torch.Tensor]:
    """A = first coordinate of R^3; X: three fibres (x1 = 0, 1, 5) with 3, 2 and 1 members."""
    A = MatrixOperator(torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64))
    X = torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.0, 0.2], [0.0, 0.3, 0.9],   # acute triangle
                      [1.0, 0.0, 0.0], [1.0, 0.0, 2.0],                       # pair
                      [5.0, 1.0, 1.0]], dtype=torch.float64)
    return A, X


def test_chebyshev_map_answers_with_the_closed_form_centre():
    A, X = _class_in_r3()
    psi = kernel.feasible_set_map(A, X)
    out = psi(A(X))
    centre, radius = _triangle_centre(X[:3, 1:])
    for i in range(3):
        assert torch.allclose(out[i, 1:], centre, atol=1e-9)
        assert out[i, 0] == 0
    assert torch.allclose(out[3], torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64))
    assert torch.allclose(out[5], X[5])
    radii = psi.radii(A(X))
    assert radii[0] == pytest.approx(radius, rel=1e-9)
    assert radii[3] == pytest.approx(1.0) and radii[5] == 0.0


def test_optimal_error_is_the_largest_radius_and_beats_every_grid_point():
    A, X = _class_in_r3()
    opt = kernel.optimal_error(A, X)
    _, r_triangle = _triangle_centre(X[:3, 1:])
    assert opt == pytest.approx(max(r_triangle, 1.0), rel=1e-9)
    # brute force on the triangle: no centre on a fine grid does better than its radius
    grid = torch.linspace(-0.5, 1.5, 201, dtype=torch.float64)
    cs = torch.cartesian_prod(grid, grid)
    worst = torch.cdist(cs, X[:3, 1:]).max(dim=1).values
    assert float(worst.min()) >= r_triangle - 1e-12
    assert float(worst.min()) <= r_triangle + 1e-2


def test_rules_mean_first_farthest_against_explicit_formulas():
    A, X = _class_in_r3()
    Y = A(X[:1])
    assert torch.allclose(kernel.feasible_set_map(A, X, rule="mean")(Y)[0], X[:3].mean(0))
    assert torch.equal(kernel.feasible_set_map(A, X, rule="first")(Y)[0], X[0])
    far = kernel.feasible_set_map(A, X, rule="farthest")(Y)[0]
    diam = max(float((u - v).norm()) for u, v in itertools.combinations(X[:3], 2))
    assert max(float((far - x).norm()) for x in X[:3]) == pytest.approx(diam)


def test_map_error_against_a_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(7, 1, 5, generator=g, dtype=torch.float64)
    x_rec = x + torch.randn(7, 1, 5, generator=g, dtype=torch.float64)
    per = [float((x_rec[i] - x[i]).norm()) for i in range(7)]
    for p in (1.0, 2.0, 3.5):
        err = kernel.map_error(x_rec, x, p=p)
        assert err.worst == pytest.approx(max(per))
        assert err.average == pytest.approx((sum(v**p for v in per) / 7) ** (1 / p))
    assert kernel.map_error(x_rec, x).p == 2.0


def test_every_map_is_at_least_half_the_kernel_size_and_the_centre_is_optimal():
    """The theorem of Chapter 5 on a random class: a wrong 'optimum' would fail here."""
    g = torch.Generator().manual_seed(1)
    M = torch.randn(2, 4, generator=g, dtype=torch.float64)
    A = MatrixOperator(M)
    kern = torch.linalg.svd(M).Vh[2:]                      # basis of the kernel, (2, 4)
    base = torch.randn(5, 4, generator=g, dtype=torch.float64)
    X = torch.cat([base] + [base + torch.randn(5, 2, generator=g, dtype=torch.float64) @ kern
                            for _ in range(3)])
    sizes = kernel.kernel_size(A, X)
    opt = kernel.optimal_error(A, X)
    assert sizes.worst / 2 - 1e-9 <= opt <= sizes.worst
    centre_err = kernel.map_error(kernel.feasible_set_map(A, X)(A(X)), X).worst
    assert centre_err == pytest.approx(opt, rel=1e-6)
    for rule in ("mean", "first", "farthest"):
        err = kernel.map_error(kernel.feasible_set_map(A, X, rule=rule)(A(X)), X).worst
        assert opt - 1e-9 <= err <= sizes.worst + 1e-9
    assert kernel.map_error(kernel.feasible_set_map(A, X, rule="farthest")(A(X)), X).worst \
        == pytest.approx(sizes.worst)
    # a "map" that is told the truth is not a map of the data: it beats the bound
    assert kernel.map_error(X.clone(), X).worst < sizes.worst / 2


def test_noise_feasible_sets_and_fallback_for_data_outside_the_class():
    A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    X = torch.tensor([[0.0, 0.0], [0.3, 2.0], [5.0, 0.0]], dtype=torch.float64)
    psi = kernel.feasible_set_map(A, X, 0.2)
    # y = 0.15 lies within 0.2 of A x_0 = 0 and A x_1 = 0.3: both feasible
    y = torch.tensor([[0.15]], dtype=torch.float64)
    assert [s.tolist() for s in psi.sets(y)] == [[0, 1]]
    assert torch.allclose(psi(y)[0], (X[0] + X[1]) / 2)
    assert kernel.optimal_error(A, X, 0.2, y) == pytest.approx(float((X[0] - X[1]).norm()) / 2)
    # y = 3 is within 0.2 of no image: answered from the nearest data (x_2, at distance 2)
    far = torch.tensor([[3.0]], dtype=torch.float64)
    assert [s.tolist() for s in psi.sets(far)] == [[2]]
    assert torch.equal(psi(far)[0], X[2])
    assert "centre" in repr(psi)


@pytest.mark.parametrize("call, message", [
    (lambda A, X: kernel.feasible_set_map(A, X, rule="median"), "rule"),
    (lambda A, X: kernel.feasible_set_map(A, X, -1.0), "eta"),
    (lambda A, X: kernel.feasible_set_map(A, X[:, :1]), "X must have shape"),
    (lambda A, X: kernel.map_error(X[:2], X), "one reconstruction per image"),
    (lambda A, X: kernel.map_error(X, X, p=0.5), "p must be"),
    (lambda A, X: kernel.map_error(X, X, p=math.inf), "p must be"),
    (lambda A, X: kernel.map_error([1.0], X), "x_rec"),
    (lambda A, X: kernel.optimal_error(A, X, 0.0, torch.zeros(2, 3)), "Y must have shape"),
])
def test_bad_input_is_named(call, message):
    A = MatrixOperator(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [5.0, 0.0]], dtype=torch.float64)
    with pytest.raises((ValueError, TypeError), match=message):
        call(A, X)
