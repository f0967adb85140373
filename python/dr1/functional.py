"""dr1.functional: the stateless form of every layer (like torch.nn.functional)."""
from .ops import (adaptive_avg_pool2d, avg_pool2d, batch_norm, cat, conv2d,  # noqa: F401
                  cross_entropy, dropout, embedding, gelu, hardswish, layer_norm,
                  leaky_relu, linear, log_softmax, matmul, max_pool2d, mse_loss,
                  nll_loss, relu, relu6, sigmoid, silu, softmax, tanh)
