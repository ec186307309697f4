"""train(): seeded and deterministic, lowers the loss, jitter has the papers' statistics."""

from __future__ import annotations

import math

import pytest
import torch

from tk_lessons import sampling
from tk_lessons.data import EllipsesDataset
from tk_lessons.networks import History, PostProcessing, UNet, add_jitter, evaluate, train
from tk_lessons.operators import SubsampledFourier


@pytest.fixture(scope="module")
def problem():
    A = SubsampledFourier(sampling.radial(16, 5))
    torch.set_num_threads(1)
    X = torch.stack([EllipsesDataset(48, size=16, seed=1)[i] for i in range(48)])
    return A, X


def _model(A, seed=0):
    return PostProcessing(A, UNet(2, 2, 1, base=4, depth=2, seed=seed))


def test_same_seed_same_weights_and_same_one_epoch_loss(problem):
    A, X = problem
    runs = []
    for _ in range(2):
        model = _model(A)
        initial = [p.detach().clone() for p in model.parameters()]
        history = train(model, A, X, epochs=1, batch_size=8, eta=1.0, seed=3)
        runs.append((initial, history.train_loss[0], [p.detach().clone() for p in model.parameters()]))
    (w0, loss0, end0), (w1, loss1, end1) = runs
    assert all(torch.equal(a, b) for a, b in zip(w0, w1))
    assert loss0 == loss1
    assert all(torch.equal(a, b) for a, b in zip(end0, end1))
    other = train(_model(A), A, X, epochs=1, batch_size=8, eta=1.0, seed=4)
    assert other.train_loss[0] != loss0


def test_one_epoch_lowers_the_loss(problem):
    A, X = problem
    model = _model(A)
    before = evaluate(model, A, X)["mse"]
    history = train(model, A, X, epochs=1, batch_size=4, lr=3e-3, val_dataset=X[:8])
    after = evaluate(model, A, X)["mse"]
    assert after < before
    assert isinstance(history, History) and len(history.val_psnr) == 1 and len(history.epoch_time) == 1
    assert history.seconds > 0 and not model.training
    assert set(history.as_dict()) == {"train_loss", "val_psnr", "epoch_time"}


def test_accepts_a_dataset_and_reports_validation_psnr(problem):
    A, _ = problem
    history = train(_model(A), A, EllipsesDataset(8, size=16), epochs=2, batch_size=4,
                    val_dataset=EllipsesDataset(4, size=16, seed=9))
    assert len(history.train_loss) == 2 and all(math.isfinite(v) for v in history.val_psnr)


@pytest.mark.parametrize("complex_", [False, True])
def test_jitter_statistics(complex_):
    # y + eta s g / sqrt(m): E||noise||^2 = eta^2 E[s^2] = eta^2 / 3 and E||noise||^4 = eta^4 E[s^4] (1 + 1/m)
    # for complex g (1 + 2/m for real g); s ~ U[0, 1] also fixes E||noise|| ~ eta / 2
    eta, m, n = 2.5, 40, 20000
    dtype = torch.complex64 if complex_ else torch.float32
    y = torch.zeros(n, m, dtype=dtype)
    noise = add_jitter(y, eta, seed=0)
    sq = noise.abs().pow(2).sum(1).double()
    assert abs(float(sq.mean()) - eta**2 / 3) < 4 * float(sq.std()) / math.sqrt(n)
    fourth = eta**4 / 5 * (1 + (1 if complex_ else 2) / m)
    assert abs(float((sq**2).mean()) - fourth) < 4 * float((sq**2).std()) / math.sqrt(n)
    assert abs(float(sq.sqrt().mean()) - eta / 2) < 0.02 * eta
    # the level s is shared within a sample: per-sample norms spread uniformly up to about eta
    assert float(sq.sqrt().max()) < 1.5 * eta
    assert torch.equal(add_jitter(y[:5], eta, seed=1), add_jitter(y[:5], eta, seed=1))
    assert torch.equal(add_jitter(y[:5], 0.0, seed=1), y[:5])


def test_evaluate_with_noise_is_worse(problem):
    A, X = problem
    model = PostProcessing(A, torch.nn.Identity(), input="real")      # the zero-filled reconstruction
    assert evaluate(model, A, X, eta=5.0)["psnr"] < evaluate(model, A, X)["psnr"]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 1, "batch_size": 0}, ValueError, "batch_size"),
    ({"epochs": 1, "lr": -1.0}, ValueError, "lr"),
    ({"epochs": 1, "eta": -1.0}, ValueError, "eta"),
    ({"epochs": 1, "progress": "yes"}, TypeError, "progress"),
    ({"epochs": 1, "val_dataset": torch.zeros(2, 1, 8, 8)}, ValueError, "val_dataset"),
])
def test_bad_arguments(problem, kwargs, error, match):
    A, X = problem
    with pytest.raises(error, match=match):
        train(_model(A), A, X[:4], **kwargs)


def test_wrong_image_size_is_a_clear_error(problem):
    A, _ = problem
    with pytest.raises(ValueError, match="operator's domain"):
        train(_model(A), A, torch.zeros(4, 1, 32, 32), epochs=1)


@pytest.mark.cuda
def test_trains_on_cuda_like_on_cpu(problem):
    A, X = problem
    cpu = train(_model(A), A, X, epochs=1, batch_size=8, eta=1.0, seed=0)
    gpu_model = _model(A)
    gpu = train(gpu_model, A, X, epochs=1, batch_size=8, eta=1.0, seed=0, device="cuda")
    assert next(gpu_model.parameters()).device.type == "cuda"
    assert abs(gpu.train_loss[0] - cpu.train_loss[0]) < 1e-3 * cpu.train_loss[0]
    A.cpu()
