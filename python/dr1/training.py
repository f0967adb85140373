"""dr1.Trainer: training with compiled steps.

The model's forward pass and loss are traced once per batch shape with the
parameters as inputs marked trainable; the compiler differentiates them
(dr1-autodiff), appends the optimizer update (dr1-train-step) and emits one
native function per step. That function updates the parameters in place,
in the model's own numpy buffers, so the eager model always holds the
trained weights (for evaluation, state_dict, export).
"""
import hashlib
import os
import sys
import time

import numpy as np

from . import ops
from .compiled import (_compile, _compiler_fingerprint, _link_shared, _Loaded, _model_info,
                       __version__, cache_dir)
from .nn import BatchNorm2d, Module
from .optim import SGD, Adam, AdamW
from .tensor import Tensor, no_grad
from .tracer import TraceContext

_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def _array(x):
    if isinstance(x, Tensor):
        return np.ascontiguousarray(x.data)
    return np.ascontiguousarray(np.asarray(x))


def _batch(item):
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise TypeError("loaders must yield (input, label) pairs")
    return _array(item[0]), _array(item[1])


class _CompiledStep:
    """One compiled training step for one batch shape."""

    def __init__(self, trainer, x, y):
        model, self.params = trainer.model, trainer._params
        ctx = TraceContext()
        saved = [p._trace for _, p in self.params]
        try:
            # Parameters become trainable graph inputs for the trace.
            for name, p in self.params:
                p._trace = ctx.input(p.data.shape, p.data.dtype, name, trainable=True)._trace
            xt = ctx.input(x.shape, x.dtype, "input")
            yt = ctx.input(y.shape, y.dtype, "label")
            with no_grad():
                out = model(xt)
                loss = trainer.loss_fn(out, yt)
        finally:
            for (_, p), t in zip(self.params, saved):
                p._trace = t
        key = ctx.finish([loss, out])
        opt = trainer.optimizer
        options = (opt, trainer.momentum, trainer.weight_decay, trainer.threads,
                   trainer.rematerialize, trainer.remat_budget)
        h = hashlib.sha256((key + repr(options) + __version__ +
                            _compiler_fingerprint()).encode()).hexdigest()[:32]
        name = "t" + h[:16]
        path = os.path.join(cache_dir(), h + ".train.so")
        self.compile_seconds = 0.0
        if not os.path.exists(path):
            t0 = time.perf_counter()
            obj = _compile(ctx, name, "host", "", "", 3, trainer.threads, train=opt,
                           momentum=trainer.momentum, weight_decay=trainer.weight_decay,
                           rematerialize=trainer.rematerialize,
                           rematerialize_budget=trainer.remat_budget)[0]
            _link_shared(obj, path, trainer.threads)
            self.compile_seconds = time.perf_counter() - t0
        # The object's NAME_run is the loss function; the step is
        # NAME_train_step_run.
        name += "_train_step"
        ws, in_specs, out_specs = _model_info(path, name)
        self.workspace_size = ws
        out_specs = [(shape, dtype) for _, shape, dtype in out_specs]
        self.loaded = _Loaded(path, name, in_specs, out_specs, ws, trainer.threads)

    def __call__(self, state, x, y, lr):
        arrays = [p.data for _, p in self.params] + state + [x, y,
                                                             np.asarray(lr, np.float32)]
        loss, logits = self.loaded(arrays)
        return float(loss), logits


class Trainer:
    """Trains `model` on `train_loader` (an iterable of (input, label)
    batches, iterated once per epoch) with compiled steps.

        trainer = dr1.Trainer(model, train_loader, val_loader, lr=2e-5)
        history = trainer.train(epochs=3)     # per-epoch metrics
        trainer.export('model.onnx')

    optimizer: 'sgd', 'adam' or 'adamw' (default), or a dr1.SGD / Adam /
    AdamW instance whose hyperparameters are used. loss: 'cross_entropy'
    (integer labels) or 'mse', or a function (output, label) -> scalar
    tensor built from dr1 ops. compiled=False runs the same loop eagerly
    (dr1's autograd and optimizers). With checkpoint_dir, parameters and
    optimizer state are saved after every epoch (see save_checkpoint).
    rematerialize='sqrt' (or a number of segments, or a budget such as
    '64MiB' for the saved activations) compiles the step with gradient
    checkpointing: less activation memory for some recomputation.
    """

    def __init__(self, model, train_loader, val_loader=None, lr=1e-3, optimizer="adamw",
                 loss="cross_entropy", momentum=0.0, weight_decay=None, compiled=True,
                 checkpoint_dir=None, threads=1, log=True, rematerialize=None):
        if not isinstance(model, Module):
            raise TypeError("dr1.Trainer trains a dr1.Module")
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.model, self.train_loader, self.val_loader = model, train_loader, val_loader
        self.lr, self.compiled, self.threads = float(lr), compiled, int(threads)
        self.checkpoint_dir, self.log = checkpoint_dir, log
        self.remat_budget = 0
        if rematerialize is None:
            self.rematerialize = -1
        elif rematerialize == "sqrt":
            self.rematerialize = 0
        elif isinstance(rematerialize, int) and rematerialize >= 2:
            self.rematerialize = rematerialize
        elif (isinstance(rematerialize, str) and rematerialize.endswith("MiB") and
              rematerialize[:-3].isdigit() and int(rematerialize[:-3]) >= 1):
            self.rematerialize, self.remat_budget = 0, int(rematerialize[:-3]) << 20
        else:
            raise ValueError(f"rematerialize: 'sqrt', a number of segments >= 2 or a "
                             f"budget like '64MiB', not {rematerialize!r}")
        if isinstance(optimizer, (SGD, Adam)):
            inst = optimizer
            self.optimizer = {SGD: "sgd", Adam: "adam", AdamW: "adamw"}[type(inst)]
            self.momentum = getattr(inst, "momentum", 0.0)
            weight_decay = inst.weight_decay if weight_decay is None else weight_decay
            if getattr(inst, "nesterov", False) or getattr(inst, "betas", (0.9, 0.999)) != (
                    0.9, 0.999) or getattr(inst, "eps", 1e-8) != 1e-8:
                raise ValueError("dr1.Trainer supports Nesterov-free SGD and Adam with the "
                                 "default betas and eps")
        elif optimizer in _OPTIMIZERS:
            self.optimizer, self.momentum = optimizer, float(momentum)
        else:
            raise ValueError(f"unknown optimizer {optimizer!r} (expected 'sgd', 'adam', "
                             "'adamw' or a dr1 optimizer)")
        if self.momentum and self.optimizer != "sgd":
            raise ValueError("momentum is an SGD option")
        if weight_decay is None:
            weight_decay = 0.01 if self.optimizer == "adamw" else 0.0
        self.weight_decay = float(weight_decay)
        if loss == "cross_entropy":
            self.loss_fn = ops.cross_entropy
        elif loss == "mse":
            self.loss_fn = ops.mse_loss
        elif callable(loss):
            self.loss_fn = loss
        else:
            raise ValueError(f"unknown loss {loss!r}")
        self._params = list(model.named_parameters())
        if not self._params:
            raise ValueError("the model has no parameters to train")
        for name, p in self._params:
            if p.data.dtype != np.float32 or not p.data.flags.c_contiguous:
                p.data = np.ascontiguousarray(p.data, dtype=np.float32)
        self._state = self._new_state()
        self._state_names = self._new_state_names()
        self._steps = {}
        self._eager_opt = None
        self.history = []
        self.compile_seconds = 0.0

    # -- optimizer state ----------------------------------------------------------------
    def _new_state(self):
        zeros = [np.zeros_like(p.data) for _, p in self._params]
        if self.optimizer == "sgd":
            return zeros if self.momentum else []
        return zeros + [np.zeros_like(p.data) for _, p in self._params] + [
            np.zeros((), np.float32)]

    def _new_state_names(self):
        names = [n for n, _ in self._params]
        if self.optimizer == "sgd":
            return [f"momentum.{n}" for n in names] if self.momentum else []
        return [f"exp_avg.{n}" for n in names] + [f"exp_avg_sq.{n}" for n in names] + ["step"]

    # -- one step -----------------------------------------------------------------------
    def _eager_step(self, x, y):
        if self._eager_opt is None:
            cls = _OPTIMIZERS[self.optimizer]
            params = [p for _, p in self._params]
            if self.optimizer == "sgd":
                self._eager_opt = SGD(params, self.lr, self.momentum, self.weight_decay)
            else:
                self._eager_opt = cls(params, self.lr, weight_decay=self.weight_decay)
        self._eager_opt.lr = self.lr
        self.model.train()
        self._eager_opt.zero_grad()
        out = self.model(Tensor(x))
        loss = self.loss_fn(out, Tensor(y))
        loss.backward()
        self._eager_opt.step()
        return float(loss.item()), out.data

    def step(self, x, y):
        """One training step on a batch; returns (loss, model output)."""
        x, y = _array(x), _array(y)
        if not self.compiled:
            return self._eager_step(x, y)
        sig = (x.shape, x.dtype.str, y.shape, y.dtype.str)
        fn = self._steps.get(sig)
        if fn is None:
            self.model.train()
            fn = self._steps[sig] = _CompiledStep(self, x, y)
            self.compile_seconds += fn.compile_seconds
            if self.log and fn.compile_seconds:
                print(f"dr1.Trainer: compiled the training step for inputs {x.shape} in "
                      f"{fn.compile_seconds:.1f} s", file=sys.stderr)
        return fn(self._state, x, y, self.lr)

    # -- loops --------------------------------------------------------------------------
    def train(self, epochs=1):
        """Runs `epochs` passes over train_loader; returns the history (a
        list of per-epoch dicts: train_loss, train_accuracy, val_loss,
        val_accuracy, seconds)."""
        for _ in range(int(epochs)):
            epoch = len(self.history) + 1
            t0 = time.perf_counter()
            total, correct, count, nb = 0.0, 0, 0, 0
            for i, item in enumerate(self.train_loader):
                x, y = _batch(item)
                loss, out = self.step(x, y)
                if not np.isfinite(loss):
                    raise FloatingPointError(f"epoch {epoch}, batch {i}: the loss is {loss}")
                total += loss
                nb += 1
                if out.ndim == 2 and y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
                    correct += int((out.argmax(1) == y).sum())
                    count += len(y)
                if self.log and sys.stderr.isatty():
                    print(f"\repoch {epoch}: batch {i + 1} loss {loss:.4f}", end="",
                          file=sys.stderr)
            if nb == 0:
                raise ValueError("train_loader yielded no batches")
            self._refresh_batch_norm()
            rec = {"epoch": epoch, "train_loss": total / nb,
                   "train_accuracy": correct / count if count else None}
            if self.val_loader is not None:
                rec.update(self.evaluate())
            rec["seconds"] = time.perf_counter() - t0
            self.history.append(rec)
            if self.log:
                parts = [f"{k} {v:.4f}" for k, v in rec.items()
                         if isinstance(v, float) and k != "seconds"]
                print(f"\repoch {epoch}: " + ", ".join(parts) + f" ({rec['seconds']:.1f} s)",
                      file=sys.stderr)
            if self.checkpoint_dir:
                os.makedirs(self.checkpoint_dir, exist_ok=True)
                self.save_checkpoint(os.path.join(self.checkpoint_dir, f"epoch{epoch}.npz"))
        return self.history

    def _refresh_batch_norm(self, batches=8):
        """Compiled steps normalise with batch statistics but do not update
        running statistics: re-estimate them (eager forward passes in
        training mode) so evaluation uses the trained network's."""
        bns = [m for m in self.model.modules() if isinstance(m, BatchNorm2d)]
        if not bns or not self.compiled:
            return
        for m in bns:
            m.running_mean.data[...] = 0
            m.running_var.data[...] = 1
            object.__setattr__(m, "momentum_saved", m.momentum)
        self.model.train()
        with no_grad():
            for i, item in enumerate(self.train_loader):
                if i >= batches:
                    break
                for m in bns:  # cumulative average over the batches seen
                    m.momentum = 1.0 / (i + 1)
                self.model(Tensor(_batch(item)[0]))
        for m in bns:
            m.momentum = m.momentum_saved

    def evaluate(self, loader=None):
        """Mean loss and accuracy (for class labels) on `loader` (default:
        val_loader), eagerly in inference mode."""
        loader = self.val_loader if loader is None else loader
        self.model.eval()
        total, correct, count, nb = 0.0, 0, 0, 0
        with no_grad():
            for item in loader:
                x, y = _batch(item)
                out = self.model(Tensor(x))
                total += float(self.loss_fn(out, Tensor(y)).item())
                nb += 1
                if out.ndim == 2 and y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
                    correct += int((out.data.argmax(1) == y).sum())
                    count += len(y)
        self.model.train()
        return {"val_loss": total / max(nb, 1),
                "val_accuracy": correct / count if count else None}

    # -- checkpoints and export ---------------------------------------------------------
    def save_checkpoint(self, path):
        """An .npz with one array per parameter (by its state_dict name),
        one per optimizer state tensor ('momentum.<name>', 'exp_avg.<name>',
        'exp_avg_sq.<name>', 'step') and the model's buffers."""
        arrays = {n: p.data for n, p in self._params}
        arrays.update({n: s for n, s in zip(self._state_names, self._state)})
        arrays.update({f"buffer.{n}": b.data for n, b in self.model.named_buffers()})
        tmp = path + ".tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, path)

    def load_checkpoint(self, path):
        with np.load(path) as z:
            missing = [n for n in [n for n, _ in self._params] + self._state_names
                       if n not in z.files]
            if missing:
                raise ValueError(f"{path}: checkpoint lacks {', '.join(missing[:5])}")
            for n, p in self._params:
                if z[n].shape != p.data.shape:
                    raise ValueError(f"{path}: {n} has shape {z[n].shape}, the model "
                                     f"{p.data.shape}")
                p.data[...] = z[n]
            for n, s in zip(self._state_names, self._state):
                s[...] = z[n]
            for n, b in self.model.named_buffers():
                if f"buffer.{n}" in z.files:
                    b.data[...] = z[f"buffer.{n}"]

    def export(self, path, example_input=None):
        """Writes the trained model (inference mode) as ONNX."""
        from .onnx_export import export
        if example_input is None:
            first = next(iter(self.val_loader if self.val_loader is not None
                              else self.train_loader))
            example_input = _batch(first)[0]
        return export(self.model, example_input, path)
