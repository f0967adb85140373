"""dr1: write and train models eagerly, deploy them compiled.

    import dr1
    model = dr1.Sequential([dr1.Linear(784, 256), dr1.ReLU(), dr1.Linear(256, 10)])
    optimizer = dr1.SGD(model.parameters(), lr=0.01)
    loss = dr1.cross_entropy(model(x), y); loss.backward(); optimizer.step()
    fast = dr1.optimize(model, method='static')   # native code, same signature
"""
from . import functional, models, nn, ops  # noqa: F401
from .compiled import (Artifact, DeviceError, OnnxModel, StaticModel,  # noqa: F401
                       __version__, cache_dir, from_onnx, optimize)
from .nn import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Dropout,  # noqa: F401
                 Embedding, Flatten, GELU, Hardswish, LayerNorm, Linear, LogSoftmax,
                 MaxPool2d, Module, MultiheadAttention, Parameter, ReLU, ReLU6,
                 Sequential, Sigmoid, SiLU, Softmax, Tanh)
from .ops import (cat, cross_entropy, matmul, mse_loss, nll_loss, relu,  # noqa: F401
                  softmax, log_softmax)
from .optim import SGD, Adam, AdamW  # noqa: F401
from .tensor import (Tensor, arange, bool_, float16, float32, float64, from_numpy,  # noqa: F401
                     full, int32, int64, manual_seed, no_grad, ones, rand, randn, tensor,
                     zeros)
from .tracer import CompileError, TracingError  # noqa: F401
from .training import Trainer  # noqa: F401
