"""tk_lessons.checks.training_pairs (Chapter 10): right answers pass, wrong ones fail with a useful message.

The references are computed here independently of the checks: group means by hand, the expected
jittered loss by its formula in dense torch, pair counts by a double loop, shares from the shipped
networks' forward passes.
"""

from __future__ import annotations

import pytest
import torch

import tk_lessons as tk
from tk_lessons import checks
from tk_lessons.checks import CheckError
from tk_lessons.operators import MatrixOperator

F64 = torch.float64


def test_erm_outputs(capsys):
    Y = torch.tensor([[1.0], [1.0], [2.0], [1.0]], dtype=F64)
    X = torch.tensor([[0.0, 0.0], [3.0, 3.0], [5.0, 1.0], [6.0, 0.0]], dtype=F64)
    w = torch.tensor([1.0, 1.0, 2.0, 2.0], dtype=F64)
    mean = (1 * X[0] + 1 * X[1] + 2 * X[3]) / 4                  # the three samples with datum 1
    right = torch.stack([mean, mean, X[2], mean])
    checks.erm_outputs(right, Y, X, w)
    assert "correct" in capsys.readouterr().out
    unweighted = (X[0] + X[1] + X[3]) / 3
    with pytest.raises(CheckError, match="weighted mean of their targets"):
        checks.erm_outputs(torch.stack([unweighted, unweighted, X[2], unweighted]), Y, X, w)
    with pytest.raises(CheckError, match="weighted mean"):
        checks.erm_outputs(X, Y, X, w)                             # the targets themselves
    with pytest.raises(CheckError, match="one output per training sample"):
        checks.erm_outputs(right[:3], Y, X, w)


def test_jitter_loss(capsys):
    g = torch.Generator().manual_seed(0)
    W = torch.randn(3, 5, generator=g, dtype=F64)
    y, x = torch.randn(5, generator=g, dtype=F64), torch.randn(3, generator=g, dtype=F64)
    eta = 1.5
    clean = float(((W @ y - x) ** 2).sum())
    right = clean + eta ** 2 / (3 * 5) * float((W ** 2).sum())
    checks.jitter_loss(right, W, y, x, eta)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="without jitter"):
        checks.jitter_loss(clean, W, y, x, eta)
    with pytest.raises(CheckError, match=r"E\[s\^2\] = 1/3"):
        checks.jitter_loss(clean + eta ** 2 / 5 * float((W ** 2).sum()), W, y, x, eta)
    with pytest.raises(CheckError, match="Frobenius"):
        checks.jitter_loss(clean + eta ** 2 / 3 * float((W ** 2).sum()), W, y, x, eta)   # forgot 1/m
    with pytest.raises(CheckError, match="no answer"):
        checks.jitter_loss(..., W, y, x, eta)


def test_pair_count(capsys):
    g = torch.Generator().manual_seed(1)
    M = torch.randn(2, 5, generator=g, dtype=F64)
    X = torch.randn(30, 5, generator=g, dtype=F64)
    eta, gap = 1.2, 1.0
    count = sum(1 for a in range(30) for b in range(a + 1, 30)
                if (M @ (X[a] - X[b])).norm() <= eta and (X[a] - X[b]).norm() >= gap)
    assert count > 0
    A = MatrixOperator(M)
    checks.pair_count(count, A, X, eta, gap)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="twice"):
        checks.pair_count(2 * count, A, X, eta, gap)
    with pytest.raises(CheckError, match="AND"):
        checks.pair_count(count + 1, A, X, eta, gap)
    with pytest.raises(CheckError, match="whole number"):
        checks.pair_count(count + 0.5, A, X, eta, gap)
    plain = sum(1 for a in range(30) for b in range(a + 1, 30) if (M @ (X[a] - X[b])).norm() <= eta)
    with pytest.raises(CheckError, match="itself"):
        checks.pair_count(plain + 30, A, X, eta, 0.0)


def test_pair_shares(capsys):
    from tk_lessons.zoo import pairs

    shares = {}
    for name, kind in (("pairs_both", "both"), ("pairs_one", "one")):
        net = tk.zoo.load(name)
        data = pairs.pair_data(kind, net.A)
        p = data.plain[data.marked]
        with torch.no_grad():
            rec = net(net.A(p))
        shares[name] = float((((rec - p) * data.z).flatten(1).sum(1) / data.z.norm() ** 2).mean())
    checks.pair_shares(shares["pairs_both"], shares["pairs_one"])
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckError, match="share_both"):
        checks.pair_shares(shares["pairs_one"], shares["pairs_one"])
    with pytest.raises(CheckError, match="share_one"):
        checks.pair_shares(shares["pairs_both"], 1.0)
