"""Chapter 12, checked on concrete instances independently of the chapter's own cells.

The limited-angle operator is turned into a dense matrix here (its columns are A applied to the
pixels) and decomposed with torch.linalg, so the singular values, V_tau, exact Tikhonov and its
Lipschitz constant do not come from the package's kernel tools.

* lem-level-reduction: z in V_tau has ||A z|| <= tau ||z||; a vector with a component outside
  V_tau does not (the claim for all of C^N fails).
* thm-level-kernel-size: at the midpoint data every map errs by >= half the distance of a pair in
  N_tau(A); the claim without the 1/2 fails for the midpoint map.
* thm-two-images-level: on the shipped network, the memoriser and dense Tikhonov: the pair ratio
  is >= the bound, which is >= the level-tau bound; Tikhonov's exact constant is >= both; the
  dichotomy max(delta, delta') >= ||z|| (1 - L tau) / 2 holds with the exact L and fails without
  the 1/2.
* cor-nfl-level: ||Psi(Ax') - x'|| >= ||z|| - delta - c (network, FBP, Tikhonov, exact inverse) and
  >= ||z|| (1 - tau L) - delta with Tikhonov's exact L; dropping c fails for the exact inverse.
* thm-tradeoff-level: every dense Tikhonov map lies above the trade-off floor on the chapter's
  class; the floor without the 1/2 is crossed.
* The shipped model: the recorded noiseless and noisy PSNRs reproduce; the chapter's sentences
  (the network removes the approximate-kernel part of a lesion and shows the rest, beats exact
  Tikhonov with 1% noise and loses to it without noise; the wedge has more small singular values
  than full angles; the attack's change lies more in V_0.03 than a random change).
"""

from __future__ import annotations

import pytest
import torch

import tk_lessons as tk
from tk_lessons import attacks, data, kernel, metrics, operators
from tk_lessons.zoo import limited_angle, recipes

F64 = torch.float64
TAU = 1e-2


def norm(v: torch.Tensor) -> float:
    return float(v.abs().flatten().norm())


def dense_matrix(A) -> torch.Tensor:
    n = 1
    for s in A.domain_shape:
        n *= s
    with torch.no_grad():
        cols = A(torch.eye(n, dtype=torch.float32).reshape(n, *A.domain_shape))
    return cols.reshape(n, -1).T.double()


@pytest.fixture(scope="module")
def ct():
    net = tk.zoo.load("fbpunet_limited_angle")
    A = net.A
    M = dense_matrix(A)
    _, s, Vh = torch.linalg.svd(M, full_matrices=False)        # descending
    V_small = Vh[s <= TAU].T                                   # (1024, k): V_tau, independently
    test = recipes.test_set("fbpunet_limited_angle")
    x = test[1:2]
    blob = data.blob(32, center=(12.0, 19.0), radius=3.0).double().flatten()
    z = V_small @ (V_small.T @ blob)
    z = (2.0 * z / z.norm()).reshape(1, 1, 32, 32).float()
    return dict(net=net, A=A, M=M, s=s, Vh=Vh, V_small=V_small, test=test, x=x, z=z,
                blob=(2.0 * blob / (V_small.T @ blob).norm()).reshape(1, 1, 32, 32).float())


def tikhonov_dense(ct, lam):
    """Exact Tikhonov (A^T A + lam I)^{-1} A^T as a map on data, and its exact norm."""
    M = ct["M"]
    R = torch.linalg.solve(M.T @ M + lam * torch.eye(M.shape[1], dtype=F64), M.T)
    L = float(torch.linalg.matrix_norm(R, ord=2))

    def psi(y):
        return (y.reshape(y.shape[0], -1).double() @ R.T).reshape(y.shape[0], 1, 32, 32).float()
    return psi, L


# ------------------------------------------------------------------------------------------
# lem-level-reduction and the operator
# ------------------------------------------------------------------------------------------
def test_level_reduction_on_v_tau_and_not_beyond(ct):
    A, V_small, M = ct["A"], ct["V_small"], ct["M"]
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        z = V_small @ torch.randn(V_small.shape[1], generator=g, dtype=F64)
        assert float((M @ z).norm()) <= TAU * float(z.norm()) * (1 + 1e-6)
    w = torch.randn(M.shape[1], generator=g, dtype=F64)          # a random image: not in N_tau
    assert float((M @ w).norm()) > TAU * float(w.norm())
    # the package's dense SVD agrees with torch.linalg (count and values)
    approx = kernel.approximate(A, TAU)
    assert len(approx) == V_small.shape[1]
    assert torch.allclose(approx.singular_values, ct["s"][ct["s"] <= TAU].flip(0), rtol=1e-6, atol=1e-9)


def test_the_wedge_has_more_small_singular_values_than_full_angles(ct):
    full = operators.Radon(limited_angle.LIMITED_SIZE, len(limited_angle.WEDGE))
    s_full = torch.linalg.svdvals(dense_matrix(full))
    assert int((ct["s"] <= TAU).sum()) > 1.5 * int((s_full <= TAU).sum())
    assert float(ct["s"].min()) < float(s_full.min())


# ------------------------------------------------------------------------------------------
# thm-level-kernel-size
# ------------------------------------------------------------------------------------------
def test_accuracy_limit_at_the_midpoint_and_without_the_half(ct):
    A, x, z = ct["A"], ct["x"], ct["z"]
    x_prime = x + z
    eta = 0.5 * TAU * norm(z)                      # tau ||x - x'|| <= 2 eta
    y0 = 0.5 * (A(x) + A(x_prime))
    assert norm(y0 - A(x)) <= eta * (1 + 1e-5) and norm(y0 - A(x_prime)) <= eta * (1 + 1e-5)
    psi, _ = tikhonov_dense(ct, 1e-6)
    maps = {"network": ct["net"], "tikhonov": psi, "FBP": A.fbp, "zero": lambda y: torch.zeros_like(x)}
    with torch.no_grad():
        for name, f in maps.items():
            out = f(y0)
            assert max(norm(out - x), norm(out - x_prime)) >= 0.5 * norm(z) * (1 - 1e-6), name
    # without the 1/2 the claim is false: the midpoint of the pair errs by exactly half
    mid = lambda y: x + 0.5 * z                     # noqa: E731
    assert max(norm(mid(y0) - x), norm(mid(y0) - x_prime)) < norm(z)


# ------------------------------------------------------------------------------------------
# thm-two-images-level and cor-nfl-level
# ------------------------------------------------------------------------------------------
def test_two_images_at_level_tau(ct):
    A, x, z = ct["A"], ct["x"], ct["z"]
    x_prime = x + z
    eta = TAU * norm(z)
    memo = tk.networks.Memoriser(A, torch.cat([x, x_prime]))
    psi, L_tik = tikhonov_dense(ct, 1e-5)
    with torch.no_grad():
        for name, f in (("network", ct["net"]), ("memoriser", memo), ("tikhonov", psi)):
            d, d2 = norm(f(A(x)) - x), norm(f(A(x_prime)) - x_prime)
            data_gap = norm(A(x_prime) - A(x))
            assert 0 < data_gap <= eta
            ratio = norm(f(A(x_prime)) - f(A(x))) / data_gap
            bound = (norm(z) - d - d2) / data_gap
            assert ratio >= bound - 1e-4
            if norm(z) - d - d2 >= 0:
                assert bound >= (norm(z) - d - d2) / eta - 1e-6
            if name == "memoriser":
                assert bound > 1 / TAU                 # the chapter: beyond 1 / tau
            if name == "tikhonov":
                assert L_tik >= ratio - 1e-6
                assert max(d, d2) >= 0.5 * norm(z) * (1 - L_tik * TAU) - 1e-6


def test_dichotomy_at_level_tau_holds_with_the_half_and_fails_without(ct):
    A, x, z = ct["A"], ct["x"], ct["z"]
    x_prime = x + z
    with torch.no_grad():
        for lam in (1e-7, 1e-5, 1e-4, 1e-3):
            psi, L = tikhonov_dense(ct, lam)
            worst = max(norm(psi(A(x)) - x), norm(psi(A(x_prime)) - x_prime))
            floor = 0.5 * norm(z) * max(0.0, 1 - L * TAU)
            assert worst >= floor - 1e-6
    # Tikhonov on the line through the pair, anchored at its midpoint, attains the floor
    # (Chapter 7): it refutes the dichotomy without the 1/2
    line = attacks.LineTikhonov(A, x + 0.5 * z, z, lam=1e-4)
    t = attacks.two_images(line, A, x, x_prime)
    L_line = line.lipschitz
    eta = norm(A(z))
    floor = 0.5 * (norm(z) - L_line * eta)
    worst = max(t.delta, t.delta_prime).item()
    assert worst >= floor - 1e-5 and worst < 2 * floor


def test_one_image_at_level_tau(ct):
    A, x, z = ct["A"], ct["x"], ct["z"]
    x_prime = x + z
    psi, L = tikhonov_dense(ct, 1e-4)
    M = ct["M"]
    exact = lambda y: torch.linalg.lstsq(M, y.reshape(1, -1).double().T).solution.T.reshape(   # noqa: E731
        1, 1, 32, 32).float()
    with torch.no_grad():
        for name, f in (("network", ct["net"]), ("FBP", A.fbp), ("tikhonov", psi), ("exact", exact)):
            delta = norm(f(A(x)) - x)
            c = norm(f(A(x_prime)) - f(A(x)))
            error = norm(f(A(x_prime)) - x_prime)
            assert error >= norm(z) - delta - c - 1e-4, name
            if name == "tikhonov":
                assert c <= L * TAU * norm(z) + 1e-5
                assert error >= norm(z) * (1 - TAU * L) - delta - 1e-5
            if name == "network":                      # the chapter: a removal, bound positive
                assert norm(z) - delta - c > 1.0 and error > 0.9 * norm(z)
            if name == "exact":                        # without c the claim fails: exact on both
                assert error < norm(z) - delta


# ------------------------------------------------------------------------------------------
# thm-tradeoff-level
# ------------------------------------------------------------------------------------------
def test_tradeoff_for_dense_tikhonov_on_the_chapters_class(ct):
    A, V_small = ct["A"], ct["V_small"]
    heads = ct["test"][:8]
    lesions = torch.cat([data.blob(32, center=(8.0 + 2 * k, 10.0 + 1.5 * k), radius=3.0)
                         for k in range(8)]).double().reshape(8, -1)
    lesions = (lesions @ V_small) @ V_small.T
    lesions = (2.0 * lesions / lesions.norm(dim=1, keepdim=True)).reshape(8, 1, 32, 32).float()
    X = torch.cat([heads, heads + lesions])
    Xf, Yf = X.reshape(16, -1).double(), (ct["M"] @ X.reshape(16, -1).double().T).T
    D, E = torch.cdist(Xf, Xf), torch.cdist(Yf, Yf)
    level = float(D[(E <= TAU * D + 1e-9) & (D > 0)].max())
    assert level == pytest.approx(2.0, rel=1e-3)            # the lesions: the chapter's 2.000
    crossed = False
    deltas, Ls = [], []
    with torch.no_grad():
        for lam in (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1):
            psi, L = tikhonov_dense(ct, lam)
            delta = max(norm(psi(A(X[i:i + 1])) - X[i:i + 1]) for i in range(16))
            deltas.append(delta)
            Ls.append(L)
            floor = 0.5 * float((D - L * E).max())
            assert delta >= floor - 1e-5
            assert delta >= 0.5 * level * (1 - L * TAU) - 1e-5
            assert kernel.tradeoff_bound(A, X, L) == pytest.approx(max(floor, 0.0), rel=1e-4, abs=1e-6)
            crossed |= delta < 2 * floor
    assert crossed                                           # without the 1/2 the floor is crossed
    # the chapter: small lam buys accuracy with a large constant, large lam the opposite; the
    # network's worst-case error lies between Tikhonov's at 1e-6 and 1e-5 (constants > 100)
    assert deltas == sorted(deltas) and Ls == sorted(Ls, reverse=True)
    with torch.no_grad():
        delta_net = max(norm(ct["net"](A(X[i:i + 1])) - X[i:i + 1]) for i in range(16))
    assert deltas[0] < delta_net < deltas[1] and Ls[1] > 100
    # "the trade-off would allow that at a constant as small as L_net, but the attack found
    # more": the smallest constant consistent with delta_net, against a short attack's bound
    L_net = float(((D - 2 * delta_net) / E.clamp(min=1e-12)).clamp(min=0).max())
    assert L_net == pytest.approx(kernel.tradeoff_lipschitz(A, X, delta_net), rel=1e-3)
    y = A(ct["x"])
    found = attacks.lipschitz_lower_bound(ct["net"], y.expand(4, *y.shape[1:]), 0.01 * norm(y),
                                          n_iter=30, seed=0)
    assert float(found.ratio.max()) > 2 * L_net


# ------------------------------------------------------------------------------------------
# the shipped model and the chapter's sentences
# ------------------------------------------------------------------------------------------
def test_recorded_metrics_reproduce():
    net = tk.zoo.load("fbpunet_limited_angle")
    m = tk.zoo.info("fbpunet_limited_angle")["metrics"]
    A = net.A
    test = recipes.test_set("fbpunet_limited_angle")
    with torch.no_grad():
        clean = float(metrics.psnr(net(A(test)), test, 1.0).double().mean())
        noisy = float(metrics.psnr(net(limited_angle.noisy_data(A, test, seed=2)), test, 1.0).double().mean())
        fbp = float(metrics.psnr(A.fbp(A(test)), test, 1.0).double().mean())
    assert abs(clean - m["test_psnr"]) < 0.05 and abs(noisy - m["test_psnr_noisy"]) < 0.05
    assert abs(fbp - m["fbp_psnr"]) < 0.05
    assert m["train_seconds"] <= 15 * 60 and m["threads"] == 1


def test_network_against_exact_tikhonov_with_and_without_noise(ct):
    net, A, test = ct["net"], ct["A"], ct["test"][:30]
    m = tk.zoo.info("fbpunet_limited_angle")["metrics"]
    with torch.no_grad():
        y_noisy = limited_angle.noisy_data(A, test, seed=2)
        psi_clean, _ = tikhonov_dense(ct, float(m["tikhonov_lam"]))
        psi_noisy, _ = tikhonov_dense(ct, float(m["tikhonov_lam_noisy"]))
        p = lambda u: float(metrics.psnr(u, test, 1.0).double().mean())      # noqa: E731
        assert p(psi_clean(A(test))) > p(net(A(test))) + 3            # noiseless: the inverse wins
        assert p(net(y_noisy)) > p(psi_noisy(y_noisy)) + 5            # 1% noise: the network wins
        assert p(net(A(test))) > p(A.fbp(A(test))) + 10


def test_network_removes_the_approximate_kernel_part_and_shows_the_rest(ct):
    net, A, x, z, blob = ct["net"], ct["A"], ct["x"], ct["z"], ct["blob"]
    with torch.no_grad():
        def shown(w):
            return float(((net(A(x + w)) - net(A(x))) * w).sum() / (w * w).sum())
        assert abs(shown(z)) < 0.1
        assert shown(blob - z) > 0.6


def test_the_attack_change_lies_more_in_small_singular_directions_than_a_random_change(ct):
    net, A, x = ct["net"], ct["A"], ct["x"]
    y = A(x)
    eps = 0.01 * norm(y)
    res = attacks.lipschitz_lower_bound(net, y.expand(4, *y.shape[1:]), eps, n_iter=30, seed=0)
    j = int(res.ratio.argmax())
    g = torch.Generator().manual_seed(1)
    noise = torch.randn(y.shape, generator=g)
    noise = eps * noise / noise.norm()
    V = ct["Vh"][ct["s"] <= 3e-2].T
    with torch.no_grad():
        change = (net(y + res.e[j:j + 1]) - net(y)).double().flatten()
        random_change = (net(y + noise) - net(y)).double().flatten()
    share = float((V.T @ change).norm() / change.norm())
    random_share = float((V.T @ random_change).norm() / random_change.norm())
    assert share > random_share + 0.1 and share > 0.7
    assert float(res.ratio.max()) > 5 * float(random_change.norm()) / eps


def test_blur_exact_inverse_certifies_more_than_one_over_tau_and_tikhonov_is_stable():
    # V_tau of a periodic blur: the Fourier modes whose transfer function is <= tau, from the FFT
    B = operators.Blur(64, sigma=1.5)
    tau = 1e-3
    H = B.transfer.double()
    d = data.text(64, "SIAM", fontsize=12).double()
    z = torch.fft.ifft2(torch.fft.fft2(d) * (H.abs() <= tau)).real
    x = recipes.head_images(1, seed=3).double()
    inverse = lambda y: torch.fft.ifft2(torch.fft.fft2(y) / H).real        # noqa: E731
    t = attacks.two_images(inverse, B, x, x + z)
    assert float(B(z).norm()) <= tau * float(z.norm())
    assert t.lower_bound.item() > 1 / tau and 1 / float(H.abs().min()) >= t.ratio.item()
    # Tikhonov (closed form through the transfer function) errs by more than the distance
    for lam in (1e-8, 1e-6, 1e-4):
        tik = lambda y, lam=lam: torch.fft.ifft2(torch.fft.fft2(y) * H / (H * H + lam)).real  # noqa: E731
        t = attacks.two_images(tik, B, x, x + z)
        assert max(t.delta, t.delta_prime).item() > float(z.norm())


def test_tikhonov_like_the_network_removes_the_approximate_kernel_part(ct):
    A, x, z, blob = ct["A"], ct["x"], ct["z"], ct["blob"]
    lam = float(tk.zoo.info("fbpunet_limited_angle")["metrics"]["tikhonov_lam_noisy"])
    psi, _ = tikhonov_dense(ct, lam)
    with torch.no_grad():
        def shown(w):
            return float(((psi(A(x + w)) - psi(A(x))) * w).sum() / (w * w).sum())
        assert shown(z) < 0.2 and shown(blob - z) > 0.8
