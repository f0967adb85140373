//===- FuseAttention.cpp - the dr1-fuse-attention pass --------------------===//
//
// Exporters spell scaled dot-product attention as five ops; as one
// dr1.attention it lowers to a blocked online softmax that never stores the
// Sq x Sk score matrix (see Dr1ToLinalg/Attention.cpp).
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;
using namespace mlir::dr1;

namespace {

/// The value of a constant splat float tensor that does not change the
/// shape it is broadcast against.
std::optional<double> splatScalar(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// The operand of a binary op other than `x`.
Value other(Operation *op, Value x) {
  return op->getOperand(0) == x ? op->getOperand(1) : op->getOperand(0);
}

/// matmul(softmax(matmul(q, kt) [* c | / c] [+ mask], axis = -1), v)
struct FuseAttentionPattern : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp pv,
                                PatternRewriter &rewriter) const override {
    auto softmax = pv.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || !softmax->hasOneUse())
      return rewriter.notifyMatchFailure(pv, "lhs is not a single-use softmax");
    auto scoresType = softmax.getType();
    if (!isa<FloatType>(scoresType.getElementType()))
      return failure();
    int64_t rank = scoresType.getRank();
    if (softmax.getAxis() != -1 && softmax.getAxis() != rank - 1)
      return rewriter.notifyMatchFailure(pv, "softmax not over the last dim");

    Value x = softmax.getInput();
    Value mask;
    if (auto add = x.getDefiningOp<AddOp>()) {
      if (!add->hasOneUse() || add.getType() != scoresType)
        return failure();
      // The scores are the operand produced by the scale or the product.
      Value lhs = add.getLhs(), rhs = add.getRhs();
      auto isScores = [](Value v) {
        return isa_and_nonnull<MulOp, DivOp, MatmulOp>(v.getDefiningOp());
      };
      Value scores = isScores(lhs) && lhs.getType() == scoresType ? lhs : rhs;
      if (!isScores(scores) || scores.getType() != scoresType)
        return failure();
      mask = other(add, scores);
      x = scores;
    }
    double scale = 1.0;
    Operation *scaleOp = x.getDefiningOp();
    if (isa_and_nonnull<MulOp, DivOp>(scaleOp)) {
      if (!scaleOp->hasOneUse() || scaleOp->getResult(0).getType() != scoresType)
        return failure();
      Value product = scaleOp->getOperand(0);
      std::optional<double> c = splatScalar(scaleOp->getOperand(1));
      if (!c && isa<MulOp>(scaleOp)) {
        product = scaleOp->getOperand(1);
        c = splatScalar(scaleOp->getOperand(0));
      }
      if (!c || *c == 0.0)
        return rewriter.notifyMatchFailure(pv, "scale is not a constant");
      scale = isa<DivOp>(scaleOp) ? 1.0 / *c : *c;
      x = product;
    }
    auto qk = x.getDefiningOp<MatmulOp>();
    if (!qk || !qk->hasOneUse() || qk.getType() != scoresType)
      return rewriter.notifyMatchFailure(pv, "no q * kt product");
    // Batch dims must agree without broadcasting (the op's contract).
    Value q = qk.getLhs(), kt = qk.getRhs(), v = pv.getRhs();
    auto rankOf = [](Value t) { return cast<RankedTensorType>(t.getType()).getRank(); };
    if (rankOf(q) != rank || rankOf(kt) != rank || rankOf(v) != rank)
      return rewriter.notifyMatchFailure(pv, "operands broadcast over batch");
    auto batchOf = [](Value t) {
      return cast<RankedTensorType>(t.getType()).getShape().drop_back(2);
    };
    if (batchOf(q) != batchOf(kt) || batchOf(q) != batchOf(v) ||
        batchOf(q) != scoresType.getShape().drop_back(2))
      return rewriter.notifyMatchFailure(pv, "batch dims differ");
    if (mask && cast<RankedTensorType>(mask.getType()).getElementType() !=
                    scoresType.getElementType())
      return failure();

    auto fused = AttentionOp::create(
        rewriter, pv.getLoc(), q, kt, v, mask,
        rewriter.getF32FloatAttr(static_cast<float>(scale)));
    if (fused.getType() != pv.getType())
      return failure();
    rewriter.replaceOp(pv, fused.getResult());
    return success();
  }
};

struct FuseAttentionPass
    : mlir::dr1::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAttentionPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
