"""dr1.quantization: int8, bf16 or f16 chosen per layer from measured
sensitivity.

    from dr1.quantization import AutoQuantizer
    quantizer = AutoQuantizer(model, dataset=val_loader)
    quantized_model = quantizer.quantize(method='mixed-precision')
    print(quantized_model.report)

`model` is a dr1 Module or an ONNX file; `dataset` an iterable of input
batches or of (input, label) batches. Calibration runs dr1's own compiled
float code on the batches (dr1c --quantize=int8 --calibration does the
same); every matmul, linear and convolution with constant weights is then
a candidate for int8. 'mixed-precision' measures each layer's sensitivity
(the accuracy drop with labels, else the output's relative error, when only
that layer is int8) and makes int8 the least sensitive layers, as many as
keep the whole model within the accuracy budget; the layers left then get a
16-bit precision (f16 weights for size, bf16 for latency) where the budget
still holds. 'int8', 'bf16' and 'f16' quantize every layer alike (bf16 and
f16 need no calibration).
"""
import os
import sys
import tempfile
import time

import numpy as np

from . import _dr1
from .compiled import _Loaded, _compile, _link_shared, _model_info, _trace
from .nn import Module
from .tensor import Tensor
from .tracer import CompileError

__all__ = ["AutoQuantizer", "QuantizedModel", "QuantizationReport"]


def _arrays(batch):
    if isinstance(batch, (Tensor, np.ndarray)):
        batch = (batch,)
    return tuple(np.ascontiguousarray(b.numpy() if isinstance(b, Tensor) else np.asarray(b))
                 for b in batch)


def _split(item):
    """(inputs, labels or None) from a dataset item: a pair whose second
    element is integer class indices (at most 1-D) is (input, labels);
    anything else is the model's inputs (a 2-input model's pair too)."""
    if isinstance(item, (tuple, list)) and len(item) == 2:
        x, y = item
        if y is not None and not isinstance(y, (tuple, list)):
            labels = np.asarray(y.numpy() if isinstance(y, Tensor) else y)
            if labels.dtype.kind in "iu" and labels.ndim <= 1:
                return _arrays(x), labels
    return _arrays(item), None


class QuantizationReport:
    """Per layer: precision, sensitivity and weight size; the model's metric
    and object size before and after. str() is a table; `rows` the data."""

    def __init__(self, rows, metric, before, after, size_before, size_after, budget):
        self.rows = rows
        self.metric = metric
        self.metric_before, self.metric_after = before, after
        self.size_before, self.size_after = size_before, size_after
        self.budget = budget

    def as_dict(self):
        return {"layers": self.rows, "metric": self.metric,
                "metric_before": self.metric_before, "metric_after": self.metric_after,
                "object_bytes_before": self.size_before,
                "object_bytes_after": self.size_after, "budget": self.budget}

    def __str__(self):
        head = f"{'layer':<28} {'op':<12} {'precision':<9} {'sensitivity':>11} {'weights':>10}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            sens = "-" if r["sensitivity"] is None else f"{r['sensitivity']:.4f}"
            lines.append(f"{r['name'][:28]:<28} {r['op'].replace('dr1.', ''):<12} "
                         f"{r['precision']:<9} {sens:>11} {r['weight_bytes']:>10}")
        lines.append(f"{self.metric}: {self.metric_before:.4f} (f32) -> "
                     f"{self.metric_after:.4f} (budget {self.budget:.2%} relative)")
        wb = sum(4 * r["weight_elements"] for r in self.rows)
        wa = sum(r["weight_bytes"] for r in self.rows)
        lines.append(f"weights of these layers: {wb} -> {wa} bytes ({wa / max(1, wb):.1%})")
        lines.append(f"object size: {self.size_before} -> {self.size_after} bytes "
                     f"({self.size_after / max(1, self.size_before):.1%})")
        return "\n".join(lines)

    __repr__ = __str__


class QuantizedModel:
    """The compiled, quantized model: call it with numpy arrays (or Tensors);
    `report` says what was chosen; `export` writes object + header."""

    def __init__(self, quantizer, precisions, loaded, report, mode="int8"):
        self._q = quantizer
        self._mode = mode
        self.precisions = list(precisions)
        self._loaded = loaded
        self.report = report

    def __call__(self, *inputs):
        outs = self._loaded([np.ascontiguousarray(_arrays(x)[0]) for x in inputs])
        return outs[0] if len(outs) == 1 else tuple(outs)

    def export(self, output, target="host", cpu="", features="", name=None):
        """Writes OUTPUT (.o) and the header beside it, for any dr1 target."""
        name = name or os.path.splitext(os.path.basename(output))[0].replace("-", "_")
        obj, header, _ws, _layers = self._q._compile_variant(
            self.precisions, target=target, cpu=cpu, features=features, name=name,
            quantize=self._mode)
        with open(output, "wb") as f:
            f.write(obj)
        with open(os.path.splitext(output)[0] + ".h", "w") as f:
            f.write(header)
        return output


_WEIGHT_BYTES = {"int8": 1, "bf16": 2, "f16": 2, "f32": 4}


class AutoQuantizer:
    def __init__(self, model, dataset, accuracy_budget=0.01, objective="size",
                 max_batches=None, calibration_method="minmax", target="host", cpu="",
                 features="", threads=1, fallback=None, verbose=True):
        """accuracy_budget: the largest relative loss of the metric allowed
        (accuracy with labels; else 1 - relative output error). objective:
        'size' (among equally harmless layers, the ones with the most weights
        first) or 'latency' (the ones whose int8 form saves the most measured
        time first; layers that int8 makes slower on this target stay f32).
        max_batches: use at most this many batches. calibration_method:
        'minmax', 'percentile' or 'mse' (see dr1c --calibration-method).
        threads: compile (and measure, and return) the model for that many
        OpenMP threads, as dr1.optimize(threads=...). fallback: what
        'mixed-precision' tries for the layers int8 does not suit: 'f16'
        (f16 weights, f32 compute: the default for 'size'), 'bf16' (bf16
        operands, f32 sums, vdpbf16ps on CPUs with AVX512-BF16: the default
        for 'latency', kept only where measured faster) or 'f32'."""
        if objective not in ("size", "latency"):
            raise ValueError(f"objective must be 'size' or 'latency', got {objective!r}")
        if fallback is None:
            fallback = "f16" if objective == "size" else "bf16"
        if fallback not in ("f16", "bf16", "f32"):
            raise ValueError(f"fallback must be 'f16', 'bf16' or 'f32', got {fallback!r}")
        self.fallback = fallback
        if not 0 <= accuracy_budget < 1:
            raise ValueError("accuracy_budget is a fraction in [0, 1)")
        self.model = model
        self.budget = accuracy_budget
        self.objective = objective
        self.target, self.cpu, self.features = target, cpu, features
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.threads = threads
        self.verbose = verbose
        self.onnx = isinstance(model, (str, os.PathLike))
        if not self.onnx and not isinstance(model, Module):
            raise TypeError("AutoQuantizer takes a dr1 Module or the path of an ONNX file")
        batches = []
        for i, item in enumerate(dataset):
            if max_batches is not None and i >= max_batches:
                break
            batches.append(_split(item))
        if not batches:
            raise ValueError("the dataset is empty")
        shapes = [a.shape for a in batches[0][0]]
        # A compiled model has one shape: batches of another (a short last
        # batch) are left out.
        self.batches = [b for b in batches if [a.shape for a in b[0]] == shapes]
        self.labels = all(y is not None for _, y in self.batches)
        self._dir = tempfile.TemporaryDirectory(prefix="dr1-quant-")
        self.method = calibration_method
        self.calibration = os.path.join(self._dir.name, "calibration.npz")
        # Ranges from the first calibration, reused by every later compile.
        self.table = os.path.join(self._dir.name, "calibration.json")
        np.savez(self.calibration, *[np.stack([b[0][i] for b in self.batches])
                                     for i in range(len(shapes))])
        if not self.onnx:
            names = {id(p): n for n, p in model.named_parameters()}
            names.update({id(b): n for n, b in model.named_buffers()})
            self._ctx = _trace(model, list(self.batches[0][0]), names)[0]
        self._count = 0

    def _log(self, msg):
        if self.verbose:
            print(f"dr1.quantization: {msg}", file=sys.stderr, flush=True)

    def _compile_variant(self, precisions, target=None, cpu=None, features=None, name="q",
                         quantize="int8"):
        """quantize: "int8" (calibrated; `precisions` may mix in the others),
        "bf16" or "f16" (uniform, no calibration), or "" (f32)."""
        target = self.target if target is None else target
        cpu = self.cpu if cpu is None else cpu
        features = self.features if features is None else features
        q = dict(quantize=quantize, calibration="", layer_precisions=list(precisions))
        if quantize == "int8":
            if os.path.exists(self.table):
                q["calibration"] = self.table
            else:
                q.update(calibration=self.calibration, calibration_save=self.table,
                         calibration_method=self.method)
        try:
            if self.onnx:
                return _dr1.compile_onnx(os.fspath(self.model), target=target, cpu=cpu,
                                         features=features, name=name,
                                         threads=self.threads, **q)
            return _compile(self._ctx, name, target, cpu, features, 3, self.threads, **q)
        except _dr1.CompileError as e:
            raise CompileError(str(e)) from None

    def _load(self, precisions, quantize="int8"):
        """(loaded model, object bytes, layers) for this assignment, on this machine."""
        self._count += 1
        name = f"q{self._count}"
        obj, _h, _ws, layers = self._compile_variant(precisions, target="host", cpu="",
                                                     features="", name=name,
                                                     quantize=quantize)
        path = os.path.join(self._dir.name, f"{name}.so")
        _link_shared(obj, path, self.threads)
        ws, ins, outs = _model_info(path, name)
        loaded = _Loaded(path, name, [(s, d) for _, s, d in ins],
                         [(s, d) for _, s, d in outs], ws, self.threads)
        return loaded, len(obj), layers

    def _latency(self, loaded):
        """Median seconds of one run on the first batch."""
        x = list(self.batches[0][0])
        loaded(x)
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            loaded(x)
            times.append(time.perf_counter() - t0)
        return float(np.median(times))

    def _outputs(self, loaded):
        return [loaded(list(x))[0] for x, _ in self.batches]

    def _metric(self, outs, reference):
        """Accuracy with labels; else 1 - relative error against f32."""
        if self.labels:
            hits = total = 0
            for o, (_, y) in zip(outs, self.batches):
                pred = o.reshape(len(y), -1).argmax(axis=1) if o.ndim > 1 else o
                hits += int((pred == y.reshape(-1)).sum())
                total += y.size
            return hits / max(1, total)
        num = sum(float(np.abs(o - r).sum()) for o, r in zip(outs, reference))
        den = sum(float(np.abs(r).sum()) for r in reference)
        return 1.0 - num / max(den, 1e-30)

    def quantize(self, method="mixed-precision"):
        if method not in ("int8", "bf16", "f16", "mixed-precision"):
            raise ValueError(f"unknown method {method!r} (expected 'int8', 'bf16', "
                             "'f16' or 'mixed-precision')")
        f32, f32_size, _ = self._load([], quantize="")
        reference = self._outputs(f32)
        f32_time = self._latency(f32)
        base = self._metric(reference, reference)
        uniform = method in ("bf16", "f16")
        _, _, layers = self._load([], quantize=method if uniform else "int8")
        n = len(layers)
        self._log(f"{n} quantizable layers, {len(self.batches)} batches, "
                  f"metric {'accuracy' if self.labels else 'output agreement'} "
                  f"{base:.4f} in f32")
        floor = base * (1 - self.budget)
        sensitivity = [None] * n
        saving = [None] * n  # seconds int8 saves on one batch (latency)
        if method != "mixed-precision":
            chosen = [method] * n
        else:
            for i in range(n):
                only = ["f32"] * n
                only[i] = "int8"
                loaded, _, _ = self._load(only)
                sensitivity[i] = base - self._metric(self._outputs(loaded), reference)
                if self.objective == "latency":
                    saving[i] = f32_time - self._latency(loaded)
                self._log(f"layer {i + 1}/{n} {layers[i]['name']}: sensitivity "
                          f"{sensitivity[i]:.4f}" +
                          ("" if saving[i] is None else f", saves {saving[i] * 1e3:.3f} ms"))
            # Least harmful first; among equals, the most useful first.
            if self.objective == "latency":
                benefit = saving
                candidates = [i for i in range(n) if saving[i] > 0]
            else:
                benefit = [l["weight_elements"] for l in layers]
                candidates = list(range(n))
            order = sorted(candidates, key=lambda i: (round(sensitivity[i], 6), -benefit[i]))
            chosen = ["f32"] * n
            k = self._longest_prefix(chosen, order, "int8", floor, reference)
            chosen = self._with(chosen, order[:k], "int8")
            chosen = self._fallback(chosen, order[k:], floor, reference)
        loaded, size, layers = self._load(chosen, quantize=method if uniform else "int8")
        after = self._metric(self._outputs(loaded), reference)
        rows = [{"name": l["name"], "op": l["op"], "precision": l["precision"],
                 "weight_elements": l["weight_elements"],
                 "sensitivity": sensitivity[i], "saving_s": saving[i],
                 # int8: a byte per weight and an f32 scale per channel.
                 "weight_bytes": (_WEIGHT_BYTES[l["precision"]] * l["weight_elements"] +
                                  (4 * l["channels"] if l["precision"] == "int8" else 0)),
                 "range": (l["min"], l["max"])} for i, l in enumerate(layers)]
        report = QuantizationReport(rows, "accuracy" if self.labels else "output agreement",
                                    base, after, f32_size, size, self.budget)
        counts = ", ".join(f"{chosen.count(p)} {p}" for p in ("int8", "bf16", "f16", "f32")
                           if p in chosen)
        self._log(f"{n} layers: {counts}; {report.metric} {after:.4f}; "
                  f"object {f32_size} -> {size} bytes")
        return QuantizedModel(self, chosen, loaded, report,
                              mode=method if uniform else "int8")

    def _fallback(self, chosen, rest, floor, reference):
        """`chosen` with the fallback precision on the largest prefix of
        `rest` (the layers int8 did not suit, least sensitive first) that
        keeps the metric within budget; for 'latency', only if the model
        then runs faster."""
        if self.fallback == "f32" or not rest:
            return chosen
        k = self._longest_prefix(chosen, rest, self.fallback, floor, reference)
        result = self._with(chosen, rest[:k], self.fallback)
        if k and self.objective == "latency":
            with_fb = self._latency(self._load(result)[0])
            without = self._latency(self._load(chosen)[0])
            self._log(f"{self.fallback} on {k} layers: {with_fb * 1e3:.3f} ms vs "
                      f"{without * 1e3:.3f} ms without")
            if with_fb >= without:
                return chosen
        return result

    @staticmethod
    def _with(precisions, layers, precision):
        p = list(precisions)
        for i in layers:
            p[i] = precision
        return p

    def _longest_prefix(self, base, order, precision, floor, reference):
        """How many of `order`'s layers, taken from the front, can run in
        `precision` on top of `base` with the metric within budget (binary
        search: the metric falls, roughly, as layers join)."""
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            loaded, _, _ = self._load(self._with(base, order[:mid], precision))
            ok = self._metric(self._outputs(loaded), reference) >= floor
            self._log(f"{mid} more layers {precision}: {'within' if ok else 'over'} budget")
            lo, hi = (mid, hi) if ok else (lo, mid - 1)
        return lo
