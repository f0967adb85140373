//===- DataMovement.cpp - constants, reshapes, transposes, slices, gather -===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::dr1;

namespace {

struct ConstantLowering : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op, PatternRewriter &rewriter) const override {
    auto typed = dyn_cast<TypedAttr>(op.getValue());
    if (!typed)
      return op.emitError("constant attribute kind is not supported: ") << op.getValue();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, typed);
    return success();
  }
};

template <typename OpTy>
struct ReshapeLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    auto resultType = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(op, reshapeValue(rewriter, op.getLoc(), op.getInput(),
                                        resultType.getShape()));
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    rewriter.replaceOp(op, transposeValue(rewriter, op.getLoc(), op.getInput(), op.getPerm()));
    return success();
  }
};

struct ConcatLowering : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto rt = cast<RankedTensorType>(op.getType());
    int64_t axis = *normalizeAxis(op.getAxis(), rt.getRank());
    Value acc = tensor::EmptyOp::create(rewriter, loc, rt.getShape(), rt.getElementType());
    int64_t offset = 0;
    for (Value in : op.getInputs()) {
      auto t = tensorType(in);
      SmallVector<OpFoldResult> offsets(rt.getRank(), rewriter.getIndexAttr(0));
      offsets[axis] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides(rt.getRank(), rewriter.getIndexAttr(1));
      for (int64_t d : t.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      acc = tensor::InsertSliceOp::create(rewriter, loc, in, acc, offsets, sizes, strides);
      offset += t.getDimSize(axis);
    }
    rewriter.replaceOp(op, acc);
    return success();
  }
};

struct SliceLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    auto rt = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0; d < rt.getRank(); ++d) {
      offsets.push_back(rewriter.getIndexAttr(op.getStarts()[d]));
      sizes.push_back(rewriter.getIndexAttr(rt.getDimSize(d)));
      strides.push_back(rewriter.getIndexAttr(op.getSteps()[d]));
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, rt, op.getInput(), offsets,
                                                        sizes, strides);
    return success();
  }
};

/// A filled tensor with the input inserted as a strided slice.
struct PadLowering : OpRewritePattern<PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PadOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto rt = cast<RankedTensorType>(op.getType());
    auto it = tensorType(op.getInput());
    Value fill = scalarConstant(rewriter, loc, rt.getElementType(),
                                op.getValue().convertToDouble());
    Value init = filledTensor(rewriter, loc, rt.getShape(), fill);
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0; d < rt.getRank(); ++d) {
      offsets.push_back(rewriter.getIndexAttr(op.getLow()[d]));
      sizes.push_back(rewriter.getIndexAttr(it.getDimSize(d)));
      strides.push_back(rewriter.getIndexAttr(op.getStrides()[d]));
    }
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(op, op.getInput(), init,
                                                       offsets, sizes, strides);
    return success();
  }
};

struct GatherLowering : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto dt = tensorType(op.getData()), idxT = tensorType(op.getIndices());
    auto rt = cast<RankedTensorType>(op.getType());
    int64_t axis = *normalizeAxis(op.getAxis(), dt.getRank());
    int64_t idxRank = idxT.getRank(), dim = dt.getDimSize(axis);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> idxExprs;
    for (int64_t i = 0; i < idxRank; ++i)
      idxExprs.push_back(getAffineDimExpr(axis + i, ctx));
    AffineMap idxMap = AffineMap::get(rt.getRank(), 0, idxExprs, ctx);
    AffineMap outMap = rewriter.getMultiDimIdentityMap(rt.getRank());
    Value init = tensor::EmptyOp::create(rewriter, loc, rt.getShape(), rt.getElementType());
    Value data = op.getData();
    SmallVector<utils::IteratorType> iters(rt.getRank(), utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, rt, op.getIndices(), init, ArrayRef<AffineMap>{idxMap, outMap}, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          // Negative indices count from the end; out-of-range ones clamp.
          Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value dimV = arith::ConstantIndexOp::create(b, l, dim);
          Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
          i = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, i, dimV), i);
          i = arith::MaxSIOp::create(b, l, i, zero);
          i = arith::MinSIOp::create(b, l, i, arith::ConstantIndexOp::create(b, l, dim - 1));
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          coords.push_back(i);
          for (int64_t d = axis + 1; d < dt.getRank(); ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d - 1 + idxRank));
          Value v = tensor::ExtractOp::create(b, l, data, coords);
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// A copy that CSE and canonicalization leave alone (it allocates).
struct BarrierLowering : OpRewritePattern<BarrierOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BarrierOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOpWithNewOp<bufferization::AllocTensorOp>(
        op, type, ValueRange(), op.getInput());
    return success();
  }
};

} // namespace

void mlir::dr1::populateDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLowering<ReshapeOp>,
               ReshapeLowering<FlattenOp>, TransposeLowering, ConcatLowering,
               SliceLowering, PadLowering, GatherLowering, BarrierLowering>(
      patterns.getContext());
}
