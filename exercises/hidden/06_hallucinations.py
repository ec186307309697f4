"""Hidden checks for exercises/source/06_hallucinations.md (instructor only).

``python tools/grade.py exercises/source/06_hallucinations.md SUBMISSIONS --hidden --out ...``
runs each ``task<N>_<what>(ns)`` after the notebook, in the student's kernel (``ns`` is its
globals):

* task 1: ``z`` is real, of the shape of the detail, and ``x_prime`` is exactly ``x + z``;
* task 2: the memoriser's training set is right beyond ``x``: it returns the image with the
  detail for the data of ``x``, and the training images of the task for their own data;
* task 3: the student's numbers satisfy the theorem's inequality and the bound is positive;
* task 4: ``transfer_map`` on another batch (three samples, another size, details of very
  different norms, one with negative values) and with another seed.
"""

from __future__ import annotations

import torch

from tk_lessons import checks
from tk_lessons.checks import CheckError


def task1_real_and_sum(ns):
    """z is a real tensor of the detail's shape, and x_prime = x + z."""
    z, x, x_prime, d = checks.defined(ns, "z", "x", "x_prime", "d")
    if not isinstance(z, torch.Tensor) or tuple(z.shape) != tuple(d.shape):
        raise CheckError(f"z must be a tensor of the shape of the detail d, {tuple(d.shape)}")
    if z.is_complex():
        raise CheckError("z must be real: keep the real part of the kernel component")
    checks.close("x_prime - (x + z)", float((x_prime - (x + z)).abs().max()), 0.0, atol=1e-7)


def task2_memoriser_training_set(ns):
    """memo returns x_prime from the data of x, and each other training head from its own data."""
    memo, A, x, x_prime, H = checks.defined(ns, "memo", "A", "x", "x_prime", "H")
    with torch.no_grad():
        rec = memo(A(x))
        if float((rec - x_prime).norm()) > 1e-4 * float(x_prime.norm()):
            raise CheckError("memo(A(x)) must be x_prime: the memoriser's training set holds x_prime, not x")
        others = memo(A(H[3:]))
    if float((others - H[3:]).abs().max()) > 1e-5:
        raise CheckError("the heads H[3:] must be training images of the memoriser "
                         "(each is then reconstructed exactly from its own data)")


def task3_inequality(ns):
    """delta_prime >= lower_bound > 0 and delta >= 0 for the student's numbers."""
    delta, delta_prime, lower_bound = checks.defined(ns, "delta", "delta_prime", "lower_bound")
    values = {"delta": delta, "delta_prime": delta_prime, "lower_bound": lower_bound}
    for name, value in values.items():
        if not isinstance(value, (int, float)) or value != value:
            raise CheckError(f"{name} must be a float, got {type(value).__name__}")
    if delta < 0 or delta_prime < 0:
        raise CheckError("delta and delta_prime are norms: they cannot be negative")
    if not lower_bound > 0:
        raise CheckError("lower_bound must be positive for this network: the detail is larger than its errors")
    checks.at_least("delta_prime, against the lower bound", delta_prime, lower_bound)


def task4_other_batches(ns):
    """transfer_map on three samples of size 5 x 7, details of very different norms, and another seed."""
    (transfer_map,) = checks.defined(ns, "transfer_map")
    g = torch.Generator().manual_seed(11)
    x_rec, x = torch.randn(3, 1, 5, 7, generator=g), torch.randn(3, 1, 5, 7, generator=g)
    z = torch.randn(3, 1, 5, 7, generator=g) * torch.tensor([0.01, 1.0, 30.0]).view(3, 1, 1, 1)
    got = transfer_map(x_rec, x, z)
    ref = (x_rec - x) * z / (z * z).flatten(1).sum(1).view(3, 1, 1, 1)
    if not isinstance(got, torch.Tensor) or got.shape != ref.shape:
        raise CheckError(f"transfer_map must return a tensor of shape {tuple(ref.shape)}")
    checks.close("transfer_map on a batch of three", got, ref, rtol=1e-4, atol=1e-6)
    checks.transfer_map_function(transfer_map, seed=5)
