//===- OnnxQuantOps.cpp - ONNX quantization operators ---------------------===//
//
// QuantizeLinear / DequantizeLinear become dr1.quantize / dr1.dequantize;
// QLinearConv and QLinearMatMul decompose into dequantize -> float op ->
// quantize, which dr1-quantize turns back into an integer product. dr1's
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

} // namespace

void dr1::onnx_import::addQuantizationHandlers(llvm::StringMap<Handler> &t) {
  t["QuantizeLinear"] = quantizeLinear;
  t["DequantizeLinear"] = dequantizeLinear;
  t["QLinearConv"] = qlinearConv;
  t["QLinearMatMul"] = qlinearMatMul;
}
