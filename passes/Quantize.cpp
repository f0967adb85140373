//===- Quantize.cpp - the dr1-quantize pass -------------------------------===//
//
// Products whose activation range is known (dr1.input_range, from
// calibration) run on int8 (bf16 and f16, which need no range, are a
// rounding of the weights, and for bf16 of the activation): the activation
// quantized per tensor (asymmetric), the constant weight per output channel
// (symmetric), i32 accumulation. One dequantize per output channel undoes both
// scales and, through its zero point, the activation zero point's share of the
// sums, so the integer product itself stays a plain i8 x i8 -> i32 contraction.
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/Statistic.h"

#include <cmath>

namespace mlir::dr1 {
#define GEN_PASS_DEF_QUANTIZE
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

#define DEBUG_TYPE "dr1-quantize"

using namespace mlir;
using namespace mlir::dr1;

namespace {

constexpr int64_t kQMin = -128, kQMax = 127;

/// Per-tensor asymmetric int8 parameters covering [lo, hi] and 0 (padding
/// and ReLU zeros must be exact).
std::pair<float, int64_t> activationParams(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  float scale = (hi - lo) / static_cast<float>(kQMax - kQMin);
  if (!(scale > 0.0f) || !std::isfinite(scale))
    scale = 1.0f;
  double zp = std::nearbyint(kQMin - static_cast<double>(lo) / scale);
  return {scale, static_cast<int64_t>(std::clamp<double>(zp, kQMin, kQMax))};
}

struct QuantizePass : mlir::dr1::impl::QuantizeBase<QuantizePass> {
  using QuantizeBase::QuantizeBase;

  void runOnOperation() override {
    SmallVector<QuantizableOpInterface> ops;
    getOperation().walk([&](QuantizableOpInterface op) { ops.push_back(op); });
    for (QuantizableOpInterface op : ops) {
      FailureOr<bool> r = quantize(op);
      if (failed(r))
        return signalPassFailure();
      if (*r)
        ++numQuantized;
    }
    // Model-quantized weights of products that stay float become f32
    // constants now, rather than being dequantized on every run.
    SmallVector<DequantizeOp> constant;
    getOperation().walk([&](DequantizeOp dq) {
      if (matchPattern(dq.getInput(), m_Constant()))
        constant.push_back(dq);
    });
    for (DequantizeOp dq : constant)
      foldDequantize(dq);
  }

  static void foldDequantize(DequantizeOp dq) {
    ElementsAttr attr;
    if (!matchPattern(dq.getInput(), m_Constant(&attr)) || dq.use_empty())
      return;
    auto type = dq.getType();
    auto it = cast<IntegerType>(dq.getInput().getType().getElementType());
    if (!type.getElementType().isF32() || !type.hasStaticShape() ||
        it.getWidth() > 32)
      return;
    int64_t n = type.getNumElements(), inner = 1, dim = 1;
    if (dq.getAxis()) {
      int64_t a = *normalizeAxis(*dq.getAxis(), type.getRank());
      dim = type.getDimSize(a);
      for (int64_t d = a + 1; d < type.getRank(); ++d)
        inner *= type.getDimSize(d);
    }
    std::vector<int64_t> ints(n);
    auto dense = dyn_cast<DenseElementsAttr>(attr);
    std::optional<ArrayRef<char>> raw = getRawConstantData(attr);
    unsigned bytes = it.getWidth() / 8;
    if (dense && dense.isSplat())
      ints.assign(n, dense.getSplatValue<APInt>().getSExtValue());
    else if (raw && (bytes == 1 || bytes == 4) &&
             raw->size() == static_cast<size_t>(n) * bytes)
      for (int64_t i = 0; i < n; ++i)
        ints[i] = bytes == 1
                      ? static_cast<int8_t>((*raw)[i])
                      : reinterpret_cast<const int32_t *>(raw->data())[i];
    else
      return;
    std::vector<float> out(n);
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = (i / inner) % dim;
      out[i] =
          static_cast<float>(ints[i] - dq.getZeroPoint()[c]) * dq.getScale()[c];
    }
    OpBuilder b(dq);
    auto folded = DenseResourceElementsAttr::get(
        type, "dequantized",
        HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>(reinterpret_cast<const char *>(out.data()),
                           out.size() * sizeof(float)),
            alignof(float)));
    dq.replaceAllUsesWith(
        ConstantOp::create(b, dq.getLoc(), folded).getResult());
    dq.erase();
  }

  /// An activation the model itself quantized (an ONNX QuantizeLinear /
  /// DequantizeLinear pair, a QLinear* op): the int8 tensor dequantized
  /// per tensor, whose scale and zero point the product then uses as is.
  static DequantizeOp modelQuantized(Value x) {
    auto dq = x.getDefiningOp<DequantizeOp>();
    if (!dq || dq.getAxis() ||
        !dq.getInput().getType().getElementType().isInteger(8))
      return {};
    return dq;
  }

  /// The values of an i8 constant (splats expanded); nullopt otherwise.
  static std::optional<std::vector<int8_t>> int8Values(Value v) {
    ElementsAttr attr;
    auto type = cast<RankedTensorType>(v.getType());
    if (!type.getElementType().isInteger(8) || !type.hasStaticShape() ||
        !matchPattern(v, m_Constant(&attr)))
      return std::nullopt;
    int64_t n = type.getNumElements();
    std::vector<int8_t> values;
    if (auto dense = dyn_cast<DenseElementsAttr>(attr);
        dense && dense.isSplat())
      values.assign(
          n, static_cast<int8_t>(dense.getSplatValue<APInt>().getSExtValue()));
    else if (std::optional<ArrayRef<char>> raw = getRawConstantData(attr))
      values.assign(raw->begin(), raw->end());
    if (static_cast<int64_t>(values.size()) != n)
      return std::nullopt;
    return values;
  }

  /// Weights the model quantized itself: dr1.dequantize of an i8 constant,
  /// zero points 0, per tensor or along the output channels. The i8
  /// constant, and the scale of each channel in `scale`.
  static Value modelQuantizedWeights(Value w, int64_t axis,
                                     SmallVectorImpl<float> &scale) {
    auto dq = w.getDefiningOp<DequantizeOp>();
    if (!dq || !int8Values(dq.getInput()) ||
        llvm::any_of(dq.getZeroPoint(), [](int64_t z) { return z != 0; }))
      return {};
    if (dq.getAxis() &&
        *normalizeAxis(*dq.getAxis(), dq.getType().getRank()) != axis)
      return {};
    for (auto [c, s] : llvm::enumerate(scale))
      s = dq.getScale()[dq.getAxis() ? c : 0];
    return dq.getInput();
  }

  static bool isFloatPrecision(StringRef p) {
    return p == "bf16" || p == "f16";
  }

  /// The precision `op` is asked to run in, or failure after an error.
  /// bf16 and f16 need no range; int8 does.
  FailureOr<StringRef> precisionOf(Operation *op) {
    StringRef p = defaultPrecision;
    if (auto attr = op->getAttrOfType<StringAttr>("dr1.precision"))
      p = attr.getValue();
    else if (modelQuantized(op->getOperand(0)))
      p = "int8";
    else if (!op->hasAttr("dr1.input_range") && !isFloatPrecision(p))
      return StringRef("f32");
    if (p != "int8" && p != "f32" && !isFloatPrecision(p))
      return op->emitError("unsupported precision '")
             << p << "' (dr1-quantize knows int8, bf16, f16 and f32)";
    return p;
  }

  /// `op` with its constant f32 weight stored as bf16 or f16 (rounded to
  /// nearest even). bf16 rounds the activation too and multiplies in
  /// bf16 (vdpbf16ps) with f32 sums; f16 keeps the activation in f32 and
  /// widens the weights where they are used (f16 storage, f32 compute:
  /// x86 CPUs without AVX512-FP16 have no faster f16 arithmetic, and f16
  /// activations could overflow). The result stays f32.
  FailureOr<bool> narrowFloat(Operation *op, StringRef precision) {
    Value x = op->getOperand(0), w = op->getOperand(1);
    auto xt = cast<RankedTensorType>(x.getType());
    auto wt = cast<RankedTensorType>(w.getType());
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    ElementsAttr wAttr;
    if (!xt.getElementType().isF32() || !wt.getElementType().isF32() ||
        !resultType.getElementType().isF32() || !wt.hasStaticShape() ||
        !matchPattern(w, m_Constant(&wAttr)))
      return false;
    std::optional<std::vector<float>> wv = getF32Values(wAttr);
    if (!wv)
      return false;
    OpBuilder b(op);
    Location loc = op->getLoc();
    bool bf16 = precision == "bf16";
    Type narrow = bf16 ? Type(b.getBF16Type()) : Type(b.getF16Type());
    const llvm::fltSemantics &sem =
        bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf();
    std::vector<uint16_t> bits(wv->size());
    for (size_t i = 0; i < wv->size(); ++i) {
      llvm::APFloat v((*wv)[i]);
      bool lost;
      v.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
      bits[i] = static_cast<uint16_t>(v.bitcastToAPInt().getZExtValue());
    }
    auto wnType = RankedTensorType::get(wt.getShape(), narrow);
    Value wn = ConstantOp::create(
        b, loc,
        DenseResourceElementsAttr::get(
            wnType, bf16 ? "bf16_weights" : "f16_weights",
            HeapAsmResourceBlob::allocateAndCopyWithAlign(
                ArrayRef<char>(reinterpret_cast<const char *>(bits.data()),
                               bits.size() * sizeof(uint16_t)),
                alignof(uint16_t))));
    if (bf16) {
      FailureOr<Value> xn =
          buildOp(b, loc, "cast", {x}, {},
                  RankedTensorType::get(xt.getShape(), narrow));
      if (failed(xn))
        return failure();
      x = *xn;
    }
    SmallVector<Value> operands{x, wn};
    if (op->getNumOperands() > 2)
      operands.push_back(op->getOperand(2));
    SmallVector<NamedAttribute> attrs;
    for (NamedAttribute a : op->getAttrs())
      if (!a.getName().getValue().starts_with("dr1."))
        attrs.push_back(a);
    FailureOr<Value> y = buildOp(b, loc, op->getName().stripDialect(), operands,
                                 attrs, resultType);
    if (failed(y))
      return failure();
    op->getResult(0).replaceAllUsesWith(*y);
    op->erase();
    return true;
  }

  /// Rewrites `op` to int8, bf16 or f16; false when it stays as it is.
  FailureOr<bool> quantize(QuantizableOpInterface qop) {
    Operation *op = qop.getOperation();
    FailureOr<StringRef> precision = precisionOf(op);
    if (failed(precision))
      return failure();
    if (*precision == "f32")
      return false;
    if (isFloatPrecision(*precision))
      return narrowFloat(op, *precision);
    auto range = op->getAttrOfType<DenseF32ArrayAttr>("dr1.input_range");
    DequantizeOp given = modelQuantized(op->getOperand(0));
    if (!given && (!range || range.size() != 2 || !(range[0] <= range[1])))
      return op->emitError("int8 needs the activation's range as "
                           "dr1.input_range = array<f32: min, max> "
                           "(from calibration)"),
             failure();
    Value x = op->getOperand(0), w = op->getOperand(1);
    auto xt = cast<RankedTensorType>(x.getType());
    auto wt = cast<RankedTensorType>(w.getType());
    if (!xt.getElementType().isF32() || !wt.hasStaticShape() ||
        (isa<MatmulOp>(op) && wt.getRank() != 2))
      return false;
    int64_t axis = qop.getWeightChannelAxis();
    int64_t channels = wt.getDimSize(axis), inner = 1;
    for (int64_t d = axis + 1; d < wt.getRank(); ++d)
      inner *= wt.getDimSize(d);
    auto channelOf = [&](size_t i) {
      return (static_cast<int64_t>(i) / inner) % channels;
    };
    // Weights: the model's own int8 ones (symmetric, per tensor or per
    // output channel), or f32 constants quantized here. Weights computed
    // at run time, batched weights (whose zero-point correction would
    // differ per batch) and non-f32 products stay float.
    OpBuilder b(op);
    Location loc = op->getLoc();
    Type i8 = b.getI8Type();
    SmallVector<float> wScale(channels, 0.0f);
    Value wq = modelQuantizedWeights(w, axis, wScale);
    if (!wq) {
      ElementsAttr wAttr;
      if (!matchPattern(w, m_Constant(&wAttr)))
        return false;
      std::optional<std::vector<float>> wv = getF32Values(wAttr);
      if (!wv)
        return false;
      // Symmetric, per output channel; dr1.quantize's folder rounds.
      for (size_t i = 0; i < wv->size(); ++i)
        wScale[channelOf(i)] =
            std::max(wScale[channelOf(i)], std::fabs((*wv)[i]));
      for (float &s : wScale)
        s = s > 0.0f ? s / static_cast<float>(kQMax) : 1.0f;
      wq = b.createOrFold<QuantizeOp>(
          loc, RankedTensorType::get(wt.getShape(), i8), w,
          b.getDenseF32ArrayAttr(wScale),
          b.getDenseI64ArrayAttr(SmallVector<int64_t>(channels, 0)),
          b.getI64IntegerAttr(axis));
    }
    // Sum of each channel's quantized weights: the activation zero point
    // adds zp * sum to every accumulator of that channel.
    // Weights quantized here but not used after all go again.
    auto dropWeights = [&]() {
      if (wq.use_empty() && wq.getDefiningOp())
        wq.getDefiningOp()->erase();
      return false;
    };
    std::optional<std::vector<int8_t>> wValues = int8Values(wq);
    if (!wValues)
      return dropWeights();
    SmallVector<int64_t> wSum(channels, 0);
    for (size_t i = 0; i < wValues->size(); ++i)
      wSum[channelOf(i)] += (*wValues)[i];

    auto [xScale, xZero] =
        given ? std::pair<float, int64_t>(given.getScale()[0],
                                          given.getZeroPoint()[0])
              : activationParams(range[0], range[1]);
    SmallVector<int64_t> outZero;
    SmallVector<float> outScale;
    for (int64_t c = 0; c < channels; ++c) {
      int64_t z = xZero * wSum[c];
      if (z < INT32_MIN || z > INT32_MAX)
        return dropWeights(); // (K beyond ~130k: the correction overflows)
      outZero.push_back(z);
      outScale.push_back(xScale * wScale[c]);
    }

    Value xq = given ? given.getInput()
                     : QuantizeOp::create(
                           b, loc, RankedTensorType::get(xt.getShape(), i8), x,
                           b.getDenseF32ArrayAttr({xScale}),
                           b.getDenseI64ArrayAttr({xZero}), IntegerAttr());
    SmallVector<NamedAttribute> attrs;
    for (NamedAttribute a : op->getAttrs())
      if (!a.getName().getValue().starts_with("dr1."))
        attrs.push_back(a);
    FailureOr<Value> acc =
        buildOp(b, loc, op->getName().stripDialect(), {xq, wq}, attrs);
    if (failed(acc))
      return failure();
    cast<QuantizableOpInterface>(acc->getDefiningOp())
        .setActivationZeroPoint(xZero);
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t outAxis = qop.getResultChannelAxis();
    Value y = DequantizeOp::create(
        b, loc, resultType, *acc, b.getDenseF32ArrayAttr(outScale),
        b.getDenseI64ArrayAttr(outZero), b.getI64IntegerAttr(outAxis));
    // The float bias is added after dequantization, exactly.
    if (op->getNumOperands() > 2) {
      Value bias = op->getOperand(2);
      SmallVector<int64_t> shape{channels};
      shape.append(resultType.getRank() - 1 - outAxis, 1);
      if (cast<RankedTensorType>(bias.getType()).getShape() !=
          ArrayRef<int64_t>(shape)) {
        FailureOr<Value> reshaped =
            buildOp(b, loc, "reshape", {bias}, {},
                    RankedTensorType::get(shape, resultType.getElementType()));
        if (failed(reshaped))
          return failure();
        bias = *reshaped;
      }
      FailureOr<Value> sum = buildOp(b, loc, "add", {y, bias}, {});
      if (failed(sum))
        return failure();
      y = *sum;
    }
    op->getResult(0).replaceAllUsesWith(y);
    op->erase();
    return true;
  }
};

} // namespace
