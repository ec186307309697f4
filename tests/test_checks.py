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
    checks.soft_threshold_rule(_soft)
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
        (lambda: checks.soft_threshold_rule(lambda z, t: z * (z.abs() > t)), "hard thresholding"),
        (lambda: checks.soft_threshold_rule(lambda z, t: torch.clamp(z.abs() - t, min=0)), "lost the sign"),
        (lambda: checks.soft_threshold_rule(lambda z, t: z - t * torch.sign(z)), "must become exactly 0"),
        (lambda: checks.soft_threshold_rule(lambda z, t: _soft(z, 2 * t)), "towards 0 by exactly the threshold"),
        (lambda: checks.soft_threshold_rule(lambda z, t: _soft(z, t)[:-1]), "shape of z"),
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


def _direction_right(y, eps, gen):
    g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    return y + eps * g / g.abs().norm(dim=1, keepdim=True)


def test_random_direction_accepts_a_normalised_complex_gaussian(capsys):
    checks.random_direction(_direction_right)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, match",
    [
        (lambda y, s, gen: y + s * torch.randn(y.shape, generator=gen, dtype=y.dtype) / y.shape[1] ** 0.5,
         "exactly eps"),
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


# ---------------------------------------------------------------------------------------
# Checks that compute their reference themselves and never print it (issue 18, item 3)
# ---------------------------------------------------------------------------------------
from tk_lessons import metrics, operators, solvers, zoo  # noqa: E402
from tk_lessons.zoo import recipes  # noqa: E402


def _digits(value: float) -> list[str]:
    """The ways a failure message could spell the reference ``value``."""
    return [f"{value:.{k}g}" for k in (3, 4, 6)] + [f"{value:.{k}f}" for k in (2, 3, 4)]


def _assert_hidden(err: pytest.ExceptionInfo, reference: float) -> None:
    import re

    message = str(err.value)
    leaked = [s for s in _digits(reference) if s not in ("0", "0.00", "0.000")
              and re.search(rf"(?<![\d.]){re.escape(s)}(?!\d)", message)]
    assert not leaked, f"the message states the reference {reference}: {message}"


def _pinv_right(sigma):
    return 1.0 / float(operators.Blur((32,), sigma).singular_values().min())


def test_stability_checks_pass_on_right_answers(capsys):
    checks.blur_pinv_lipschitz(_pinv_right, 32)
    B = operators.Blur((32,), 1.0).to(torch.float64)
    x = torch.rand(1, 1, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    checks.blur_inverse(lambda v: torch.fft.ifft(torch.fft.fft(v) / B.transfer).real, B, x)
    checks.blur_inverse_estimate(0.995 / float(B.singular_values().min()), B)
    checks.tikhonov_norm(lambda s, lam: float((s / (s**2 + lam)).max()))
    checks.lam_for_bound(1 / 400, 10.0)
    checks.relu_lipschitz("L^(1/2)", 0.0, 0.5)
    checks.relu_lipschitz("L^2", 0.5, 2.0)
    checks.relu_attack_estimate("n = 100", 0.0, 2.0, within=1.0)
    mask = torch.arange(32) % 4 == 0
    F = operators.SubsampledFourier(mask).to(torch.float64)
    x_tik = solvers.tikhonov(F, F(x), 0.1)
    checks.tikhonov_kernel_share(F, x, 0.1, x_tik,
                                           float((x_tik - F.H(F(x_tik))).norm() / x_tik.norm()))
    assert capsys.readouterr().out.count("correct") == 9


def test_stability_checks_reject_without_revealing_the_reference():
    B = operators.Blur((32,), 1.0).to(torch.float64)
    exact = 1 / float(B.singular_values().min())
    # a hard-coded table of the values at the widths the exercise prints does not pass
    table = {0.5: _pinv_right(0.5), 1.0: _pinv_right(1.0)}
    with pytest.raises(checks.CheckError, match="L for sigma = 0.8") as err:
        checks.blur_pinv_lipschitz(lambda s: table.get(s, 1.0), 32)
    _assert_hidden(err, _pinv_right(0.8))
    with pytest.raises(checks.CheckError, match="too small") as err:
        checks.blur_pinv_lipschitz(lambda s: 1 / float(operators.Blur((32,), s)
                                                                 .singular_values().max()), 32)
    _assert_hidden(err, _pinv_right(0.5))
    with pytest.raises(checks.CheckError, match="exceeds the exact constant") as err:
        checks.blur_inverse_estimate(1.5 * exact, B)
    _assert_hidden(err, exact)
    with pytest.raises(checks.CheckError, match="asks for one within 1%") as err:
        checks.blur_inverse_estimate(0.9 * exact, B)
    _assert_hidden(err, exact)
    x = torch.rand(1, 1, 32, dtype=torch.float64)
    with pytest.raises(checks.CheckError, match="inverse"):
        checks.blur_inverse(lambda v: torch.fft.ifft(torch.fft.fft(v) * B.transfer).real, B, x)
    with pytest.raises(checks.CheckError, match="lam = 0.001: got .* too large"):
        checks.tikhonov_norm(lambda s, lam: float((1 / s).max()))
    with pytest.raises(checks.CheckError, match="orthonormal rows"):   # right only for one A
        checks.tikhonov_norm(lambda s, lam: float((s / (s**2 + lam)).max())
                                       if len(s) == 10 else 1.0)
    with pytest.raises(checks.CheckError, match="above 10"):
        checks.lam_for_bound(1 / 500, 10.0)
    with pytest.raises(checks.CheckError, match="not the smallest") as err:
        checks.lam_for_bound(0.01, 10.0)
    _assert_hidden(err, 1 / 400)
    for eps, wrong, right in ((0.5, 0.5, 0.0), (2.0, 1.0, 0.5), (2.0, 0.25, 0.5)):
        with pytest.raises(checks.CheckError, match="too (large|small)") as err:
            checks.relu_lipschitz("L", wrong, eps)
        _assert_hidden(err, right)
    with pytest.raises(checks.CheckError, match="exceeds"):
        checks.relu_attack_estimate("n = 1", 0.6, 2.0, within=0.01)
    mask = torch.arange(32) % 4 == 0
    F = operators.SubsampledFourier(mask).to(torch.float64)
    with pytest.raises(checks.CheckError, match="not the Tikhonov reconstruction"):
        checks.tikhonov_kernel_share(F, x, 0.1, x, 0.0)
    x_tik = solvers.tikhonov(F, F(x), 0.1)
    with pytest.raises(checks.CheckError, match="kernel_share: got 0.5"):
        checks.tikhonov_kernel_share(F, x, 0.1, x_tik, 0.5)


def test_kernel_checks_for_the_warmup_and_chapter_1(capsys):
    N = 16
    keep = (torch.fft.fftfreq(N) * N).abs() <= 3

    def A(v):
        return torch.fft.fft(v, norm="ortho")[keep]

    def A_adj(y):
        full = torch.zeros(N, dtype=torch.complex128)
        full[keep] = y
        return torch.fft.ifft(full, norm="ortho")

    checks.coisometry(A, A_adj, (N,))
    with pytest.raises(checks.CheckError, match="differs from y"):
        checks.coisometry(A, lambda y: 2 * A_adj(y), (N,))
    x = torch.linspace(0, 1, N, dtype=torch.float64).to(torch.complex128)
    kernel_vector = torch.zeros(N, dtype=torch.complex128)
    kernel_vector[N // 2] = 1.0
    x2 = x + 0.6 * torch.fft.ifft(kernel_vector, norm="ortho") / torch.fft.ifft(
        kernel_vector, norm="ortho").norm()
    checks.same_data(A, x, x2, min_distance=0.5)
    with pytest.raises(checks.CheckError, match="at least 0.5"):
        checks.same_data(A, x, x + (x2 - x) / 2, min_distance=0.5)
    with pytest.raises(checks.CheckError, match="same measurements"):
        checks.same_data(A, x, x + 1, min_distance=0.5)
    with pytest.raises(checks.CheckError, match="equals x"):
        checks.same_data(A, x, x)
    with pytest.raises(checks.CheckError, match="real image"):
        checks.same_data(A, x.real, x2, real=True)
    part = (x2 - A_adj(A(x2)))
    checks.exact_on("psi(A x2) = x2", lambda y: A_adj(y) + part, A, x2)
    with pytest.raises(checks.CheckError, match="differs from x by up to"):
        checks.exact_on("psi(A x2) = x2", A_adj, A, x2)
    z = torch.ones(N, dtype=torch.float64) * (-1.0) ** torch.arange(N)
    checks.approximate_kernel(A, z / z.norm(), 1e-9, unit_norm=True)
    with pytest.raises(checks.CheckError, match="norm 1"):
        checks.approximate_kernel(A, z, 1e-9, unit_norm=True)
    assert capsys.readouterr().out.count("correct") == 4


@pytest.fixture(scope="module")
def radial():
    """The shipped radial networks and two test heads, on one thread (as the notebooks run:
    small FFT-bound solvers are many times slower with several threads on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    unet = zoo.load("unet_radial64")
    itnet = zoo.load("itnet_radial64_nonoise")
    X = recipes.test_set("unet_radial64")[:2]
    yield unet, itnet, X
    torch.set_num_threads(threads)


def test_learned_checks_pass_and_reject_without_revealing(radial, capsys):
    unet, itnet, X = radial
    A = unet.A
    X = X[:1]                                  # one head: each TV reference costs 300 iterations
    with torch.no_grad():
        p_unet = metrics.psnr(unet(A(X)), X, 1.0)
    lam = zoo.info("unet_radial64")["metrics"]["tv_lam"]
    p_tv = metrics.psnr(solvers.tv(A, A(X), lam, n_iter=300, real=True), X, 1.0)
    gain = float((p_unet - p_tv).mean())
    checks.psnr_comparison(unet, X, p_unet, p_tv, gain)
    with pytest.raises(checks.CheckError, match="gain: got .* too small") as err:
        checks.psnr_comparison(unet, X, p_unet, p_tv, gain - 0.5)
    _assert_hidden(err, gain)
    with pytest.raises(checks.CheckError, match="psnr_tv: got .* too large") as err:
        checks.psnr_comparison(unet, X, p_unet, p_tv + 0.5, gain)
    _assert_hidden(err, float(p_tv))
    with pytest.raises(checks.CheckError, match="psnr_unet: got .* too small") as err:
        checks.psnr_comparison(unet, X, p_unet - 0.5, p_tv, gain)
    _assert_hidden(err, float(p_unet))
    checks.data_step(lambda x, y, s: x - s * A.H(A(x) - y).real, itnet, X)
    with pytest.raises(checks.CheckError, match="data_step"):
        checks.data_step(lambda x, y, s: x - A.H(A(x) - y).real, itnet, X)

    def my_itnet(y, skip=None):
        x = A.H(y).real
        for k in range(itnet.n_iter):
            x = x + itnet.nets[k](x) if k != skip else x
            x = x - itnet.lam[k] * A.H(A(x) - y).real
        return x

    checks.unrolled_itnet(my_itnet, itnet, X)
    with pytest.raises(checks.CheckError, match="my_itnet"):
        checks.unrolled_itnet(lambda y: my_itnet(y, skip=0), itnet, X)
    checks.mean_noise_ratio(0.5, A.m)
    with pytest.raises(checks.CheckError, match="too large") as err:
        checks.mean_noise_ratio(1 / 3 ** 0.5, A.m)
    _assert_hidden(err, 0.5)
    assert capsys.readouterr().out.count("correct") == 4


def test_risk_minimiser_and_out_of_distribution(radial, capsys):
    unet, _, X = radial
    x, z = X[:1], torch.zeros_like(X[:1])
    z[..., 20:30, 20:30] = 0.3
    images = torch.cat([x] * 7 + [x + z] * 3)
    ts = torch.linspace(0, 1, 101)
    checks.risk_minimiser(0.3, ts, images, x, z)
    for wrong in (0.5, 0.7, 1.0):
        with pytest.raises(checks.CheckError, match="a smaller t") as err:
            checks.risk_minimiser(wrong, ts, images, x, z)
        _assert_hidden(err, 0.3)
    with pytest.raises(checks.CheckError, match="a larger t"):
        checks.risk_minimiser(0.0, ts, images, x, z)
    with pytest.raises(checks.CheckError, match=r"values in \[0, 1\]"):
        checks.out_of_distribution(2 * X[:1], 1.0, 1.0, unet, X)
    with pytest.raises(checks.CheckError, match="one real image of shape"):
        checks.out_of_distribution(X, 1.0, 1.0, unet, X)
    with pytest.raises(checks.CheckError, match="growth_unet: got 100"):
        checks.out_of_distribution(X[:1], 100.0, 1.0, unet, X)
    from tk_lessons import data

    lam = zoo.info("unet_radial64")["metrics"]["tv_lam"]

    def growths(image):
        out = []
        for recon in (unet, lambda v: solvers.tv(unet.A, v, lam, n_iter=300, real=True)):
            with torch.no_grad():
                out.append(float(metrics.rel_error(recon(unet.A(image)), image)
                                 / metrics.rel_error(recon(unet.A(X)), X).mean()))
        return out

    ellipses = data.ellipses(64, seed=1)
    checks.out_of_distribution(ellipses, *growths(ellipses), unet, X)
    head = X[1:]                                       # a test head is no outlier
    with pytest.raises(checks.CheckError, match="growth of the U-Net's error: .* at least 3"):
        checks.out_of_distribution(head, *growths(head), unet, X)
    assert capsys.readouterr().out.count("correct") == 2


def test_instability_checks_on_a_small_map(capsys):
    gen = torch.Generator().manual_seed(5)
    W = torch.randn(6, 6, generator=gen, dtype=torch.complex128)

    def net(y):
        return (y @ W.T).abs()

    def perturb(y, eps, generator):
        g = torch.randn(y.shape, generator=generator, dtype=y.dtype)
        return y + eps * g / g.abs().norm(dim=1, keepdim=True)

    y = torch.randn(1, 6, generator=gen, dtype=torch.complex128)
    x = net(y) + 0.1
    e_adv = 0.1 * torch.randn(1, 6, generator=gen, dtype=torch.complex128)

    def rel(v):
        return float((net(v) - x).norm() / x.norm())

    generator = torch.Generator().manual_seed(0)
    right = [rel(perturb(y, float(e_adv.abs().norm()), generator)) for _ in range(20)]
    checks.random_errors(right, perturb, net, y, x, e_adv)
    with pytest.raises(checks.CheckError, match="entries are wrong") as err:
        checks.random_errors(right[1:] + right[:1], perturb, net, y, x, e_adv)
    _assert_hidden(err, right[0])
    with pytest.raises(checks.CheckError, match=r"expected shape \(20,\)"):
        checks.random_errors(right[:10], perturb, net, y, x, e_adv)
    with pytest.raises(checks.CheckError, match="expected at least 1.5"):
        checks.attack_beats_random(net, y, x, e_adv, [10.0], factor=1.5)
    checks.attack_beats_random(net, y, x, e_adv, [1e-6], factor=1.5)
    lower = float((net(y + e_adv) - net(y)).norm() / e_adv.abs().norm())
    generator = torch.Generator().manual_seed(0)
    noisy = [perturb(y, float(e_adv.abs().norm()), generator) for _ in range(20)]
    top = max(float((net(v) - net(y)).norm() / (v - y).abs().norm()) for v in noisy)
    checks.lipschitz_ratios(lower, top, net, y, e_adv, perturb)
    with pytest.raises(checks.CheckError, match="L_lower: got") as err:
        checks.lipschitz_ratios(lower * 1.01, top, net, y, e_adv, perturb)
    _assert_hidden(err, lower)
    with pytest.raises(checks.CheckError, match="L_random: got") as err:
        checks.lipschitz_ratios(lower, top * 0.9, net, y, e_adv, perturb)
    _assert_hidden(err, top)
    assert capsys.readouterr().out.count("correct") == 3


def test_nested_sampling_rejects_without_revealing(capsys):
    X = torch.stack([d for d in recipes.test_set("unet_radial64")[:2]])
    recorded = zoo.info("unet_cartesian_rate")["metrics"]["psnr_by_rate"]
    by_rate = [recorded[f"{r:.4f}"] for r in recipes.CARTESIAN_RATES]
    far = [v + 5.0 for v in by_rate]
    with pytest.raises(checks.CheckError, match="against the manifest") as err:
        checks.nested_sampling(far, 0.2, [0.0] * len(by_rate), [X] * len(by_rate), X)
    for value in by_rate:
        _assert_hidden(err, value)
    peak = recipes.CARTESIAN_RATES[int(torch.tensor(by_rate).argmax())]
    wrong_peak = recipes.CARTESIAN_RATES[0] if peak != recipes.CARTESIAN_RATES[0] else \
        recipes.CARTESIAN_RATES[1]
    with pytest.raises(checks.CheckError, match="peak_rate: got"):
        checks.nested_sampling(by_rate, wrong_peak, [], [], X)
    with pytest.raises(checks.CheckError, match="one per rate"):
        checks.nested_sampling(by_rate, peak, [], [X], X)
    zero = [torch.zeros_like(X)] * len(by_rate)
    with pytest.raises(checks.CheckError, match="data misfit"):
        checks.nested_sampling(by_rate, peak, [0.0] * len(by_rate), zero, X)
    exact = [X.clone() for _ in by_rate]           # x itself is feasible, with TV(x)
    rough = [X + 0.05 * torch.randn_like(X) for _ in by_rate]
    with pytest.raises(checks.CheckError, match="data misfit|exceeds TV"):
        checks.nested_sampling(by_rate, peak, [0.0] * len(by_rate), rough, X)
    with pytest.raises(checks.CheckError, match="tv_psnr"):      # the PSNR of x itself is inf
        checks.nested_sampling(by_rate, peak, [100.0] * len(by_rate), exact, X)
    checks.nested_sampling(by_rate, peak, [float("inf")] * len(by_rate), exact, X)
    assert capsys.readouterr().out.count("correct") == 1


def test_kernel_counts_fail_without_stating_the_answer():
    from tk_lessons.operators import MatrixOperator

    keep = (torch.fft.fftfreq(16) * 16).abs() <= 3        # 7 of 16 frequencies: dim N(A) = 9

    def A(v):
        return torch.fft.fft(v, norm="ortho")[keep]

    for wrong in (7, 10):
        with pytest.raises(checks.CheckError, match="too (small|large)") as err:
            checks.kernel_dimension(A, (16,), wrong)
        _assert_hidden(err, 9)
    with pytest.raises(checks.CheckError, match="too large") as err:
        checks.trace("trace of P", lambda z: z - torch.fft.ifft(
            torch.fft.fft(z, norm="ortho") * keep, norm="ortho"), (16,), 16.0)
    _assert_hidden(err, 9)
    S = MatrixOperator(torch.diag(torch.logspace(0, -8, 12, dtype=torch.float64)))
    with pytest.raises(checks.CheckError, match="too few") as err:
        checks.singular_value_count(S, 1e-4, 2)
    _assert_hidden(err, 6)
    x = torch.tensor([3.0, 4.0], dtype=torch.float64)
    with pytest.raises(checks.CheckError, match="too small for your map") as err:
        checks.reconstruction_error("error on x", lambda y: torch.zeros(2, dtype=torch.float64),
                                           lambda v: v[:1], x, 4.0)
    _assert_hidden(err, 5.0)


def test_defined_names_what_is_missing_and_rejects_a_non_namespace():
    from tk_lessons import checks

    with pytest.raises(checks.CheckError, match=r"^psi: not defined"):
        checks.defined({"A": 1}, "A", "psi")
    with pytest.raises(TypeError, match="namespace must be a dict"):
        checks.defined(["A"], "A")


def test_every_check_of_every_topic_module_is_reachable_as_tk_checks_name():
    import importlib
    import pkgutil

    topics = [info.name for info in pkgutil.iter_modules(checks.__path__) if not info.name.startswith("_")]
    assert {"basics", "linear_maps", "stability", "sparse_recovery", "learned",
            "instabilities"} <= set(topics)
    exported = set()
    for topic in topics:
        module = importlib.import_module(f"tk_lessons.checks.{topic}")
        for name in module.__all__:
            assert getattr(checks, name) is getattr(module, name), f"tk.checks.{name} is not {topic}.{name}"
        exported |= set(module.__all__)
    assert set(checks.__all__) == exported | {"CheckError"}
    assert f"{checks.CheckError.__module__}.{checks.CheckError.__name__}" == "tk_lessons.checks.CheckError"
