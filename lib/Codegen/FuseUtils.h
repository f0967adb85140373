//===- FuseUtils.h - shared by the tile-and-fuse passes -------------------===//
#ifndef DR1_CODEGEN_FUSEUTILS_H
#define DR1_CODEGEN_FUSEUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dr1 {

/// Points the users of the tiled-and-fused originals at the loops' results
/// and drops the slices fusion left unused inside the loops, which would
/// otherwise keep the untiled originals alive (the caller erases those).
inline void commitFusion(RewriterBase &rewriter,
                         const scf::SCFTileAndFuseResult &fused) {
  for (auto [original, replacement] : fused.replacements)
    rewriter.replaceAllUsesWith(original, replacement);
  if (fused.loops.empty())
    return;
  // The loop nest is every fused op's code: each loop carries all their
  // locations (the product's first), which dr1c --profile labels it with
  // (an outer loop of one iteration folds away later).
  SmallVector<Location> locs;
  for (Operation *op : fused.tiledAndFusedOps)
    if (!isa<linalg::GenericOp>(op))
      locs.push_back(op->getLoc());
  for (Operation *op : fused.tiledAndFusedOps)
    if (isa<linalg::GenericOp>(op))
      locs.push_back(op->getLoc());
  for (LoopLikeOpInterface loop : fused.loops) {
    SmallVector<Location> all(locs);
    all.push_back(loop->getLoc());
    loop->setLoc(FusedLoc::get(loop->getContext(), all));
  }
  SmallVector<Operation *> dead;
  fused.loops.front()->walk<WalkOrder::PostOrder>([&](Operation *op) {
    if (isa<tensor::ExtractSliceOp>(op) && op->use_empty())
      dead.push_back(op);
  });
  for (Operation *op : dead)
    rewriter.eraseOp(op);
}

/// The elementwise 2-D generic that is matmul `mm`'s only user, reading all
/// of it with the identity map and writing its result the same way, so that
/// an [mr, nr] tile of it needs exactly the same tile of `mm`; null otherwise.
inline linalg::GenericOp matmulEpilogue(linalg::MatmulOp mm) {
  Value result = mm->getResult(0);
  if (!result.hasOneUse())
    return nullptr;
  OpOperand &use = *result.getUses().begin();
  auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!generic || !generic.hasPureTensorSemantics() ||
      generic.getNumLoops() != 2 || generic.getNumReductionLoops() != 0 ||
      generic.getNumDpsInits() != 1 || generic.isDpsInit(&use) ||
      !generic.getMatchingIndexingMap(&use).isIdentity() ||
      !generic.getIndexingMapsArray().back().isIdentity())
    return nullptr;
  return generic;
}

} // namespace mlir::dr1

#endif // DR1_CODEGEN_FUSEUTILS_H
