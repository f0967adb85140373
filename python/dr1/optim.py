"""Optimizers: SGD (momentum, weight decay, Nesterov), Adam, AdamW."""
import numpy as np


class Optimizer:
    def __init__(self, params, lr):
        self.params = [p for p in params]
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = lr
        self.state = [dict() for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p, st in zip(self.params, self.state):
            if p.grad is not None:
                g = p.grad.data if hasattr(p.grad, "data") else np.asarray(p.grad)
                self._update(p, g.astype(p.data.dtype, copy=False), st)

    def _update(self, p, g, st):
        raise NotImplementedError


class SGD(Optimizer):
    def __init__(self, params, lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr)
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov

    def _update(self, p, g, st):
        if self.weight_decay:
            g = g + self.weight_decay * p.data
        if self.momentum:
            buf = st.get("momentum")
            buf = g.copy() if buf is None else self.momentum * buf + g
            st["momentum"] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        p.data -= self.lr * g


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def _update(self, p, g, st):
        b1, b2 = self.betas
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * p.data
        t = st["t"] = st.get("t", 0) + 1
        m = st["m"] = b1 * st.get("m", np.zeros_like(g)) + (1 - b1) * g
        v = st["v"] = b2 * st.get("v", np.zeros_like(g)) + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        if self.weight_decay and self.decoupled:
            p.data -= self.lr * self.weight_decay * p.data
        p.data -= (self.lr * mhat / (np.sqrt(vhat) + self.eps)).astype(p.data.dtype)


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps, weight_decay)
