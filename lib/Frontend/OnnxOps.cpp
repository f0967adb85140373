//===- OnnxOps.cpp - ONNX operators to dr1 ops, one handler each ----------===//
//
// Handlers fold to compile-time constants whenever all inputs are known
// (this is what turns Shape -> Gather -> Unsqueeze -> Concat -> Reshape
// chains into static shapes), and emit dr1 ops otherwise. Attributes a
// handler does not implement are errors, not silently ignored.
//
//===----------------------------------------------------------------------===//
#include "Frontend/Importer.h"
#include "Frontend/OnnxQuantOps.h"
#include "dr1/Dr1Ops.h"

#include "llvm/ADT/STLExtras.h"

#include <cfloat>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace ::dr1::onnx_import;
using Node = onnx::NodeProto;

namespace {

// Hosts computations stay small: shape arithmetic, not weights.
constexpr int64_t kMaxHostFold = 1 << 16;

Type eltOf(Importer &I, const Node &n, int i) {
  Val *v = I.input(n, i);
  return v->host ? v->host->elt : typeOf(v->value).getElementType();
}

bool allHost(Importer &I, const Node &n) {
  for (int i = 0; i < n.input_size(); ++i) {
    if (!I.has(n, i))
      continue;
    Val *v = I.input(n, i);
    if (!v || !v->host || v->host->numel() > kMaxHostFold)
      return false;
  }
  return true;
}

int64_t norm(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

FailureOr<SmallVector<int64_t>> broadcast(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t r = std::max(a.size(), b.size());
  SmallVector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (x != y && x != 1 && y != 1)
      return failure();
    out[i] = x == 1 ? y : x;
  }
  return out;
}

/// Elementwise over broadcast host tensors.
FailureOr<HostTensor> hostMap(ArrayRef<HostTensor> ins, Type elt,
                              function_ref<double(ArrayRef<double>)> f) {
  SmallVector<int64_t> shape;
  for (const HostTensor &t : ins) {
    auto s = broadcast(shape, t.shape);
    if (failed(s))
      return failure();
    shape = *s;
  }
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<std::vector<double>> vals;
  for (const HostTensor &t : ins)
    vals.push_back(t.values());
  std::vector<double> out(n);
  SmallVector<double> args(ins.size());
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < ins.size(); ++k) {
      // Index into the broadcast operand.
      int64_t rem = i, idx = 0, stride = 1;
      const auto &s = ins[k].shape;
      for (int64_t d = shape.size() - 1; d >= 0; --d) {
        int64_t coord = rem % shape[d];
        rem /= shape[d];
        int64_t sd = d - (int64_t)(shape.size() - s.size());
        if (sd >= 0) {
          if (s[sd] != 1)
            idx += coord * stride;
          stride *= s[sd];
        }
      }
      args[k] = vals[k][idx];
    }
    out[i] = f(args);
  }
  return HostTensor::fromValues(elt, shape, out);
}

LogicalResult setHost(Importer &I, const Node &n, FailureOr<HostTensor> t) {
  if (failed(t))
    return I.error(n, "operand shapes do not broadcast");
  I.setOutput(n, 0, Val{Value(), std::move(*t)});
  return success();
}

LogicalResult emit(Importer &I, const Node &n, FailureOr<Value> v) {
  if (failed(v))
    return I.error(n, "cannot be expressed in dr1 (see the previous error)");
  I.setOutput(n, 0, *v);
  return success();
}

FailureOr<Value> castTo(Importer &I, const Node &n, Value v, Type elt) {
  auto t = typeOf(v);
  if (t.getElementType() == elt)
    return v;
  return I.op(n, "cast", {v}, {}, RankedTensorType::get(t.getShape(), elt));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Handler binary(StringRef dr1Name, std::function<double(double, double)> f) {
  std::string name = dr1Name.str();
  return [name, f](Importer &I, const Node &n) -> LogicalResult {
    if (failed(I.checkAttributes(n, {})))
      return failure();
    if (!I.input(n, 0) || !I.input(n, 1))
      return I.error(n, "needs two defined inputs");
    Type elt = eltOf(I, n, 0);
    if (allHost(I, n)) {
      bool isInt = isa<IntegerType>(elt);
      return setHost(I, n, hostMap({*I.input(n, 0)->host, *I.input(n, 1)->host}, elt,
                                   [&](ArrayRef<double> a) {
                                     double r = f(a[0], a[1]);
                                     return isInt ? std::trunc(r) : r;
                                   }));
    }
    FailureOr<Value> a = I.value(n, 0), b = I.value(n, 1);
    if (failed(a) || failed(b))
      return failure();
    FailureOr<Value> bc = castTo(I, n, *b, elt); // Pow's exponent may differ
    if (failed(bc))
      return failure();
    return emit(I, n, I.op(n, name, {*a, *bc}));
  };
}

Handler compare(StringRef dr1Name, std::function<bool(double, double)> f) {
  std::string name = dr1Name.str();
  return [name, f](Importer &I, const Node &n) -> LogicalResult {
    if (failed(I.checkAttributes(n, {})))
      return failure();
    if (!I.input(n, 0) || !I.input(n, 1))
      return I.error(n, "needs two defined inputs");
    if (allHost(I, n))
      return setHost(I, n, hostMap({*I.input(n, 0)->host, *I.input(n, 1)->host},
                                   I.b.getI1Type(),
                                   [&](ArrayRef<double> a) { return f(a[0], a[1]) ? 1.0 : 0.0; }));
    FailureOr<Value> a = I.value(n, 0), b = I.value(n, 1);
    if (failed(a) || failed(b))
      return failure();
    return emit(I, n, I.op(n, name, {*a, *b}));
  };
}

LogicalResult whereOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {})))
    return failure();
  if (!I.input(n, 0) || !I.input(n, 1) || !I.input(n, 2))
    return I.error(n, "needs three defined inputs");
  if (allHost(I, n))
    return setHost(I, n, hostMap({*I.input(n, 0)->host, *I.input(n, 1)->host,
                                  *I.input(n, 2)->host},
                                 eltOf(I, n, 1),
                                 [](ArrayRef<double> a) { return a[0] != 0 ? a[1] : a[2]; }));
  FailureOr<Value> c = I.value(n, 0), a = I.value(n, 1), b = I.value(n, 2);
  if (failed(c) || failed(a) || failed(b))
    return failure();
  return emit(I, n, I.op(n, "where", {*c, *a, *b}));
}

/// Min / Max with any number of inputs.
Handler variadic(StringRef dr1Name, bool isMax) {
  std::string name = dr1Name.str();
  return [name, isMax](Importer &I, const Node &n) -> LogicalResult {
    if (failed(I.checkAttributes(n, {})))
      return failure();
    if (n.input_size() < 1)
      return I.error(n, "needs at least one input");
    if (allHost(I, n)) {
      HostTensor acc = *I.input(n, 0)->host;
      for (int i = 1; i < n.input_size(); ++i) {
        auto r = hostMap({acc, *I.input(n, i)->host}, acc.elt, [&](ArrayRef<double> a) {
          if (name == "add")
            return a[0] + a[1];
          return isMax ? std::max(a[0], a[1]) : std::min(a[0], a[1]);
        });
        if (failed(r))
          return I.error(n, "operand shapes do not broadcast");
        acc = *r;
      }
      I.setOutput(n, 0, Val{Value(), acc});
      return success();
    }
    FailureOr<Value> acc = I.value(n, 0);
    for (int i = 1; i < n.input_size() && succeeded(acc); ++i) {
      FailureOr<Value> v = I.value(n, i);
      if (failed(v))
        return failure();
      acc = I.op(n, name, {*acc, *v});
    }
    return emit(I, n, acc);
  };
}

Handler unary(StringRef dr1Name) {
  std::string name = dr1Name.str();
  return [name](Importer &I, const Node &n) -> LogicalResult {
    if (failed(I.checkAttributes(n, {})))
      return failure();
    FailureOr<Value> x = I.value(n, 0);
    if (failed(x))
      return failure();
    return emit(I, n, I.op(n, name, {*x}));
  };
}

LogicalResult negOp(Importer &I, const Node &n) {
  if (allHost(I, n) && I.input(n, 0))
    return setHost(I, n, hostMap({*I.input(n, 0)->host}, eltOf(I, n, 0),
                                 [](ArrayRef<double> a) { return -a[0]; }));
  return unary("neg")(I, n);
}

LogicalResult leakyRelu(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"alpha"})))
    return failure();
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  return emit(I, n, I.op(n, "leaky_relu", {*x},
                         {I.named("alpha", I.b.getF32FloatAttr(I.getFloat(n, "alpha", 0.01f)))}));
}

LogicalResult hardSigmoid(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"alpha", "beta"})))
    return failure();
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  return emit(I, n, I.op(n, "hard_sigmoid", {*x},
                         {I.named("alpha", I.b.getF32FloatAttr(I.getFloat(n, "alpha", 0.2f))),
                          I.named("beta", I.b.getF32FloatAttr(I.getFloat(n, "beta", 0.5f)))}));
}

LogicalResult clipOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"min", "max"})))
    return failure();
  float lo = -FLT_MAX, hi = FLT_MAX;
  if (I.opset < 11) {
    lo = I.getFloat(n, "min", lo);
    hi = I.getFloat(n, "max", hi);
  } else {
    for (int i : {1, 2}) {
      if (!I.has(n, i))
        continue;
      FailureOr<HostTensor> c = I.constant(n, i, i == 1 ? "min" : "max");
      if (failed(c))
        return failure();
      if (c->numel() != 1)
        return I.error(n, "min and max must be scalars");
      (i == 1 ? lo : hi) = static_cast<float>(c->values()[0]);
    }
  }
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(typeOf(*x).getElementType()))
    return I.error(n, "integer Clip is not supported");
  return emit(I, n, I.op(n, "clip", {*x},
                         {I.named("min", I.b.getF32FloatAttr(lo)),
                          I.named("max", I.b.getF32FloatAttr(hi))}));
}

LogicalResult castOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"to", "saturate"})))
    return failure();
  Type to = I.elementType(I.getInt(n, "to", 0));
  if (!to)
    return I.error(n, "target type " + Twine(I.getInt(n, "to", 0)) + " is not supported");
  Val *in = I.input(n, 0);
  if (!in)
    return I.error(n, "input is missing");
  if (in->host && in->host->numel() <= kMaxHostFold) {
    std::vector<double> v = in->host->values();
    if (isa<IntegerType>(to) && !to.isInteger(1))
      for (double &x : v)
        x = std::trunc(x);
    I.setOutput(n, 0, Val{Value(), HostTensor::fromValues(to, in->host->shape, v)});
    return success();
  }
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  return emit(I, n, castTo(I, n, *x, to));
}

LogicalResult softmaxLike(Importer &I, const Node &n, StringRef name) {
  if (failed(I.checkAttributes(n, {"axis"})))
    return failure();
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  auto t = typeOf(*x);
  int64_t rank = t.getRank();
  int64_t axis = norm(I.getInt(n, "axis", I.opset < 13 ? 1 : -1), rank);
  if (I.opset >= 13 || axis == rank - 1)
    return emit(I, n, I.op(n, name, {*x}, {I.named("axis", I.b.getI64IntegerAttr(axis))}));
  // Before opset 13 the op works on the input flattened to 2-D at `axis`.
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= t.getDimSize(d);
  FailureOr<Value> flat = I.reshape(n, *x, {outer, inner});
  if (failed(flat))
    return failure();
  FailureOr<Value> r = I.op(n, name, {*flat}, {I.named("axis", I.b.getI64IntegerAttr(1))});
  if (failed(r))
    return failure();
  return emit(I, n, I.reshape(n, *r, t.getShape()));
}

//===----------------------------------------------------------------------===//
// Matrix products and convolution
//===----------------------------------------------------------------------===//

LogicalResult gemmOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"alpha", "beta", "transA", "transB"})))
    return failure();
  FailureOr<Value> a = I.value(n, 0), b = I.value(n, 1);
  if (failed(a) || failed(b))
    return failure();
  SmallVector<Value> ops{*a, *b};
  if (I.has(n, 2)) {
    FailureOr<Value> c = I.value(n, 2);
    if (failed(c))
      return failure();
    ops.push_back(*c);
  }
  return emit(I, n, I.op(n, "gemm", ops,
                         {I.named("alpha", I.b.getF32FloatAttr(I.getFloat(n, "alpha", 1))),
                          I.named("beta", I.b.getF32FloatAttr(I.getFloat(n, "beta", 1))),
                          I.named("trans_a", I.b.getBoolAttr(I.getInt(n, "transA", 0))),
                          I.named("trans_b", I.b.getBoolAttr(I.getInt(n, "transB", 0)))}));
}

LogicalResult matmulOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = I.value(n, 0), b = I.value(n, 1);
  if (failed(a) || failed(b))
    return failure();
  auto at = typeOf(*a), bt = typeOf(*b);
  // numpy semantics for 1-D operands: promote, then drop the added dim.
  Value av = *a, bv = *b;
  if (at.getRank() == 1) {
    auto r = I.reshape(n, av, {1, at.getDimSize(0)});
    if (failed(r))
      return failure();
    av = *r;
  }
  if (bt.getRank() == 1) {
    auto r = I.reshape(n, bv, {bt.getDimSize(0), 1});
    if (failed(r))
      return failure();
    bv = *r;
  }
  FailureOr<Value> m = I.op(n, "matmul", {av, bv});
  if (failed(m) || (at.getRank() > 1 && bt.getRank() > 1))
    return emit(I, n, m);
  SmallVector<int64_t> shape(typeOf(*m).getShape());
  if (bt.getRank() == 1)
    shape.pop_back();
  if (at.getRank() == 1)
    shape.erase(shape.end() - (bt.getRank() == 1 ? 1 : 2));
  return emit(I, n, I.reshape(n, *m, shape));
}

/// Explicit [top, left, bottom, right] padding from `pads` or `auto_pad`.
FailureOr<SmallVector<int64_t>> windowPads(Importer &I, const Node &n,
                                           ArrayRef<int64_t> in, ArrayRef<int64_t> k,
                                           ArrayRef<int64_t> s, ArrayRef<int64_t> d) {
  std::string autoPad = I.getString(n, "auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    auto pads = I.getInts(n, "pads");
    if (!pads)
      return SmallVector<int64_t>{0, 0, 0, 0};
    if (pads->size() != 4)
      return I.error(n, "pads must have 4 values for a 2-D window");
    return SmallVector<int64_t>(pads->begin(), pads->end());
  }
  if (autoPad == "VALID")
    return SmallVector<int64_t>{0, 0, 0, 0};
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return I.error(n, "auto_pad '" + autoPad + "' is not supported");
  SmallVector<int64_t> p(4);
  for (int i = 0; i < 2; ++i) {
    int64_t out = (in[i] + s[i] - 1) / s[i];
    int64_t total = std::max<int64_t>(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in[i]);
    int64_t small = total / 2, big = total - small;
    p[i] = autoPad == "SAME_UPPER" ? small : big;
    p[i + 2] = autoPad == "SAME_UPPER" ? big : small;
  }
  return p;
}

SmallVector<int64_t> ints2(Importer &I, const Node &n, StringRef name) {
  auto v = I.getInts(n, name);
  if (!v || v->empty())
    return {1, 1};
  return SmallVector<int64_t>(v->begin(), v->end());
}

} // namespace

SmallVector<int64_t>(::dr1::onnx_import::shapeOf)(Importer &I, const Node &n,
                                                  int i) {
  Val *v = I.input(n, i);
  if (!v)
    return {};
  if (v->host)
    return v->host->shape;
  return SmallVector<int64_t>(typeOf(v->value).getShape());
}

FailureOr<Value>(::dr1::onnx_import::buildConv)(Importer &I, const Node &n,
                                                Value x, Value w, Value bias,
                                                int64_t padValue) {
  auto xt = typeOf(x), wt = typeOf(w);
  if (xt.getRank() != 4 || wt.getRank() != 4)
    return I.error(n, "only 2-D convolutions (rank-4 input and weight) are supported");
  SmallVector<int64_t> s = ints2(I, n, "strides"), d = ints2(I, n, "dilations");
  if (s.size() != 2 || d.size() != 2)
    return I.error(n, "strides and dilations must have 2 values");
  auto pads = windowPads(I, n, xt.getShape().drop_front(2), wt.getShape().drop_front(2), s, d);
  if (failed(pads))
    return failure();
  SmallVector<NamedAttribute> attrs{
      I.named("strides", I.b.getDenseI64ArrayAttr(s)),
      I.named("padding", I.b.getDenseI64ArrayAttr(*pads)),
      I.named("dilations", I.b.getDenseI64ArrayAttr(d)),
      I.named("groups", I.b.getI64IntegerAttr(I.getInt(n, "group", 1)))};
  if (padValue != 0)
    attrs.push_back(I.named("pad_value", I.b.getI64IntegerAttr(padValue)));
  return I.op(n, "conv2d", {x, w, bias}, attrs);
}

namespace {

LogicalResult convOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"auto_pad", "dilations", "group", "kernel_shape", "pads",
                                   "strides"})))
    return failure();
  FailureOr<Value> x = I.value(n, 0), w = I.value(n, 1);
  if (failed(x) || failed(w))
    return failure();
  Value bias;
  if (I.has(n, 2)) {
    FailureOr<Value> b = I.value(n, 2);
    if (failed(b))
      return failure();
    bias = *b;
  }
  return emit(I, n, buildConv(I, n, *x, *w, bias));
}

LogicalResult poolOp(Importer &I, const Node &n, bool isMax) {
  SmallVector<StringRef> known{"auto_pad", "ceil_mode", "kernel_shape", "pads", "strides",
                               "dilations"};
  if (isMax)
    known.push_back("storage_order");
  else
    known.push_back("count_include_pad");
  if (failed(I.checkAttributes(n, known)))
    return failure();
  if (n.output_size() > 1 && !n.output(1).empty())
    return I.error(n, "the Indices output of MaxPool is not supported");
  if (I.getInt(n, "storage_order", 0) != 0)
    return I.error(n, "storage_order = 1 is not supported");
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  auto xt = typeOf(*x);
  auto k = I.getInts(n, "kernel_shape");
  if (xt.getRank() != 4 || !k || k->size() != 2)
    return I.error(n, "only 2-D pooling (rank-4 input, 2-D kernel_shape) is supported");
  SmallVector<int64_t> ks(k->begin(), k->end());
  SmallVector<int64_t> s = ints2(I, n, "strides"), d = ints2(I, n, "dilations");
  if (!isMax && (d[0] != 1 || d[1] != 1))
    return I.error(n, "dilated average pooling is not supported");
  auto pads = windowPads(I, n, xt.getShape().drop_front(2), ks, s, d);
  if (failed(pads))
    return failure();
  SmallVector<NamedAttribute> attrs{
      I.named("kernel_shape", I.b.getDenseI64ArrayAttr(ks)),
      I.named("strides", I.b.getDenseI64ArrayAttr(s)),
      I.named("padding", I.b.getDenseI64ArrayAttr(*pads)),
      I.named("ceil_mode", I.b.getBoolAttr(I.getInt(n, "ceil_mode", 0)))};
  if (isMax)
    attrs.push_back(I.named("dilations", I.b.getDenseI64ArrayAttr(d)));
  else
    attrs.push_back(I.named("count_include_pad",
                            I.b.getBoolAttr(I.getInt(n, "count_include_pad", 0))));
  return emit(I, n, I.op(n, isMax ? "max_pool2d" : "avg_pool2d", {*x}, attrs));
}

LogicalResult batchNorm(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"epsilon", "momentum", "training_mode", "spatial"})))
    return failure();
  if (I.getInt(n, "training_mode", 0) != 0 || (n.output_size() > 1 && !n.output(1).empty()))
    return I.error(n, "training-mode BatchNormalization is not supported (inference only)");
  SmallVector<Value> ops;
  for (int i = 0; i < 5; ++i) {
    FailureOr<Value> v = I.value(n, i);
    if (failed(v))
      return failure();
    ops.push_back(*v);
  }
  return emit(I, n, I.op(n, "batch_norm", ops,
                         {I.named("epsilon", I.b.getF32FloatAttr(I.getFloat(n, "epsilon", 1e-5f)))}));
}

LogicalResult layerNorm(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"axis", "epsilon", "stash_type"})))
    return failure();
  FailureOr<Value> x = I.value(n, 0), scale = I.value(n, 1);
  if (failed(x) || failed(scale))
    return failure();
  Value bias;
  if (I.has(n, 2)) {
    FailureOr<Value> b = I.value(n, 2);
    if (failed(b))
      return failure();
    bias = *b;
  }
  // ONNX broadcasts scale/bias to the normalized shape.
  int64_t rank = typeOf(*x).getRank();
  int64_t axis = norm(I.getInt(n, "axis", -1), rank);
  ArrayRef<int64_t> normShape = typeOf(*x).getShape().drop_front(axis);
  Value s = *scale;
  for (Value *v : {&s, &bias}) {
    if (!*v || typeOf(*v).getShape() == normShape)
      continue;
    auto zeros = I.splat(n, normShape, typeOf(*v).getElementType(), 0.0);
    if (failed(zeros))
      return failure();
    auto r = I.op(n, "add", {*v, *zeros});
    if (failed(r))
      return failure();
    *v = *r;
  }
  float eps = I.getFloat(n, "epsilon", 1e-5f);
  if (failed(emit(I, n, I.op(n, "layer_norm", {*x, s, bias},
                             {I.named("axis", I.b.getI64IntegerAttr(axis)),
                              I.named("epsilon", I.b.getF32FloatAttr(eps))}))))
    return failure();
  bool wantStats = (n.output_size() > 1 && !n.output(1).empty()) ||
                   (n.output_size() > 2 && !n.output(2).empty());
  if (!wantStats)
    return success();
  // Mean and 1/std over the normalized dims, kept as size-1 dims.
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  SmallVector<NamedAttribute> red{I.named("axes", I.b.getDenseI64ArrayAttr(axes)),
                                  I.named("keepdims", I.b.getBoolAttr(true))};
  FailureOr<Value> mean = I.op(n, "reduce_mean", {*x}, red);
  if (failed(mean))
    return failure();
  FailureOr<Value> centered = I.op(n, "sub", {*x, *mean});
  if (failed(centered))
    return failure();
  FailureOr<Value> sq = I.op(n, "mul", {*centered, *centered});
  if (failed(sq))
    return failure();
  FailureOr<Value> var = I.op(n, "reduce_mean", {*sq}, red);
  Type elt = typeOf(*x).getElementType();
  FailureOr<Value> epsV = I.splat(n, {}, elt, eps);
  if (failed(var) || failed(epsV))
    return failure();
  FailureOr<Value> sum = I.op(n, "add", {*var, *epsV});
  if (failed(sum))
    return failure();
  FailureOr<Value> inv = I.op(n, "rsqrt", {*sum});
  if (failed(inv))
    return failure();
  I.setOutput(n, 1, *mean);
  I.setOutput(n, 2, *inv);
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

/// Reshape to `shape` of input 0, folding known values.
LogicalResult reshapeTo(Importer &I, const Node &n, ArrayRef<int64_t> shape) {
  Val *in = I.input(n, 0);
  if (!in)
    return I.error(n, "input is missing");
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  int64_t have = 1;
  for (int64_t d : shapeOf(I, n, 0))
    have *= d;
  if (count != have)
    return I.error(n, "cannot reshape " + Twine(have) + " elements into " + Twine(count));
  if (in->host) {
    HostTensor t = *in->host;
    t.shape.assign(shape.begin(), shape.end());
    I.setOutput(n, 0, Val{Value(), t});
    return success();
  }
  return emit(I, n, I.reshape(n, in->value, shape));
}

LogicalResult reshapeOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"allowzero", "shape"})))
    return failure();
  std::vector<int64_t> target;
  if (I.opset < 5) {
    auto s = I.getInts(n, "shape");
    if (!s)
      return I.error(n, "shape attribute missing");
    target = *s;
  } else {
    FailureOr<HostTensor> s = I.constant(n, 1, "shape");
    if (failed(s))
      return failure();
    target = s->ints();
  }
  SmallVector<int64_t> in = shapeOf(I, n, 0);
  bool allowZero = I.getInt(n, "allowzero", 0);
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowZero) {
      if (i >= in.size())
        return I.error(n, "shape copies dimension " + Twine(i) + " the input does not have");
      target[i] = in[i];
    }
    if (target[i] == -1) {
      if (infer >= 0)
        return I.error(n, "shape has more than one -1");
      infer = i;
    } else {
      known *= target[i];
    }
  }
  if (infer >= 0) {
    int64_t total = 1;
    for (int64_t d : in)
      total *= d;
    if (known == 0 || total % known)
      return I.error(n, "cannot infer the -1 dimension");
    target[infer] = total / known;
  }
  return reshapeTo(I, n, target);
}

LogicalResult flattenOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"axis"})))
    return failure();
  SmallVector<int64_t> in = shapeOf(I, n, 0);
  int64_t axis = norm(I.getInt(n, "axis", 1), in.size());
  int64_t a = 1, b = 1;
  for (size_t d = 0; d < in.size(); ++d)
    (static_cast<int64_t>(d) < axis ? a : b) *= in[d];
  return reshapeTo(I, n, {a, b});
}

FailureOr<std::vector<int64_t>> axesOf(Importer &I, const Node &n, int input, int64_t attrOpset) {
  if (I.opset < attrOpset) {
    auto a = I.getInts(n, "axes");
    return a ? *a : std::vector<int64_t>{};
  }
  if (!I.has(n, input))
    return std::vector<int64_t>{};
  FailureOr<HostTensor> t = I.constant(n, input, "axes");
  if (failed(t))
    return failure();
  return t->ints();
}

LogicalResult squeezeOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"axes"})))
    return failure();
  auto axes = axesOf(I, n, 1, 13);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> in = shapeOf(I, n, 0), out;
  for (int64_t &a : *axes)
    a = norm(a, in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    bool drop = axes->empty() ? in[d] == 1 : llvm::is_contained(*axes, (int64_t)d);
    if (drop && in[d] != 1)
      return I.error(n, "cannot squeeze dimension " + Twine(d) + " of size " + Twine(in[d]));
    if (!drop)
      out.push_back(in[d]);
  }
  return reshapeTo(I, n, out);
}

LogicalResult unsqueezeOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"axes"})))
    return failure();
  auto axes = axesOf(I, n, 1, 13);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> in = shapeOf(I, n, 0);
  int64_t rank = in.size() + axes->size();
  SmallVector<int64_t> out;
  auto it = in.begin();
  std::vector<int64_t> ax;
  for (int64_t a : *axes)
    ax.push_back(norm(a, rank));
  for (int64_t d = 0; d < rank; ++d) {
    if (llvm::is_contained(ax, d))
      out.push_back(1);
    else if (it != in.end())
      out.push_back(*it++);
    else
      return I.error(n, "axes out of range");
  }
  return reshapeTo(I, n, out);
}

LogicalResult transposeOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"perm"})))
    return failure();
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  int64_t rank = typeOf(*x).getRank();
  auto p = I.getInts(n, "perm");
  std::vector<int64_t> perm;
  if (p)
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  return emit(I, n, I.op(n, "transpose", {*x}, {I.named("perm", I.b.getDenseI64ArrayAttr(perm))}));
}

/// Host slicing with normalized starts/steps per dimension.
HostTensor hostSlice(const HostTensor &t, ArrayRef<int64_t> starts, ArrayRef<int64_t> steps,
                     ArrayRef<int64_t> outShape) {
  std::vector<double> v = t.values(), out;
  int64_t n = 1;
  for (int64_t d : outShape)
    n *= d;
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, src = 0, stride = 1;
    for (int64_t d = outShape.size() - 1; d >= 0; --d) {
      int64_t c = rem % outShape[d];
      rem /= outShape[d];
      src += (starts[d] + c * steps[d]) * stride;
      stride *= t.shape[d];
    }
    out.push_back(v[src]);
  }
  return HostTensor::fromValues(t.elt, outShape, out);
}

LogicalResult emitSlice(Importer &I, const Node &n, int output, ArrayRef<int64_t> starts,
                        ArrayRef<int64_t> ends, ArrayRef<int64_t> steps) {
  Val *in = I.input(n, 0);
  SmallVector<int64_t> shape;
  for (size_t d = 0; d < starts.size(); ++d)
    shape.push_back(std::max<int64_t>(0, (ends[d] - starts[d] + steps[d] - 1) / steps[d]));
  if (in->host && in->host->numel() <= kMaxHostFold) {
    I.setOutput(n, output, Val{Value(), hostSlice(*in->host, starts, steps, shape)});
    return success();
  }
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  FailureOr<Value> r = I.op(n, "slice", {*x},
                            {I.named("starts", I.b.getDenseI64ArrayAttr(starts)),
                             I.named("ends", I.b.getDenseI64ArrayAttr(ends)),
                             I.named("steps", I.b.getDenseI64ArrayAttr(steps))});
  if (failed(r))
    return I.error(n, "invalid slice");
  I.setOutput(n, output, *r);
  return success();
}

LogicalResult sliceOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"starts", "ends", "axes"})))
    return failure();
  SmallVector<int64_t> in = shapeOf(I, n, 0);
  int64_t rank = in.size();
  std::vector<int64_t> st, en, ax, sp;
  if (I.opset < 10) {
    st = I.getInts(n, "starts").value_or(std::vector<int64_t>{});
    en = I.getInts(n, "ends").value_or(std::vector<int64_t>{});
    ax = I.getInts(n, "axes").value_or(std::vector<int64_t>{});
  } else {
    for (auto [i, vec, what] : {std::tuple<int, std::vector<int64_t> *, const char *>{1, &st, "starts"},
                                {2, &en, "ends"}, {3, &ax, "axes"}, {4, &sp, "steps"}}) {
      if (!I.has(n, i))
        continue;
      FailureOr<HostTensor> t = I.constant(n, i, what);
      if (failed(t))
        return failure();
      *vec = t->ints();
    }
  }
  if (ax.empty())
    for (size_t i = 0; i < st.size(); ++i)
      ax.push_back(i);
  if (sp.empty())
    sp.assign(st.size(), 1);
  if (st.size() != en.size() || st.size() != ax.size() || st.size() != sp.size())
    return I.error(n, "starts, ends, axes and steps differ in length");
  SmallVector<int64_t> starts(rank, 0), ends(in.begin(), in.end()), steps(rank, 1);
  for (size_t i = 0; i < st.size(); ++i) {
    int64_t d = norm(ax[i], rank);
    if (d < 0 || d >= rank)
      return I.error(n, "axis " + Twine(ax[i]) + " is out of range");
    if (sp[i] <= 0)
      return I.error(n, "negative or zero slice steps are not supported");
    int64_t dim = in[d];
    int64_t s = st[i] < 0 ? st[i] + dim : st[i];
    int64_t e = en[i] < 0 ? en[i] + dim : en[i];
    starts[d] = std::clamp<int64_t>(s, 0, dim);
    ends[d] = std::clamp<int64_t>(e, starts[d], dim);
    steps[d] = sp[i];
  }
  return emitSlice(I, n, 0, starts, ends, steps);
}

LogicalResult splitOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"axis", "split", "num_outputs"})))
    return failure();
  SmallVector<int64_t> in = shapeOf(I, n, 0);
  int64_t axis = norm(I.getInt(n, "axis", 0), in.size());
  std::vector<int64_t> parts;
  if (I.opset < 13) {
    parts = I.getInts(n, "split").value_or(std::vector<int64_t>{});
  } else if (I.has(n, 1)) {
    FailureOr<HostTensor> t = I.constant(n, 1, "split");
    if (failed(t))
      return failure();
    parts = t->ints();
  }
  int64_t outs = n.output_size();
  if (parts.empty()) {
    int64_t chunk = (in[axis] + outs - 1) / outs;
    for (int64_t i = 0, left = in[axis]; i < outs; ++i, left -= chunk)
      parts.push_back(std::min(chunk, std::max<int64_t>(0, left)));
  }
  if (static_cast<int64_t>(parts.size()) != outs)
    return I.error(n, "split has " + Twine(parts.size()) + " sizes for " + Twine(outs) + " outputs");
  int64_t offset = 0;
  for (int64_t i = 0; i < outs; ++i) {
    SmallVector<int64_t> starts(in.size(), 0), ends(in.begin(), in.end()), steps(in.size(), 1);
    starts[axis] = offset;
    ends[axis] = offset + parts[i];
    offset += parts[i];
    if (ends[axis] > in[axis])
      return I.error(n, "split sizes exceed the dimension");
    if (failed(emitSlice(I, n, i, starts, ends, steps)))
      return failure();
  }
  return success();
}

LogicalResult concatOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"axis"})))
    return failure();
  if (n.input_size() < 1)
    return I.error(n, "needs inputs");
  int64_t rank = shapeOf(I, n, 0).size();
  int64_t axis = norm(I.getInt(n, "axis", 0), rank);
  if (allHost(I, n)) {
    // Concatenate along `axis` on the host.
    SmallVector<int64_t> shape = I.input(n, 0)->host->shape;
    int64_t total = 0;
    for (int i = 0; i < n.input_size(); ++i)
      total += I.input(n, i)->host->shape[axis];
    shape[axis] = total;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      if (d < axis)
        outer *= shape[d];
      else if (d > axis)
        inner *= shape[d];
    std::vector<double> out;
    for (int64_t o = 0; o < outer; ++o)
      for (int i = 0; i < n.input_size(); ++i) {
        const HostTensor &t = *I.input(n, i)->host;
        std::vector<double> v = t.values();
        int64_t len = t.shape[axis] * inner;
        out.insert(out.end(), v.begin() + o * len, v.begin() + (o + 1) * len);
      }
    I.setOutput(n, 0, Val{Value(), HostTensor::fromValues(I.input(n, 0)->host->elt, shape, out)});
    return success();
  }
  SmallVector<Value> ops;
  for (int i = 0; i < n.input_size(); ++i) {
    FailureOr<Value> v = I.value(n, i);
    if (failed(v))
      return failure();
    ops.push_back(*v);
  }
  return emit(I, n, I.op(n, "concat", ops, {I.named("axis", I.b.getI64IntegerAttr(axis))}));
}

LogicalResult gatherOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"axis"})))
    return failure();
  SmallVector<int64_t> dshape = shapeOf(I, n, 0);
  int64_t axis = norm(I.getInt(n, "axis", 0), dshape.size());
  if (allHost(I, n)) {
    const HostTensor &data = *I.input(n, 0)->host, &idx = *I.input(n, 1)->host;
    SmallVector<int64_t> shape(dshape.begin(), dshape.begin() + axis);
    shape.append(idx.shape.begin(), idx.shape.end());
    shape.append(dshape.begin() + axis + 1, dshape.end());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < (int64_t)dshape.size(); ++d)
      if (d < axis)
        outer *= dshape[d];
      else if (d > axis)
        inner *= dshape[d];
    std::vector<double> v = data.values(), out;
    std::vector<int64_t> ids = idx.ints();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t id : ids) {
        if (id < 0)
          id += dshape[axis];
        if (id < 0 || id >= dshape[axis])
          return I.error(n, "index " + Twine(id) + " is out of range");
        for (int64_t k = 0; k < inner; ++k)
          out.push_back(v[(o * dshape[axis] + id) * inner + k]);
      }
    I.setOutput(n, 0, Val{Value(), HostTensor::fromValues(data.elt, shape, out)});
    return success();
  }
  FailureOr<Value> data = I.value(n, 0), idx = I.value(n, 1);
  if (failed(data) || failed(idx))
    return failure();
  return emit(I, n, I.op(n, "gather", {*data, *idx}, {I.named("axis", I.b.getI64IntegerAttr(axis))}));
}

LogicalResult expandOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {})))
    return failure();
  FailureOr<HostTensor> s = I.constant(n, 1, "shape");
  if (failed(s))
    return failure();
  auto shape = broadcast(shapeOf(I, n, 0), s->ints());
  if (failed(shape))
    return I.error(n, "shape does not broadcast with the input");
  Type elt = eltOf(I, n, 0);
  Val *in = I.input(n, 0);
  if (in->host && in->host->numel() <= kMaxHostFold) {
    int64_t count = 1;
    for (int64_t d : *shape)
      count *= d;
    HostTensor zeros = HostTensor::fromValues(elt, *shape, std::vector<double>(count, 0.0));
    return setHost(I, n, hostMap({*in->host, zeros}, elt,
                                 [](ArrayRef<double> a) { return a[0] + a[1]; }));
  }
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  if (typeOf(*x).getShape() == ArrayRef<int64_t>(*shape)) {
    I.setOutput(n, 0, *x);
    return success();
  }
  auto z = I.splat(n, *shape, elt, 0.0);
  if (failed(z))
    return failure();
  return emit(I, n, I.op(n, "add", {*x, *z}));
}

LogicalResult shapeOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"start", "end"})))
    return failure();
  if (!I.input(n, 0))
    return I.error(n, "input is missing");
  SmallVector<int64_t> s = shapeOf(I, n, 0);
  int64_t rank = s.size();
  int64_t start = std::clamp<int64_t>(norm(I.getInt(n, "start", 0), rank), 0, rank);
  int64_t end = std::clamp<int64_t>(norm(I.getInt(n, "end", rank), rank), start, rank);
  std::vector<double> v(s.begin() + start, s.begin() + end);
  I.setOutput(n, 0, Val{Value(), HostTensor::fromValues(I.b.getI64Type(), {end - start}, v)});
  return success();
}

LogicalResult constantOp(Importer &I, const Node &n) {
  if (n.attribute_size() != 1)
    return I.error(n, "needs exactly one value attribute");
  const auto &a = n.attribute(0);
  HostTensor t;
  if (a.name() == "value") {
    FailureOr<HostTensor> r = I.tensorFromProto(a.t(), &n);
    if (failed(r))
      return failure();
    t = *r;
  } else if (a.name() == "value_float") {
    t = HostTensor::fromValues(I.b.getF32Type(), {}, {a.f()});
  } else if (a.name() == "value_floats") {
    std::vector<double> v(a.floats().begin(), a.floats().end());
    t = HostTensor::fromValues(I.b.getF32Type(), {(int64_t)v.size()}, v);
  } else if (a.name() == "value_int") {
    t = HostTensor::fromValues(I.b.getI64Type(), {}, {(double)a.i()});
  } else if (a.name() == "value_ints") {
    std::vector<double> v(a.ints().begin(), a.ints().end());
    t = HostTensor::fromValues(I.b.getI64Type(), {(int64_t)v.size()}, v);
  } else {
    return I.error(n, "attribute '" + a.name() + "' is not supported");
  }
  I.setOutput(n, 0, Val{Value(), t});
  return success();
}

LogicalResult constantOfShape(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"value"})))
    return failure();
  FailureOr<HostTensor> s = I.constant(n, 0, "shape");
  if (failed(s))
    return failure();
  Type elt = I.b.getF32Type();
  double value = 0;
  if (const auto *a = I.attr(n, "value")) {
    FailureOr<HostTensor> v = I.tensorFromProto(a->t(), &n);
    if (failed(v))
      return failure();
    elt = v->elt;
    value = v->values().at(0);
  }
  std::vector<int64_t> shape = s->ints();
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  I.setOutput(n, 0, Val{Value(), HostTensor::fromValues(elt, shape, std::vector<double>(count, value))});
  return success();
}

LogicalResult identityOp(Importer &I, const Node &n) {
  Val *in = I.input(n, 0);
  if (!in)
    return I.error(n, "input is missing");
  I.setOutput(n, 0, *in);
  return success();
}

LogicalResult dropoutOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"ratio", "seed", "is_test"})))
    return failure();
  if (I.has(n, 2)) {
    FailureOr<HostTensor> t = I.constant(n, 2, "training_mode");
    if (failed(t))
      return failure();
    if (t->values().at(0) != 0)
      return I.error(n, "training-mode Dropout is not supported (inference only)");
  }
  Val *in = I.input(n, 0);
  if (!in)
    return I.error(n, "input is missing");
  I.setOutput(n, 0, *in);
  if (n.output_size() > 1 && !n.output(1).empty()) {
    SmallVector<int64_t> s = shapeOf(I, n, 0);
    int64_t c = 1;
    for (int64_t d : s)
      c *= d;
    I.setOutput(n, 1, Val{Value(), HostTensor::fromValues(I.b.getI1Type(), s, std::vector<double>(c, 1))});
  }
  return success();
}

Handler reduce(StringRef dr1Name, int64_t axesInputOpset) {
  std::string name = dr1Name.str();
  return [name, axesInputOpset](Importer &I, const Node &n) -> LogicalResult {
    if (failed(I.checkAttributes(n, {"axes", "keepdims", "noop_with_empty_axes"})))
      return failure();
    auto axes = axesOf(I, n, 1, axesInputOpset);
    if (failed(axes))
      return failure();
    FailureOr<Value> x = I.value(n, 0);
    if (failed(x))
      return failure();
    if (axes->empty() && I.getInt(n, "noop_with_empty_axes", 0)) {
      I.setOutput(n, 0, *x);
      return success();
    }
    return emit(I, n, I.op(n, name, {*x},
                           {I.named("axes", I.b.getDenseI64ArrayAttr(*axes)),
                            I.named("keepdims", I.b.getBoolAttr(I.getInt(n, "keepdims", 1)))}));
  };
}

LogicalResult padOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"mode", "pads", "value"})))
    return failure();
  if (I.getString(n, "mode", "constant") != "constant")
    return I.error(n, "only mode = constant is supported");
  std::vector<int64_t> pads;
  double value = I.getFloat(n, "value", 0);
  if (I.opset < 11) {
    pads = I.getInts(n, "pads").value_or(std::vector<int64_t>{});
  } else {
    FailureOr<HostTensor> p = I.constant(n, 1, "pads");
    if (failed(p))
      return failure();
    pads = p->ints();
    if (I.has(n, 2)) {
      FailureOr<HostTensor> v = I.constant(n, 2, "constant_value");
      if (failed(v))
        return failure();
      value = v->values().at(0);
    }
  }
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  auto xt = typeOf(*x);
  int64_t rank = xt.getRank();
  std::vector<int64_t> axes;
  if (I.has(n, 3)) {
    FailureOr<HostTensor> a = I.constant(n, 3, "axes");
    if (failed(a))
      return failure();
    for (int64_t v : a->ints())
      axes.push_back(norm(v, rank));
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size())
    return I.error(n, "pads must have 2 values per padded axis");
  Value cur = *x;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t before = pads[i], after = pads[i + axes.size()];
    if (before < 0 || after < 0)
      return I.error(n, "negative pads are not supported");
    if (before == 0 && after == 0)
      continue;
    SmallVector<Value> parts;
    for (int64_t amount : {before, int64_t(-1), after}) {
      if (amount == -1) {
        parts.push_back(cur);
        continue;
      }
      if (amount == 0)
        continue;
      SmallVector<int64_t> shape(typeOf(cur).getShape());
      shape[axes[i]] = amount;
      auto c = I.splat(n, shape, xt.getElementType(), value);
      if (failed(c))
        return failure();
      parts.push_back(*c);
    }
    auto r = I.op(n, "concat", parts, {I.named("axis", I.b.getI64IntegerAttr(axes[i]))});
    if (failed(r))
      return failure();
    cur = *r;
  }
  I.setOutput(n, 0, cur);
  return success();
}

LogicalResult resizeOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"mode", "coordinate_transformation_mode", "nearest_mode",
                                   "cubic_coeff_a", "exclude_outside", "extrapolation_value",
                                   "antialias", "axes", "keep_aspect_ratio_policy"})))
    return failure();
  std::string mode = I.getString(n, "mode", "nearest");
  std::string ctm = I.getString(n, "coordinate_transformation_mode",
                                I.opset < 11 ? "asymmetric" : "half_pixel");
  std::string nearest = I.getString(n, "nearest_mode", "round_prefer_floor");
  if (mode != "nearest" && mode != "linear")
    return I.error(n, "mode '" + mode + "' is not supported (nearest and linear are)");
  if (I.getInt(n, "antialias", 0) || I.getInt(n, "exclude_outside", 0) || I.attr(n, "axes") ||
      I.getString(n, "keep_aspect_ratio_policy", "stretch") != "stretch")
    return I.error(n, "antialias, exclude_outside, axes and keep_aspect_ratio_policy are not supported");
  if (ctm == "tf_crop_and_resize")
    return I.error(n, "coordinate_transformation_mode tf_crop_and_resize is not supported");
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  auto xt = typeOf(*x);
  int64_t rank = xt.getRank();
  std::vector<double> scales;
  std::vector<int64_t> sizes;
  int scalesInput = I.opset < 11 ? 1 : 2, sizesInput = 3;
  if (I.has(n, sizesInput)) {
    FailureOr<HostTensor> s = I.constant(n, sizesInput, "sizes");
    if (failed(s))
      return failure();
    sizes = s->ints();
  } else if (I.has(n, scalesInput)) {
    FailureOr<HostTensor> s = I.constant(n, scalesInput, "scales");
    if (failed(s))
      return failure();
    scales = s->values();
  }
  if (sizes.empty() && scales.empty())
    return I.error(n, "needs scales or sizes");
  if ((!sizes.empty() && (int64_t)sizes.size() != rank) ||
      (!scales.empty() && (int64_t)scales.size() != rank))
    return I.error(n, "scales/sizes must have one value per dimension");
  Value cur = *x;
  Type elt = xt.getElementType();
  if (!isa<FloatType>(elt))
    return I.error(n, "only floating-point Resize is supported");
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = xt.getDimSize(d);
    int64_t out = sizes.empty() ? (int64_t)std::floor(in * scales[d]) : sizes[d];
    double scale = sizes.empty() ? scales[d] : (double)out / in;
    // With scales, ONNX measures the output in unrounded units (in * scale).
    double outLen = sizes.empty() ? in * scales[d] : (double)out;
    if (out == in && scale == 1.0)
      continue;
    if (out < 1)
      return I.error(n, "output size would be empty");
    auto coord = [&](int64_t o) -> double {
      if (ctm == "half_pixel")
        return (o + 0.5) / scale - 0.5;
      if (ctm == "pytorch_half_pixel")
        return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
      if (ctm == "align_corners")
        return outLen > 1 ? o * (double)(in - 1) / (outLen - 1) : 0.0;
      if (ctm == "asymmetric")
        return o / scale;
      if (ctm == "tf_half_pixel_for_nn")
        return (o + 0.5) / scale;
      if (ctm == "half_pixel_symmetric") {
        double adj = out / (scale * in);
        double center = in / 2.0, offset = center * (1 - adj);
        return offset + (o + 0.5) / scale - 0.5;
      }
      return o / scale;
    };
    std::vector<double> i0(out), i1(out), w1(out);
    for (int64_t o = 0; o < out; ++o) {
      double c = coord(o);
      if (mode == "nearest") {
        double r;
        if (nearest == "floor")
          r = std::floor(c);
        else if (nearest == "ceil")
          r = std::ceil(c);
        else if (nearest == "round_prefer_ceil")
          r = std::floor(c + 0.5);
        else
          r = (c - std::floor(c) == 0.5) ? std::floor(c) : std::round(c);
        i0[o] = std::clamp<double>(r, 0, in - 1);
      } else {
        c = std::clamp<double>(c, 0, in - 1);
        double f = std::floor(c);
        i0[o] = f;
        i1[o] = std::min<double>(f + 1, in - 1);
        w1[o] = c - f;
      }
    }
    auto gatherIdx = [&](const std::vector<double> &idx) -> FailureOr<Value> {
      auto ids = I.op(n, "constant", {}, {I.named("value", DenseElementsAttr::get(
          RankedTensorType::get({out}, I.b.getI64Type()),
          ArrayRef<int64_t>(std::vector<int64_t>(idx.begin(), idx.end()))))});
      if (failed(ids))
        return failure();
      return I.op(n, "gather", {cur, *ids}, {I.named("axis", I.b.getI64IntegerAttr(d))});
    };
    FailureOr<Value> g0 = gatherIdx(i0);
    if (failed(g0))
      return failure();
    if (mode == "nearest") {
      cur = *g0;
      continue;
    }
    FailureOr<Value> g1 = gatherIdx(i1);
    if (failed(g1))
      return failure();
    SmallVector<int64_t> wshape(rank, 1);
    wshape[d] = out;
    auto weights = [&](bool second) -> FailureOr<Value> {
      std::vector<float> w;
      for (double v : w1)
        w.push_back(static_cast<float>(second ? v : 1 - v));
      auto attr = DenseElementsAttr::get(RankedTensorType::get(wshape, I.b.getF32Type()),
                                         ArrayRef<float>(w));
      FailureOr<Value> c = I.op(n, "constant", {}, {I.named("value", attr)});
      if (failed(c))
        return failure();
      return castTo(I, n, *c, elt);
    };
    FailureOr<Value> wa = weights(false), wb = weights(true);
    if (failed(wa) || failed(wb))
      return failure();
    auto a = I.op(n, "mul", {*g0, *wa});
    auto c = I.op(n, "mul", {*g1, *wb});
    if (failed(a) || failed(c))
      return failure();
    auto s = I.op(n, "add", {*a, *c});
    if (failed(s))
      return failure();
    cur = *s;
  }
  I.setOutput(n, 0, cur);
  return success();
}

/// Local response normalization across channels:
/// y = x / (bias + alpha / size * sum over the channel window of x^2)^beta.
LogicalResult lrnOp(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"alpha", "beta", "bias", "size"})))
    return failure();
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  auto xt = typeOf(*x);
  if (xt.getRank() < 3 || !isa<FloatType>(xt.getElementType()))
    return I.error(n, "needs a floating-point input of rank >= 3");
  int64_t size = I.getInt(n, "size", 0);
  if (size < 1)
    return I.error(n, "size must be >= 1");
  float alpha = I.getFloat(n, "alpha", 1e-4f), beta = I.getFloat(n, "beta", 0.75f),
        bias = I.getFloat(n, "bias", 1.0f);
  Type elt = xt.getElementType();
  int64_t c = xt.getDimSize(1);
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  auto cst = [&](ArrayRef<int64_t> shape, double v) { return I.splat(n, shape, elt, v); };
  FailureOr<Value> sq = I.op(n, "mul", {*x, *x});
  if (failed(sq))
    return failure();
  // Zero-pad the channels, then add `size` shifted channel slices.
  SmallVector<Value> parts;
  SmallVector<int64_t> shape(xt.getShape());
  for (int64_t amount : {before, int64_t(-1), after}) {
    if (amount == -1) {
      parts.push_back(*sq);
      continue;
    }
    if (amount == 0)
      continue;
    shape[1] = amount;
    FailureOr<Value> z = cst(shape, 0.0);
    if (failed(z))
      return failure();
    parts.push_back(*z);
  }
  FailureOr<Value> padded = parts.size() == 1 ? FailureOr<Value>(parts[0])
                                              : I.op(n, "concat", parts, {I.named("axis", I.b.getI64IntegerAttr(1))});
  if (failed(padded))
    return failure();
  FailureOr<Value> sum;
  for (int64_t k = 0; k < size; ++k) {
    SmallVector<int64_t> starts(xt.getRank(), 0), ends(typeOf(*padded).getShape()),
        steps(xt.getRank(), 1);
    starts[1] = k;
    ends[1] = k + c;
    FailureOr<Value> slice = I.op(n, "slice", {*padded},
                                  {I.named("starts", I.b.getDenseI64ArrayAttr(starts)),
                                   I.named("ends", I.b.getDenseI64ArrayAttr(ends)),
                                   I.named("steps", I.b.getDenseI64ArrayAttr(steps))});
    if (failed(slice))
      return failure();
    sum = k == 0 ? slice : I.op(n, "add", {*sum, *slice});
    if (failed(sum))
      return failure();
  }
  FailureOr<Value> a = cst({}, alpha / size), bb = cst({}, bias), e = cst({}, beta);
  if (failed(a) || failed(bb) || failed(e))
    return failure();
  FailureOr<Value> scaled = I.op(n, "mul", {*sum, *a});
  if (failed(scaled))
    return failure();
  FailureOr<Value> base = I.op(n, "add", {*scaled, *bb});
  if (failed(base))
    return failure();
  FailureOr<Value> denom = I.op(n, "pow", {*base, *e});
  if (failed(denom))
    return failure();
  return emit(I, n, I.op(n, "div", {*x, *denom}));
}

} // namespace

const llvm::StringMap<Handler> &::dr1::onnx_import::handlers() {
  static const llvm::StringMap<Handler> table = [] {
    llvm::StringMap<Handler> t;
    t["Add"] = binary("add", [](double a, double b) { return a + b; });
    t["Sub"] = binary("sub", [](double a, double b) { return a - b; });
    t["Mul"] = binary("mul", [](double a, double b) { return a * b; });
    t["Div"] = binary("div", [](double a, double b) { return a / b; });
    t["Pow"] = binary("pow", [](double a, double b) { return std::pow(a, b); });
    t["Min"] = variadic("min", false);
    t["Sum"] = variadic("add", false);
    t["LRN"] = lrnOp;
    t["Max"] = variadic("max", true);
    t["Equal"] = compare("equal", [](double a, double b) { return a == b; });
    t["Less"] = compare("less", [](double a, double b) { return a < b; });
    t["Greater"] = compare("greater", [](double a, double b) { return a > b; });
    t["Where"] = whereOp;
    for (auto [onnxName, name] :
         {std::pair<const char *, const char *>{"Sqrt", "sqrt"},
          {"Reciprocal", "reciprocal"},
          {"Abs", "abs"},
          {"Exp", "exp"},
          {"Log", "log"},
          {"Erf", "erf"},
          {"Round", "round"},
          {"Relu", "relu"},
          {"Sigmoid", "sigmoid"},
          {"Tanh", "tanh"},
          {"HardSwish", "hardswish"}})
      t[onnxName] = unary(name);
    t["Neg"] = negOp;
    t["LeakyRelu"] = leakyRelu;
    t["HardSigmoid"] = hardSigmoid;
    t["Clip"] = clipOp;
    t["Cast"] = castOp;
    t["Softmax"] = [](Importer &I, const Node &n) { return softmaxLike(I, n, "softmax"); };
    t["LogSoftmax"] = [](Importer &I, const Node &n) { return softmaxLike(I, n, "log_softmax"); };
    t["Gemm"] = gemmOp;
    t["MatMul"] = matmulOp;
    t["Conv"] = convOp;
    t["MaxPool"] = [](Importer &I, const Node &n) { return poolOp(I, n, true); };
    t["AveragePool"] = [](Importer &I, const Node &n) { return poolOp(I, n, false); };
    t["GlobalAveragePool"] = unary("global_avg_pool");
    t["BatchNormalization"] = batchNorm;
    t["LayerNormalization"] = layerNorm;
    t["Flatten"] = flattenOp;
    t["Reshape"] = reshapeOp;
    t["Transpose"] = transposeOp;
    t["Concat"] = concatOp;
    t["Split"] = splitOp;
    t["Slice"] = sliceOp;
    t["Gather"] = gatherOp;
    t["Squeeze"] = squeezeOp;
    t["Unsqueeze"] = unsqueezeOp;
    t["Expand"] = expandOp;
    t["Shape"] = shapeOp;
    t["Constant"] = constantOp;
    t["ConstantOfShape"] = constantOfShape;
    t["Identity"] = identityOp;
    t["Dropout"] = dropoutOp;
    t["ReduceMean"] = reduce("reduce_mean", 18);
    t["ReduceSum"] = reduce("reduce_sum", 13);
    t["ReduceMax"] = reduce("reduce_max", 18);
    t["Pad"] = padOp;
    t["Resize"] = resizeOp;
    addQuantizationHandlers(t);
    return t;
  }();
  return table;
}
