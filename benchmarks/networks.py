"""Speed of the shipped models' architectures on CPU (a script, not a test).

    python benchmarks/networks.py [--threads N] [--training] [--device cpu|cuda]

* Forward time of each recipe's model (``tk_lessons.zoo.recipes``) on one 64 x 64
  image (one 256-sample signal for the 1-D model), against the issue's 20 ms target.
  Untrained weights until models ship: the time does not depend on the weights.
  Measured as the fastest of several calls (other processes can only slow a call down),
  after a warm-up call, without gradients.
* ``--training``: time 12 training steps (batch 16, Adam, the recipe's jitter) and
  estimate the epoch time and the full training time of each recipe: its epochs times
  the epoch time, plus generating its data (timed on 50 images).
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from tk_lessons.networks import add_jitter
from tk_lessons.zoo import build, recipes

TARGET_MS = 20.0


def min_time(fn, repeats: int, device: torch.device) -> float:
    """Fastest of ``repeats`` calls of ``fn()`` in seconds, after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def _example(A) -> torch.Tensor:
    return torch.rand(1, *A.domain_shape)


def forward_table(device: torch.device, repeats: int) -> None:
    print(f"forward pass, one image, {device}, {torch.get_num_threads()} thread(s); target {TARGET_MS:.0f} ms")
    print(f"{'model':26s} {'input':>10s} {'params':>9s} {'MB':>6s} {'ms':>7s} {'/target':>8s}")
    total_mb = 0.0
    for name, make in recipes.RECIPES.items():
        spec = make(quick=True).spec
        A, model = build(spec)
        model.eval().to(device)
        A.to(device)
        y = A(_example(A).to(device))
        with torch.no_grad():
            seconds = min_time(lambda: model(y), repeats, device)
        params = sum(p.numel() for p in model.parameters())
        mb = 4 * params / 2**20
        total_mb += mb
        shape = "x".join(map(str, A.domain_shape[1:]))
        print(f"{name:26s} {shape:>10s} {params:9d} {mb:6.2f} {1e3 * seconds:7.2f} {1e3 * seconds / TARGET_MS:8.2f}")
    print(f"{'all weights (float32)':26s} {'':>10s} {'':>9s} {total_mb:6.2f}   (limit 20 MB)")


def _data_seconds_per_item(name: str) -> float:
    """Seconds to generate one training item (timed on 100 signals or 50 head images)."""
    start = time.perf_counter()
    if name == "unet1d_tumour":
        recipes.test_set(name)
        return (time.perf_counter() - start) / 100
    recipes.head_images(50, seed=99)
    return (time.perf_counter() - start) / 50


def training_table(steps: int = 12, batch: int = 16) -> None:
    print(f"\ntraining estimate, CPU, {torch.get_num_threads()} thread(s), batch {batch}; limit 15 min per model")
    print(f"{'model':26s} {'s/step':>7s} {'images':>7s} {'s/epoch':>8s} {'epochs':>7s} {'data s':>7s} "
          f"{'total min':>10s}")
    for name, make in recipes.RECIPES.items():
        schedule = recipes.SCHEDULES[name]
        A, model = build(make(quick=True).spec)
        X = torch.rand(batch, *A.domain_shape)
        y = A(X)
        opt = torch.optim.Adam(model.parameters(), lr=1e-5)
        eta = schedule["phases"][0].get("eta", 0.0)
        gen = torch.Generator().manual_seed(0)

        def step():
            y_train = add_jitter(y, eta, gen) if eta else y
            loss = torch.mean((model(y_train) - X) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()

        seconds = min_time(step, steps, torch.device("cpu"))
        n_train = schedule["n_train"]
        epochs = sum(p["epochs"] for p in schedule["phases"])
        per_epoch = seconds * math.ceil(n_train / batch)
        data = _data_seconds_per_item(name) * (n_train + 164)      # + validation and test images
        total = (per_epoch * epochs + data) / 60
        print(f"{name:26s} {seconds:7.3f} {n_train:7d} {per_epoch:8.1f} {epochs:7d} {data:7.1f} {total:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--training", action="store_true", help="also estimate the training times")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    forward_table(torch.device(args.device), args.repeats)
    if args.training:
        training_table()


if __name__ == "__main__":
    main()
