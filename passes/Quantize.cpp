//===- Quantize.cpp - the dr1-quantize pass -------------------------------===//
//
// Products whose activation range is known (dr1.input_range, from
// calibration) run on int8: the activation quantized per tensor
// (asymmetric), the constant weight per output channel (symmetric), i32
// accumulation. One dequantize per output channel undoes both scales and,
// through its zero point, the activation zero point's share of the sums,
// so the integer product itself stays a plain i8 x i8 -> i32 contraction.
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"
#include "passes/Passes.h"

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
  }

  /// The precision `op` is asked to run in, or failure after an error.
  FailureOr<StringRef> precisionOf(Operation *op) {
    StringRef p = defaultPrecision;
    if (auto attr = op->getAttrOfType<StringAttr>("dr1.precision"))
      p = attr.getValue();
    else if (!op->hasAttr("dr1.input_range"))
      return StringRef("f32");
    if (p != "int8" && p != "f32")
      return op->emitError("unsupported precision '")
             << p << "' (dr1-quantize knows int8 and f32)";
    return p;
  }

  /// Rewrites `op` to int8; false when it stays as it is.
  FailureOr<bool> quantize(QuantizableOpInterface qop) {
    Operation *op = qop.getOperation();
    FailureOr<StringRef> precision = precisionOf(op);
    if (failed(precision))
      return failure();
    if (*precision == "f32")
      return false;
    auto range = op->getAttrOfType<DenseF32ArrayAttr>("dr1.input_range");
    if (!range || range.size() != 2 || !(range[0] <= range[1]))
      return op->emitError("int8 needs the activation's range as "
                           "dr1.input_range = array<f32: min, max> "
                           "(from calibration)"),
             failure();
    Value x = op->getOperand(0), w = op->getOperand(1);
    auto xt = cast<RankedTensorType>(x.getType());
    auto wt = cast<RankedTensorType>(w.getType());
    ElementsAttr wAttr;
    // Weights computed at run time, batched weights (whose zero-point
    // correction would differ per batch) and non-f32 products stay float.
    if (!xt.getElementType().isF32() || !wt.hasStaticShape() ||
        !matchPattern(w, m_Constant(&wAttr)) ||
        (isa<MatmulOp>(op) && wt.getRank() != 2))
      return false;
    std::optional<std::vector<float>> wv = getF32Values(wAttr);
    if (!wv)
      return false;

    // Weight scales: symmetric, per output channel.
    int64_t axis = qop.getWeightChannelAxis();
    int64_t channels = wt.getDimSize(axis), inner = 1;
    for (int64_t d = axis + 1; d < wt.getRank(); ++d)
      inner *= wt.getDimSize(d);
    auto channelOf = [&](size_t i) {
      return (static_cast<int64_t>(i) / inner) % channels;
    };
    SmallVector<float> wScale(channels, 0.0f);
    for (size_t i = 0; i < wv->size(); ++i)
      wScale[channelOf(i)] =
          std::max(wScale[channelOf(i)], std::fabs((*wv)[i]));
    for (float &s : wScale)
      s = s > 0.0f ? s / static_cast<float>(kQMax) : 1.0f;
    // Sum of each channel's quantized weights: the activation zero point
    // adds zp * sum to every accumulator of that channel.
    SmallVector<int64_t> wSum(channels, 0);
    for (size_t i = 0; i < wv->size(); ++i) {
      int64_t c = channelOf(i);
      double q = std::nearbyint(static_cast<double>((*wv)[i] / wScale[c]));
      wSum[c] += static_cast<int64_t>(std::clamp<double>(q, kQMin, kQMax));
    }

    auto [xScale, xZero] = activationParams(range[0], range[1]);
    SmallVector<int64_t> outZero;
    SmallVector<float> outScale;
    for (int64_t c = 0; c < channels; ++c) {
      int64_t z = xZero * wSum[c];
      if (z < INT32_MIN || z > INT32_MAX)
        return false; // (K beyond ~130k: the correction overflows i32)
      outZero.push_back(z);
      outScale.push_back(xScale * wScale[c]);
    }

    OpBuilder b(op);
    Location loc = op->getLoc();
    Type i8 = b.getI8Type();
    Value xq =
        QuantizeOp::create(b, loc, RankedTensorType::get(xt.getShape(), i8), x,
                           b.getDenseF32ArrayAttr({xScale}),
                           b.getDenseI64ArrayAttr({xZero}), IntegerAttr());
    Value wq = b.createOrFold<QuantizeOp>(
        loc, RankedTensorType::get(wt.getShape(), i8), w,
        b.getDenseF32ArrayAttr(wScale),
        b.getDenseI64ArrayAttr(SmallVector<int64_t>(channels, 0)),
        b.getI64IntegerAttr(axis));
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
