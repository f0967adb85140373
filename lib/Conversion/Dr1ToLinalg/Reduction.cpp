//===- Reduction.cpp - reduce_sum / reduce_mean / reduce_max to linalg ----===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::dr1;

namespace {

enum class Kind { Sum, Mean, Max };

template <typename OpTy, Kind kind>
struct ReduceLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = tensorType(op.getInput());
    Type elt = it.getElementType();
    SmallVector<int64_t> dims;
    for (int64_t a : op.getAxes())
      dims.push_back(*normalizeAxis(a, it.getRank()));
    if (dims.empty())
      dims = llvm::to_vector(llvm::seq<int64_t>(0, it.getRank()));
    llvm::sort(dims);
    int64_t count = 1;
    for (int64_t d : dims)
      count *= it.getDimSize(d);
    Value init = kind == Kind::Max ? lowestValue(rewriter, loc, elt)
                                   : scalarConstant(rewriter, loc, elt, 0);
    Value r = reduceDims(rewriter, loc, op.getInput(), dims, init,
                         [](OpBuilder &b, Location l, Value v, Value acc) {
                           return kind == Kind::Max ? maxS(b, l, v, acc) : addS(b, l, v, acc);
                         });
    if (kind == Kind::Mean)
      r = buildElementwise(rewriter, loc, r, tensorType(r),
                           [&](OpBuilder &b, Location l, ValueRange v) {
                             return mulS(b, l, v[0], scalarConstant(b, l, elt, 1.0 / count));
                           });
    auto resultType = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(op, reshapeValue(rewriter, loc, r, resultType.getShape()));
    return success();
  }
};

} // namespace

void mlir::dr1::populateReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp, Kind::Sum>, ReduceLowering<ReduceMeanOp, Kind::Mean>,
               ReduceLowering<ReduceMaxOp, Kind::Max>>(patterns.getContext());
}
