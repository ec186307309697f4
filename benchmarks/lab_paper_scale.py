"""What the laboratory's paper scale needs: time and memory per step, measured small and extrapolated.

    python benchmarks/lab_paper_scale.py [--sizes 32,64,128] [--device cpu|cuda] [--threads N]

For the paper's setting (:func:`tk_lessons.zoo.lab.setting` ``("paper")``: 8-step ItNet of base
32, radial sampling at 16.7 %, the paper's batch of 10) shrunk to each size, it measures

* one training step (forward, backward, Adam) on a batch of 10 images;
* one step of the worst-case search (forward and backward of the network on 10 images);
* one step of the search through TV (200 ADMM iterations, differentiated through);
* the memory of each (CUDA: ``torch.cuda.max_memory_allocated``; CPU: the activations autograd
  saves for the backward pass, which is what grows with the size);

and extrapolates to 256 x 256: the time by the power of the size between the two largest sizes,
the memory as a constant plus a part proportional to the number of pixels, fitted to the two
largest sizes. The 256 x 256 columns are **estimates**, labelled as such; the totals multiply them
by the paper's effort: 41 epochs x 2500 steps of training per network, and 10 images x 6
restarts x 1000 steps x 4 levels of search per network (250 steps through 200 TV iterations
for TV). A ratio column compares each size with the smallest, measured in the same run.
"""

from __future__ import annotations

import argparse
import math

import torch
from networks import min_time            # the timing loop of the sibling benchmark (scripts run from benchmarks/)

from tk_lessons import solvers
from tk_lessons.zoo import build, lab

BATCH = 10


def _saved_mb(loss_fn) -> float:
    """Megabytes of the tensors autograd keeps for the backward pass of ``loss_fn()`` (the activations).

    This, not the weights, is what grows with the image size; it is exact and the same on every
    device, unlike the process's resident memory.
    """
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += t.numel() * t.element_size()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss_fn()
    return total / 2 ** 20


def _timed(step, loss_fn, device: torch.device, repeats: int = 3) -> tuple[float, float]:
    """Fastest of ``repeats`` calls of ``step`` (after a warm-up, :func:`networks.min_time`) and its memory in MB.

    Memory: the peak allocated on CUDA; on the CPU the activations saved for the backward pass.
    """
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    best = min_time(step, repeats, device)
    memory = torch.cuda.max_memory_allocated() / 2 ** 20 if device.type == "cuda" else _saved_mb(loss_fn)
    return best, memory


def measure(size: int, device: torch.device) -> dict[str, tuple[float, float]]:
    paper = lab.setting("paper", size=size)
    spec = {"operator": paper.operator, "model": lab.SCALES["paper"].model}   # the paper's network, not the tiny one
    A, model = build(spec)
    A, model = A.to(device), model.to(device)
    x = torch.rand(BATCH, 1, size, size, device=device)
    y = A(x)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-5)

    def train_loss():
        return (model(y) - x).square().mean()

    def train_step():
        optimiser.zero_grad()
        train_loss().backward()
        optimiser.step()

    def attack_loss():
        e = torch.zeros_like(y, requires_grad=True)
        return (model(y + e) - x).square().sum()

    def tv_loss():
        e = torch.zeros_like(y, requires_grad=True)
        return (solvers.tv(A, y + e, 1e-3, n_iter=200, real=True) - x).square().sum()

    model.train()
    out = {"train": _timed(train_step, train_loss, device)}
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    out["attack"] = _timed(lambda: attack_loss().backward(), attack_loss, device)
    out["tv attack"] = _timed(lambda: tv_loss().backward(), tv_loss, device, repeats=1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="32,64,128")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sizes = [int(s) for s in args.sizes.split(",")]
    found = {s: measure(s, device) for s in sizes}
    kinds = list(found[sizes[0]])
    print(f"paper setting shrunk, batch {BATCH}, on {device} ({torch.get_num_threads()} threads)")
    print(f"{'step':10s}" + "".join(f"{s:>8d}² s  (ratio)" for s in sizes) + "   256² s (estimate)   256² MB (estimate)")
    estimates = {}
    for kind in kinds:
        t = [found[s][kind][0] for s in sizes]
        m = [found[s][kind][1] for s in sizes]
        # time: the power of the size between the two largest sizes; memory: constant + per pixel
        power = math.log(t[-1] / t[-2]) / math.log(sizes[-1] / sizes[-2]) if len(sizes) > 1 else 2.0
        est_t = t[-1] * (256 / sizes[-1]) ** power
        per_pixel = (m[-1] - m[-2]) / (sizes[-1] ** 2 - sizes[-2] ** 2) if len(sizes) > 1 else m[-1] / sizes[-1] ** 2
        est_m = m[-1] + per_pixel * (256 ** 2 - sizes[-1] ** 2)
        estimates[kind] = est_t
        print(f"{kind:10s}" + "".join(f"{v:10.4f}  ({v / t[0]:5.1f}x)" for v in t)
              + f"   {est_t:10.3f} (size^{power:.2f})   {est_m:10.0f}")
    train_h = estimates["train"] * 41 * 2500 / 3600
    attack_h = estimates["attack"] * 6 * 1000 * 4 / 3600            # the batch holds the 10 images
    tv_h = estimates["tv attack"] * 6 * 250 * 4 / 3600
    print(f"estimated at 256² on {device}: training {train_h:.1f} h per network (41 epochs x 2500 steps), "
          f"worst-case search {attack_h:.1f} h per network, {tv_h:.1f} h for TV (the paper's effort)")


if __name__ == "__main__":
    main()
