"""dr1.optimize: numerics against eager (rtol 1e-5 relative to the output's
largest magnitude, f32), the on-disk cache, cross-target output and errors."""
import os
import subprocess
import sys

import numpy as np
import pytest

import dr1

rng = np.random.default_rng(0)


def close(a, b, rtol=1e-5):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


def mlp():
    return dr1.Sequential([dr1.Linear(784, 256), dr1.ReLU(), dr1.Linear(256, 10)])


def test_mlp_matches_eager_and_recompiles_per_shape():
    model = mlp()
    fast = dr1.optimize(model, method="static")
    for batch in (1, 64):
        x = dr1.randn(batch, 784)
        close(fast(x).numpy(), model(x).numpy())
    assert fast.compiles == 2
    x = dr1.randn(64, 784)
    close(fast(x.numpy()).numpy(), model(x).numpy())  # numpy in works too
    assert fast.compiles == 2


class SmallCNN(dr1.Module):
    def __init__(self):
        super().__init__()
        self.features = dr1.Sequential(
            dr1.Conv2d(1, 8, 3, padding=1), dr1.BatchNorm2d(8), dr1.ReLU(), dr1.MaxPool2d(2),
            dr1.Conv2d(8, 16, 3, padding=1, groups=2), dr1.SiLU(),
            dr1.Conv2d(16, 16, 3, padding=1, groups=16), dr1.Hardswish(),
            dr1.AvgPool2d(2), dr1.AdaptiveAvgPool2d(1), dr1.Flatten())
        self.head = dr1.Sequential(dr1.Dropout(0.2), dr1.Linear(16, 10), dr1.Softmax(-1))

    def forward(self, x):
        return self.head(self.features(x))


def test_cnn_matches_eager_in_eval_mode():
    model = SmallCNN()
    model(dr1.randn(4, 1, 8, 8))  # moves the batch-norm statistics
    model.eval()
    x = dr1.randn(3, 1, 8, 8)
    close(dr1.optimize(model)(x).numpy(), model(x).numpy())


def test_threads_match_serial_and_eager():
    # Output rows of the convolutions and strips of the matmuls run on
    # OpenMP threads; results must not depend on how the work was split.
    model = SmallCNN()
    model.eval()
    x = dr1.randn(5, 1, 8, 8)
    threaded = dr1.optimize(model, threads=2)
    close(threaded(x).numpy(), model(x).numpy())
    close(threaded(x).numpy(), dr1.optimize(model)(x).numpy())
    with pytest.raises(dr1.CompileError, match="threads must be 1..1024"):
        dr1.optimize(model, threads=0)(x)


def test_disabled_passes_keep_results():
    model = SmallCNN()
    model(dr1.randn(4, 1, 8, 8))
    model.eval()
    x = dr1.randn(2, 1, 8, 8)
    plain = dr1.optimize(model, disable_passes=("dr1-fold-batch-norm", "dr1-propagate-transposes",
                                                "dr1-fuse-elementwise"))
    close(plain(x).numpy(), model(x).numpy())
    with pytest.raises(dr1.CompileError, match="unknown pass 'dr1-nope'"):
        dr1.optimize(model, disable_passes=("dr1-nope",))(x)


class Encoder(dr1.Module):
    def __init__(self):
        super().__init__()
        self.emb = dr1.Embedding(50, 16)
        self.attn = dr1.MultiheadAttention(16, 4)
        self.ln1, self.ln2 = dr1.LayerNorm(16), dr1.LayerNorm(16)
        self.ff = dr1.Sequential(dr1.Linear(16, 32), dr1.GELU(), dr1.Linear(32, 16))

    def forward(self, ids, mask):
        x = self.emb(ids)
        x = self.ln1(x + self.attn(x, mask))
        x = self.ln2(x + self.ff(x))
        return x.mean(dim=1), x[:, 0]


def test_encoder_with_two_inputs_and_outputs():
    model = Encoder()
    ids = dr1.tensor(rng.integers(0, 50, (2, 6)))
    mask = np.zeros((2, 1, 1, 6), np.float32)
    mask[1, ..., 4:] = -1e9
    mask = dr1.tensor(mask)
    fast = dr1.optimize(model)
    for got, want in zip(fast(ids, mask), model(ids, mask)):
        close(got.numpy(), want.numpy())


def test_wrong_shape_and_dtype_raise_value_error():
    fast = dr1.optimize(mlp())
    fast(dr1.randn(2, 784))
    with pytest.raises(ValueError, match=r"K = 784.*K = 100|784.*100"):
        fast(dr1.randn(2, 100))
    with pytest.raises(ValueError, match="expected dtype float32, got float64"):
        fast(np.zeros((2, 784), np.float64))


def test_compile_error_carries_the_diagnostic():
    fast = dr1.optimize(mlp(), target="sparc")
    with pytest.raises(dr1.CompileError, match="unknown target 'sparc'"):
        fast(dr1.randn(1, 784))


def test_dynamic_keeps_eager():
    model = mlp()
    assert dr1.optimize(model, method="dynamic") is model
    with pytest.raises(ValueError):
        dr1.optimize(model, method="jit")


def test_cross_target_object_and_header(tmp_path):
    out = tmp_path / "mlp_arm.o"
    art = dr1.optimize(mlp(), method="static", example_inputs=(dr1.randn(1, 784),),
                       target="aarch64", output=str(out))
    data = out.read_bytes()
    assert data[:4] == b"\x7fELF" and data[18] == 183  # e_machine = EM_AARCH64
    header = (tmp_path / "mlp_arm.h").read_text()
    assert "void mlp_arm_run(const float *input0, float *output0, void *workspace);" in header
    assert art.workspace_size > 0
    with pytest.raises(ValueError, match="example_inputs"):
        dr1.optimize(mlp(), output=str(tmp_path / "x.o"))


def test_second_process_reuses_the_cache(tmp_path):
    script = (
        "import dr1, sys\n"
        "dr1.manual_seed(7)\n"
        "m = dr1.Sequential([dr1.Linear(32, 8), dr1.ReLU()])\n"
        "f = dr1.optimize(m)\n"
        "x = dr1.ones(1, 32)\n"
        "f(x)\n"
        "print(f.compiles, f.cache_hits)\n")
    env = dict(os.environ, DR1_CACHE_DIR=str(tmp_path / "cache"))
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True, cwd=str(tmp_path)).stdout.split()
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, check=True, cwd=str(tmp_path)).stdout.split()
    assert first == ["1", "0"]
    assert second == ["0", "1"]
    # Different weights are a different model: no stale reuse.
    changed = script.replace("manual_seed(7)", "manual_seed(8)")
    third = subprocess.run([sys.executable, "-c", changed], env=env, capture_output=True,
                           text=True, check=True, cwd=str(tmp_path)).stdout.split()
    assert third == ["1", "0"]
