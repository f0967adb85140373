"""Eager tensors backed by numpy, with reverse-mode autograd.

A Tensor holds a numpy array (``data``), and, when it was computed from
tensors that require gradients, the function that maps the gradient of its
result to gradients of its inputs. ``backward()`` walks that graph in
reverse topological order. During tracing (dr1.optimize) a Tensor is
symbolic instead: it names a value of the dr1 graph being built and has no
data; see tracer.py.
"""
import contextlib
import threading

import numpy as np

_state = threading.local()

DTYPES = {
    "float32": np.float32, "float16": np.float16, "float64": np.float64,
    "int64": np.int64, "int32": np.int32, "bool": np.bool_,
}
float32, float16, float64 = np.float32, np.float16, np.float64
int64, int32, bool_ = np.int64, np.int32, np.bool_


def is_grad_enabled():
    return getattr(_state, "grad_enabled", True)


@contextlib.contextmanager
def no_grad():
    """Operations inside do not record gradients (inference, optimizer steps)."""
    prev = is_grad_enabled()
    _state.grad_enabled = False
    try:
        yield
    finally:
        _state.grad_enabled = prev


class Tensor:
    __array_priority__ = 1000  # numpy defers to our operators

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        arr = np.asarray(data, dtype=dtype)
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        if arr.dtype not in (np.float32, np.float16, np.float64, np.int64, np.int32, np.bool_):
            raise TypeError(f"dr1 tensors do not support dtype {arr.dtype}")
        if requires_grad and not np.issubdtype(arr.dtype, np.floating):
            raise TypeError("only floating-point tensors can require gradients")
        self.data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._backward = None
        self._trace = None

    @classmethod
    def _wrap(cls, arr):
        """A tensor around an array, keeping its dtype (results of ops)."""
        t = cls.__new__(cls)
        t.data, t.grad, t.requires_grad = np.asarray(arr), None, False
        t._parents, t._backward, t._trace = (), None, None
        return t

    # -- properties -------------------------------------------------------
    @property
    def shape(self):
        if self._trace is not None:
            return self._trace.shape
        return self.data.shape

    @property
    def dtype(self):
        if self._trace is not None:
            return self._trace.dtype
        return self.data.dtype

    @property
    def ndim(self):
        return len(self.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(np.prod(self.shape))

    def __len__(self):
        return self.shape[0]

    def numpy(self):
        self._concrete("numpy()")
        return self.data

    def item(self):
        self._concrete("item()")
        return self.data.item()

    def tolist(self):
        self._concrete("tolist()")
        return self.data.tolist()

    def detach(self):
        self._concrete("detach()")
        return Tensor._wrap(self.data)

    def clone(self):
        from . import ops
        return ops.mul(self, 1)

    def __repr__(self):
        if self._trace is not None:
            return f"Tensor(traced, shape={self.shape}, dtype={np.dtype(self.dtype).name})"
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4)}{grad})"

    def _concrete(self, what):
        if self._trace is not None:
            from .tracer import TracingError
            raise TracingError.here(f"{what} of a traced tensor: its value is not known "
                                    "while the model is being compiled (control flow that "
                                    "depends on tensor values cannot be compiled)")

    def __bool__(self):
        self._concrete("the truth value")
        return bool(self.data)

    def __float__(self):
        self._concrete("float()")
        return float(self.data)

    def __int__(self):
        self._concrete("int()")
        return int(self.data)

    def __index__(self):
        self._concrete("use as an index")
        return int(self.data)

    def __hash__(self):
        return id(self)

    def __array__(self, dtype=None, copy=None):
        self._concrete("conversion to a numpy array")
        return self.data if dtype is None else self.data.astype(dtype)

    # -- autograd -----------------------------------------------------------
    def backward(self, grad=None):
        """Accumulates d(self)/d(leaf) into every leaf's ``.grad``."""
        self._concrete("backward()")
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError("backward() without a gradient needs a scalar output")
            grad = np.ones_like(self.data)
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
        order, seen = [], set()
        stack = [(self, False)]
        while stack:  # iterative DFS: deep graphs do not hit the recursion limit
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for p in node._parents:
                if p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
        grads = {id(self): grad}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._backward is None:  # a leaf
                node.grad = Tensor._wrap(g.copy() if node.grad is None else node.grad.data + g)
                continue
            for p, pg in zip(node._parents, node._backward(g)):
                if pg is None or not p.requires_grad:
                    continue
                pg = _unbroadcast(np.asarray(pg, dtype=p.data.dtype), p.data.shape)
                grads[id(p)] = pg if id(p) not in grads else grads[id(p)] + pg

    def zero_grad(self):
        self.grad = None

    # -- operators (defined in ops.py) ---------------------------------------
    def __add__(self, o): return _ops().add(self, o)
    def __radd__(self, o): return _ops().add(o, self)
    def __sub__(self, o): return _ops().sub(self, o)
    def __rsub__(self, o): return _ops().sub(o, self)
    def __mul__(self, o): return _ops().mul(self, o)
    def __rmul__(self, o): return _ops().mul(o, self)
    def __truediv__(self, o): return _ops().div(self, o)
    def __rtruediv__(self, o): return _ops().div(o, self)
    def __pow__(self, o): return _ops().pow(self, o)
    def __rpow__(self, o): return _ops().pow(o, self)
    def __matmul__(self, o): return _ops().matmul(self, o)
    def __rmatmul__(self, o): return _ops().matmul(o, self)
    def __neg__(self): return _ops().neg(self)
    def __abs__(self): return _ops().abs(self)
    def __getitem__(self, idx): return _ops().getitem(self, idx)
    def __lt__(self, o): return _ops().compare(self, o, np.less)
    def __le__(self, o): return _ops().compare(self, o, np.less_equal)
    def __gt__(self, o): return _ops().compare(self, o, np.greater)
    def __ge__(self, o): return _ops().compare(self, o, np.greater_equal)

    def sum(self, dim=None, keepdim=False): return _ops().sum(self, dim, keepdim)
    def mean(self, dim=None, keepdim=False): return _ops().mean(self, dim, keepdim)
    def max(self, dim=None, keepdim=False): return _ops().amax(self, dim, keepdim)
    def argmax(self, dim=None): return _ops().argmax(self, dim)
    def reshape(self, *shape): return _ops().reshape(self, _shape_arg(shape))
    def view(self, *shape): return _ops().reshape(self, _shape_arg(shape))
    def flatten(self, start_dim=0): return _ops().flatten(self, start_dim)
    def transpose(self, d0, d1): return _ops().transpose(self, d0, d1)
    def permute(self, *dims): return _ops().permute(self, _shape_arg(dims))
    @property
    def T(self): return _ops().permute(self, tuple(reversed(range(self.ndim))))
    def exp(self): return _ops().exp(self)
    def log(self): return _ops().log(self)
    def sqrt(self): return _ops().sqrt(self)
    def abs(self): return _ops().abs(self)
    def tanh(self): return _ops().tanh(self)
    def sigmoid(self): return _ops().sigmoid(self)
    def relu(self): return _ops().relu(self)
    def softmax(self, dim=-1): return _ops().softmax(self, dim)
    def float(self): return _ops().cast(self, np.float32)
    def long(self): return _ops().cast(self, np.int64)
    def to(self, dtype): return _ops().cast(self, dtype)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _ops():
    from . import ops
    return ops


def _unbroadcast(grad, shape):
    """Sums a broadcast gradient back to `shape`."""
    if grad.shape == shape:
        return grad
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i, d in enumerate(shape):
        if d == 1 and grad.shape[i] != 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad.reshape(shape)


# -- factories ----------------------------------------------------------------
def _rng():
    if not hasattr(_state, "rng"):
        _state.rng = np.random.default_rng()
    return _state.rng


def manual_seed(seed):
    """Seeds dr1's random number generator (randn, init, dropout)."""
    _state.rng = np.random.default_rng(seed)


def _dt(dtype, default=np.float32):
    if dtype is None:
        return default
    if isinstance(dtype, str):
        return DTYPES[dtype]
    return dtype


def tensor(data, dtype=None, requires_grad=False):
    return Tensor(np.array(data.data if isinstance(data, Tensor) else data,
                           dtype=_dt(dtype, None)), requires_grad=requires_grad)


def from_numpy(array):
    return Tensor(np.asarray(array))


def zeros(*shape, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_shape_arg(shape), _dt(dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return Tensor(np.ones(_shape_arg(shape), _dt(dtype)), requires_grad)


def full(shape, value, dtype=None):
    return Tensor(np.full(shape, value, _dt(dtype)))


def randn(*shape, dtype=None, requires_grad=False):
    return Tensor(_rng().standard_normal(_shape_arg(shape)).astype(_dt(dtype)), requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    return Tensor(_rng().random(_shape_arg(shape)).astype(_dt(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None):
    if end is None:
        start, end = 0, start
    default = np.int64 if all(isinstance(v, int) for v in (start, end, step)) else np.float32
    return Tensor(np.arange(start, end, step, dtype=_dt(dtype, default)))
