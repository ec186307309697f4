import sys, time, torch
from tk_lessons import data, metrics, attacks
from tk_lessons.zoo import registry, evaluation
torch.set_num_threads(1)
exec(open('/tmp/lab1d/spec.py').read())
X = data.piecewise_polynomial(50, SIZE, seed=2)[:12]
A, _ = registry.build(spec)
y = A(X)
maps = {}
for tag in ("nonoise", "lownoise", "highnoise"):
    _, m = registry.build(spec); m.load_state_dict(torch.load(f"/tmp/lab1d/{tag}.pt", weights_only=True)); m.eval()
    maps[tag] = m
TV_LAM = float(sys.argv[1]) if len(sys.argv) > 1 else 0.01
maps["tv"] = lambda v: evaluation.classical("tv", A, v, TV_LAM, 300)
N_ITER, RESTARTS = int(sys.argv[2]) if len(sys.argv) > 2 else 100, 3
levels = (0.08, 0.04, 0.02)
for name, f in maps.items():
    t = time.perf_counter()
    with torch.no_grad():
        e0 = metrics.rel_error(f(y), X).mean().item()
    row = {0.0: e0}
    g = torch.Generator().manual_seed(0)
    prev = None
    for lev in levels:
        r = attacks.measurement_attack(f, y, X, lev, relative=True, n_iter=N_ITER, restarts=RESTARTS,
                                       warm_start=prev, seed=g)
        prev = r
        with torch.no_grad():
            row[lev] = metrics.rel_error(f(y + r.e), X).mean().item()
    eps = 0.05 * y.abs().flatten(1).norm(dim=1).mean().item()
    lb = attacks.lipschitz_lower_bound(f, y, eps, n_iter=N_ITER, restarts=4, seed=0)
    h = lb.history["ratio"]
    late = (h.amax(dim=(0, 1)) / h[:, : N_ITER // 2 + 1].amax(dim=(0, 1)) - 1).max().item()
    print(f"{name:10}" + "".join(f"  {k:.0%}: {v:6.2%}" for k, v in sorted(row.items()))
          + f"   L>= {lb.ratio.min():.2f}..{lb.ratio.max():.2f} (late gain {late:.1%})  {time.perf_counter()-t:.0f}s", flush=True)
