//===- FuseElementwise.cpp - the dr1-fuse-elementwise pass ----------------===//
//
// Upstream's linalg-fuse-elementwise-ops also fuses elementwise producers
// into named contractions by turning them into linalg.generic, which hides
// matmuls from the code-generation strategies. This pass fuses only
// elementwise into elementwise.
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
          return isElementwiseGeneric(producer) &&
                 isa<linalg::GenericOp>(consumer) && producer->hasOneUse();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
