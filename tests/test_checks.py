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
