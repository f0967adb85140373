"""Every differentiable op's gradient against central finite differences
(float64 copies of the inputs, so the comparison measures the rule, not f32
rounding). Tolerance: rtol 1e-3, atol 1e-4 on the gradient."""
import numpy as np
import pytest

import dr1
from dr1 import ops
from conftest import numeric_grad

RTOL, ATOL = 1e-3, 1e-4
rng = np.random.default_rng(1)


def check(fn, *shapes, positive=False, seed_weights=None):
    arrays = []
    for s in shapes:
        a = rng.standard_normal(s)
        if positive:
            a = np.abs(a) + 0.5
        arrays.append(a.astype(np.float64))
    w = rng.standard_normal(np.shape(fn(*[dr1.Tensor(a, dtype=np.float64) for a in arrays]).numpy()))

    def scalar():
        out = fn(*[dr1.Tensor(a, dtype=np.float64) for a in arrays])
        return float((out.numpy() * w).sum())

    ts = [dr1.Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    out = fn(*ts)
    (out * dr1.Tensor(w, dtype=np.float64)).sum().backward()
    for t, a in zip(ts, arrays):
        np.testing.assert_allclose(t.grad, numeric_grad(scalar, a, 1e-5), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name,fn", [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 1)), ("maximum", ops.maximum), ("minimum", ops.minimum),
])
def test_binary_with_broadcast(name, fn):
    check(fn, (3, 4), (4,))


def test_pow():
    check(lambda a, b: a ** b, (3, 2), (3, 2), positive=True)
    check(lambda a: a ** 3, (5,))


@pytest.mark.parametrize("fn", [
    ops.neg, ops.exp, ops.tanh, ops.sigmoid, ops.relu, ops.relu6, ops.silu, ops.hardswish,
    lambda x: ops.leaky_relu(x, 0.1), ops.erf, lambda x: ops.gelu(x),
    lambda x: ops.gelu(x, "tanh"), ops.abs,
])
def test_unary(fn):
    check(fn, (4, 5))


@pytest.mark.parametrize("fn", [ops.log, ops.sqrt, ops.rsqrt])
def test_unary_positive(fn):
    check(fn, (4, 5), positive=True)


def test_matmul_and_linear():
    check(ops.matmul, (2, 3, 4), (4, 5))
    check(ops.matmul, (2, 3, 4), (2, 4, 5))
    check(lambda x, w, b: ops.linear(x, w, b), (2, 3, 4), (5, 4), (5,))


@pytest.mark.parametrize("fn", [
    lambda x: x.sum(), lambda x: x.sum(dim=1), lambda x: x.mean(dim=(0, 2), keepdim=True),
    lambda x: x.max(dim=-1), lambda x: ops.softmax(x, 1), lambda x: ops.log_softmax(x, -1),
    lambda x: x.reshape(6, 4), lambda x: x.permute(2, 0, 1), lambda x: x[:, 1:, ::2],
    lambda x: ops.cat([x, x * 2], dim=1),
])
def test_reductions_and_shapes(fn):
    check(fn, (2, 3, 4))


def test_layer_norm():
    check(lambda x, w, b: ops.layer_norm(x, (4,), w, b), (3, 2, 4), (4,), (4,))
    check(lambda x: ops.layer_norm(x, (2, 4)), (3, 2, 4))


def test_batch_norm_train_and_eval():
    rm, rv = dr1.Tensor(np.zeros(3)), dr1.Tensor(np.ones(3))
    check(lambda x, w, b: ops.batch_norm(x, rm, rv, w, b, training=True), (4, 3, 2, 2), (3,), (3,))
    check(lambda x, w, b: ops.batch_norm(x, rm, rv, w, b, training=False), (4, 3, 2, 2), (3,), (3,))


@pytest.mark.parametrize("kw", [
    dict(), dict(stride=2, padding=1), dict(dilation=2, padding=2), dict(groups=2),
    dict(groups=4, padding=1),
])
def test_conv2d(kw):
    g = kw.get("groups", 1)
    check(lambda x, w, b: ops.conv2d(x, w, b, **kw), (2, 4, 6, 5), (4, 4 // g, 3, 3), (4,))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, ceil_mode=True)])
def test_pools(kw):
    check(lambda x: ops.max_pool2d(x, **kw), (2, 3, 7, 6))
    check(lambda x: ops.avg_pool2d(x, **kw), (2, 3, 7, 6))
    check(lambda x: ops.avg_pool2d(x, **kw, count_include_pad=False), (2, 3, 7, 6))
    check(lambda x: ops.adaptive_avg_pool2d(x, 1), (2, 3, 7, 6))


def test_embedding_and_losses():
    idx = dr1.tensor([[1, 3], [3, 0]])
    check(lambda w: ops.embedding(idx, w), (5, 4))
    y = dr1.tensor([2, 0, 1])
    check(lambda x: ops.cross_entropy(x, y), (3, 4))
    check(lambda x: ops.nll_loss(ops.log_softmax(x), y), (3, 4))
    check(lambda a, b: ops.mse_loss(a, b), (3, 4), (3, 4))


def test_gradients_accumulate_across_uses():
    x = dr1.tensor([1.0, 2.0], requires_grad=True)
    (x * x + x).sum().backward()
    assert isinstance(x.grad, dr1.Tensor)
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 5.0])
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 8.0])
