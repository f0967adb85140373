//===- SerializeForall.cpp - the dr1-serialize-forall pass ----------------===//
//
// Single-threaded builds run parallel loops in order. Upstream's
// scf-forall-to-for does not handle shared_outs (tensors) in MLIR 22, so
// this rewrites them here: the shared outputs become loop-carried values
// and each parallel_insert_slice an insert_slice into them.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_SERIALIZEFORALL
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// Nested scf.for loops for `forall`, innermost body built by cloning.
SmallVector<Value> serialize(OpBuilder &b, scf::ForallOp forall,
                             SmallVector<Value> &ivs, unsigned dim,
                             ValueRange carried) {
  Location loc = forall.getLoc();
  if (dim == forall.getRank()) {
    IRMapping map;
    map.map(forall.getInductionVars(), ivs);
    map.map(forall.getRegionIterArgs(), carried);
    for (Operation &op : forall.getBody()->without_terminator())
      b.clone(op, map);
    SmallVector<Value> results(carried);
    auto mapped = [&](OperandRange values) {
      return llvm::to_vector(llvm::map_range(
          values, [&](Value v) { return map.lookupOrDefault(v); }));
    };
    for (Operation &op : forall.getTerminator().getYieldingOps()) {
      auto insert = cast<tensor::ParallelInsertSliceOp>(op);
      unsigned idx = cast<BlockArgument>(insert.getDest()).getArgNumber() -
                     forall.getRank();
      results[idx] = tensor::InsertSliceOp::create(
          b, loc, map.lookupOrDefault(insert.getSource()), results[idx],
          mapped(insert.getOffsets()), mapped(insert.getSizes()),
          mapped(insert.getStrides()), insert.getStaticOffsets(),
          insert.getStaticSizes(), insert.getStaticStrides());
    }
    return results;
  }
  auto value = [&](OpFoldResult r) {
    return getValueOrCreateConstantIndexOp(b, loc, r);
  };
  auto loop = scf::ForOp::create(
      b, loc, value(forall.getMixedLowerBound()[dim]),
      value(forall.getMixedUpperBound()[dim]),
      value(forall.getMixedStep()[dim]), carried,
      [&](OpBuilder &nb, Location l, Value iv, ValueRange iter) {
        ivs.push_back(iv);
        SmallVector<Value> r = serialize(nb, forall, ivs, dim + 1, iter);
        ivs.pop_back();
        scf::YieldOp::create(nb, l, r);
      });
  return SmallVector<Value>(loop.getResults());
}

struct SerializeForallPass
    : mlir::dr1::impl::SerializeForallBase<SerializeForallPass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> foralls;
    // Innermost first, so that a cloned body holds no forall.
    getOperation().walk([&](scf::ForallOp op) { foralls.push_back(op); });
    for (scf::ForallOp forall : foralls) {
      for (Operation &op : forall.getTerminator().getYieldingOps())
        if (!isa<tensor::ParallelInsertSliceOp>(op) ||
            !isa<BlockArgument>(
                cast<tensor::ParallelInsertSliceOp>(op).getDest())) {
          forall.emitError("cannot serialize this scf.forall");
          return signalPassFailure();
        }
      OpBuilder b(forall);
      SmallVector<Value> ivs;
      SmallVector<Value> results =
          serialize(b, forall, ivs, 0, forall.getOutputs());
      forall.replaceAllUsesWith(results);
      forall.erase();
    }
  }
};

} // namespace
