"""Eager tensors: creation, dtypes, operators with broadcasting, reductions,
shapes and indexing, compared with numpy."""
import numpy as np
import pytest

import dr1


def test_factories_and_dtypes():
    assert dr1.zeros(2, 3).shape == (2, 3)
    assert dr1.ones((4,)).dtype == np.float32
    assert dr1.arange(5).dtype == np.int64
    assert dr1.arange(0.0, 1.0, 0.25).numpy().tolist() == [0.0, 0.25, 0.5, 0.75]
    assert dr1.tensor([1.5, 2.5]).dtype == np.float32  # f32 by default
    assert dr1.tensor([1, 2], dtype="int32").dtype == np.int32
    assert dr1.tensor([1, 0], dtype=dr1.bool_).dtype == np.bool_
    assert dr1.tensor([1.0], dtype=dr1.float16).dtype == np.float16
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(dr1.from_numpy(a).numpy(), a)
    dr1.manual_seed(3)
    r1 = dr1.randn(3).numpy()
    dr1.manual_seed(3)
    assert np.array_equal(r1, dr1.randn(3).numpy())
    with pytest.raises(TypeError):
        dr1.tensor(["a"])
    with pytest.raises(TypeError):
        dr1.tensor([1, 2], requires_grad=True)


def test_operators_broadcast_like_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 1, 4)).astype(np.float32)
    b = rng.standard_normal((2, 4)).astype(np.float32)
    ta, tb = dr1.tensor(a), dr1.tensor(b)
    np.testing.assert_allclose((ta + tb).numpy(), a + b, rtol=1e-6)
    np.testing.assert_allclose((ta - tb).numpy(), a - b, rtol=1e-6)
    np.testing.assert_allclose((ta * tb).numpy(), a * b, rtol=1e-6)
    np.testing.assert_allclose((ta / (tb + 5)).numpy(), a / (b + 5), rtol=1e-6)
    np.testing.assert_allclose((2 - ta).numpy(), 2 - a, rtol=1e-6)
    np.testing.assert_allclose((abs(ta) ** 2).numpy(), np.abs(a) ** 2, rtol=1e-5)
    np.testing.assert_allclose((-ta).numpy(), -a)
    m = rng.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose((ta @ dr1.tensor(m)).numpy(), a @ m, rtol=1e-5)
    assert (ta > 0).numpy().tolist() == (a > 0).tolist()


def test_reductions_and_shapes():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = dr1.tensor(a)
    assert t.sum().item() == a.sum()
    np.testing.assert_allclose(t.mean(dim=1).numpy(), a.mean(axis=1))
    np.testing.assert_allclose(t.max(dim=-1, keepdim=True).numpy(), a.max(axis=-1, keepdims=True))
    assert t.argmax(dim=2).numpy().tolist() == a.argmax(axis=2).tolist()
    assert t.reshape(6, 4).shape == (6, 4)
    assert t.view(-1).shape == (24,)
    assert t.flatten(1).shape == (2, 12)
    np.testing.assert_array_equal(t.transpose(0, 2).numpy(), a.transpose(2, 1, 0))
    np.testing.assert_array_equal(t.permute(1, 0, 2).numpy(), a.transpose(1, 0, 2))
    np.testing.assert_array_equal(t[1, :, ::2].numpy(), a[1, :, ::2])
    np.testing.assert_array_equal(t[..., 0].numpy(), a[..., 0])
    np.testing.assert_array_equal(dr1.cat([t, t], dim=1).numpy(), np.concatenate([a, a], 1))
    with pytest.raises(ValueError):
        t.reshape(5, 5)


def test_no_grad_and_detach():
    x = dr1.randn(3, requires_grad=True)
    with dr1.no_grad():
        y = x * 2
    assert not y.requires_grad
    assert not x.detach().requires_grad
    z = (x * 2).sum()
    assert z.requires_grad
    with pytest.raises(RuntimeError):
        dr1.tensor([1.0, 2.0]).backward()
