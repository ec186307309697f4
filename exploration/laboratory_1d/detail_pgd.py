"""1-D class with a near-kernel detail: piecewise polynomial + (with prob 1/2) an oscillating bump above the band."""
import sys, time, math, torch
from tk_lessons import data, metrics, attacks
from tk_lessons.zoo import registry, evaluation
from tk_lessons.networks import training
torch.set_num_threads(1)
exec(open('/tmp/lab1d/spec.py').read())
A, _ = registry.build(spec)
F0 = float(sys.argv[1]) if len(sys.argv) > 1 else 40.0   # cycles per unit length; band edge = 32
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 150
def add_details(X, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, SIZE)
    n = X.shape[0]
    on = torch.rand(n, generator=g) < 0.5
    pos = 0.15 + 0.7 * torch.rand(n, generator=g)
    amp = 0.15 + 0.1 * torch.rand(n, generator=g)
    d = amp[:, None] * torch.cos(2 * math.pi * F0 * (t[None] - pos[:, None])) * torch.exp(-((t[None] - pos[:, None]) / 0.03) ** 2)
    return X + (on[:, None] * d)[:, None, :], on, d[:, None, :]
Xtr, _, _ = add_details(data.piecewise_polynomial(1500, SIZE, seed=0), 10)
Xva, _, _ = add_details(data.piecewise_polynomial(50, SIZE, seed=1), 11)
Xte, on_te, d_te = add_details(data.piecewise_polynomial(50, SIZE, seed=2), 12)
dd = d_te[0:1]
print("detail visible fraction ||A d||/||d|| =", round((A(dd).abs().norm() / dd.norm()).item(), 3), flush=True)
ny = A(Xte).abs().flatten(1).norm(dim=1).mean().item()
maps = {}
for tag, eta_rel in (("nonoise", 0.0), ("highnoise", 0.05)):
    _, m = registry.build(spec)
    t0 = time.perf_counter()
    training.train(m, A, Xtr, epochs=EPOCHS, batch_size=32, lr=1e-3, eta=eta_rel * ny, val_dataset=Xva, seed=0)
    maps[tag] = m
    print(tag, "trained", round(time.perf_counter() - t0), "s", flush=True)
lam = max(evaluation.TV_LAMS, key=lambda l: metrics.psnr(evaluation.classical("tv", A, A(Xva[:8]), l, 300), Xva[:8], 1.0).mean().item())
maps["tv"] = lambda v: evaluation.classical("tv", A, v, lam, 300)
X = Xte[:12]; y = A(X)
on = on_te[:12]
for name, f in maps.items():
    t0 = time.perf_counter()
    with torch.no_grad():
        xr = f(A(Xte))
    psnr = metrics.psnr(xr, Xte, 1.0)
    # detail captured: projection of the error onto the detail for detail signals
    frac = ((xr - (Xte - on_te[:, None, None] * d_te)) * d_te).flatten(1).sum(1) / (d_te ** 2).flatten(1).sum(1)
    row = {0.0: metrics.rel_error(f(y), X).mean().item()}
    g = torch.Generator().manual_seed(0); prev = None
    for lev in (0.08, 0.04, 0.02):
        r = attacks.measurement_attack(f, y, X, lev, relative=True, n_iter=100, restarts=3, warm_start=prev, seed=g, optimizer="pgd", lr=1.0)
        prev = r
        with torch.no_grad():
            row[lev] = metrics.rel_error(f(y + r.e), X).mean().item()
    eps = 0.05 * y.abs().flatten(1).norm(dim=1).mean().item()
    lb = attacks.lipschitz_lower_bound(f, y, eps, n_iter=100, restarts=4, seed=0)
    print(f"{name:10} psnr {psnr.mean():.1f} (detail {psnr[on_te].mean():.1f}, plain {psnr[~on_te].mean():.1f}) detail drawn {frac[on_te].mean():.2f} (absent: {frac[~on_te].mean():.2f})"
          + "".join(f"  {k:.0%}: {v:6.2%}" for k, v in sorted(row.items()))
          + f"  L>= {lb.ratio.min():.2f}..{lb.ratio.max():.2f}  {time.perf_counter()-t0:.0f}s", flush=True)
