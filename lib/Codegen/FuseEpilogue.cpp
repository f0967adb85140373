//===- FuseEpilogue.cpp - the dr1-fuse-epilogue pass ----------------------===//
//
// Convolutions are fused into their elementwise consumer's row loop, so
// bias, residual and activation are applied to a row while it is in cache.
// Matrix products are only marked here: their epilogue is applied to each
// register tile by dr1-cpu-tile-and-vectorize, which owns the tiling.
//
//===----------------------------------------------------------------------===//
#include "Codegen/FuseUtils.h"
#include "Codegen/Passes.h"
#include "Codegen/Work.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_FUSEEPILOGUE
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// Output channels per iteration where the filter is the larger operand: a
/// multiple of every target's register tile width (AVX-512: 32 lanes in
/// two vectors), whose 3x3 filter slice stays within L2 up to 512 input
/// channels.
constexpr int64_t kChannelBlock = 64;

bool isConv(Operation *op) {
  return isa<linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp>(op);
}

/// The elementwise generic that is `conv`'s only user, reading it through a
/// permutation map; null otherwise.
linalg::GenericOp epilogueOf(linalg::LinalgOp conv) {
  Value result = conv->getResult(0);
  if (!result.hasOneUse())
    return nullptr;
  OpOperand &use = *result.getUses().begin();
  auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!generic || !generic.hasPureTensorSemantics() ||
      generic.getNumDpsInits() != 1 || generic.getNumReductionLoops() != 0 ||
      generic.isDpsInit(&use) ||
      !generic.getMatchingIndexingMap(&use).isPermutation())
    return nullptr;
  return generic;
}

/// Linear layers reach their bias / activation through the expand_shape
/// back to [batch, seq, features]; collapsing the consumer's leading loops
/// instead lets it read the [rows, features] product directly.
LogicalResult collapseMatmulReshapes(func::FuncOp func) {
  RewritePatternSet patterns(func.getContext());
  linalg::populateFoldReshapeOpsByCollapsingPatterns(
      patterns, [](OpOperand *operand) {
        auto expand = operand->get().getDefiningOp<tensor::ExpandShapeOp>();
        if (!expand || !isa<linalg::GenericOp>(operand->getOwner()))
          return false;
        auto mm = expand.getSrc().getDefiningOp<linalg::MatmulOp>();
        auto generic = cast<linalg::GenericOp>(operand->getOwner());
        return mm && mm->hasOneUse() && expand->hasOneUse() &&
               generic.getNumReductionLoops() == 0 &&
               generic.getNumDpsInits() == 1 && !generic.isDpsInit(operand);
      });
  return applyPatternsGreedily(func, std::move(patterns));
}

struct FuseEpiloguePass : mlir::dr1::impl::FuseEpilogueBase<FuseEpiloguePass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(collapseMatmulReshapes(getOperation())))
      return signalPassFailure();
    getOperation().walk([&](linalg::MatmulOp mm) {
      if (mm.hasPureTensorSemantics() && dr1::matmulEpilogue(mm))
        mm->setAttr("dr1.fuse_epilogue", UnitAttr::get(&getContext()));
    });
    SmallVector<linalg::LinalgOp> convs;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isConv(op) && op.hasPureTensorSemantics())
        convs.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp conv : convs) {
      linalg::GenericOp epilogue = epilogueOf(conv);
      if (!epilogue)
        continue;
      // One output row (image n, row oh) per iteration, in the epilogue's
      // loop order; or, where the filter is the larger operand, one block of
      // output channels of the whole image, so that the filter is read once
      // (see dr1::filterOutermost).
      AffineMap map = epilogue.getMatchingIndexingMap(
          &*conv->getResult(0).getUses().begin());
      SmallVector<OpFoldResult> sizes(epilogue.getNumLoops(),
                                      rewriter.getIndexAttr(0));
      sizes[map.getDimPosition(0)] = rewriter.getIndexAttr(1);
      int64_t channels =
          cast<RankedTensorType>(conv->getResult(0).getType()).getDimSize(3);
      if (dr1::filterOutermost(conv) && channels % kChannelBlock == 0 &&
          channels > kChannelBlock)
        sizes[map.getDimPosition(3)] = rewriter.getIndexAttr(kChannelBlock);
      else
        sizes[map.getDimPosition(1)] = rewriter.getIndexAttr(1);
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(sizes);
      bool threads = parallel && dr1::threadWork(conv) >= dr1::kMinParallelWork;
      tiling.setLoopType(threads ? scf::SCFTilingOptions::LoopType::ForallOp
                                 : scf::SCFTilingOptions::LoopType::ForOp);
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      Value init = conv.getDpsInits()[0];
      // Only the convolution and what initialises its accumulator (bias
      // broadcast, zero fill) move into the row loop; other operands of the
      // epilogue are computed once, outside.
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp, OpResult producer, bool)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            Operation *op = producer.getOwner();
            if (op == conv.getOperation() ||
                (producer == init &&
                 isa<linalg::FillOp, linalg::GenericOp>(op)))
              return scf::SCFTileAndFuseOptions::ControlFnResult{};
            return std::nullopt;
          });
      rewriter.setInsertionPoint(epilogue);
      FailureOr<scf::SCFTileAndFuseResult> fused =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(epilogue.getOperation()),
              options);
      if (failed(fused))
        continue;
      for (Operation *op : fused->tiledAndFusedOps)
        if (isConv(op))
          op->setAttr("dr1.row_tiled", rewriter.getUnitAttr());
      // The untiled originals are dead now; drop them before the CPU
      // strategy tiles them too.
      dr1::commitFusion(rewriter, *fused);
      Operation *initOp = init.getDefiningOp();
      for (Operation *op :
           {epilogue.getOperation(), conv.getOperation(), initOp})
        if (op && op->use_empty())
          rewriter.eraseOp(op);
    }
  }
};

} // namespace
