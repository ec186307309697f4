"""Operator speed against baselines measured in the same run (a script, not a test).

    python benchmarks/operators.py [--device cpu|cuda] [--threads N] [--quick]

* SubsampledFourier: time of ``A(x)`` over a bare ``torch.fft.fft2(x, norm="ortho")`` on the
  same real image batch, and of ``A.H(y)`` over a bare ``torch.fft.ifft2`` of a complex
  k-space batch of the same shape (target: both ratios <= 1.3).
* Radon (if ``tk_lessons.operators.radon`` exists): time of ``A.H`` over ``A`` (target <= 2).

Timing: after a warm-up, the calls of one row are interleaved (baseline, operator,
baseline, ...) and each call is timed on its own (with ``torch.cuda.synchronize`` on a
GPU), at least 20 times. Ratios are given for the fastest call ("min", close to the
cost on a quiet machine) and for the median call. Torch's default number of threads
is used unless ``--threads`` says otherwise; the header states it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from tk_lessons.operators import Radon, SubsampledFourier

SIZES = (128, 256)
BATCHES = (1, 8, 32)


def interleaved_times(fns: dict, device: torch.device, budget_s: float) -> dict:
    """``{name: (min, median)}`` seconds per call, the callables timed in turn, one call at a time."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def once(fn) -> float:
        sync()
        start = time.perf_counter()
        fn()
        sync()
        return time.perf_counter() - start

    for fn in fns.values():                      # warm-up (plans, caches, allocator)
        fn(), fn()
    round_s = sum(once(fn) for fn in fns.values())
    repeats = max(20, min(400, int(budget_s / max(round_s, 1e-9))))
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(once(fn))
    return {name: (min(t), statistics.median(t)) for name, t in times.items()}


def fourier_rows(device: torch.device, budget_s: float) -> None:
    print("SubsampledFourier (25% random mask), float32 in, complex64 out; ms (min / median)")
    print(f"{'size':>6} {'B':>3} | {'fft2':>13} {'A':>13} {'A/fft2':>11} | "
          f"{'ifft2':>13} {'A^H':>13} {'A^H/ifft2':>11}")
    gen = torch.Generator().manual_seed(0)
    for n in SIZES:
        A = SubsampledFourier(torch.rand(n, n, generator=gen) < 0.25).to(device)
        for b in BATCHES:
            x = torch.randn(b, 1, n, n, generator=gen).to(device)
            k_space = torch.randn(b, 1, n, n, generator=gen, dtype=torch.complex64).to(device)
            y = A(x)
            t = interleaved_times({
                "fft2": lambda: torch.fft.fft2(x, norm="ortho"),
                "A": lambda: A(x),
                "ifft2": lambda: torch.fft.ifft2(k_space, norm="ortho"),
                "AH": lambda: A.H(y),
            }, device, budget_s)
            print(f"{n:>4}^2 {b:>3} | {fmt(t['fft2'])} {fmt(t['A'])} {ratio(t['A'], t['fft2'])} | "
                  f"{fmt(t['ifft2'])} {fmt(t['AH'])} {ratio(t['AH'], t['ifft2'])}")


def radon_rows(device: torch.device, budget_s: float, angles: int = 60) -> None:
    print(f"Radon ({angles} angles), float32; ms (min / median)")
    print(f"{'size':>6} {'B':>3} | {'A':>15} {'A^T':>15} {'A^T/A':>11}")
    gen = torch.Generator().manual_seed(1)
    for n in SIZES:
        A = Radon(n, angles).to(device)
        for b in BATCHES:
            x = torch.randn(b, 1, n, n, generator=gen).to(device)
            y = A(x)
            t = interleaved_times({"A": lambda: A(x), "AT": lambda: A.H(y)}, device, budget_s)
            print(f"{n:>4}^2 {b:>3} | {fmt(t['A'], 15)} {fmt(t['AT'], 15)} {ratio(t['AT'], t['A'])}")


def fmt(t: tuple[float, float], width: int = 13) -> str:
    return f"{t[0] * 1e3:.3f} / {t[1] * 1e3:.3f}".rjust(width)


def ratio(t: tuple[float, float], base: tuple[float, float]) -> str:
    return f"{t[0] / base[0]:.2f} / {t[1] / base[1]:.2f}".rjust(11)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's default)")
    parser.add_argument("--quick", action="store_true", help="about 0.2 s per row instead of 1 s")
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"torch {torch.__version__}, device {device} ({name}), {torch.get_num_threads()} CPU threads "
          f"(torch default: {default_threads})\n")
    budget_s = 0.2 if args.quick else 1.0
    fourier_rows(device, budget_s)
    print()
    radon_rows(device, budget_s)


if __name__ == "__main__":
    main()
