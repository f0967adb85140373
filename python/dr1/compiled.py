"""dr1.optimize: trace a module, compile it with the C++ pipeline (the same
one dr1c runs), load the native code in-process and call it.

Compiled shared objects are cached on disk, keyed by the graph (ops,
shapes, weights), the compile options and the compiler build, so another
Python process with the same model reuses them instead of compiling again.
"""
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading

import numpy as np

from . import _dr1
from .nn import Module
from .tensor import Tensor, no_grad
from .tracer import CompileError, TraceContext, TracingError

__version__ = "0.1.0"


_compiler_id = None


def _compiler_fingerprint():
    """Identifies the compiler build: a new dr1 never reuses an old one's code."""
    global _compiler_id
    if _compiler_id is None:
        h = hashlib.sha256()
        with open(_dr1.__file__, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _compiler_id = h.hexdigest()
    return _compiler_id


def cache_dir():
    d = os.environ.get("DR1_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "dr1")
    os.makedirs(d, exist_ok=True)
    return d


def _as_array(x):
    if isinstance(x, Tensor):
        return x.numpy()
    return np.asarray(x)


def _trace(model, arrays, names, graph=None):
    """Runs `model` on symbolic inputs; returns (context, outputs, key)."""
    ctx = TraceContext(names, graph)
    inputs = [ctx.input(a.shape, a.dtype, f"input{i}") for i, a in enumerate(arrays)]
    was_training = [m.training for m in model.modules()] if isinstance(model, Module) else []
    if isinstance(model, Module):
        model.eval()  # compiled code is for inference
    try:
        with no_grad():
            out = model(*inputs)
    finally:
        if isinstance(model, Module):
            for m, t in zip(model.modules(), was_training):
                object.__setattr__(m, "training", t)
    single = isinstance(out, Tensor)
    outs = [out] if single else list(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TracingError(f"the model returned {type(o).__name__}; dr1 compiles "
                               "models that return tensors")
    key = ctx.finish(outs)
    return ctx, outs, single, key


def _compile(ctx, name, target, cpu, features, opt_level, threads=1, disable_passes=(),
             quantize="", calibration="", layer_precisions=(), calibration_method="minmax",
             calibration_save="", train="", momentum=0.0, weight_decay=0.0,
             rematerialize=-1, rematerialize_budget=0):
    try:
        return ctx.graph.compile(target=target, cpu=cpu, features=features,
                                 opt_level=opt_level, name=name, emit="obj",
                                 threads=threads, disabled_passes=list(disable_passes),
                                 quantize=quantize, calibration=calibration,
                                 layer_precisions=list(layer_precisions),
                                 calibration_method=calibration_method,
                                 calibration_save=calibration_save, train=train,
                                 momentum=momentum, weight_decay=weight_decay,
                                 rematerialize=rematerialize,
                                 rematerialize_budget=rematerialize_budget)
    except _dr1.CompileError as e:
        raise CompileError(str(e)) from None


class _Loaded:
    """A compiled model loaded in this process."""

    def __init__(self, path, name, in_specs, out_specs, workspace, threads=1):
        self.lib = ctypes.CDLL(path)
        self.fn = ctypes.cast(getattr(self.lib, f"{name}_run_packed"), ctypes.c_void_p).value
        self.in_specs, self.out_specs = in_specs, out_specs
        self.workspace_size = workspace
        self.local = threading.local()
        # OpenMP's thread count is per calling thread: set before each run,
        # unless the user chose one with OMP_NUM_THREADS.
        self.threads = threads
        self.set_threads = None
        if threads > 1 and "OMP_NUM_THREADS" not in os.environ:
            self.set_threads = ctypes.CDLL(_libomp()).omp_set_num_threads

    def workspace(self):
        ws = getattr(self.local, "ws", None)
        if ws is None:
            raw = np.empty(self.workspace_size + 64, np.uint8)
            off = (-raw.ctypes.data) % 64
            ws = self.local.ws = (raw, raw.ctypes.data + off)
        return ws[1]

    def __call__(self, arrays):
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        if self.set_threads is not None:
            self.set_threads(self.threads)
        _dr1.call_packed(self.fn, arrays, outs, self.workspace())
        return outs


class DeviceError(RuntimeError):
    """The requested device cannot run the model (no CUDA driver or GPU, or
    a CUDA call failed); the message is libdr1rt's one-line reason."""


def _runtime():
    """libdr1rt, installed beside this package: CUDA models link against it."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libdr1rt.so")
    if not os.path.exists(path):
        raise CompileError(f"the dr1 runtime library is missing ({path}); reinstall dr1")
    rt = ctypes.CDLL(path)
    rt.dr1rt_last_error.restype = ctypes.c_char_p
    rt.dr1rt_session_create.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    rt.dr1rt_session_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    rt.dr1rt_session_destroy.argtypes = [ctypes.c_void_p]
    return rt


def _require_cuda():
    """The GPU's SM ('sm_90'), or DeviceError saying why there is none."""
    rt = _runtime()
    if not rt.dr1rt_cuda_available():
        raise DeviceError(rt.dr1rt_last_error().decode())
    sm = rt.dr1rt_cuda_sm()
    return f"sm_{sm}" if sm else ""


def _device_target(device, target, cpu, threads, load):
    """(target, cpu, is_cuda) for `device`. 'cuda' compiles for NVPTX at the
    SM of the GPU it will run on (when `load`; else `cpu` or sm_80)."""
    if device in (None, "cpu") and target not in ("nvptx", "cuda"):
        return target, cpu, False
    if device in (None, "cpu"):
        device = "cuda"  # target='nvptx' runs on the GPU too
    if device not in ("cuda", "cuda:0"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if target not in ("host", "nvptx", "cuda"):
        raise ValueError(f"device='cuda' compiles for the GPU; target={target!r} names a CPU")
    if int(threads) != 1:
        raise ValueError("threads applies to CPU devices, not device='cuda'")
    sm = _require_cuda() if load else ""
    return "nvptx", cpu or sm or "sm_80", True


class _CudaLoaded:
    """A CUDA model loaded in this process, run through libdr1rt sessions
    (device workspace, copies at the model's boundaries), one per thread."""

    def __init__(self, path, name, out_specs):
        self.rt = _runtime()
        # The model's library links the same libdr1rt: one CUDA state.
        self.lib = ctypes.CDLL(path)
        self.info = ctypes.addressof(_InfoStruct.in_dll(self.lib, f"{name}_info"))
        self.out_specs = out_specs
        self.local = threading.local()
        self.sessions = []

    def session(self):
        s = getattr(self.local, "session", None)
        if s is None:
            s = ctypes.c_void_p()
            if self.rt.dr1rt_session_create(self.info, ctypes.byref(s)) != 0:
                raise DeviceError(self.rt.dr1rt_last_error().decode())
            self.local.session = s
            self.sessions.append(s)
        return s

    def __call__(self, arrays):
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        ins = (ctypes.c_void_p * max(1, len(arrays)))(*[a.ctypes.data for a in arrays])
        outp = (ctypes.c_void_p * len(outs))(*[o.ctypes.data for o in outs])
        if self.rt.dr1rt_session_run(self.session(), ins, outp) != 0:
            raise DeviceError(self.rt.dr1rt_last_error().decode())
        return outs

    def __del__(self):
        for s in getattr(self, "sessions", ()):
            self.rt.dr1rt_session_destroy(s)


def _libomp():
    """LLVM's OpenMP runtime, which multi-threaded models call (__kmpc_*)."""
    for d in ("/usr/lib/llvm-22/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"):
        p = os.path.join(d, "libomp.so")
        if os.path.exists(p):
            return p
    raise CompileError("threads > 1 needs LLVM's OpenMP runtime (libomp.so; Debian package "
                       "libomp-22-dev)")


def _link_shared(obj_bytes, dest, threads=1, cuda=False):
    """Links an object into a shared library at `dest`, atomically."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise CompileError("no C compiler/linker (cc) found to load compiled code")
    d = os.path.dirname(dest)
    with tempfile.TemporaryDirectory(dir=d) as tmp:
        o = os.path.join(tmp, "model.o")
        so = os.path.join(tmp, "model.so")
        with open(o, "wb") as f:
            f.write(obj_bytes)
        extra = []
        if threads > 1:
            omp = os.path.dirname(_libomp())
            extra = [f"-L{omp}", "-lomp", f"-Wl,-rpath,{omp}"]
        if cuda:
            _runtime()
            here = os.path.dirname(os.path.abspath(__file__))
            extra = [f"-L{here}", "-ldr1rt", f"-Wl,-rpath,{here}"]
        r = subprocess.run([cc, "-shared", "-o", so, o] + extra, capture_output=True, text=True)
        if r.returncode != 0:
            raise CompileError(f"linking the compiled model failed: {r.stderr.strip()}")
        os.replace(so, dest)


class StaticModel:
    """The callable dr1.optimize returns: same signature as the module."""

    def __init__(self, model, target="host", cpu="", features="", opt_level=3, threads=1,
                 disable_passes=(), device="cpu", _load=True):
        self.model = model
        target, cpu, self.cuda = _device_target(device, target, cpu, threads, load=_load)
        self.options = (target, cpu, features, int(opt_level), int(threads),
                        tuple(disable_passes))
        self._entries = {}
        self._dtypes = None
        self.compiles = 0      # compilations done by this object (not cache hits)
        self.cache_hits = 0

    def _names(self):
        if not isinstance(self.model, Module):
            return {}
        names = {id(p): n for n, p in self.model.named_parameters()}
        names.update({id(b): n for n, b in self.model.named_buffers()})
        return names

    def _entry(self, arrays):
        sig = tuple((a.shape, a.dtype.str) for a in arrays)
        entry = self._entries.get(sig)
        if entry is not None:
            return entry
        if self._dtypes is not None:
            for i, (a, dt) in enumerate(zip(arrays, self._dtypes)):
                if a.dtype != dt:
                    raise ValueError(f"input {i}: expected dtype {dt.name}, got {a.dtype.name}")
        try:
            ctx, outs, single, key = _trace(self.model, arrays, self._names())
        except TracingError as e:
            if "dr1." in str(e):
                shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
                raise ValueError(f"the model cannot run on inputs of shape {shapes}: {e}") from None
            raise
        h = hashlib.sha256((key + repr(self.options) + __version__ +
                            _compiler_fingerprint()).encode()).hexdigest()[:32]
        name = "m" + h[:16]
        path = os.path.join(cache_dir(), h + ".so")
        if not os.path.exists(path):
            obj, _header, _ws, _layers = _compile(ctx, name, *self.options)
            _link_shared(obj, path, self.options[4], self.cuda)
            self.compiles += 1
        else:
            self.cache_hits += 1
        out_specs = [(o.shape, o.dtype) for o in outs]
        ws_size = _workspace_size(path, name)
        loaded = (_CudaLoaded(path, name, out_specs) if self.cuda else
                  _Loaded(path, name, sig, out_specs, ws_size, self.options[4]))
        entry = (loaded, single)
        self._entries[sig] = entry
        if self._dtypes is None:
            self._dtypes = [a.dtype for a in arrays]
        return entry

    def __call__(self, *inputs):
        arrays = [x.data if isinstance(x, Tensor) and x.data is not None and
                  x.data.flags.c_contiguous else np.asarray(_as_array(x), order="C")
                  for x in inputs]
        loaded, single = self._entry(arrays)
        outs = [Tensor._wrap(o) for o in loaded(arrays)]
        return outs[0] if single else tuple(outs)

    def forward(self, *inputs):
        return self(*inputs)


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("size_bytes", ctypes.c_uint64)]


_DTYPE_CODES = {0: np.float32, 1: np.float64, 2: np.float16, 4: np.int64, 5: np.int32,
                6: np.int16, 7: np.int8, 8: np.uint8, 9: np.bool_}


_MODEL_ABI_VERSION = 3  # DR1_MODEL_ABI_VERSION of include/dr1/model_abi.h


class _InfoStruct(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("num_inputs", ctypes.c_int32),
                ("num_outputs", ctypes.c_int32), ("flags", ctypes.c_uint32),
                ("name", ctypes.c_char_p), ("inputs", ctypes.c_void_p),
                ("outputs", ctypes.c_void_p), ("workspace_size", ctypes.c_uint64),
                ("workspace_align", ctypes.c_uint64), ("run", ctypes.c_void_p),
                ("num_inout", ctypes.c_int32), ("reserved", ctypes.c_uint32)]


def _model_info(path, name):
    """(workspace size, input specs, output specs) from NAME_info."""
    lib = ctypes.CDLL(path)
    info = _InfoStruct.in_dll(lib, f"{name}_info")
    if info.abi_version != _MODEL_ABI_VERSION:
        raise CompileError(f"{path}: model ABI version {info.abi_version} is not supported")

    def specs(ptr, count):
        arr = ctypes.cast(ptr, ctypes.POINTER(_TensorInfo))
        out = []
        for i in range(count):
            t = arr[i]
            shape = tuple(t.shape[d] for d in range(t.rank))
            if t.dtype not in _DTYPE_CODES:
                raise CompileError(f"tensor '{t.name.decode()}' has an element type numpy "
                                   "cannot hold (bfloat16); call it from C instead")
            out.append((t.name.decode(), shape, np.dtype(_DTYPE_CODES[t.dtype])))
        return out
    return (int(info.workspace_size), specs(info.inputs, info.num_inputs),
            specs(info.outputs, info.num_outputs))


def _workspace_size(path, name):
    return _model_info(path, name)[0]


class OnnxModel:
    """A compiled ONNX model: numpy arrays in (in graph-input order, or by
    name), numpy arrays out (a list, in graph-output order)."""

    def __init__(self, path, target="host", cpu="", features="", opt_level=3,
                 input_shapes=None, constant_inputs=None, threads=1, disable_passes=(),
                 device="cpu"):
        self.path = os.path.abspath(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"no such ONNX file: {path}")
        target, cpu, cuda = _device_target(device, target, cpu, threads, load=True)
        h = hashlib.sha256()
        with open(self.path, "rb") as f:
            h.update(f.read())
        d = os.path.dirname(self.path)
        for entry in sorted(os.listdir(d)):  # external data beside the model
            st = os.stat(os.path.join(d, entry))
            h.update(f"{entry}:{st.st_size}:{st.st_mtime_ns}".encode())
        constant_inputs = {k: np.asarray(v) for k, v in (constant_inputs or {}).items()}
        options = (target, cpu, features, int(opt_level), sorted((input_shapes or {}).items()),
                   sorted((k, v.shape, v.tobytes()) for k, v in constant_inputs.items()),
                   int(threads), tuple(disable_passes))
        h.update((repr(options) + __version__ + _compiler_fingerprint()).encode())
        key = h.hexdigest()[:32]
        name = "m" + key[:16]
        so = os.path.join(cache_dir(), key + ".so")
        self.compiled = False
        if not os.path.exists(so):
            try:
                obj, _header, _ws, _layers = _dr1.compile_onnx(
                    self.path, target=target, cpu=cpu, features=features, opt_level=opt_level,
                    name=name, emit="obj",
                    input_shapes={k: list(v) for k, v in (input_shapes or {}).items()},
                    constant_inputs=constant_inputs, threads=int(threads),
                    disabled_passes=list(disable_passes))
            except _dr1.CompileError as e:
                raise CompileError(str(e)) from None
            _link_shared(obj, so, int(threads), cuda)
            self.compiled = True
        ws, self.inputs, self.outputs = _model_info(so, name)
        out_specs = [(s, d) for _, s, d in self.outputs]
        self._loaded = (_CudaLoaded(so, name, out_specs) if cuda else
                        _Loaded(so, name, None, out_specs, ws, int(threads)))

    def __call__(self, *args, **kwargs):
        if kwargs:
            if args:
                raise ValueError("pass inputs either by position or by name")
            missing = [n for n, _, _ in self.inputs if n not in kwargs]
            if missing:
                raise ValueError(f"missing inputs: {missing}")
            args = [kwargs[n] for n, _, _ in self.inputs]
        if len(args) != len(self.inputs):
            raise ValueError(f"the model takes {len(self.inputs)} inputs, got {len(args)}")
        arrays = []
        for (name, shape, dtype), a in zip(self.inputs, args):
            a = np.asarray(_as_array(a), order="C")
            if a.shape != shape:
                raise ValueError(f"input '{name}': expected shape {shape}, got {a.shape}")
            if a.dtype != dtype:
                raise ValueError(f"input '{name}': expected dtype {dtype.name}, got {a.dtype.name}")
            arrays.append(a)
        return self._loaded(arrays)


def from_onnx(path, target="host", cpu="", features="", opt_level=3, input_shapes=None,
              constant_inputs=None, threads=1, disable_passes=(), device="cpu"):
    """Compiles an ONNX file with dr1 and returns a callable (numpy in and out).

    input_shapes: {name: shape} for inputs with symbolic dimensions.
    constant_inputs: {name: array} inputs to specialise on (compile-time values).
    threads: > 1 runs convolutions and matmuls on that many OpenMP threads.
    disable_passes: optional passes to skip (e.g. 'dr1-fold-batch-norm').
    device: 'cpu', or 'cuda' to compile for the NVIDIA GPU of this machine
        and run there (DeviceError if there is none).
    """
    return OnnxModel(path, target, cpu, features, opt_level, input_shapes, constant_inputs,
                     threads, disable_passes, device)


class Artifact:
    """What optimize(..., output=...) wrote."""

    def __init__(self, object_path, header_path, workspace_size):
        self.object_path, self.header_path = object_path, header_path
        self.workspace_size = workspace_size

    def __repr__(self):
        return (f"Artifact(object='{self.object_path}', header='{self.header_path}', "
                f"workspace_size={self.workspace_size})")


def optimize(model, method="static", example_inputs=None, target="host", output=None,
             cpu="", features="", opt_level=3, name=None, threads=1, disable_passes=(),
             device="cpu"):
    """Returns `model` compiled to native code ('static') or unchanged ('dynamic').

    With `output='model.o'` (and `example_inputs`), writes an object file and
    its header for `target` (e.g. 'aarch64') instead of loading it.
    threads > 1 compiles for OpenMP threads (the object then needs -lomp).
    device='cuda' compiles for NVIDIA GPUs: loaded, it runs on this
    machine's GPU (DeviceError if there is none); with `output`, the object
    holds PTX for `cpu` (default sm_80) and links against libdr1rt.
    """
    if output is not None:
        target, cpu, _ = _device_target(device, target, cpu, threads, load=False)
    if isinstance(model, (str, os.PathLike)):
        if method != "static":
            raise ValueError("ONNX files are compiled statically")
        if output is not None:
            base = os.path.splitext(os.path.basename(output))[0]
            sym = name or "".join(c if c.isalnum() or c == "_" else "_" for c in base)
            try:
                obj, header, ws, _layers = _dr1.compile_onnx(os.fspath(model), target=target, cpu=cpu,
                                                    features=features, opt_level=opt_level,
                                                    name=sym, emit="obj", threads=int(threads),
                                                    disabled_passes=list(disable_passes))
            except _dr1.CompileError as e:
                raise CompileError(str(e)) from None
            return _write_artifact(output, obj, header, ws)
        return from_onnx(model, target, cpu, features, opt_level, threads=threads,
                         disable_passes=disable_passes, device=device)
    if method == "dynamic":
        return model
    if method != "static":
        raise ValueError(f"method must be 'static' or 'dynamic', got {method!r}")
    static = StaticModel(model, target, cpu, features, opt_level, threads, disable_passes,
                         device, _load=output is None)
    if output is None:
        if example_inputs is not None:
            static(*example_inputs)
        return static
    if example_inputs is None:
        raise ValueError("writing an object file needs example_inputs (their shapes and "
                         "dtypes become the compiled signature)")
    arrays = [np.asarray(_as_array(x), order="C") for x in example_inputs]
    ctx, _outs, _single, _key = _trace(model, arrays, static._names())
    base = os.path.splitext(os.path.basename(output))[0]
    sym = name or "".join(c if c.isalnum() or c == "_" else "_" for c in base)
    if not sym or sym[0].isdigit():
        sym = "model_" + sym
    obj, header, ws, _layers = _compile(ctx, sym, target, cpu, features, opt_level, threads,
                               disable_passes)
    return _write_artifact(output, obj, header, ws)


def _write_artifact(output, obj, header, ws):
    header_path = os.path.splitext(output)[0] + ".h"
    for path, data, mode in ((output, obj, "wb"), (header_path, header, "w")):
        tmp = path + ".tmp"
        with open(tmp, mode) as f:
            f.write(data)
        os.replace(tmp, path)
    return Artifact(os.path.abspath(output), os.path.abspath(header_path), ws)
