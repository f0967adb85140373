//===- OnnxQuantOps.cpp - ONNX quantization operators ---------------------===//
//
// QuantizeLinear / DequantizeLinear become dr1.quantize / dr1.dequantize;
// QLinearConv and QLinearMatMul decompose into dequantize -> float op ->
// quantize, which dr1-quantize turns back into an integer product.
// MatMulInteger and ConvInteger are integer products themselves, exact:
// sum (x - zx)(w - zw) = sum x w - zx sum w (with zw 0). dr1's
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
  std::vector<int64_t> zeroPoint;
};

FailureOr<IntOperand> intOperand(Importer &I, const Node &n, int xIdx,
                                 int zIdx) {
  Val *x = I.input(n, xIdx);
  if (!x)
    return I.error(n, "input " + Twine(xIdx) + " is missing");
  bool isUnsigned;
  IntOperand r;
  if (I.has(n, zIdx)) {
    FailureOr<HostTensor> z = I.constant(n, zIdx, "the zero point");
    if (failed(z))
      return failure();
    isUnsigned = z->elt.isUnsignedInteger(8);
    if (!isUnsigned && !z->elt.isSignlessInteger(8))
      return I.error(n, "only int8 and uint8 operands are supported");
    r.zeroPoint = z->ints();
  } else if (x->host) {
    isUnsigned = x->host->elt.isUnsignedInteger(8);
    r.zeroPoint = {0};
  } else {
    // A computed int8 tensor may stand for uint8 (shifted): only its zero
    // point's type tells.
    return I.error(n, "a computed operand needs its zero point input (to "
                      "tell uint8 from int8)");
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

/// `acc` (i32) minus `zp * sums` where `zp` is nonzero.
FailureOr<Value> subtractZeroPointShare(Importer &I, const Node &n, Value acc,
                                        Value sums, int64_t zp) {
  if (zp == 0)
    return acc;
  FailureOr<Value> z =
      I.splat(n, {}, I.b.getI32Type(), static_cast<double>(zp));
  if (failed(z))
    return failure();
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
  if (a->zeroPoint.size() != 1)
    return I.error(n, "per-row zero points of A are not supported");
  if (llvm::any_of(b->zeroPoint, [](int64_t z) { return z != 0; }))
    return I.error(n, "B's zero point must be 0 (int8) or 128 (uint8)");
  if (typeOf(a->value).getRank() < 2 || typeOf(b->value).getRank() < 2)
    return I.error(n, "1-D MatMulInteger operands are not supported");
  FailureOr<Value> acc = I.op(n, "matmul", {a->value, b->value});
  if (failed(acc))
    return failure();
  // (a - za) b = a b - za * (column sums of b).
  FailureOr<Value> sums = sumsOf(I, n, b->value, {-2});
  if (failed(sums))
    return failure();
  FailureOr<Value> y =
      subtractZeroPointShare(I, n, *acc, *sums, a->zeroPoint[0]);
  if (failed(y))
    return failure();
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
  if (x->zeroPoint.size() != 1)
    return I.error(n, "the input's zero point must be per tensor");
  if (llvm::any_of(w->zeroPoint, [](int64_t z) { return z != 0; }))
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
  FailureOr<Value> y =
      subtractZeroPointShare(I, n, *acc, *perFilter, x->zeroPoint[0]);
  if (failed(y))
    return failure();
  I.setOutput(n, 0, *y);
  return success();
}

} // namespace

void dr1::onnx_import::addQuantizationHandlers(llvm::StringMap<Handler> &t) {
  t["MatMulInteger"] = matMulInteger;
  t["ConvInteger"] = convInteger;
  t["QuantizeLinear"] = quantizeLinear;
  t["DequantizeLinear"] = dequantizeLinear;
  t["QLinearConv"] = qlinearConv;
  t["QLinearMatMul"] = qlinearMatMul;
}
