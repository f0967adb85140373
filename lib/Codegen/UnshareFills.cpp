//===- UnshareFills.cpp - the dr1-unshare-fills pass ----------------------===//
//
// One linalg.fill (and tensor.empty) per use, so that bufferization can
// fill and write each padded buffer in place instead of copying a shared
// one.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_UNSHAREFILLS
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
struct UnshareFillsPass : mlir::dr1::impl::UnshareFillsBase<UnshareFillsPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() &&
          fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>() &&
          !fill->getResult(0).hasOneUse())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : fill->getResult(0).getUses())
        uses.push_back(&use);
      // The first use in program order keeps the original. Users are in the
      // fill's block or nested in its ops (SSA dominance).
      llvm::stable_sort(uses, [](OpOperand *a, OpOperand *b) {
        Operation *x = a->getOwner(), *y = b->getOwner();
        return x->getBlock() == y->getBlock() && x->isBeforeInBlock(y);
      });
      for (OpOperand *use : llvm::drop_begin(uses)) {
        // As late as possible (short lifetimes for the workspace planner)
        // but in the original's block: the user may sit in a loop, where a
        // fill would be redone every iteration.
        Operation *anchor = use->getOwner();
        while (anchor->getBlock() != fill->getBlock())
          anchor = anchor->getParentOp();
        OpBuilder b(anchor);
        Operation *newEmpty = b.clone(*empty);
        IRMapping map;
        map.map(empty.getResult(), newEmpty->getResult(0));
        Operation *newFill = b.clone(*fill, map);
        use->set(newFill->getResult(0));
      }
    }
  }
};
} // namespace
