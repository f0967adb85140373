"""dr1.Trainer: compiled training steps (dr1-autodiff + dr1-train-step,
native code updating the model's parameters in place) against the same loop
run eagerly (dr1's autograd and optimizers). Both start from the same
weights and see the same batches, so their loss curves must agree: f32
throughout, with the compiled code summing in other orders, hence rtol 1e-4
on losses and rtol 1e-3 / atol 1e-5 on the final parameters (Adam's
normalised updates amplify rounding in near-zero gradients)."""
import copy

import numpy as np
import pytest

import dr1
from dr1 import ops

LOSS_RTOL = 1e-4


def digits(n_train=256, n_val=128, bs=32, flat=True):
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    if not flat:
        x = x.reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(0).permutation(len(x))[:n_train + n_val]
    x, y = x[idx], y[idx]
    train = [(x[i:i + bs], y[i:i + bs]) for i in range(0, n_train, bs)]
    val = [(x[i:i + bs], y[i:i + bs]) for i in range(n_train, n_train + n_val, bs)]
    return train, val


def run_both(make_model, train, val, epochs=2, **kw):
    dr1.manual_seed(0)
    m_c = make_model()
    m_e = copy.deepcopy(m_c)
    h_c = dr1.Trainer(m_c, train, val, compiled=True, log=False, **kw).train(epochs)
    h_e = dr1.Trainer(m_e, train, val, compiled=False, log=False, **kw).train(epochs)
    return m_c, m_e, h_c, h_e


def assert_same_run(m_c, m_e, h_c, h_e):
    for a, b in zip(h_c, h_e):
        np.testing.assert_allclose(a["train_loss"], b["train_loss"], rtol=LOSS_RTOL)
        np.testing.assert_allclose(a["val_loss"], b["val_loss"], rtol=LOSS_RTOL)
    for (n, p), (_, q) in zip(m_c.named_parameters(), m_e.named_parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-3, atol=1e-5, err_msg=n)


@pytest.mark.parametrize("opt,kw", [("sgd", {"momentum": 0.9, "weight_decay": 1e-3}),
                                    ("sgd", {}), ("adam", {"weight_decay": 1e-3}),
                                    ("adamw", {})])
def test_mlp_matches_eager(opt, kw):
    train, val = digits()
    lr = 0.05 if opt == "sgd" else 1e-3
    m_c, m_e, h_c, h_e = run_both(lambda: dr1.models.MLP([64, 48, 10]), train, val,
                                  lr=lr, optimizer=opt, **kw)
    assert_same_run(m_c, m_e, h_c, h_e)
    assert h_c[-1]["train_loss"] < h_c[0]["train_loss"]


def test_cnn_with_batch_norm_matches_eager():
    # Batch norm in training mode: batch statistics in both runs.
    train, val = digits(128, 64, 32, flat=False)
    make = lambda: dr1.models.ResNetCNN(1, 10, (8, 16))  # noqa: E731
    dr1.manual_seed(0)
    m_c = make()
    m_e = copy.deepcopy(m_c)
    t_c = dr1.Trainer(m_c, train, None, lr=1e-3, optimizer="adam", compiled=True, log=False)
    t_e = dr1.Trainer(m_e, train, None, lr=1e-3, optimizer="adam", compiled=False, log=False)
    for x, y in train[:3]:
        lc, _ = t_c.step(x, y)
        le, _ = t_e.step(x, y)
        np.testing.assert_allclose(lc, le, rtol=LOSS_RTOL)
    for (n, p), (_, q) in zip(m_c.named_parameters(), m_e.named_parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-3, atol=1e-5, err_msg=n)


def test_bert_trains_and_exports(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from sklearn.datasets import load_digits
    d = load_digits()
    # Each 8x8 digit as a sequence of 64 pixel tokens (0..16); label: odd/even.
    x, y = d.data.astype(np.int64), (d.target % 2).astype(np.int64)
    train = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 320, 16)]
    val = [(x[i:i + 16], y[i:i + 16]) for i in range(320, 448, 16)]
    cfg = dr1.models.BERTConfig(hidden_size=32, num_layers=1, num_heads=2, vocab_size=17,
                                max_position=64)
    dr1.manual_seed(0)
    model = dr1.models.BERTForSequenceClassification(cfg, num_labels=2)
    twin = copy.deepcopy(model)
    trainer = dr1.Trainer(model, train, val, lr=1e-3, log=False)
    h = trainer.train(epochs=2)
    assert h[1]["train_loss"] < h[0]["train_loss"]
    # The same steps eagerly: same curve.
    h_e = dr1.Trainer(twin, train, val, lr=1e-3, compiled=False, log=False).train(epochs=2)
    for a, b in zip(h, h_e):
        np.testing.assert_allclose(a["train_loss"], b["train_loss"], rtol=LOSS_RTOL)
    path = str(tmp_path / "bert.onnx")
    trainer.export(path)
    model.eval()
    ref = model(dr1.Tensor(val[0][0])).numpy()
    got = ort.InferenceSession(path).run(None, {"input0": val[0][0]})[0]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)


def test_checkpoint_round_trip(tmp_path):
    train, val = digits(64, 32)
    dr1.manual_seed(0)
    model = dr1.models.MLP([64, 16, 10])
    t = dr1.Trainer(model, train, val, lr=1e-3, optimizer="adam", log=False,
                    checkpoint_dir=str(tmp_path))
    t.train(1)
    saved = {n: p.data.copy() for n, p in model.named_parameters()}
    with np.load(tmp_path / "epoch1.npz") as z:
        assert float(z["step"]) == len(train)
        np.testing.assert_array_equal(z["layers.0.weight"], saved["layers.0.weight"])
    t.train(1)
    # Restoring epoch 1 and training again reproduces epoch 2 exactly.
    after2 = {n: p.data.copy() for n, p in model.named_parameters()}
    t.load_checkpoint(str(tmp_path / "epoch1.npz"))
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, saved[n])
    t.train(1)
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, after2[n])


def test_errors():
    train, _ = digits(64, 32)
    model = dr1.models.MLP([64, 8, 10])
    with pytest.raises(ValueError, match="unknown optimizer"):
        dr1.Trainer(model, train, optimizer="lbfgs")
    with pytest.raises(ValueError, match="learning rate"):
        dr1.Trainer(model, train, lr=0)
    with pytest.raises(TypeError, match="pairs"):
        dr1.Trainer(model, [np.zeros((4, 64), np.float32)], log=False).train(1)
    dropout = dr1.Sequential(dr1.Linear(64, 10), dr1.Dropout(0.5))
    with pytest.raises(dr1.TracingError, match="dropout"):
        dr1.Trainer(dropout, train, log=False).train(1)


def test_traced_cross_entropy_matches_eager():
    # The compiled loss (one-hot from integer labels) equals the eager one.
    logits = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    labels = np.array([0, 6, 3, 3, 1], np.int64)

    class Loss(dr1.Module):
        def forward(self, x):
            return ops.reshape(ops.cross_entropy(x, labels), (1,))
    got = dr1.optimize(Loss())(logits).numpy()[0]
    want = float(ops.cross_entropy(dr1.Tensor(logits), labels).item())
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_rematerialize_same_losses_smaller_workspace():
    # Gradient checkpointing recomputes activations: same steps, less
    # scratch memory when activations dominate (batch 512, width 64).
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 32)).astype(np.float32)
    y = rng.integers(0, 4, 512).astype(np.int64)
    runs = {}
    for remat in (None, "sqrt"):
        dr1.manual_seed(0)
        model = dr1.models.MLP([32] + [64] * 6 + [4])
        t = dr1.Trainer(model, [(x, y)], lr=1e-3, optimizer="adam", log=False,
                        rematerialize=remat)
        losses = [t.step(x, y)[0] for _ in range(3)]
        runs[remat] = (losses, next(iter(t._steps.values())).workspace_size)
    np.testing.assert_allclose(runs["sqrt"][0], runs[None][0], rtol=1e-6)
    assert runs["sqrt"][1] < 0.8 * runs[None][1], (runs["sqrt"][1], runs[None][1])
    with pytest.raises(ValueError, match="rematerialize"):
        dr1.Trainer(dr1.models.MLP([4, 2]), [(x, y)], rematerialize=1)
    with pytest.raises(ValueError, match="rematerialize"):
        dr1.Trainer(dr1.models.MLP([4, 2]), [(x, y)], rematerialize="64MB")
    # A budget that holds every activation changes nothing.
    dr1.manual_seed(0)
    model = dr1.models.MLP([32] + [64] * 6 + [4])
    t = dr1.Trainer(model, [(x, y)], lr=1e-3, optimizer="adam", log=False,
                    rematerialize="64MiB")
    t.step(x, y)
    assert next(iter(t._steps.values())).workspace_size == runs[None][1]
