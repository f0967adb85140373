"""Tracing: the dr1 IR a module produces, weights as binary, and the errors
that name the offending line."""
import numpy as np
import pytest

import dr1
from dr1.tracer import TraceContext


def trace_text(model, *inputs):
    ctx = TraceContext({id(p): n for n, p in model.named_parameters()})
    ins = [ctx.input(x.shape, x.dtype, f"input{i}") for i, x in enumerate(inputs)]
    with dr1.no_grad():
        out = model(*ins)
    ctx.finish([out] if isinstance(out, dr1.Tensor) else list(out))
    return ctx.graph.text()


def test_mlp_ir():
    model = dr1.Sequential(dr1.Linear(784, 256), dr1.ReLU(), dr1.Linear(256, 10))
    text = trace_text(model, np.zeros((1, 784), np.float32))
    assert "func.func @forward(%arg0: tensor<1x784xf32> {dr1.name = \"input0\"})" in text
    assert "dr1.constant dense_resource<\"0.weight\"> : tensor<256x784xf32>" in text
    assert "dr1.linear %arg0, %0, %1 : (tensor<1x784xf32>, tensor<256x784xf32>, tensor<256xf32>) -> tensor<1x256xf32>" in text
    assert "dr1.relu" in text
    assert text.count("dr1.linear") == 2
    # Weights are binary blobs, never decimals in the IR.
    assert "dense<" not in text


def test_cnn_and_attention_ir():
    model = dr1.Sequential(dr1.Conv2d(3, 8, 3, padding=1), dr1.BatchNorm2d(8), dr1.ReLU6(),
                           dr1.MaxPool2d(2), dr1.AdaptiveAvgPool2d(1), dr1.Flatten(),
                           dr1.Linear(8, 4), dr1.LogSoftmax(-1))
    # In training mode (what dr1.Trainer compiles) batch norm normalises
    # with the batch's statistics, built from dr1 ops.
    train_text = trace_text(model, np.zeros((2, 3, 8, 8), np.float32))
    assert "dr1.batch_norm" not in train_text
    assert "dr1.reduce_mean" in train_text and "dr1.rsqrt" in train_text
    model.eval()
    text = trace_text(model, np.zeros((2, 3, 8, 8), np.float32))
    for op in ("dr1.conv2d", "padding = array<i64: 1, 1, 1, 1>", "dr1.batch_norm",
               "dr1.clip", "dr1.max_pool2d", "dr1.global_avg_pool", "dr1.reshape",
               "dr1.log_softmax"):
        assert op in text, op
    mha = dr1.MultiheadAttention(8, 2)
    text = trace_text(mha, np.zeros((1, 4, 8), np.float32))
    assert text.count("dr1.matmul") == 2 and "dr1.softmax" in text and "dr1.transpose" in text


class Branchy(dr1.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x
        return -x


def test_value_dependent_control_flow_names_the_line():
    with pytest.raises(dr1.TracingError) as e:
        trace_text(Branchy(), np.zeros((2,), np.float32))
    msg = str(e.value)
    assert "test_trace.py:" in msg and "if x.sum() > 0" in msg


def test_numpy_of_traced_tensor_is_an_error():
    class Peek(dr1.Module):
        def forward(self, x):
            return dr1.tensor(x.numpy())
    with pytest.raises(dr1.TracingError, match="numpy\\(\\) of a traced tensor"):
        trace_text(Peek(), np.zeros((2,), np.float32))
