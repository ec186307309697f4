"""tk.attacks as a package: clear errors for bad arguments, the docstring examples, CPU/CUDA agreement."""

from __future__ import annotations

import doctest
import importlib

import pytest
import torch

import tk_lessons as tk
from tk_lessons import attacks
from tk_lessons.attacks import (adversarial_perturbation, ball_test, false_positive_negative, jacobian_norm,
                                kernel_pair, lipschitz_lower_bound, local_lipschitz, measurement_attack,
                                random_noise_test)
from tk_lessons.operators import MatrixOperator

pytestmark = pytest.mark.usefixtures("one_thread")   # tests/conftest.py


A = MatrixOperator(torch.randn(4, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
X = torch.rand(2, 6, dtype=torch.float64)
Y = A(X)
R = A.H


def bad_calls():
    """(call, error type, text the message must contain): each names the parameter and the value."""
    return [
        (lambda: adversarial_perturbation(3, A, X, lam=0.1), TypeError, "recon must be a reconstructor"),
        (lambda: adversarial_perturbation(R, "A", X, lam=0.1), TypeError, "A must be a tk_lessons.operators"),
        (lambda: adversarial_perturbation(R, A, X[:, :5], lam=0.1), ValueError, r"x must have shape \(B, 6\)"),
        (lambda: adversarial_perturbation(R, A, X, lam=-1.0), ValueError,
         "lam must be a finite number >= 0, got -1.0"),
        (lambda: adversarial_perturbation(R, A, X, lam=0.1, n_iter=0), ValueError,
         "n_iter must be an integer >= 1, got 0"),
        (lambda: adversarial_perturbation(R, A, X, lam=0.1, lr=0), ValueError, "lr must be a finite number > 0"),
        (lambda: adversarial_perturbation(R, A, X, lam=0.1, momentum=1.0), ValueError,
         r"momentum must lie in \[0, 1\)"),
        (lambda: adversarial_perturbation(R, A, X, lam=0.1, eps=0), ValueError,
         "eps must be a finite number > 0"),
        (lambda: adversarial_perturbation(R, A, X, lam=0.1, init="uniform"), ValueError, "init must be one of"),
        (lambda: adversarial_perturbation(R, A, X, lam=0.1, init=torch.zeros(3, 6)), ValueError,
         "init must have the shape of x"),
        (lambda: adversarial_perturbation(R, A, X, lam=0.1, reference="clean"), ValueError,
         "reference must be one of"),
        (lambda: adversarial_perturbation(R, A, X, lam=0.1, seed=-1), ValueError,
         "seed must be a non-negative integer"),
        (lambda: measurement_attack(R, Y, X, 0.0), ValueError, "eps must be a finite number > 0, got 0.0"),
        (lambda: measurement_attack(R, Y, X, [0.1, 0.05]), TypeError, "eps must be one radius .* loop .* warm_start="),
        (lambda: random_noise_test(R, Y, X, []), ValueError, "eps must be a number or a non-empty list"),
        (lambda: measurement_attack(R, Y, X, "0.1"), TypeError, "eps must be a real number"),
        (lambda: measurement_attack(R, Y, X, 0.1, n_iter=0), ValueError, "n_iter must be an integer >= 1, got 0"),
        (lambda: measurement_attack(R, Y, X, 0.1, restarts=0), ValueError, "restarts must be an integer >= 1"),
        (lambda: measurement_attack(R, Y, X[:1], 0.1), ValueError, r"x must have the shape of recon\(y\), \(2, 6\)"),
        (lambda: measurement_attack(R, Y, X, 0.1, optimizer="sgd"), ValueError, "optimizer must be one of"),
        (lambda: measurement_attack(R, Y, X, 0.1, relative="yes"), TypeError, "relative must be True or False"),
        (lambda: measurement_attack(R, torch.zeros(2, 4), None, 0.1, relative=True), ValueError, r"\|\|y\|\| = 0"),
        (lambda: measurement_attack(R, Y.numpy(), X, 0.1), TypeError, "y must be a torch.Tensor"),
        (lambda: measurement_attack(R, Y.long(), X, 0.1), TypeError, "y must be a floating-point or complex tensor"),
        (lambda: measurement_attack(R, Y[0], X, 0.1), ValueError, r"y must be a batch of shape \(B, ...\)"),
        (lambda: measurement_attack(lambda y: 1.0, Y, None, 0.1), TypeError, "recon must return a torch.Tensor"),
        (lambda: measurement_attack(lambda y: y[:1], Y, None, 0.1), ValueError, "recon must map a batch of 2"),
        (lambda: measurement_attack(R, Y, X, 0.1, warm_start="r"), TypeError, "warm_start must be an AttackResult"),
        (lambda: lipschitz_lower_bound(R, Y, -0.5), ValueError, "eps must be a finite number > 0, got -0.5"),
        (lambda: lipschitz_lower_bound(R, Y, 0.1, n_iter=0), ValueError, "n_iter must be an integer >= 1"),
        (lambda: lipschitz_lower_bound(None, Y, 0.1), TypeError, "recon must be a reconstructor"),
        (lambda: jacobian_norm(R, Y, n_iter=0), ValueError, "n_iter must be an integer >= 1"),
        (lambda: jacobian_norm(R, Y, method="fd"), ValueError, "method must be one of"),
        (lambda: local_lipschitz(R, Y, Y[:, :3]), ValueError, r"e must have the shape of y, \(2, 4\)"),
        (lambda: random_noise_test(R, Y, X, 0.0), ValueError, "eps must be a finite number > 0"),
        (lambda: random_noise_test(R, Y, X, 0.1, trials=0), ValueError, "trials must be an integer >= 1"),
        (lambda: random_noise_test(R, Y, X, 0.1, threshold=0), ValueError, "threshold must be a finite number > 0"),
        (lambda: random_noise_test(R, Y, X[:, :5], 0.1), ValueError, r"x must have the shape of recon\(y\)"),
        (lambda: ball_test(R, Y, Y, X, [0.1, -1.0]), ValueError, r"eps\[1\] must be a finite number >= 0"),
        (lambda: ball_test(R, Y, Y[:1], X, 0.1), ValueError, "e_adv must have the shape of y"),
        (lambda: kernel_pair(A, X[:, :5], X), ValueError, r"x must have shape \(B, 6\)"),
        (lambda: kernel_pair(A, X, X, scale="big"), TypeError, "scale must be a real number"),
        (lambda: false_positive_negative(R, (X, X)), TypeError, "pair must be a KernelPair"),
    ]


@pytest.mark.parametrize("call, error, match", bad_calls())
def test_bad_arguments_give_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_lazy_package_access_and_public_names():
    assert tk.attacks is attacks
    for name in attacks.__all__:
        obj = getattr(attacks, name)
        assert obj.__doc__ and "Examples" in obj.__doc__, name


@pytest.mark.parametrize("module", ["result", "perturbation", "measurement", "kernel_pairs", "noise", "lipschitz"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"tk_lessons.attacks.{module}")
    failures, tried = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


@pytest.mark.cuda
def test_cuda_gives_the_same_perturbations_as_cpu():
    from tk_lessons import sampling
    from tk_lessons.operators import SubsampledFourier

    F = SubsampledFourier(sampling.uniform((16, 16), 0.3, seed=0)).to(torch.float64)
    x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    recon = lambda y: torch.tanh(3 * F.H(y).real)                               # noqa: E731
    Fc = SubsampledFourier(sampling.uniform((16, 16), 0.3, seed=0)).to(device="cuda", dtype=torch.float64)
    recon_c = lambda y: torch.tanh(3 * Fc.H(y).real)                            # noqa: E731
    xc = x.cuda()
    a = adversarial_perturbation(recon, F, x, lam=0.1, lr=0.01, n_iter=20, seed=0)
    b = adversarial_perturbation(recon_c, Fc, xc, lam=0.1, lr=0.01, n_iter=20, seed=0)
    assert b.device.type == "cuda" and torch.allclose(a.e, b.e.cpu(), rtol=1e-6, atol=1e-9)
    a = measurement_attack(recon, F(x), x, 0.05, relative=True, n_iter=20, restarts=2, seed=0)
    b = measurement_attack(recon_c, Fc(xc), xc, 0.05, relative=True, n_iter=20, restarts=2, seed=0)
    assert torch.allclose(a.e, b.e.cpu(), rtol=1e-5, atol=1e-8)
    a = lipschitz_lower_bound(recon, F(x), 0.1, n_iter=20, seed=0)
    b = lipschitz_lower_bound(recon_c, Fc(xc), 0.1, n_iter=20, seed=0)
    assert torch.allclose(a.ratio, b.ratio.cpu(), rtol=1e-6)
    assert torch.allclose(jacobian_norm(recon, F(x)), jacobian_norm(recon_c, Fc(xc)).cpu(), rtol=1e-6)
    a = random_noise_test(recon, F(x), x, 0.1, trials=5, seed=0)
    b = random_noise_test(recon_c, Fc(xc), xc, 0.1, trials=5, seed=0)
    assert torch.allclose(a.errors, b.errors, rtol=1e-6)
