"""Tracing: running a module on symbolic tensors records its forward pass as
a dr1-dialect function, built op by op through the compiler's bindings.
Weights go to the compiler as binary buffers (dense_resource blobs)."""
import hashlib
import os
import traceback

import numpy as np

from . import _dr1
from .tensor import Tensor

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


class CompileError(Exception):
    """The compiler rejected the model; the message is its diagnostic."""


class TracingError(RuntimeError):
    """Python code looked at a value that only exists at run time."""

    @classmethod
    def here(cls, message):
        # Name the first line of user code on the stack: the offending line.
        for frame in reversed(traceback.extract_stack()[:-1]):
            if not os.path.abspath(frame.filename).startswith(_PKG_DIR):
                where = f"{frame.filename}:{frame.lineno}"
                code = f"\n    {frame.line}" if frame.line else ""
                return cls(f"{where}: {message}{code}")
        return cls(message)


class TraceValue:
    __slots__ = ("ctx", "id", "shape", "dtype")

    def __init__(self, ctx, vid, shape, dtype):
        self.ctx, self.id, self.shape, self.dtype = ctx, vid, tuple(shape), np.dtype(dtype)


class TraceContext:
    def __init__(self, names=None, graph=None):
        # `graph`: anything with _dr1.Graph's builder methods (the ONNX
        # exporter records nodes through one).
        self.graph = graph if graph is not None else _dr1.Graph("forward")
        self.names = names or {}
        self.constants = {}
        self.digest = hashlib.sha256()

    def _wrap(self, vid, dtype):
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t.requires_grad = None, None, False
        t._parents, t._backward = (), None
        t._trace = TraceValue(self, vid, self.graph.shape(vid), dtype)
        return t

    def input(self, shape, dtype, name, trainable=False):
        return self._wrap(self.graph.add_input(list(shape), np.dtype(dtype).name, name,
                                               trainable=trainable), dtype)

    def value(self, t):
        if isinstance(t, Tensor) and t._trace is not None:
            if t._trace.ctx is not self:
                raise TracingError("a tensor from another trace was used")
            return t._trace.id
        arr = np.ascontiguousarray(t.data if isinstance(t, Tensor) else np.asarray(t))
        key = id(t)
        if key not in self.constants:
            self.digest.update(str((arr.shape, arr.dtype.name)).encode())
            self.digest.update(arr.tobytes())
            name = self.names.get(key, "")
            self.constants[key] = (self.graph.add_constant(arr, arr.dtype.name, name), t)
        return self.constants[key][0]

    def op(self, name, operands, attrs=None, result_shape=None, result_dtype=None):
        ids = [None if o is None else self.value(o) for o in operands]
        try:
            vid = self.graph.add_op(name, ids, attrs or {}, "",
                                    None if result_shape is None else list(result_shape),
                                    None if result_dtype is None else np.dtype(result_dtype).name)
        except _dr1.CompileError as e:
            raise TracingError.here(f"dr1.{name}: {e}") from None
        first = next(o for o in operands if o is not None)
        dtype = result_dtype if result_dtype is not None else first.dtype
        return self._wrap(vid, dtype)

    def binary(self, name, a, b):
        like = a if isinstance(a, Tensor) and a._trace is not None else b
        dtype = like.dtype

        def operand(v):
            if isinstance(v, Tensor):
                return v
            return Tensor(np.asarray(v, dtype=dtype))
        return self.op(name, [operand(a), operand(b)])

    def cast(self, x, dtype):
        return self.op("cast", [x], {}, result_shape=x.shape, result_dtype=dtype)

    def getitem(self, x, idx):
        starts, ends, steps, shape = [], [], [], []
        dim = 0
        for i in idx:
            if i is None:
                shape.append(1)
                continue
            if dim >= x.ndim:
                raise IndexError("too many indices")
            n = x.shape[dim]
            if isinstance(i, slice):
                a, b, c = i.indices(n)
                if c < 1:
                    raise TracingError.here("negative slice steps are not supported when compiling")
                starts.append(a)
                ends.append(max(a, b))
                steps.append(c)
                shape.append(len(range(a, b, c)))
            elif isinstance(i, int):
                i = i % n
                starts.append(i)
                ends.append(i + 1)
                steps.append(1)
            else:
                raise TracingError.here("tensor indices are not supported when compiling")
            dim += 1
        for d in range(dim, x.ndim):
            starts.append(0)
            ends.append(x.shape[d])
            steps.append(1)
            shape.append(x.shape[d])
        out = x
        if (starts, ends, steps) != ([0] * x.ndim, list(x.shape), [1] * x.ndim):
            out = self.op("slice", [x], {"starts": starts, "ends": ends, "steps": steps})
        if tuple(shape) != tuple(out.shape):
            out = self.op("reshape", [out], {}, result_shape=shape, result_dtype=x.dtype)
        return out

    def finish(self, outputs):
        self.graph.set_outputs([self.value(o) for o in outputs],
                               [f"output{i}" for i in range(len(outputs))])
        self.digest.update(self.graph.text().encode())
        return self.digest.hexdigest()
