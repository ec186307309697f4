"""tk.checks: exercise checks pass on right answers and fail, with a useful message, on wrong ones."""

from __future__ import annotations

import pytest
import torch

from tk_lessons import checks

N = 16
keep = (torch.fft.fftfreq(N) * N).abs() <= 3


def A(x):
    return torch.fft.fft(x, norm="ortho")[keep]


def A_adj(y):
    full = torch.zeros(N, dtype=torch.complex128)
    full[keep] = y
    return torch.fft.ifft(full, norm="ortho")


def test_right_answers_pass(capsys):
    checks.adjoint(A, A_adj, (N,))
    checks.projector(lambda z: z - A_adj(A(z)), (N,), onto_kernel_of=A)
    z = torch.zeros(N, dtype=torch.complex128)
    z[N // 2] = 1.0  # the Nyquist frequency is not kept
    checks.in_kernel(A, torch.fft.ifft(z, norm="ortho"))
    checks.close("value", 1.0 + 1e-12, 1.0)
    assert capsys.readouterr().out.count("correct") == 4


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: checks.adjoint(A, lambda y: 2 * A_adj(y), (N,)), "differ by"),
        (lambda: checks.adjoint(A, lambda y: A_adj(y)[:-1], (N,)), "must have the shape of x"),
        (lambda: checks.projector(lambda z: 0.5 * z, (N,)), "not idempotent"),
        (lambda: checks.projector(lambda z: torch.roll(z, 1) * 0 + z, (N,), onto_kernel_of=A), "kernel of A"),
        (lambda: checks.in_kernel(A, torch.zeros(N, dtype=torch.complex128)), "zero vector"),
        (lambda: checks.in_kernel(A, torch.ones(N, dtype=torch.complex128)), r"\|\|A z\|\|"),
        (lambda: checks.close("kernel dimension", 3, 4), "expected 4, got 3"),
        (lambda: checks.close("v", torch.zeros(3), torch.zeros(4)), "expected shape"),
        (lambda: checks.close("v", ..., 1.0), "no answer yet"),
    ],
)
def test_wrong_answers_fail_with_a_reason(call, match):
    with pytest.raises(checks.CheckError, match=match):
        call()


def test_non_orthogonal_projector_is_caught():
    # An oblique projector: idempotent but not self-adjoint.
    M = torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.complex128)
    with pytest.raises(checks.CheckError, match="not orthogonal"):
        checks.projector(lambda z: M @ z, (2,))


# -- Chapter 2 checks: Lipschitz estimates, soft thresholding, FISTA, LASSO optimality --------------
def _soft(z, t):
    return torch.sign(z) * torch.clamp(z.abs() - t, min=0)


def _fista_step(A, y, lam, step, c, z, t):
    c_next = _soft(z - step * A.T @ (A @ z - y), step * lam)
    t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
    return c_next, c_next + (t - 1) / t_next * (c_next - c), t_next


def _lasso_problem():
    A = torch.randn(15, 30, generator=torch.Generator().manual_seed(0), dtype=torch.float64) / 15 ** 0.5
    x = torch.zeros(30, dtype=torch.float64)
    x[[2, 11, 23]] = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    y = A @ x
    lam, step = 0.05, 1 / float(torch.linalg.matrix_norm(A, 2)) ** 2
    c = z = torch.zeros(30, dtype=torch.float64)
    t = 1.0
    for _ in range(3000):
        c_next, z, t = _fista_step(A, y, lam, step, c, z, t)
        c = c_next
    return A, y, lam, c


def test_chapter2_right_answers_pass(capsys):
    checks.lipschitz_estimate("estimate", 0.995, 1.0)
    checks.lipschitz_estimate("poor but valid", 0.1, 1.0, within=1.0)
    checks.lipschitz_estimate("tensor estimate", torch.tensor([2.0 * (1 + 1e-9)]), 2.0)
    checks.soft_threshold(_soft)
    checks.fista_step(_fista_step)
    checks.lasso_optimality(*_lasso_problem())
    assert capsys.readouterr().out.count("correct") == 6


def _bad_fista(kind):
    def step(A, y, lam, s, c, z, t):
        grad = A.T @ (A @ z - y)
        t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
        c_next = _soft(z - s * grad, s * lam)
        if kind == "threshold":
            c_next = _soft(z - s * grad, lam)
        elif kind == "no prox":
            c_next = z - s * grad
        elif kind == "uphill":
            c_next = _soft(z + s * grad, s * lam)
        elif kind == "from c":
            c_next = _soft(c - s * A.T @ (A @ c - y), s * lam)
        if kind == "t":
            t_next = (1 + (1 + t * t) ** 0.5) / 2
        z_next = c_next + (t - 1) / t_next * (c_next - c)
        if kind == "momentum from z":
            z_next = c_next + (t - 1) / t_next * (c_next - z)
        elif kind == "swapped weight":
            z_next = c_next + (t_next - 1) / t * (c_next - c)
        elif kind == "no momentum":
            z_next = c_next
        return (c_next, z_next) if kind == "two values" else (c_next, z_next, t_next)
    return step


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: checks.lipschitz_estimate("e", 1.2, 1.0), "exceeds the exact constant"),
        (lambda: checks.lipschitz_estimate("e", 0.5, 1.0), "50.0% of the exact constant"),
        (lambda: checks.lipschitz_estimate("e", -0.1, 1.0, within=1.0), "never negative"),
        (lambda: checks.lipschitz_estimate("e", torch.ones(2), 1.0), "one number"),
        (lambda: checks.lipschitz_estimate("e", float("nan"), 1.0), "finite"),
        (lambda: checks.lipschitz_estimate("e", ..., 1.0), "no answer yet"),
        (lambda: checks.soft_threshold(lambda z, t: z * (z.abs() > t)), "hard thresholding"),
        (lambda: checks.soft_threshold(lambda z, t: torch.clamp(z.abs() - t, min=0)), "lost the sign"),
        (lambda: checks.soft_threshold(lambda z, t: z - t * torch.sign(z)), "must become exactly 0"),
        (lambda: checks.soft_threshold(lambda z, t: _soft(z, 2 * t)), "towards 0 by exactly the threshold"),
        (lambda: checks.soft_threshold(lambda z, t: _soft(z, t)[:-1]), "shape of z"),
        (lambda: checks.fista_step(_bad_fista("threshold")), "step \\* lam"),
        (lambda: checks.fista_step(_bad_fista("no prox")), "forgot the soft thresholding"),
        (lambda: checks.fista_step(_bad_fista("uphill")), "downhill"),
        (lambda: checks.fista_step(_bad_fista("from c")), "extrapolated point z"),
        (lambda: checks.fista_step(_bad_fista("t")), "t_next"),
        (lambda: checks.fista_step(_bad_fista("momentum from z")), "consecutive iterates"),
        (lambda: checks.fista_step(_bad_fista("swapped weight")), "momentum weight"),
        (lambda: checks.fista_step(_bad_fista("no momentum")), "momentum term"),
        (lambda: checks.fista_step(_bad_fista("two values")), "three values"),
    ],
)
def test_chapter2_wrong_answers_fail_with_a_reason(call, match):
    with pytest.raises(checks.CheckError, match=match):
        call()


def test_lasso_optimality_names_the_violated_condition():
    A, y, lam, x = _lasso_problem()
    wrong = x.clone()
    wrong[int(x.abs().argmax())] *= 1.5                   # a support entry off balance
    with pytest.raises(checks.CheckError, match="is nonzero"):
        checks.lasso_optimality(A, y, lam, wrong)
    with pytest.raises(checks.CheckError, match="not a minimiser yet"):
        checks.lasso_optimality(A, y, lam, torch.zeros_like(x))   # 0 is not optimal: |A^T y| > lam
    with pytest.raises(checks.CheckError, match="diverged"):
        checks.lasso_optimality(A, y, lam, torch.full_like(x, float("nan")))
    with pytest.raises(checks.CheckError, match="shape"):
        checks.lasso_optimality(A, y, lam, x[:-1])


# -- Chapter 1 checks: kernel part of a detail, approximate kernel -----------------------------------
def _fourier_and_detail():
    from tk_lessons.operators import SubsampledFourier

    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[3:6, 3:6] = True                                # point-symmetric about the DC entry (4, 4)
    A = SubsampledFourier(mask)
    d = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    d[0, 0, 2, 5] = 1.0
    return A, d


def test_chapter1_right_answers_pass(capsys):
    from tk_lessons.operators import Blur

    A, d = _fourier_and_detail()
    z = d - A.H(A(d))
    checks.kernel_part(A, d, z)                          # complex z
    checks.kernel_part(A, d, z.real)                     # real z: the mask is symmetric
    B = Blur(16, sigma=1.0)
    checker = torch.tensor([[(-1.0) ** (i + j) for j in range(16)] for i in range(16)], dtype=torch.float64)
    checks.approximate_kernel(B, checker[None, None], 1e-2)
    assert capsys.readouterr().out.count("correct") == 3


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda A, d: checks.kernel_part(A, d, d), "not in the kernel"),
        (lambda A, d: checks.kernel_part(A, d, 0.5 * (d - A.H(A(d)))), "not the orthogonal projection"),
        (lambda A, d: checks.kernel_part(A, d, torch.zeros_like(d)), "z is zero"),
        (lambda A, d: checks.kernel_part(A, d, d[..., :4]), "shape of the detail"),
        (lambda A, d: checks.kernel_part(A, d, ...), "no answer yet"),
        (lambda A, d: checks.approximate_kernel(A, torch.ones(1, 1, 8, 8, dtype=torch.float64), 1e-2),
         "above tau"),
        (lambda A, d: checks.approximate_kernel(A, torch.zeros(1, 1, 8, 8), 1e-2), "zero image"),
        (lambda A, d: checks.approximate_kernel(A, torch.ones(1, 1, 8, 8, dtype=torch.complex128), 1e-2),
         "real image"),
    ],
)
def test_chapter1_wrong_answers_fail_with_a_reason(call, match):
    A, d = _fourier_and_detail()
    with pytest.raises(checks.CheckError, match=match):
        call(A, d)


# -- Chapter 3 checks: jitter, at_least ---------------------------------------------------------------
def _jitter_right(y, eta, gen):
    import math

    s = torch.rand(y.shape[0], 1, generator=gen, dtype=torch.float64)
    g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    return y + eta * s * g / math.sqrt(y.shape[1])


def test_chapter3_right_answers_pass(capsys):
    from tk_lessons.networks import add_jitter

    checks.jitter(_jitter_right)
    checks.jitter(lambda y, eta, gen: add_jitter(y, eta, gen))      # the library's own jitter
    checks.at_least("growth", 2.5, 2.0)
    assert capsys.readouterr().out.count("correct") == 3


def _no_level(y, eta, gen):
    g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    return y + eta * g / y.shape[1] ** 0.5


def _no_sqrt_m(y, eta, gen):
    s = torch.rand(y.shape[0], 1, generator=gen, dtype=torch.float64)
    return y + eta * s * torch.randn(y.shape, generator=gen, dtype=y.dtype)


def _real_noise(y, eta, gen):
    s = torch.rand(y.shape[0], 1, generator=gen, dtype=torch.float64)
    return y + eta * s * torch.randn(y.shape, generator=gen, dtype=torch.float64) / y.shape[1] ** 0.5


def _global_rng(y, eta, gen):
    s = torch.rand(y.shape[0], 1, dtype=torch.float64)
    return y + eta * s * torch.randn(y.shape, dtype=y.dtype) / y.shape[1] ** 0.5


def _one_level_per_entry(y, eta, gen):
    s = torch.rand(y.shape, generator=gen, dtype=torch.float64)
    return y + eta * s * torch.randn(y.shape, generator=gen, dtype=y.dtype) / y.shape[1] ** 0.5


def _variance_two(y, eta, gen):
    s = torch.rand(y.shape[0], 1, generator=gen, dtype=torch.float64)
    g = torch.randn(y.shape, generator=gen, dtype=torch.float64) + 1j * torch.randn(y.shape, generator=gen,
                                                                                   dtype=torch.float64)
    return y + eta * s * g / y.shape[1] ** 0.5


def _gaussian_level(y, eta, gen):
    s = torch.randn(y.shape[0], 1, generator=gen, dtype=torch.float64).abs() * (1 / 3) ** 0.5
    return y + eta * s * torch.randn(y.shape, generator=gen, dtype=y.dtype) / y.shape[1] ** 0.5


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: checks.jitter(_no_level), "random level s"),
        (lambda: checks.jitter(_no_sqrt_m), "divide g by sqrt"),
        (lambda: checks.jitter(_real_noise), "no imaginary part"),
        (lambda: checks.jitter(_global_rng), "generator you are given"),
        (lambda: checks.jitter(_one_level_per_entry), "one s per measurement vector"),
        (lambda: checks.jitter(_variance_two), "E \\|g_j\\|\\^2 = 2"),
        (lambda: checks.jitter(_gaussian_level), "uniform on"),
        (lambda: checks.jitter(lambda y, eta, gen: y[:, :-1]), "shape of y"),
        (lambda: checks.jitter(lambda y, eta, gen: ...), "no answer yet"),
        (lambda: checks.at_least("growth", 1.5, 2.0, hint="try another image"), "at least 2.*try another"),
    ],
)
def test_chapter3_wrong_answers_fail_with_a_reason(call, match):
    with pytest.raises(checks.CheckError, match=match):
        call()


# -- Chapter 4 checks: error growth under a perturbation, random directions ----------------------
def _amplifier():
    """recon(y) = 3 y on real data, truth x = 3 * ones: the clean error is 0 only if y = ones."""
    y = torch.full((2, 5), 1.2, dtype=torch.float64)             # clean error 20%
    x = torch.full((2, 5), 3.0, dtype=torch.float64)
    return (lambda v: 3 * v), y, x


def test_error_growth_accepts_a_perturbation_that_doubles_the_error(capsys):
    recon, y, x = _amplifier()
    e = torch.full_like(y, 0.2)                                    # error 20% -> 40%, ||e|| = 0.2 sqrt(5)
    checks.error_growth(recon, y, x, e, eps=0.2 * 5 ** 0.5, factor=2.0)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "e, eps, match",
    [
        (torch.full((2, 5), 0.2, dtype=torch.float64), 0.3, "exceeds the budget"),
        (torch.full((2, 5), 0.1, dtype=torch.float64), 1.0, "a factor 1.50"),
        (torch.full((2, 1, 5), 0.2, dtype=torch.float64), 1.0, "shape of the measurements"),
        (torch.full((2, 5), float("nan"), dtype=torch.float64), 1.0, "NaN"),
        (None, 1.0, "no answer yet"),
    ],
)
def test_error_growth_rejects_with_a_reason(e, eps, match):
    recon, y, x = _amplifier()
    with pytest.raises(checks.CheckError, match=match):
        checks.error_growth(recon, y, x, e, eps=eps, factor=2.0)


def _direction_right(y, size, gen):
    g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    return y + size * g / g.abs().norm(dim=1, keepdim=True)


def test_random_direction_accepts_a_normalised_complex_gaussian(capsys):
    checks.random_direction(_direction_right)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, match",
    [
        (lambda y, s, gen: y + s * torch.randn(y.shape, generator=gen, dtype=y.dtype) / y.shape[1] ** 0.5,
         "exactly size"),
        (lambda y, s, gen: _direction_right(y, s, torch.Generator().manual_seed(int(torch.randint(0, 10**6, (1,))))),
         "same generator seed"),
        (lambda y, s, gen: _direction_right(y, s, gen) + 0.01 * y, "must not depend on y"),
        (lambda y, s, gen: y + (_direction_right(y[:1], s, gen) - y[:1]).expand_as(y), "same perturbation"),
        (lambda y, s, gen: y + (lambda g: s * g / g.norm(dim=1, keepdim=True))(
            torch.randn(y.shape, generator=gen, dtype=torch.float64)).to(y.dtype), "real parts carry"),
        (lambda y, s, gen: y + (lambda g: s * g / g.abs().norm(dim=1, keepdim=True))(
            torch.rand(y.shape, generator=gen, dtype=y.dtype)), "not centred|per entry"),
        (lambda y, s, gen: y.real, "complex tensor"),
    ],
)
def test_random_direction_rejects_with_a_reason(fn, match):
    with pytest.raises(checks.CheckError, match=match):
        checks.random_direction(fn)


def test_close_keeps_python_floats_in_double_precision():
    """1 + 1e-9 as a Python float must not be rounded to float32 (which would make it equal to 1)."""
    checks.close("nearly one", 1.0 + 1e-12, 1.0, rtol=1e-10, atol=0.0)
    with pytest.raises(checks.CheckError, match="expected 1, got 1"):
        checks.close("off by 1e-8", 1.0 + 1e-8, 1.0, rtol=1e-10, atol=0.0)
    with pytest.raises(checks.CheckError, match="expected a tensor or a number"):
        checks.close("words", object(), 1.0)
