//===- FuseSqueezeExcitation.cpp - the dr1-fuse-squeeze-excitation pass ---===//
//
// A squeeze-excitation block scales every channel of its input by a gate
// computed from that input's global average. The scaled tensor is as large
// as the input and is read once, by the block's 1x1 projection; where the
// projection's weights are the smaller of the two, scaling them instead
// (C x F numbers per image rather than H x W x C) removes a whole pass over
// the activations. The pool must see the complete input before any gate
// exists, so what remains - one pass for the pool, one for the projection -
// is the least an SE block can do.
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_FUSESQUEEZEEXCITATION
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;
using namespace mlir::dr1;

namespace {

/// Whether the [1, C, 1, 1] gate `s` is computed from global_avg_pool(x):
/// its producers (small ops on pooled values) lead back to that pool.
bool gatedBy(Value s, Value x) {
  SmallVector<Value> work{s};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second || seen.size() > 32)
      continue;
    Operation *op = v.getDefiningOp();
    if (!op || isa<ConstantOp>(op))
      continue;
    if (auto pool = dyn_cast<GlobalAvgPoolOp>(op)) {
      if (pool.getInput() == x)
        return true;
      continue;
    }
    // Everything between pool and gate is per-image and tiny; anything as
    // large as x is not part of a gate.
    auto t = dyn_cast<RankedTensorType>(v.getType());
    auto xt = cast<RankedTensorType>(x.getType());
    if (!t || !t.hasStaticShape() || t.getNumElements() >= xt.getNumElements())
      continue;
    for (Value operand : op->getOperands())
      work.push_back(operand);
  }
  return false;
}

/// conv1x1(x * s) -> conv1x1(x, W * s), s = SE gate of x, batch 1.
struct FoldGateIntoProjection : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp conv,
                                PatternRewriter &rewriter) const override {
    auto wType = cast<RankedTensorType>(conv.getWeight().getType());
    if (conv.getGroups() != 1 || wType.getRank() != 4 ||
        wType.getDimSize(2) != 1 || wType.getDimSize(3) != 1 ||
        llvm::any_of(conv.getStrides(), [](int64_t s) { return s != 1; }) ||
        llvm::any_of(conv.getPadding(), [](int64_t p) { return p != 0; }))
      return rewriter.notifyMatchFailure(conv, "not a 1x1 projection");
    auto mul = conv.getInput().getDefiningOp<MulOp>();
    if (!mul || !mul->hasOneUse())
      return rewriter.notifyMatchFailure(conv, "input is not a scale");
    auto xType = conv.getInput().getType();
    if (xType.getRank() != 4 || xType.getDimSize(0) != 1)
      return rewriter.notifyMatchFailure(conv, "needs batch 1");
    int64_t c = xType.getDimSize(1);
    // Scaling the weights costs F x C multiplies (and the weights' layout
    // change at run time, no longer a constant); scaling x costs H x W x C.
    // Late, small feature maps with many filters (7x7 x 1152 -> 320) lose.
    int64_t pixels = xType.getDimSize(2) * xType.getDimSize(3);
    if (wType.getDimSize(0) * 2 > pixels)
      return rewriter.notifyMatchFailure(conv, "weights larger than x");
    for (auto [x, s] : {std::pair{mul.getLhs(), mul.getRhs()},
                        std::pair{mul.getRhs(), mul.getLhs()}}) {
      auto sType = cast<RankedTensorType>(s.getType());
      if (x.getType() != xType || sType.getRank() != 4 ||
          sType.getShape() != ArrayRef<int64_t>{1, c, 1, 1} || !gatedBy(s, x))
        continue;
      // [F, C, 1, 1] * [1, C, 1, 1]: each input channel's weights scaled.
      Value w = MulOp::create(rewriter, conv.getLoc(), conv.getWeight(), s);
      rewriter.modifyOpInPlace(conv, [&] {
        conv.getInputMutable().assign(x);
        conv.getWeightMutable().assign(w);
      });
      rewriter.eraseOp(mul);
      return success();
    }
    return rewriter.notifyMatchFailure(conv, "scale is not an SE gate");
  }
};

struct FuseSqueezeExcitationPass
    : mlir::dr1::impl::FuseSqueezeExcitationBase<FuseSqueezeExcitationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldGateIntoProjection>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
