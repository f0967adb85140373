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
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
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

/// An elementwise update reads the old value through its destination
/// (`%out`), not as a separate input aliasing it: once the op is tiled or
/// vectorized, bufferization sees the loop read the buffer it writes only
/// through the iteration value, and needs no copy.
void readThroughInit(linalg::GenericOp g, OpOperand *init) {
  AffineMap initMap = g.getMatchingIndexingMap(init);
  BlockArgument outArg = g.getMatchingBlockArgument(init);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  SmallVector<unsigned> dropped;
  for (OpOperand *in : g.getDpsInputOperands()) {
    if (in->get() == init->get() && g.getMatchingIndexingMap(in) == initMap) {
      g.getMatchingBlockArgument(in).replaceAllUsesWith(outArg);
      dropped.push_back(in->getOperandNumber());
      continue;
    }
    inputs.push_back(in->get());
    maps.push_back(g.getMatchingIndexingMap(in));
  }
  if (dropped.empty())
    return;
  for (OpOperand &o : g.getDpsInitsMutable())
    maps.push_back(g.getMatchingIndexingMap(&o));
  IRRewriter rw(g.getContext());
  rw.setInsertionPoint(g);
  auto ng = linalg::GenericOp::create(rw, g.getLoc(), g.getResultTypes(),
                                      inputs, g.getDpsInits(), maps,
                                      g.getIteratorTypesArray());
  rw.inlineRegionBefore(g.getRegion(), ng.getRegion(), ng.getRegion().begin());
  Block &body = ng.getRegion().front();
  for (unsigned i : llvm::reverse(dropped))
    body.eraseArgument(i);
  rw.replaceOp(g, ng.getResults());
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
      if (init && init->get().getDefiningOp<tensor::EmptyOp>()) {
        init->set(arg);
        if (auto g = dyn_cast<linalg::GenericOp>(init->getOwner()))
          readThroughInit(g, init);
      }
    }
  }
};
} // namespace
