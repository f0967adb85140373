//===- DropTiedResults.cpp - the dr1-drop-tied-results pass ---------------===//
//
// After bufferization a tied result is its argument's buffer (or is copied
// into it): the caller already holds it, so it leaves the signature (upstream's
// drop-equivalent-buffer-results only handles private functions, and the
// entry point is public).
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/BitVector.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_DROPTIEDRESULTS
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
struct DropTiedResultsPass
    : mlir::dr1::impl::DropTiedResultsBase<DropTiedResultsPass> {
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      if (f.isExternal())
        continue;
      auto ret = cast<func::ReturnOp>(f.getBody().back().getTerminator());
      llvm::BitVector drop(f.getNumResults());
      for (unsigned r = 0; r < f.getNumResults(); ++r) {
        auto tied = f.getResultAttrOfType<IntegerAttr>(r, "dr1.tied");
        if (!tied)
          continue;
        Value v = ret.getOperand(r);
        while (auto cast = v.getDefiningOp<memref::CastOp>())
          v = cast.getSource();
        Value arg = f.getArgument(tied.getInt());
        // Not computed in place (another producer, or a conflict): copied
        // into the argument as the step's last write.
        if (v != arg) {
          OpBuilder b(ret);
          memref::CopyOp::create(b, ret.getLoc(), ret.getOperand(r), arg);
        }
        drop.set(r);
      }
      if (drop.none())
        continue;
      ret->eraseOperands(drop);
      if (failed(f.eraseResults(drop)))
        return signalPassFailure();
    }
  }
};
} // namespace
