//===- FuseRows.cpp - the dr1-fuse-rows pass ------------------------------===//
//
// Softmax, log-softmax and layer norm lower to row reductions and the
// elementwise ops around them, each a pass over the whole tensor. Tiled
// together by rows they become one kernel: a few rows are reduced and
// normalised while they sit in L1, and the intermediates never reach
// memory. Patterns are recognised by shape (a chain of row-local ops with a
// reduction in it), so exporter spellings of layer norm (ReduceMean, Sub,
// Pow, Sqrt, Div) fuse like dr1.layer_norm does.
//
//===----------------------------------------------------------------------===//
#include "Codegen/FuseUtils.h"
#include "Codegen/Passes.h"
#include "Codegen/Work.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_FUSEROWS
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

bool staticTensors(Operation *op) {
  return llvm::all_of(op->getOperandTypes(), [](Type t) {
    auto r = dyn_cast<RankedTensorType>(t);
    return !r || r.hasStaticShape();
  });
}

/// A generic over [rows..., inner] whose loops are all parallel or have one
/// innermost reduction, reading every operand without mixing rows.
bool rowLocal(Operation *op, bool &isReduction) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  if (!g || !g.hasPureTensorSemantics() || !staticTensors(op) ||
      g.getNumLoops() < 2)
    return false;
  SmallVector<utils::IteratorType> iters = g.getIteratorTypesArray();
  for (unsigned i = 0; i + 1 < iters.size(); ++i)
    if (iters[i] != utils::IteratorType::parallel)
      return false;
  isReduction = iters.back() == utils::IteratorType::reduction;
  return llvm::all_of(g.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isProjectedPermutation(); });
}

/// The ops that move into `root`'s row loop: producers reachable from it
/// through row-local generics (and the fills that initialise their
/// reductions) whose every user is in the set, so nothing is computed
/// twice. Empty unless a reduction is among them.
llvm::SetVector<Operation *> rowChain(linalg::GenericOp root) {
  llvm::SetVector<Operation *> chain;
  bool changed = true;
  llvm::DenseSet<Operation *> excluded;
  while (changed) {
    changed = false;
    chain.clear();
    chain.insert(root);
    SmallVector<Operation *> work{root};
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      for (Value v : op->getOperands()) {
        Operation *p = v.getDefiningOp();
        if (!p || chain.contains(p) || excluded.contains(p))
          continue;
        bool red = false;
        if (!rowLocal(p, red) && !(isa<linalg::FillOp>(p) && staticTensors(p)))
          continue;
        chain.insert(p);
        work.push_back(p);
      }
    }
    for (Operation *op : chain) {
      if (op == root.getOperation())
        continue;
      for (Operation *user : op->getUsers())
        if (!chain.contains(user)) {
          excluded.insert(op);
          changed = true;
        }
    }
  }
  bool anyReduction = llvm::any_of(chain, [](Operation *op) {
    bool red = false;
    return rowLocal(op, red) && red;
  });
  if (!anyReduction)
    chain.clear();
  return chain;
}

/// Reductions with keepdims reach their consumers through an expand_shape
/// that only adds unit dims, read back with constant-0 map results; reading
/// the reduction directly keeps the chain made of generics only.
void foldUnitExpansions(func::FuncOp func, RewriterBase &rewriter) {
  func.walk([&](linalg::GenericOp g) {
    if (!g.hasPureTensorSemantics())
      return;
    for (OpOperand *operand : g.getDpsInputOperands()) {
      auto expand = operand->get().getDefiningOp<tensor::ExpandShapeOp>();
      if (!expand || !expand.getResultType().hasStaticShape())
        continue;
      AffineMap map = g.getMatchingIndexingMap(operand);
      ArrayRef<int64_t> shape = expand.getResultType().getShape();
      SmallVector<AffineExpr> results;
      bool ok = true;
      for (ReassociationIndices group : expand.getReassociationIndices()) {
        // Keep the group's one non-unit dim (or its first); the others
        // must be unit dims read at 0.
        int64_t keep = group.front();
        for (int64_t d : group)
          if (shape[d] != 1)
            keep = d;
        for (int64_t d : group) {
          if (d == keep)
            continue;
          auto c = dyn_cast<AffineConstantExpr>(map.getResult(d));
          ok &= c && c.getValue() == 0;
        }
        results.push_back(map.getResult(keep));
      }
      if (!ok)
        continue;
      SmallVector<AffineMap> maps = g.getIndexingMapsArray();
      maps[operand->getOperandNumber()] =
          AffineMap::get(map.getNumDims(), 0, results, g.getContext());
      rewriter.modifyOpInPlace(g, [&] {
        operand->set(expand.getSrc());
        g.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      });
      // A dead expansion would still count as a user outside the chain.
      if (expand->use_empty())
        rewriter.eraseOp(expand);
    }
  });
}

struct FuseRowsPass : mlir::dr1::impl::FuseRowsBase<FuseRowsPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    foldUnitExpansions(getOperation(), rewriter);
    SmallVector<linalg::GenericOp> roots;
    getOperation().walk([&](linalg::GenericOp g) {
      bool red = false;
      if (rowLocal(g, red) && !red && g.getNumDpsInits() == 1 &&
          g.getIndexingMapsArray().back().isIdentity())
        roots.push_back(g);
    });
    // Last first: a root that feeds a later root's chain is absorbed there.
    DenseSet<Operation *> erased;
    for (linalg::GenericOp root : llvm::reverse(roots)) {
      if (erased.contains(root))
        continue;
      llvm::SetVector<Operation *> chain = rowChain(root);
      if (chain.size() < 2)
        continue;
      SmallVector<int64_t> ranges = root.getStaticLoopRanges();
      int64_t inner = ranges.back();
      // Rows per iteration: a block of up to 8 KB of the innermost row
      // dimension, dividing it; every other outer dimension one at a time.
      int64_t rowBytes = inner * 4, rows = 1;
      int64_t last = ranges[ranges.size() - 2];
      for (int64_t r = 1; r <= last; ++r)
        if (last % r == 0 && r * rowBytes <= 8192)
          rows = r;
      SmallVector<OpFoldResult> sizes(ranges.size(), rewriter.getIndexAttr(1));
      sizes[ranges.size() - 2] = rewriter.getIndexAttr(rows);
      sizes.back() = rewriter.getIndexAttr(0);
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(sizes);
      // Elementwise work is cheaper per element than a multiply-add
      // nest: threads pay off on correspondingly fewer elements.
      bool threads =
          parallel && dr1::loopWork(root) * 64 >= dr1::kMinParallelWork;
      tiling.setLoopType(threads ? scf::SCFTilingOptions::LoopType::ForallOp
                                 : scf::SCFTilingOptions::LoopType::ForOp);
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp, OpResult producer, bool)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            if (chain.contains(producer.getOwner()))
              return scf::SCFTileAndFuseOptions::ControlFnResult{};
            return std::nullopt;
          });
      rewriter.setInsertionPoint(root);
      FailureOr<scf::SCFTileAndFuseResult> fused =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(root.getOperation()), options);
      if (failed(fused))
        continue;
      dr1::commitFusion(rewriter, *fused);
      // The untiled chain is dead now; users go before their producers.
      for (bool progress = true; progress;) {
        progress = false;
        for (Operation *op : chain)
          if (!erased.contains(op) && op->use_empty()) {
            erased.insert(op);
            rewriter.eraseOp(op);
            progress = true;
          }
      }
    }
  }
};

} // namespace
