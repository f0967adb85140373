//===- MatrixProducts.cpp - matmul, linear and gemm to linalg -------------===//
//
// Everything becomes linalg.matmul or linalg.batch_matmul on row-major
// [M, K] x [K, N] operands, so one code-generation strategy covers them.
// linear's [N, K] weights are transposed at compile time when constant, and
// a bias becomes the accumulator's initial value: the output is written once.
//
//===----------------------------------------------------------------------===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::dr1;

namespace {

/// [M, K] x [K, N] accumulated into `init` ([M, N]).
Value matmul2D(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init) {
  return linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs}, init)
      .getResult(0);
}

/// A [M, N] accumulator: zero, or `bias` broadcast (numpy-style) to [M, N].
Value initAccumulator(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                      Type elt, Value bias) {
  if (!bias)
    return filledTensor(b, loc, shape, scalarConstant(b, loc, elt, 0));
  return buildElementwise(b, loc, bias, RankedTensorType::get(shape, elt),
                          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

/// Broadcasts `v` ([batch..., r, c]) to [batchShape..., r, c].
Value broadcastBatch(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> batchShape) {
  auto type = tensorType(v);
  SmallVector<int64_t> shape(batchShape);
  shape.append({type.getDimSize(type.getRank() - 2),
                type.getDimSize(type.getRank() - 1)});
  if (type.getShape() == ArrayRef<int64_t>(shape))
    return v;
  return buildElementwise(b, loc, v,
                          RankedTensorType::get(shape, type.getElementType()),
                          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

struct MatmulLowering : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto lt = tensorType(op.getLhs()), rt = tensorType(op.getRhs());
    auto resultType = op.getType();
    Type elt = resultType.getElementType();
    int64_t m = lt.getDimSize(lt.getRank() - 2), k = lt.getDimSize(lt.getRank() - 1);
    int64_t n = rt.getDimSize(rt.getRank() - 1);
    ArrayRef<int64_t> batch = resultType.getShape().drop_back(2);
    int64_t batchCount = 1;
    for (int64_t d : batch)
      batchCount *= d;
    Value result;
    if (rt.getRank() == 2) {
      // [..., M, K] x [K, N]: one 2-D product over all rows.
      int64_t rows = lt.getNumElements() / k;
      Value lhs = reshapeValue(rewriter, loc, op.getLhs(), {rows, k});
      Value init = initAccumulator(rewriter, loc, {rows, n}, elt, nullptr);
      result = matmul2D(rewriter, loc, lhs, op.getRhs(), init);
    } else {
      Value lhs = broadcastBatch(rewriter, loc, op.getLhs(), batch);
      Value rhs = broadcastBatch(rewriter, loc, op.getRhs(), batch);
      lhs = reshapeValue(rewriter, loc, lhs, {batchCount, m, k});
      rhs = reshapeValue(rewriter, loc, rhs, {batchCount, k, n});
      Value init = initAccumulator(rewriter, loc, {batchCount, m, n}, elt, nullptr);
      result = linalg::BatchMatmulOp::create(rewriter, loc, ValueRange{lhs, rhs}, init)
                   .getResult(0);
    }
    rewriter.replaceOp(op, reshapeValue(rewriter, loc, result, resultType.getShape()));
    return success();
  }
};

struct LinearLowering : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = tensorType(op.getInput()), wt = tensorType(op.getWeight());
    int64_t k = wt.getDimSize(1), n = wt.getDimSize(0);
    int64_t rows = it.getNumElements() / k;
    Type elt = op.getType().getElementType();
    Value x = reshapeValue(rewriter, loc, op.getInput(), {rows, k});
    Value w = transposeValue(rewriter, loc, op.getWeight(), {1, 0});
    Value init = initAccumulator(rewriter, loc, {rows, n}, elt, op.getBias());
    Value y = matmul2D(rewriter, loc, x, w, init);
    rewriter.replaceOp(op, reshapeValue(rewriter, loc, y, op.getType().getShape()));
    return success();
  }
};

struct GemmLowering : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto resultType = op.getType();
    Type elt = resultType.getElementType();
    Value a = op.getTransA() ? transposeValue(rewriter, loc, op.getA(), {1, 0}) : op.getA();
    Value b = op.getTransB() ? transposeValue(rewriter, loc, op.getB(), {1, 0}) : op.getB();
    double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble();
    Value c = op.getC();
    bool plain = alpha == 1.0 && (!c || beta == 1.0);
    Value init = initAccumulator(rewriter, loc, resultType.getShape(), elt,
                                 plain ? c : Value());
    Value y = matmul2D(rewriter, loc, a, b, init);
    if (!plain) {
      SmallVector<Value> ins{y};
      if (c)
        ins.push_back(c);
      y = buildElementwise(rewriter, loc, ins, resultType,
                           [&](OpBuilder &nb, Location l, ValueRange args) {
                             Value r = mulS(nb, l, args[0], scalarConstant(nb, l, elt, alpha));
                             if (args.size() > 1)
                               r = addS(nb, l, r,
                                        mulS(nb, l, args[1], scalarConstant(nb, l, elt, beta)));
                             return r;
                           });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void mlir::dr1::populateMatrixProductPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, LinearLowering, GemmLowering>(patterns.getContext());
}
