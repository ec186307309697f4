"""Issue 13 probe: 64x64 ellipses, radial Fourier with more spokes, with/without a near-kernel texture detail."""
import sys, time, math, torch
from tk_lessons import data, metrics, attacks, solvers
from tk_lessons.zoo import registry
from tk_lessons.networks import training
torch.set_num_threads(1)
SPOKES = int(sys.argv[1]) if len(sys.argv) > 1 else 20
BUDGET = float(sys.argv[2]) if len(sys.argv) > 2 else 600      # training seconds per network
spec = {"operator": {"kind": "fourier", "mask": {"kind": "cartesian", "size": 64, "rate": 0.25, "center_fraction": 0.25}},
        "model": {"kind": "postprocessing", "init": "adjoint", "input": "channels",
                  "net": {"kind": "unet", "dim": 2, "in_channels": 2, "out_channels": 1, "base": 16,
                          "depth": 3, "residual": False, "seed": 0}}}
A, _ = registry.build(spec)
def images(n, seed):
    d = data.EllipsesDataset(n, size=64, seed=seed)
    return torch.stack([d[i] for i in range(n)])
def add_detail(X, seed, freq=12.0):
    g = torch.Generator().manual_seed(seed)
    n = X.shape[0]
    on = torch.rand(n, generator=g) < 0.5
    c = 20 + 24 * torch.rand(n, 2, generator=g)
    theta = torch.zeros(n)                     # varies along the undersampled axis
    amp = 0.15 + 0.1 * torch.rand(n, generator=g)
    i, j = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    di, dj = i[None] - c[:, 0, None, None], j[None] - c[:, 1, None, None]
    phase = 2 * math.pi * freq / 64 * (di * torch.cos(theta)[:, None, None] + dj * torch.sin(theta)[:, None, None])
    d = amp[:, None, None] * torch.cos(phase) * torch.exp(-(di ** 2 + dj ** 2) / (2 * 4.0 ** 2))
    d = d[:, None]
    return X + on[:, None, None, None] * d, on, d
t0 = time.perf_counter()
Xtr, _, _ = add_detail(images(2000, 1), 10)
Xva, _, _ = add_detail(images(32, 2), 11)
Xte, on_te, d_te = add_detail(images(32, 3), 12)
print("data", round(time.perf_counter() - t0), "s; spokes", SPOKES, "samples", A.m,
      "; detail visible fraction", round((A(d_te[:1]).abs().norm() / d_te[:1].norm()).item(), 3), flush=True)
ny = A(Xte).abs().flatten(1).norm(dim=1).mean().item()
maps = {}
for tag, eta_rel in (("nonoise", 0.0), ("highnoise", 0.05)):
    _, m = registry.build(spec)
    t0 = time.perf_counter()
    training.train(m, A, Xtr[:200], epochs=1, batch_size=16, lr=1e-3, eta=eta_rel * ny, seed=0)
    per = (time.perf_counter() - t0) * 10
    epochs = max(1, int(BUDGET / per))
    _, m = registry.build(spec)
    h = training.train(m, A, Xtr, epochs=epochs, batch_size=16, lr=1e-3, eta=eta_rel * ny, val_dataset=Xva, seed=0)
    maps[tag] = m
    print(tag, epochs, "epochs", round(time.perf_counter() - t0), "s; val psnr", [round(v, 1) for v in h.val_psnr], flush=True)
Xv8 = Xva[:8]
best = max((1e-4, 3e-4, 1e-3, 3e-3, 1e-2), key=lambda l: metrics.psnr(solvers.tv(A, A(Xv8), l, n_iter=300, real=True), Xv8, 1.0).mean().item())
maps["tv"] = lambda v: solvers.tv(A, v, best, n_iter=300, real=True)
print("tv lam", best, flush=True)
X, y = Xte[:6], A(Xte[:6])
for name, f in maps.items():
    t0 = time.perf_counter()
    with torch.no_grad():
        xr = f(A(Xte))
    psnr = metrics.psnr(xr, Xte, 1.0)
    frac = ((xr - (Xte - on_te[:, None, None, None] * d_te)) * d_te).flatten(1).sum(1) / (d_te ** 2).flatten(1).sum(1)
    row = {0.0: metrics.rel_error(f(y), X).mean().item()}
    g = torch.Generator().manual_seed(0); prev = None
    for lev in (0.08, 0.04, 0.02):
        r = attacks.measurement_attack(f, y, X, lev, relative=True, n_iter=40, restarts=2, warm_start=prev, seed=g,
                                       optimizer="pgd", lr=1.0)
        prev = r
        with torch.no_grad():
            row[lev] = metrics.rel_error(f(y + r.e), X).mean().item()
    eps = 0.05 * y.abs().flatten(1).norm(dim=1).mean().item()
    lb = attacks.lipschitz_lower_bound(f, y, eps, n_iter=40, restarts=2, seed=0)
    print(f"{name:10} psnr {psnr.mean():.1f} (detail {psnr[on_te].mean():.1f}, plain {psnr[~on_te].mean():.1f}) detail drawn {frac[on_te].mean():.2f}"
          + "".join(f"  {k:.0%}: {v:6.2%}" for k, v in sorted(row.items()))
          + f"  L>= {lb.ratio.min():.2f}..{lb.ratio.max():.2f}  {time.perf_counter()-t0:.0f}s", flush=True)
