//===- MaterializeTiedResults.cpp - the dr1-materialize-tied-results pass -===//
//
// A result marked `dr1.tied = i` replaces argument i (a training step's
// updated parameters and optimizer state). Making the argument its
// producer's destination lets bufferization update it in place; one-shot
// analysis still copies where an earlier write would clobber a later read.
// (bufferization.materialize_in_destination would force in-place writes,
// and fails outright on tiled loops it cannot prove safe.)
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_MATERIALIZETIEDRESULTS
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
/// The operand whose buffer `v` is written into: a destination-style op's
/// init, or a loop's initial iteration value.
OpOperand *destinationOf(Value v) {
  auto res = dyn_cast<OpResult>(v);
  if (!res)
    return nullptr;
  Operation *op = res.getOwner();
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
    return dps.getTiedOpOperand(res);
  if (auto loop = dyn_cast<LoopLikeOpInterface>(op))
    if (auto inits = loop.getInitsMutable();
        res.getResultNumber() < inits.size())
      return &inits[res.getResultNumber()];
  return nullptr;
}

struct MaterializeTiedResultsPass
    : mlir::dr1::impl::MaterializeTiedResultsBase<MaterializeTiedResultsPass> {
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (f.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(f.getBody().back().getTerminator());
    OpBuilder b(ret);
    for (unsigned r = 0; r < f.getNumResults(); ++r) {
      auto tied = f.getResultAttrOfType<IntegerAttr>(r, "dr1.tied");
      if (!tied)
        continue;
      int64_t i = tied.getInt();
      if (i < 0 || i >= f.getNumArguments() ||
          f.getArgumentTypes()[i] != f.getResultTypes()[r]) {
        f.emitError("result #") << r << " is tied to argument #" << i
                                << ", which does not exist or has another type";
        return signalPassFailure();
      }
      f.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                   b.getBoolAttr(true));
      Value arg = f.getArgument(i);
      Value v = ret.getOperand(r);
      // The producer's destination becomes the argument: one-shot
      // bufferization then writes in place, or copies the argument first
      // where the old value is read later. A result with another producer
      // is copied into the argument after bufferization.
      OpOperand *init = destinationOf(v);
      if (init && init->get().getDefiningOp<tensor::EmptyOp>())
        init->set(arg);
    }
  }
};
} // namespace
