//===- OnnxQuantOps.cpp - ONNX quantization operators ---------------------===//
//
// QuantizeLinear / DequantizeLinear become dr1.quantize / dr1.dequantize;
// QLinearConv and QLinearMatMul decompose into dequantize -> float op ->
// quantize, which dr1-quantize turns back into an integer product.
// MatMulInteger and ConvInteger are integer products themselves, exact:
// sum (x - zx)(w - zw) = sum x w - zx sum w (with zw 0).
// DynamicQuantizeLinear computes its scale and zero point from the data,
// in dr1 ops, for the MatMulInteger after it (ONNX Runtime's
// quantize_dynamic). dr1's
// integers are signed: uint8 values q with zero point z are carried as int8
// q - 128 with zero point z - 128 (the same reals). Dequantized constants
// (pre-quantized weights, int32 biases) are folded to f32 at import.
//
//===----------------------------------------------------------------------===//
#include "Frontend/OnnxQuantOps.h"
#include "Frontend/Importer.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace dr1::onnx_import;

namespace {

using Node = Importer::Node;

/// Scale and zero point of a QuantizeLinear / DequantizeLinear (or of one
/// operand of a QLinear* op): per tensor, or per index of `axis`.
struct QParams {
  std::vector<float> scale;
  std::vector<int64_t> zeroPoint; // as stored (uint8: 0..255)
  bool isUnsigned = true;         // ONNX's default type is uint8
  bool isInt32 = false;
  std::optional<int64_t> axis;

  /// The zero points in dr1's signed representation.
  std::vector<int64_t> signedZeroPoints() const {
    std::vector<int64_t> z(zeroPoint);
    if (isUnsigned)
      for (int64_t &v : z)
        v -= 128;
    return z;
  }
};

FailureOr<QParams> qparams(Importer &I, const Node &n, int scaleIdx, int zpIdx,
                           int64_t rank, int64_t axisAttr) {
  FailureOr<HostTensor> s = I.constant(n, scaleIdx, "the scale");
  if (failed(s))
    return failure();
  if (s->shape.size() > 1)
    return I.error(n, "block-wise scales are not supported");
  QParams p;
  for (double v : s->values())
    p.scale.push_back(static_cast<float>(v));
  if (zpIdx >= 0 && I.has(n, zpIdx)) {
    FailureOr<HostTensor> z = I.constant(n, zpIdx, "the zero point");
    if (failed(z))
      return failure();
    if (z->numel() != static_cast<int64_t>(p.scale.size()))
      return I.error(n, "zero point and scale sizes differ");
    p.isUnsigned = z->elt.isUnsignedInteger(8);
    p.isInt32 = z->elt.isInteger(32);
    if (!p.isUnsigned && !z->elt.isSignlessInteger(8) && !p.isInt32)
      return I.error(
          n, "only int8, uint8 and int32 quantized values are supported");
    for (int64_t v : z->ints())
      p.zeroPoint.push_back(v);
  } else {
    p.zeroPoint.assign(p.scale.size(), 0); // uint8 zero point 0
  }
  for (float v : p.scale)
    if (!(v > 0) || !std::isfinite(v))
      return I.error(n, "scales must be positive and finite");
  if (p.scale.size() > 1 || s->shape.size() == 1) {
    int64_t a = axisAttr < 0 ? axisAttr + rank : axisAttr;
    if (a < 0 || a >= rank)
      return I.error(n, "axis " + Twine(axisAttr) + " is out of range");
    if (p.scale.size() > 1)
      p.axis = a;
  }
  return p;
}

/// real = (q - zp) * scale over a constant, computed here.
HostTensor dequantizeHost(const HostTensor &q, const QParams &p, Type f32) {
  std::vector<double> v = q.values();
  int64_t inner = 1, dim = 1;
  if (p.axis) {
    dim = q.shape[*p.axis];
    for (size_t d = *p.axis + 1; d < q.shape.size(); ++d)
      inner *= q.shape[d];
  }
  for (size_t i = 0; i < v.size(); ++i) {
    int64_t c = (static_cast<int64_t>(i) / inner) % dim;
    v[i] = static_cast<float>(static_cast<float>(v[i] - p.zeroPoint[c]) *
                              p.scale[c]);
  }
  return HostTensor::fromValues(f32, q.shape, v);
}

NamedAttribute arrayAttr(Importer &I, StringRef name, ArrayRef<float> v) {
  return I.named(name, I.b.getDenseF32ArrayAttr(v));
}

/// Input `xIdx` dequantized with the parameters at `sIdx`, `zIdx`: a
/// constant folded to f32, or a dr1.dequantize.
FailureOr<Val> dequantize(Importer &I, const Node &n, int xIdx, int sIdx,
                          int zIdx, int64_t axisAttr) {
  Val *x = I.input(n, xIdx);
  if (!x)
    return I.error(n, "input " + Twine(xIdx) + " is missing");
  int64_t rank = static_cast<int64_t>(shapeOf(I, n, xIdx).size());
  FailureOr<QParams> p = qparams(I, n, sIdx, zIdx, rank, axisAttr);
  if (failed(p))
    return failure();
  // Symmetric int8 constants (pre-quantized weights) stay int8 for
  // dr1-quantize, which uses them as they are (or folds them to f32).
  bool symmetricInt8 =
      x->host && x->host->elt.isSignlessInteger(8) &&
      llvm::all_of(p->zeroPoint, [](int64_t z) { return z == 0; });
  if (x->host && !symmetricInt8)
    return Val{Value(), dequantizeHost(*x->host, *p, I.b.getF32Type())};
  if (x->host) {
    FailureOr<Value> q = I.value(n, xIdx);
    if (failed(q))
      return failure();
    SmallVector<NamedAttribute> attrs{
        arrayAttr(I, "scale", p->scale),
        I.named("zero_point", I.b.getDenseI64ArrayAttr(p->zeroPoint))};
    if (p->axis)
      attrs.push_back(I.named("axis", I.b.getI64IntegerAttr(*p->axis)));
    FailureOr<Value> y =
        I.op(n, "dequantize", {*q}, attrs,
             RankedTensorType::get(typeOf(*q).getShape(), I.b.getF32Type()));
    if (failed(y))
      return failure();
    return Val{*y, {}};
  }
  auto t = cast<RankedTensorType>(x->value.getType());
  if (!isa<IntegerType>(t.getElementType()) ||
      t.getElementType().isUnsignedInteger())
    return I.error(n, "dequantizing a computed tensor of " +
                          Twine(t.getElementType().isUnsignedInteger()
                                    ? "uint8 (a model input?)"
                                    : "floats") +
                          " is not supported");
  // A computed int8 tensor here came from QuantizeLinear, shifted alike.
  std::vector<int64_t> zp = p->isInt32 ? p->zeroPoint : p->signedZeroPoints();
  SmallVector<NamedAttribute> attrs{
      arrayAttr(I, "scale", p->scale),
      I.named("zero_point", I.b.getDenseI64ArrayAttr(zp))};
  if (p->axis)
    attrs.push_back(I.named("axis", I.b.getI64IntegerAttr(*p->axis)));
  FailureOr<Value> y =
      I.op(n, "dequantize", {x->value}, attrs,
           RankedTensorType::get(t.getShape(), I.b.getF32Type()));
  if (failed(y))
    return failure();
  return Val{*y, {}};
}

/// `x` quantized with the parameters at `sIdx`, `zIdx` (int8, shifted for
/// uint8).
FailureOr<Value> quantize(Importer &I, const Node &n, Value x, int sIdx,
                          int zIdx, int64_t axisAttr) {
  auto t = cast<RankedTensorType>(x.getType());
  FailureOr<QParams> p = qparams(I, n, sIdx, zIdx, t.getRank(), axisAttr);
  if (failed(p))
    return failure();
  if (p->isInt32)
    return I.error(n, "quantizing to int32 is not supported");
  SmallVector<NamedAttribute> attrs{
      arrayAttr(I, "scale", p->scale),
      I.named("zero_point", I.b.getDenseI64ArrayAttr(p->signedZeroPoints()))};
  if (p->axis)
    attrs.push_back(I.named("axis", I.b.getI64IntegerAttr(*p->axis)));
  return I.op(n, "quantize", {x}, attrs,
              RankedTensorType::get(t.getShape(), I.b.getI8Type()));
}

LogicalResult quantizeLinear(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(
          n, {"axis", "saturate", "block_size", "output_dtype"})))
    return failure();
  if (I.getInt(n, "block_size", 0) != 0)
    return I.error(n, "block-wise quantization is not supported");
  // Without a zero point the output type comes from output_dtype; dr1
  // follows uint8 (the default) through its zero point, so other types
  // need one.
  if (!I.has(n, 2) && I.getInt(n, "output_dtype", 0) != 0 &&
      I.getInt(n, "output_dtype", 0) != onnx::TensorProto::UINT8)
    return I.error(n, "output types other than uint8 need a zero point input");
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  FailureOr<Value> q = quantize(I, n, *x, 1, 2, I.getInt(n, "axis", 1));
  if (failed(q))
    return failure();
  I.setOutput(n, 0, *q);
  Val *z = I.has(n, 2) ? I.input(n, 2) : nullptr;
  if (!z || (z->host && z->host->elt.isUnsignedInteger(8)))
    I.markUnsigned(n.output(0));
  return success();
}

/// y = saturate(round(x / s) + z) with s and z from x's own range: the
/// range widened to include 0, over uint8 (carried as int8 y - 128).
LogicalResult dynamicQuantizeLinear(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = I.value(n, 0);
  if (failed(x))
    return failure();
  if (!typeOf(*x).getElementType().isF32())
    return I.error(n, "DynamicQuantizeLinear takes float32 input");
  Type f32 = I.b.getF32Type(), i8 = I.b.getI8Type();
  bool ok = true;
  auto op = [&](StringRef name, ArrayRef<Value> operands,
                Type resultType = {}) -> Value {
    if (!ok)
      return Value();
    FailureOr<Value> v = I.op(n, name, operands, {}, resultType);
    ok = succeeded(v);
    return ok ? *v : Value();
  };
  auto cst = [&](double v) -> Value {
    if (!ok)
      return Value();
    FailureOr<Value> c = I.splat(n, {}, f32, v);
    ok = succeeded(c);
    return ok ? *c : Value();
  };
  auto clamp = [&](Value v, double lo, double hi) {
    return op("max", {op("min", {v, cst(hi)}), cst(lo)});
  };
  Value hi = op("max", {op("reduce_max", {*x}), cst(0)});
  Value lo =
      op("min", {op("neg", {op("reduce_max", {op("neg", {*x})})}), cst(0)});
  Value scale = op("div", {op("sub", {hi, lo}), cst(255)});
  Value zp = clamp(op("round", {op("neg", {op("div", {lo, scale})})}), 0, 255);
  Value q =
      clamp(op("add", {op("round", {op("div", {*x, scale})}), zp}), 0, 255);
  // uint8 as int8: q - 128 (integral, so the cast is exact).
  Value qs = op("cast", {op("sub", {q, cst(128)})},
                RankedTensorType::get(typeOf(*x).getShape(), i8));
  Value zs =
      op("cast", {op("sub", {zp, cst(128)})}, RankedTensorType::get({}, i8));
  if (!ok)
    return failure();
  I.setOutput(n, 0, qs);
  I.setOutput(n, 1, scale);
  I.setOutput(n, 2, zs);
  I.markUnsigned(n.output(0));
  if (n.output_size() > 2)
    I.markUnsigned(n.output(2));
  return success();
}

LogicalResult dequantizeLinear(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"axis", "block_size"})))
    return failure();
  if (I.getInt(n, "block_size", 0) != 0)
    return I.error(n, "block-wise quantization is not supported");
  FailureOr<Val> y = dequantize(I, n, 0, 1, 2, I.getInt(n, "axis", 1));
  if (failed(y))
    return failure();
  I.setOutput(n, 0, *y);
  return success();
}

LogicalResult qlinearConv(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"auto_pad", "dilations", "group",
                                   "kernel_shape", "pads", "strides"})))
    return failure();
  FailureOr<Val> x = dequantize(I, n, 0, 1, 2, 1);
  if (failed(x))
    return failure();
  FailureOr<Val> w = dequantize(I, n, 3, 4, 5, 0);
  if (failed(w))
    return failure();
  Value xv = I.materialize(n, *x), wv = I.materialize(n, *w);
  Value bias;
  if (I.has(n, 8)) {
    // The int32 bias has scale x_scale * w_scale[c] and zero point 0.
    FailureOr<HostTensor> bq = I.constant(n, 8, "the bias");
    FailureOr<HostTensor> xs = I.constant(n, 1, "the scale");
    FailureOr<HostTensor> ws = I.constant(n, 4, "the scale");
    if (failed(bq) || failed(xs) || failed(ws))
      return failure();
    std::vector<double> b = bq->values(), wsv = ws->values();
    double xsv = xs->values()[0];
    for (size_t c = 0; c < b.size(); ++c)
      b[c] = static_cast<float>(
          b[c] * static_cast<float>(xsv * wsv[wsv.size() == 1 ? 0 : c]));
    Val bv{Value(), HostTensor::fromValues(I.b.getF32Type(), bq->shape, b)};
    bias = I.materialize(n, bv);
  }
  FailureOr<Value> y = buildConv(I, n, xv, wv, bias);
  if (failed(y))
    return failure();
  FailureOr<Value> q = quantize(I, n, *y, 6, 7, 1);
  if (failed(q))
    return failure();
  I.setOutput(n, 0, *q);
  return success();
}

LogicalResult qlinearMatMul(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {})))
    return failure();
  FailureOr<Val> a = dequantize(I, n, 0, 1, 2, 1);
  // b's scale is per tensor or per column (its last axis).
  int64_t bRank = static_cast<int64_t>(shapeOf(I, n, 3).size());
  if (failed(a))
    return failure();
  FailureOr<Val> b = dequantize(I, n, 3, 4, 5, bRank - 1);
  if (failed(b))
    return failure();
  FailureOr<Value> y =
      I.op(n, "matmul", {I.materialize(n, *a), I.materialize(n, *b)});
  if (failed(y))
    return failure();
  FailureOr<Value> q = quantize(I, n, *y, 6, 7, 1);
  if (failed(q))
    return failure();
  I.setOutput(n, 0, *q);
  return success();
}

/// An operand of MatMulInteger / ConvInteger in dr1's signed form (uint8 q
/// as int8 q - 128) and its zero points shifted alike.
struct IntOperand {
  Value value;
  std::vector<int64_t> zeroPoint; // constant ones
  Value zeroPointValue;           // or one computed (i8 scalar, shifted)
};

FailureOr<IntOperand> intOperand(Importer &I, const Node &n, int xIdx,
                                 int zIdx) {
  Val *x = I.input(n, xIdx);
  if (!x)
    return I.error(n, "input " + Twine(xIdx) + " is missing");
  bool isUnsigned;
  IntOperand r;
  Val *zv = I.has(n, zIdx) ? I.input(n, zIdx) : nullptr;
  if (zv && !zv->host) {
    // Computed by DynamicQuantizeLinear: already in the signed form.
    auto zt = typeOf(zv->value);
    if (!zt.getElementType().isInteger(8) || zt.getNumElements() != 1)
      return I.error(n, "a computed zero point must be one int8 / uint8 "
                        "value");
    isUnsigned = I.isUnsigned(n.input(zIdx));
    r.zeroPointValue = zv->value;
  } else if (zv) {
    FailureOr<HostTensor> z = I.constant(n, zIdx, "the zero point");
    if (failed(z))
      return failure();
    isUnsigned = z->elt.isUnsignedInteger(8);
    if (!isUnsigned && !z->elt.isSignlessInteger(8))
      return I.error(n, "only int8 and uint8 operands are supported");
    r.zeroPoint = z->ints();
  } else {
    // Computed uint8 values were marked by their producer.
    isUnsigned = x->host ? x->host->elt.isUnsignedInteger(8)
                         : I.isUnsigned(n.input(xIdx));
    r.zeroPoint = {0};
  }
  if (isUnsigned)
    for (int64_t &z : r.zeroPoint)
      z -= 128;
  if (x->host) {
    if (x->host->elt.isUnsignedInteger(8) != isUnsigned ||
        (!isUnsigned && !x->host->elt.isSignlessInteger(8)))
      return I.error(n, "operand and zero point types differ");
    std::vector<double> v = x->host->values();
    if (isUnsigned)
      for (double &e : v)
        e -= 128;
    Val shifted{Value(),
                HostTensor::fromValues(I.b.getI8Type(), x->host->shape, v)};
    r.value = I.materialize(n, shifted);
  } else {
    if (!typeOf(x->value).getElementType().isInteger(8))
      return I.error(n, "only int8 and uint8 operands are supported");
    r.value = x->value;
  }
  return r;
}

/// The operand's (per-tensor) zero point as an i32 scalar tensor; null
/// where it is the constant 0.
FailureOr<Value> zeroPointI32(Importer &I, const Node &n, const IntOperand &x) {
  Type i32 = I.b.getI32Type();
  if (x.zeroPointValue)
    return I.op(
        n, "cast", {x.zeroPointValue}, {},
        RankedTensorType::get(typeOf(x.zeroPointValue).getShape(), i32));
  if (x.zeroPoint[0] == 0)
    return Value();
  return I.splat(n, {}, i32, static_cast<double>(x.zeroPoint[0]));
}

/// `acc` (i32) minus `zp * sums`, `zp` the operand's zero point.
FailureOr<Value> subtractZeroPointShare(Importer &I, const Node &n, Value acc,
                                        Value sums, const IntOperand &x) {
  FailureOr<Value> z = zeroPointI32(I, n, x);
  if (failed(z))
    return failure();
  if (!*z)
    return acc;
  FailureOr<Value> share = I.op(n, "mul", {sums, *z});
  if (failed(share))
    return failure();
  return I.op(n, "sub", {acc, *share});
}

/// sum over `axes` of `v` (i8) in i32, dimensions kept.
FailureOr<Value> sumsOf(Importer &I, const Node &n, Value v,
                        ArrayRef<int64_t> axes) {
  FailureOr<Value> wide =
      I.op(n, "cast", {v}, {},
           RankedTensorType::get(typeOf(v).getShape(), I.b.getI32Type()));
  if (failed(wide))
    return failure();
  return I.op(n, "reduce_sum", {*wide},
              {I.named("axes", I.b.getDenseI64ArrayAttr(axes)),
               I.named("keepdims", I.b.getBoolAttr(true))});
}

LogicalResult matMulInteger(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {})))
    return failure();
  FailureOr<IntOperand> a = intOperand(I, n, 0, 2);
  if (failed(a))
    return failure();
  FailureOr<IntOperand> b = intOperand(I, n, 1, 3);
  if (failed(b))
    return failure();
  if (!a->zeroPointValue && a->zeroPoint.size() != 1)
    return I.error(n, "per-row zero points of A are not supported");
  if (b->zeroPointValue)
    return I.error(n, "B's zero point must be a constant");
  auto at = typeOf(a->value), bt = typeOf(b->value);
  if (at.getRank() < 2 || bt.getRank() < 2)
    return I.error(n, "1-D MatMulInteger operands are not supported");
  int64_t k = at.getShape().back(), cols = bt.getShape().back();
  if (b->zeroPoint.size() != 1 &&
      static_cast<int64_t>(b->zeroPoint.size()) != cols)
    return I.error(n, "B's zero point must be per tensor or per column");
  FailureOr<Value> acc = I.op(n, "matmul", {a->value, b->value});
  if (failed(acc))
    return failure();
  // (a - za)(b - zb) = a b - za * colsum(b) - zb * rowsum(a) + K za zb.
  FailureOr<Value> sums = sumsOf(I, n, b->value, {-2});
  if (failed(sums))
    return failure();
  FailureOr<Value> y = subtractZeroPointShare(I, n, *acc, *sums, *a);
  if (failed(y))
    return failure();
  if (llvm::any_of(b->zeroPoint, [](int64_t z) { return z != 0; })) {
    Type i32 = I.b.getI32Type();
    SmallVector<int64_t> zbShape;
    std::vector<double> zbv(b->zeroPoint.begin(), b->zeroPoint.end()),
        kzbv(zbv);
    if (b->zeroPoint.size() != 1)
      zbShape.push_back(cols);
    for (double &v : kzbv)
      v *= static_cast<double>(k);
    Val zbHost{Value(), HostTensor::fromValues(i32, zbShape, zbv)};
    Val kzbHost{Value(), HostTensor::fromValues(i32, zbShape, kzbv)};
    FailureOr<Value> rows = sumsOf(I, n, a->value, {-1});
    FailureOr<Value> za = zeroPointI32(I, n, *a);
    if (failed(rows) || failed(za))
      return failure();
    FailureOr<Value> share = I.op(n, "mul", {*rows, I.materialize(n, zbHost)});
    if (failed(share) || failed(y = I.op(n, "sub", {*y, *share})))
      return failure();
    if (*za) {
      FailureOr<Value> both = I.op(n, "mul", {I.materialize(n, kzbHost), *za});
      if (failed(both) || failed(y = I.op(n, "add", {*y, *both})))
        return failure();
    }
  }
  I.setOutput(n, 0, *y);
  return success();
}

LogicalResult convInteger(Importer &I, const Node &n) {
  if (failed(I.checkAttributes(n, {"auto_pad", "dilations", "group",
                                   "kernel_shape", "pads", "strides"})))
    return failure();
  FailureOr<IntOperand> x = intOperand(I, n, 0, 2);
  if (failed(x))
    return failure();
  FailureOr<IntOperand> w = intOperand(I, n, 1, 3);
  if (failed(w))
    return failure();
  if (x->zeroPointValue || x->zeroPoint.size() != 1)
    return I.error(n, "the input's zero point must be one constant (it is "
                      "the padding value)");
  if (w->zeroPointValue ||
      llvm::any_of(w->zeroPoint, [](int64_t z) { return z != 0; }))
    return I.error(n, "the weights' zero point must be 0 (int8) or 128 "
                      "(uint8)");
  // Padding holds the input's zero point: it then stands for a real 0,
  // and (x - zx) w = x w - zx * (sum of each filter's weights).
  FailureOr<Value> acc =
      buildConv(I, n, x->value, w->value, Value(), x->zeroPoint[0]);
  if (failed(acc))
    return failure();
  FailureOr<Value> sums = sumsOf(I, n, w->value, {1, 2, 3});
  if (failed(sums))
    return failure();
  int64_t f = typeOf(w->value).getDimSize(0);
  FailureOr<Value> perFilter = I.reshape(n, *sums, {1, f, 1, 1});
  if (failed(perFilter))
    return failure();
  FailureOr<Value> y = subtractZeroPointShare(I, n, *acc, *perFilter, *x);
  if (failed(y))
    return failure();
  I.setOutput(n, 0, *y);
  return success();
}

} // namespace

void dr1::onnx_import::addQuantizationHandlers(llvm::StringMap<Handler> &t) {
  t["MatMulInteger"] = matMulInteger;
  t["DynamicQuantizeLinear"] = dynamicQuantizeLinear;
  t["ConvInteger"] = convInteger;
  t["QuantizeLinear"] = quantizeLinear;
  t["DequantizeLinear"] = dequantizeLinear;
  t["QLinearConv"] = qlinearConv;
  t["QLinearMatMul"] = qlinearMatMul;
}
