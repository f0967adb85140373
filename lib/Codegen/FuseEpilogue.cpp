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

#include "mlir/Dialect/Affine/IR/AffineOps.h"
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

/// Largest weight matrix (bytes) for which a 1x1 convolution is computed
/// one image row at a time (below): each row's product reads all of it, so
/// it must stay in L2 across rows.
constexpr int64_t kRowProductWeightBytes = 128 * 1024;

/// A 1x1 convolution (a matmul on the [N*H*W, C] view of its input) whose
/// epilogue's result is inserted into a larger, padded tensor cannot write
/// there through the [N*H*W, F] view: the padded interior is not one
/// contiguous block, so the result was stored and then copied. Computed one
/// image row at a time, each row's product and epilogue write a contiguous
/// [W, F] run of the padded tensor in place.
///
///   %mm = linalg.matmul ins(%a, %w : tensor<12544x16xf32>, ...) ->
///   tensor<12544x96xf32> %e  = tensor.expand_shape %mm ... into
///   tensor<1x112x112x96xf32> %y  = linalg.generic ins(%e, %bias ...) ->
///   tensor<1x112x112x96xf32> %p  = tensor.insert_slice %y into %padded[0, 1,
///   1, 0] [1, 112, 112, 96] ...
///
/// becomes a loop over the 112 rows, each a 112x16x96 matmul whose
/// expand_shape feeds that row's slice of the generic.
void rowTilePaddedProducts(func::FuncOp func, bool parallel) {
  SmallVector<linalg::MatmulOp> candidates;
  func.walk([&](linalg::MatmulOp mm) { candidates.push_back(mm); });
  IRRewriter rewriter(func.getContext());
  for (linalg::MatmulOp mm : candidates) {
    if (!mm.hasPureTensorSemantics() || !mm->hasOneUse() ||
        mm.getIndexingMapsArray() !=
            linalg::MatmulOp::getDefaultIndexingMaps(mm.getContext()))
      continue;
    auto expand = dyn_cast<tensor::ExpandShapeOp>(*mm->getUsers().begin());
    if (!expand || !expand->hasOneUse() ||
        expand.getReassociationIndices() !=
            SmallVector<ReassociationIndices>{{0, 1, 2}, {3}})
      continue;
    OpOperand &use = *expand->getUses().begin();
    auto epilogue = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!epilogue || !epilogue.hasPureTensorSemantics() ||
        epilogue.getNumDpsInits() != 1 || epilogue.isDpsInit(&use) ||
        epilogue.getNumReductionLoops() != 0 ||
        !epilogue.getMatchingIndexingMap(&use).isIdentity() ||
        !epilogue.getIndexingMapsArray().back().isIdentity() ||
        !epilogue->hasOneUse())
      continue;
    auto insert =
        dyn_cast<tensor::InsertSliceOp>(*epilogue->getUsers().begin());
    if (!insert || insert.getSource() != epilogue->getResult(0) ||
        insert.getSourceType() == insert.getDestType())
      continue;
    auto aType = cast<RankedTensorType>(mm.getInputs()[0].getType());
    auto bType = cast<RankedTensorType>(mm.getInputs()[1].getType());
    auto eType = expand.getResultType();
    if (!aType.hasStaticShape() || !bType.hasStaticShape() ||
        !eType.hasStaticShape())
      continue;
    int64_t k = aType.getDimSize(1), n = bType.getDimSize(1);
    int64_t h = eType.getDimSize(1), w = eType.getDimSize(2);
    int64_t eltBytes = bType.getElementTypeBitWidth() / 8;
    if (k * n * eltBytes > kRowProductWeightBytes)
      continue;
    // The accumulator's initial value, per row: a fill is made again;
    // anything else is sliced.
    Value init = mm.getOutputs()[0];
    auto fill = init.getDefiningOp<linalg::FillOp>();

    scf::SCFTilingOptions tiling;
    tiling.setTileSizes({rewriter.getIndexAttr(1), rewriter.getIndexAttr(1),
                         rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)});
    int64_t work = aType.getDimSize(0) * k * n;
    tiling.setLoopType(parallel && work >= dr1::kMinParallelWork
                           ? scf::SCFTilingOptions::LoopType::ForallOp
                           : scf::SCFTilingOptions::LoopType::ForOp);
    rewriter.setInsertionPoint(epilogue);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(epilogue.getOperation()), tiling);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      continue;
    auto rowOp = cast<linalg::GenericOp>(tiled->tiledOps.front());
    auto slice = rowOp.getDpsInputs()[use.getOperandNumber()]
                     .getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || slice.getSource() != expand.getResult()) {
      rewriter.eraseOp(tiled->loops.front());
      continue;
    }
    // Row r = n * H + h of the image rows starts at matrix row r * W.
    Location loc = mm.getLoc();
    rewriter.setInsertionPoint(slice);
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
    AffineExpr d0, d1;
    bindDims(rewriter.getContext(), d0, d1);
    OpFoldResult first = affine::makeComposedFoldedAffineApply(
        rewriter, loc, (d0 * h + d1) * w, {offsets[0], offsets[1]});
    auto idx = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    Value rows = tensor::ExtractSliceOp::create(
        rewriter, loc, mm.getInputs()[0], {first, idx(0)}, {idx(w), idx(k)},
        {idx(1), idx(1)});
    Value rowInit;
    if (fill) {
      Value empty = tensor::EmptyOp::create(
          rewriter, loc, ArrayRef<int64_t>{w, n}, bType.getElementType());
      rowInit =
          linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], empty)
              .getResult(0);
    } else {
      rowInit =
          tensor::ExtractSliceOp::create(rewriter, loc, init, {first, idx(0)},
                                         {idx(w), idx(n)}, {idx(1), idx(1)});
    }
    auto rowMM = linalg::MatmulOp::create(
        rewriter, loc, ValueRange{rows, mm.getInputs()[1]}, rowInit);
    Value rowResult = tensor::ExpandShapeOp::create(
        rewriter, loc, slice.getType(), rowMM.getResult(0),
        SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
    rewriter.replaceOp(slice, rowResult);
    // The row loop is the convolution's code too (dr1c --profile labels
    // it with both, as commitFusion does for convolution rows).
    for (LoopLikeOpInterface loop : tiled->loops)
      loop->setLoc(FusedLoc::get(rewriter.getContext(),
                                 {loc, epilogue.getLoc(), loop->getLoc()}));
    rewriter.replaceOp(epilogue, tiled->replacements);
    rewriter.eraseOp(expand);
    rewriter.eraseOp(mm);
    if (fill && fill->use_empty())
      rewriter.eraseOp(fill);
  }
}

struct FuseEpiloguePass : mlir::dr1::impl::FuseEpilogueBase<FuseEpiloguePass> {
  using Base::Base;
  void runOnOperation() override {
    rowTilePaddedProducts(getOperation(), parallel);
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
      bool threads = parallel && dr1::loopWork(conv) >= dr1::kMinParallelWork;
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
