//===- RowPaddedProducts.cpp - the dr1-row-padded-products pass -----------===//
//
// A 1x1 convolution whose result fills a padded tensor is computed one image
// row at a time, so that it writes the padded tensor in place instead of
// being stored whole and copied.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"
#include "Codegen/Work.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_ROWPADDEDPRODUCTS
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// Largest weight matrix (bytes) for which a 1x1 convolution is computed
/// one image row at a time (below): each row's product reads all of it, so
/// it must stay in L2 across rows.
constexpr int64_t kRowProductWeightBytes = 128 * 1024;

/// Rewrites every 1x1 product whose epilogue fills a padded tensor into a
/// loop over image rows (the pass description in Passes.td shows the IR).
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
    if (failed(tiled))
      continue;
    auto rowOp = tiled->tiledOps.size() == 1
                     ? dyn_cast<linalg::GenericOp>(tiled->tiledOps.front())
                     : linalg::GenericOp();
    auto slice = rowOp ? rowOp.getDpsInputs()[use.getOperandNumber()]
                             .getDefiningOp<tensor::ExtractSliceOp>()
                       : tensor::ExtractSliceOp();
    if (!slice || slice.getSource() != expand.getResult()) {
      if (!tiled->loops.empty())
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
      Type acc = cast<RankedTensorType>(init.getType()).getElementType();
      Value empty =
          tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{w, n}, acc);
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
    if (fill && fill->use_empty()) {
      Operation *empty = fill.getOutputs()[0].getDefiningOp();
      rewriter.eraseOp(fill);
      if (empty && isa<tensor::EmptyOp>(empty) && empty->use_empty())
        rewriter.eraseOp(empty);
    }
  }
}

struct RowPaddedProductsPass
    : mlir::dr1::impl::RowPaddedProductsBase<RowPaddedProductsPass> {
  using Base::Base;
  void runOnOperation() override {
    rowTilePaddedProducts(getOperation(), parallel);
  }
};

} // namespace
