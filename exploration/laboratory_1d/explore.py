"""Issue 13 exploration: a 1-D laboratory (v1's piecewise polynomials, low-pass Fourier 25%)."""
import sys, time, json, torch
from tk_lessons import data, metrics, attacks, solvers, operators
from tk_lessons.zoo import registry, evaluation
from tk_lessons.networks import training
torch.set_num_threads(1)
SIZE = 256
MODE = sys.argv[1] if len(sys.argv) > 1 else "train"
spec = {"operator": {"kind": "fourier", "mask": {"kind": "lowpass", "size": SIZE, "rate": 0.25}},
        "model": {"kind": "postprocessing", "init": "adjoint", "input": "channels",
                  "net": {"kind": "unet", "dim": 1, "in_channels": 2, "out_channels": 1, "base": 8,
                          "depth": 4, "residual": False, "seed": 0}}}
X_train = data.piecewise_polynomial(1500, SIZE, seed=0)
X_val = data.piecewise_polynomial(50, SIZE, seed=1)
X_test = data.piecewise_polynomial(50, SIZE, seed=2)
A, _ = registry.build(spec)
print("shapes", X_train.shape, A.m, flush=True)
ny = A(X_test).abs().flatten(1).norm(dim=1).mean().item()
out = {}
if MODE == "train":
    for tag, eta_rel in (("nonoise", 0.0), ("lownoise", 0.01), ("highnoise", 0.05)):
        _, model = registry.build(spec)
        eta = eta_rel * ny
        t = time.perf_counter()
        h = training.train(model, A, X_train, epochs=int(sys.argv[2]) if len(sys.argv) > 2 else 30,
                           batch_size=32, lr=1e-3, eta=eta, val_dataset=X_val, seed=0)
        sec = time.perf_counter() - t
        with torch.no_grad():
            xr = model(A(X_test))
        print(tag, "eta", round(eta, 3), "sec", round(sec), "val psnr", [round(v, 1) for v in h.val_psnr[::5]],
              "test psnr", round(metrics.psnr(xr, X_test, 1.0).mean().item(), 2),
              "rel", round(metrics.rel_error(xr, X_test).mean().item(), 4), flush=True)
        torch.save(model.state_dict(), f"/tmp/lab1d/{tag}.pt")
    for method in ("l1", "tv"):
        grid = evaluation.TV_LAMS if method == "tv" else evaluation.L1_LAMS
        best = max(grid, key=lambda lam: metrics.psnr(evaluation.classical(method, A, A(X_val[:8]), lam, 300), X_val[:8], 1.0).mean().item())
        xr = evaluation.classical(method, A, A(X_test), best, 300)
        print(method, "lam", best, "test psnr", round(metrics.psnr(xr, X_test, 1.0).mean().item(), 2),
              "rel", round(metrics.rel_error(xr, X_test).mean().item(), 4), flush=True)
