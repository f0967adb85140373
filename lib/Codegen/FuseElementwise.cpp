//===- FuseElementwise.cpp - the dr1-fuse-elementwise pass ----------------===//
//
// Upstream's linalg-fuse-elementwise-ops also fuses elementwise producers
// into named contractions by turning them into linalg.generic, which hides
// matmuls from the code-generation strategies. This pass fuses only
// elementwise into elementwise, and never a producer that its consumer
// broadcasts over outer loops: its body would run once per broadcast copy
// (a squeeze-excitation gate's sigmoid, 672 values, recomputed for each of
// the 14 x 14 x 672 products that it scales).
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
bool isElementwiseGeneric(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && linalg::isElementwise(generic);
}

/// Whether `consumer` reads `operand` through a map that leaves out one of
/// its outer loops (of more than one iteration, or of unknown extent).
/// Values broadcast along the innermost loop only (a softmax's 1 / sum per
/// row) are recomputed once per vector, and dr1-fuse-rows expects them
/// fused into the row's final loop.
bool broadcastsOuterLoop(linalg::GenericOp consumer, OpOperand *operand) {
  AffineMap map = consumer.getMatchingIndexingMap(operand);
  SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
  for (auto [dim, range] : llvm::enumerate(ranges))
    if (dim + 1 < ranges.size() && range != 1 && !map.isFunctionOfDim(dim))
      return true;
  return false;
}

struct FuseElementwisePass
    : mlir::dr1::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          Operation *producer = operand->get().getDefiningOp();
          Operation *consumer = operand->getOwner();
          // Elementwise into elementwise, and elementwise into reductions
          // (softmax, norms); never into contractions or convolutions.
          auto generic = dyn_cast<linalg::GenericOp>(consumer);
          return isElementwiseGeneric(producer) && generic &&
                 producer->hasOneUse() &&
                 !broadcastsOuterLoop(generic, operand);
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
