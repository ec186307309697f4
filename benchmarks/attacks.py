"""Attack speed against a bare forward + backward pass of the same reconstructor (a script, not a test).

    python benchmarks/attacks.py [--device cpu|cuda] [--batch 4] [--n-iter 20] [--rounds 3] [--threads N]

Two reconstructors of 64 x 64 Fourier data (25 % variable-density mask):

* ``unet``: zero filling ``A^H y`` followed by a small U-Net-like network (16-32-64 channels,
  built here, since the course's networks live elsewhere), in eval mode;
* ``fista50``: 50 unrolled FISTA iterations (pixel l1), differentiated through.

For each, the baseline is the rate of a bare ``recon(y)`` forward pass plus the backward pass
to ``y`` (``torch.autograd.grad``), in the same run. Each attack's rate is its number of
iterations per second, measured as the difference between runs of ``2 + n_iter`` and ``2``
iterations, so one-off costs (the clean reconstruction, the final evaluation) are left out.
For ``adversarial_perturbation`` the baseline differentiates ``r -> recon(A(x + r))`` instead,
the map that attack differentiates. The ratio ``attack rate / bare rate`` is the share of the
time spent on the reconstructor itself (target >= 0.8: the attack loop adds <= 25 %).

Times are the smallest over ``--rounds`` interleaved rounds, which damps the noise of a busy
machine; CUDA is synchronised around every timing.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import torch
from torch import nn

from tk_lessons import sampling
from tk_lessons.attacks import adversarial_perturbation, lipschitz_lower_bound, measurement_attack
from tk_lessons.data import shepp_logan
from tk_lessons.operators import SubsampledFourier
from tk_lessons.solvers import fista


class SmallUNet(nn.Module):
    """Two-level U-Net-like network on (real, imaginary) channels, with a residual connection."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                                 nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())

        self.enc1, self.enc2 = block(2, width), block(width, 2 * width)
        self.bottom = block(2 * width, 4 * width)
        self.up2 = nn.ConvTranspose2d(4 * width, 2 * width, 2, stride=2)
        self.dec2 = block(4 * width, 2 * width)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.dec1 = block(2 * width, width)
        self.out = nn.Conv2d(width, 1, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(z)
        e2 = self.enc2(nn.functional.max_pool2d(e1, 2))
        b = self.bottom(nn.functional.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return z[:, :1] + self.out(d1)


def unet_reconstructor(A: SubsampledFourier, device: torch.device):
    torch.manual_seed(0)
    net = SmallUNet().to(device).eval()
    for p in net.parameters():
        p.requires_grad_(False)          # attacks differentiate with respect to the input only

    def recon(y: torch.Tensor) -> torch.Tensor:
        zero_filled = A.H(y)[:, 0]
        return net(torch.stack((zero_filled.real, zero_filled.imag), dim=1))

    return recon


def fista_reconstructor(A: SubsampledFourier):
    return partial(fista, A, lam=1e-3, n_iter=50, real=True)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def seconds(fn, device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def bare_loop(fn, inp: torch.Tensor, n: int):
    """``n`` forward + backward passes of ``fn`` with respect to its input."""
    def run() -> None:
        for _ in range(n):
            t = inp.detach().requires_grad_(True)
            out = fn(t)
            loss = out.real.square().sum() + (out.imag.square().sum() if out.is_complex() else 0)
            torch.autograd.grad(loss, t)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--n-iter", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, "
          f"64 x 64 images, {args.n_iter} timed attack iterations, best of {args.rounds} rounds")

    A = SubsampledFourier(sampling.variable_density((64, 64), 0.25, seed=0)).to(device)
    x = shepp_logan(64).to(device).expand(args.batch, 1, 64, 64).contiguous()
    x = x + 0.01 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0)).to(device)
    y = A(x)
    eps = 0.05 * float(y.abs().square().sum(1).sqrt().mean())
    S = args.n_iter

    recons = {"unet": unet_reconstructor(A, device), "fista50": fista_reconstructor(A)}

    print(f"\n{'reconstructor':<14} {'attack':<26} {'bare it/s':>10} {'attack it/s':>12} {'ratio':>7}")
    for name, recon in recons.items():
        attacks = {
            "measurement_attack (adam)": (lambda s: measurement_attack(recon, y, x, eps, n_iter=s, seed=0),
                                          bare_loop(recon, y, S)),
            "measurement_attack (pgd)": (lambda s: measurement_attack(recon, y, x, eps, n_iter=s, seed=0,
                                                                      optimizer="pgd"),
                                         bare_loop(recon, y, S)),
            "lipschitz_lower_bound": (lambda s: lipschitz_lower_bound(recon, y, eps, n_iter=s, seed=0),
                                      bare_loop(recon, y, S)),
            "adversarial_perturbation": (lambda s: adversarial_perturbation(recon, A, x, lam=0.1, lr=0.01,
                                                                            n_iter=s, seed=0),
                                         bare_loop(lambda r: recon(A(x + r)), torch.zeros_like(x), S)),
        }
        for label, (attack, bare) in attacks.items():
            attack(2)                                # warm-up (first calls allocate and load kernels)
            bare()
            best_bare = best_diff = float("inf")
            for _ in range(args.rounds):
                best_bare = min(best_bare, seconds(bare, device))
                best_diff = min(best_diff, seconds(lambda: attack(2 + S), device) - seconds(lambda: attack(2), device))
            bare_rate, attack_rate = S / best_bare, S / max(best_diff, 1e-9)
            print(f"{name:<14} {label:<26} {bare_rate:>10.1f} {attack_rate:>12.1f} {attack_rate / bare_rate:>7.2f}")


if __name__ == "__main__":
    main()
