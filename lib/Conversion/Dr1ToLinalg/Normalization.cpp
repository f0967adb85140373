//===- Normalization.cpp - batch_norm, layer_norm, softmax to linalg ------===//
//
// Normalizations become reductions plus one elementwise pass that applies
// them, all linalg.generic; batch_norm folds its four parameters into one
// scale and one shift first (constants fold at compile time).
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

struct BatchNormLowering : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = op.getType();
    Type elt = it.getElementType();
    int64_t c = it.getDimSize(1);
    double eps = op.getEpsilon().convertToDouble();
    auto vecType = RankedTensorType::get({c}, elt);
    // a = scale / sqrt(var + eps); shift = bias - mean * a.
    Value a = buildElementwise(rewriter, loc, {op.getScale(), op.getVar()}, vecType,
                               [&](OpBuilder &b, Location l, ValueRange v) {
                                 Value s = math::SqrtOp::create(
                                     b, l, addS(b, l, v[1], scalarConstant(b, l, elt, eps)));
                                 return divS(b, l, v[0], s);
                               });
    Value shift = buildElementwise(rewriter, loc, {op.getBias(), op.getMean(), a}, vecType,
                                   [&](OpBuilder &b, Location l, ValueRange v) {
                                     return subS(b, l, v[0], mulS(b, l, v[1], v[2]));
                                   });
    SmallVector<int64_t> bshape(it.getRank() - 1, 1);
    bshape[0] = c;
    a = reshapeValue(rewriter, loc, a, bshape);
    shift = reshapeValue(rewriter, loc, shift, bshape);
    Value y = buildElementwise(rewriter, loc, {op.getInput(), a, shift}, it,
                               [&](OpBuilder &b, Location l, ValueRange v) {
                                 return addS(b, l, mulS(b, l, v[0], v[1]), v[2]);
                               });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct LayerNormLowering : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = op.getType();
    Type elt = it.getElementType();
    int64_t axis = *normalizeAxis(op.getAxis(), it.getRank());
    int64_t inner = 1;
    for (int64_t d : it.getShape().drop_front(axis))
      inner *= d;
    int64_t outer = it.getNumElements() / inner;
    Value x = reshapeValue(rewriter, loc, op.getInput(), {outer, inner});
    int64_t dims[] = {1};
    Value zero = scalarConstant(rewriter, loc, elt, 0);
    auto add = [](OpBuilder &b, Location l, Value v, Value acc) { return addS(b, l, v, acc); };
    Value sum = reduceDims(rewriter, loc, x, dims, zero, add);
    // Centered second pass: numerically safer than E[x^2] - E[x]^2.
    Value mean = buildElementwise(rewriter, loc, sum, tensorType(sum),
                                  [&](OpBuilder &b, Location l, ValueRange v) {
                                    return mulS(b, l, v[0], scalarConstant(b, l, elt, 1.0 / inner));
                                  });
    Value centered = mapWithReduced(rewriter, loc, x, mean, dims, elt,
                                    [&](OpBuilder &b, Location l, ValueRange v) {
                                      return subS(b, l, v[0], v[1]);
                                    });
    Value sq = reduceDims(rewriter, loc, centered, dims, zero,
                          [](OpBuilder &b, Location l, Value v, Value acc) {
                            return addS(b, l, mulS(b, l, v, v), acc);
                          });
    double eps = op.getEpsilon().convertToDouble();
    Value rstd = buildElementwise(rewriter, loc, sq, tensorType(sq),
                                  [&](OpBuilder &b, Location l, ValueRange v) {
                                    Value var = mulS(b, l, v[0], scalarConstant(b, l, elt, 1.0 / inner));
                                    return (Value)math::RsqrtOp::create(
                                        b, l, addS(b, l, var, scalarConstant(b, l, elt, eps)));
                                  });
    Value y = mapWithReduced(rewriter, loc, centered, rstd, dims, elt,
                             [&](OpBuilder &b, Location l, ValueRange v) {
                               return mulS(b, l, v[0], v[1]);
                             });
    auto flatType = RankedTensorType::get({outer, inner}, elt);
    if (Value scale = op.getScale()) {
      Value s = reshapeValue(rewriter, loc, scale, {inner});
      y = buildElementwise(rewriter, loc, {y, s}, flatType,
                           [](OpBuilder &b, Location l, ValueRange v) { return mulS(b, l, v[0], v[1]); });
    }
    if (Value bias = op.getBias()) {
      Value s = reshapeValue(rewriter, loc, bias, {inner});
      y = buildElementwise(rewriter, loc, {y, s}, flatType,
                           [](OpBuilder &b, Location l, ValueRange v) { return addS(b, l, v[0], v[1]); });
    }
    rewriter.replaceOp(op, reshapeValue(rewriter, loc, y, it.getShape()));
    return success();
  }
};

/// softmax and log_softmax share the max / exp-sum reductions.
template <typename OpTy, bool isLog>
struct SoftmaxLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = cast<RankedTensorType>(op.getType());
    Type elt = it.getElementType();
    int64_t axis = *normalizeAxis(op.getAxis(), it.getRank());
    int64_t dims[] = {axis};
    Value x = op.getInput();
    Value mx = reduceDims(rewriter, loc, x, dims, lowestValue(rewriter, loc, elt),
                          [](OpBuilder &b, Location l, Value v, Value acc) {
                            return maxS(b, l, v, acc);
                          });
    Value e = mapWithReduced(rewriter, loc, x, mx, dims, elt,
                             [](OpBuilder &b, Location l, ValueRange v) {
                               return (Value)math::ExpOp::create(b, l, subS(b, l, v[0], v[1]));
                             });
    Value sum = reduceDims(rewriter, loc, e, dims, scalarConstant(rewriter, loc, elt, 0),
                           [](OpBuilder &b, Location l, Value v, Value acc) {
                             return addS(b, l, v, acc);
                           });
    Value y;
    if constexpr (isLog) {
      y = mapWithReduced(rewriter, loc, x, {mx, sum}, dims, elt,
                         [](OpBuilder &b, Location l, ValueRange v) {
                           Value lse = math::LogOp::create(b, l, v[2]);
                           return subS(b, l, subS(b, l, v[0], v[1]), lse);
                         });
    } else {
      Value inv = buildElementwise(rewriter, loc, sum, tensorType(sum),
                                   [&](OpBuilder &b, Location l, ValueRange v) {
                                     return divS(b, l, scalarConstant(b, l, elt, 1), v[0]);
                                   });
      y = mapWithReduced(rewriter, loc, e, inv, dims, elt,
                         [](OpBuilder &b, Location l, ValueRange v) {
                           return mulS(b, l, v[0], v[1]);
                         });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void mlir::dr1::populateNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, LayerNormLowering, SoftmaxLowering<SoftmaxOp, false>,
               SoftmaxLowering<LogSoftmaxOp, true>>(patterns.getContext());
}
