//===- FuseUtils.h - committing a tile-and-fuse result
//---------------------===//
#ifndef DR1_CODEGEN_FUSEUTILS_H
#define DR1_CODEGEN_FUSEUTILS_H

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
  SmallVector<Operation *> dead;
  fused.loops.front()->walk<WalkOrder::PostOrder>([&](Operation *op) {
    if (isa<tensor::ExtractSliceOp>(op) && op->use_empty())
      dead.push_back(op);
  });
  for (Operation *op : dead)
    rewriter.eraseOp(op);
}

} // namespace mlir::dr1

#endif // DR1_CODEGEN_FUSEUTILS_H
