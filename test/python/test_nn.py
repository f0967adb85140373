"""Modules and optimizers."""
import numpy as np
import pytest

import dr1


def test_module_parameters_state_dict_modes():
    model = dr1.Sequential([dr1.Linear(4, 8), dr1.BatchNorm2d(8) if False else dr1.ReLU(),
                            dr1.Linear(8, 2)])
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(model.parameters()) == 4
    sd = model.state_dict()
    other = dr1.Sequential([dr1.Linear(4, 8), dr1.ReLU(), dr1.Linear(8, 2)])
    other.load_state_dict(sd)
    x = dr1.randn(3, 4)
    np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())
    with pytest.raises(KeyError):
        other.load_state_dict({"0.weight": sd["0.weight"]})
    bad = dict(sd)
    bad["0.weight"] = np.zeros((2, 2), np.float32)
    with pytest.raises(ValueError):
        other.load_state_dict(bad)
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_batchnorm_buffers_and_dropout_modes():
    bn = dr1.BatchNorm2d(3)
    x = dr1.randn(8, 3, 4, 4) * 2 + 1
    bn(x)
    assert np.all(bn.running_mean.numpy() != 0)
    assert "running_var" in bn.state_dict()
    d = dr1.Dropout(0.5)
    y = d(dr1.ones(1000))
    assert 0.3 < (y.numpy() == 0).mean() < 0.7
    d.eval()
    assert np.all(d(dr1.ones(10)).numpy() == 1)


def test_layers_shapes():
    assert dr1.Conv2d(3, 8, 3, padding=1)(dr1.randn(2, 3, 8, 8)).shape == (2, 8, 8, 8)
    assert dr1.MaxPool2d(2)(dr1.randn(1, 2, 8, 8)).shape == (1, 2, 4, 4)
    assert dr1.AvgPool2d(3, 2, 1)(dr1.randn(1, 2, 8, 8)).shape == (1, 2, 4, 4)
    assert dr1.AdaptiveAvgPool2d(1)(dr1.randn(1, 2, 5, 5)).shape == (1, 2, 1, 1)
    assert dr1.Flatten()(dr1.randn(2, 3, 4)).shape == (2, 12)
    assert dr1.Embedding(10, 4)(dr1.tensor([[1, 2, 3]])).shape == (1, 3, 4)
    assert dr1.LayerNorm(6)(dr1.randn(2, 6)).shape == (2, 6)
    mha = dr1.MultiheadAttention(8, 2)
    assert mha(dr1.randn(2, 5, 8)).shape == (2, 5, 8)
    for act in (dr1.ReLU(), dr1.ReLU6(), dr1.GELU(), dr1.SiLU(), dr1.Sigmoid(), dr1.Tanh(),
                dr1.Softmax(-1), dr1.LogSoftmax(-1), dr1.Hardswish()):
        assert act(dr1.randn(2, 3)).shape == (2, 3)


def _quadratic_params():
    p = dr1.nn.Parameter(np.array([1.0, -2.0], np.float32))
    return p


def test_sgd_momentum_weight_decay_matches_formula():
    p = _quadratic_params()
    opt = dr1.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    ref, buf = p.numpy().astype(np.float64).copy(), None
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        g = 2 * ref + 0.01 * ref
        buf = g if buf is None else 0.9 * buf + g
        ref = ref - 0.1 * buf
    np.testing.assert_allclose(p.numpy(), ref, rtol=1e-5)


@pytest.mark.parametrize("cls,decoupled", [(dr1.Adam, False), (dr1.AdamW, True)])
def test_adam_matches_formula(cls, decoupled):
    p = _quadratic_params()
    opt = cls([p], lr=0.05, weight_decay=0.1)
    ref = p.numpy().astype(np.float64).copy()
    m = v = np.zeros(2)
    for t in range(1, 4):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        g = 2 * ref + (0 if decoupled else 0.1 * ref)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        if decoupled:
            ref = ref - 0.05 * 0.1 * ref
        ref = ref - 0.05 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    np.testing.assert_allclose(p.numpy(), ref, rtol=1e-5)


def test_training_reduces_loss():
    rng = np.random.default_rng(0)
    x = dr1.tensor(rng.standard_normal((64, 8)).astype(np.float32))
    y = dr1.tensor((x.numpy()[:, 0] > 0).astype(np.int64))
    model = dr1.Sequential(dr1.Linear(8, 16), dr1.ReLU(), dr1.Linear(16, 2))
    opt = dr1.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(50):
        loss = dr1.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    with pytest.raises(ValueError):
        dr1.SGD([], lr=0.1)
