//===- Quantize.cpp - quantize and dequantize to linalg.generic -----------===//
//
// Both are elementwise. Per-tensor parameters are scalar constants in the
// body; per-axis ones are constant [dim, 1, ...] tensors broadcast along the
// axis, so the loop nest stays one parallel generic that fuses with its
// producer (a matmul's i32 accumulator) or consumer like any other.
//
//===----------------------------------------------------------------------===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::dr1;

namespace {

/// The values of a per-axis parameter as a constant shaped to broadcast
/// along `axis` of a rank-`rank` tensor: [dim, 1, ..., 1].
template <typename T>
Value axisConstant(OpBuilder &b, Location loc, ArrayRef<T> values, Type elt,
                   int64_t axis, int64_t rank) {
  SmallVector<int64_t> shape(rank - axis, 1);
  shape[0] = values.size();
  auto type = RankedTensorType::get(shape, elt);
  DenseElementsAttr attr;
  if constexpr (std::is_same_v<T, float>)
    attr = DenseElementsAttr::get(type, values);
  else
    attr = DenseElementsAttr::get(
        type, llvm::map_to_vector(values, [&](int64_t v) {
          return APInt(elt.getIntOrFloatBitWidth(), v, /*isSigned=*/true);
        }));
  return arith::ConstantOp::create(b, loc, attr);
}

/// Scale and zero point as scalars (per tensor) or broadcast tensors (per
/// axis). `params` gets the tensors to pass to the generic; `scalars` the
/// constants to use in its body when per tensor.
struct QuantParams {
  SmallVector<Value> tensors;
  Value scale, zeroPoint;
};

QuantParams quantParams(OpBuilder &b, Location loc, ArrayRef<float> scale,
                        ArrayRef<int64_t> zeroPoint,
                        std::optional<int64_t> axis, int64_t rank,
                        FloatType ft) {
  QuantParams p;
  if (!axis) {
    p.scale = arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, scale[0]));
    p.zeroPoint = arith::ConstantOp::create(
        b, loc, b.getFloatAttr(ft, static_cast<double>(zeroPoint[0])));
    return p;
  }
  int64_t a = *normalizeAxis(*axis, rank);
  p.tensors.push_back(axisConstant(b, loc, scale, b.getF32Type(), a, rank));
  SmallVector<float> zp = llvm::map_to_vector(
      zeroPoint, [](int64_t z) { return static_cast<float>(z); });
  p.tensors.push_back(
      axisConstant(b, loc, ArrayRef<float>(zp), b.getF32Type(), a, rank));
  return p;
}

/// The scale and zero point in the body: the scalars, or the generic's
/// extra arguments (f32, converted to the op's float type).
std::pair<Value, Value> bodyParams(OpBuilder &b, Location loc,
                                   const QuantParams &p, ValueRange args,
                                   FloatType ft) {
  if (p.tensors.empty())
    return {p.scale, p.zeroPoint};
  return {convertScalar(b, loc, args[1], ft),
          convertScalar(b, loc, args[2], ft)};
}

struct QuantizeLowering : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto ft = cast<FloatType>(op.getInput().getType().getElementType());
    auto it = cast<IntegerType>(op.getType().getElementType());
    unsigned width = it.getWidth();
    double lo = -std::ldexp(1.0, width - 1),
           hi = std::ldexp(1.0, width - 1) - 1;
    QuantParams p = quantParams(rewriter, loc, op.getScale(), op.getZeroPoint(),
                                op.getAxis(), op.getType().getRank(), ft);
    SmallVector<Value> inputs{op.getInput()};
    inputs.append(p.tensors);
    Value y = buildElementwise(
        rewriter, loc, inputs, op.getType(),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          auto [scale, zp] = bodyParams(b, l, p, args, ft);
          Value q = arith::DivFOp::create(b, l, args[0], scale);
          q = math::RoundEvenOp::create(b, l, q);
          q = arith::AddFOp::create(b, l, q, zp);
          q = arith::MaximumFOp::create(
              b, l, q, arith::ConstantOp::create(b, l, b.getFloatAttr(ft, lo)));
          q = arith::MinimumFOp::create(
              b, l, q, arith::ConstantOp::create(b, l, b.getFloatAttr(ft, hi)));
          return arith::FPToSIOp::create(b, l, it, q);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct DequantizeLowering : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto ft = cast<FloatType>(op.getType().getElementType());
    QuantParams p = quantParams(rewriter, loc, op.getScale(), op.getZeroPoint(),
                                op.getAxis(), op.getType().getRank(), ft);
    SmallVector<Value> inputs{op.getInput()};
    inputs.append(p.tensors);
    Value y = buildElementwise(
        rewriter, loc, inputs, op.getType(),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          auto [scale, zp] = bodyParams(b, l, p, args, ft);
          Value x = arith::SIToFPOp::create(b, l, ft, args[0]);
          return arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, x, zp),
                                       scale);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void mlir::dr1::populateQuantizePatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeLowering, DequantizeLowering>(patterns.getContext());
}
