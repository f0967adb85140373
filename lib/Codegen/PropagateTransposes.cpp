//===- PropagateTransposes.cpp - the dr1-propagate-transposes pass --------===//
//
// Layout transposes around NHWC convolutions and pools are pushed forward
// through elementwise ops, where they meet the next op's inverse transpose
// and cancel. Rewrites applied to a fixed point together with transpose
// composition:
//   fold:    generic(transpose(x)) reads x through a permuted indexing map;
//   re-iterate: an elementwise generic mostly reading through one permutation
//            iterates in that layout and transposes its result once;
//   concat, expand, collapse: the transpose moves past them.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_PROPAGATETRANSPOSES
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// generic(..., transpose(x), ...) -> generic(..., x, ...) with the operand's
/// indexing map composed with the permutation.
struct FoldTransposeIntoGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    for (OpOperand *operand : op.getDpsInputOperands()) {
      auto transpose = operand->get().getDefiningOp<linalg::TransposeOp>();
      if (!transpose || !transpose.hasPureTensorSemantics())
        continue;
      // result[i] = input[perm[i]], so input dim j is result dim inv[j].
      SmallVector<int64_t> inv =
          invertPermutationVector(transpose.getPermutation());
      AffineMap toInput = AffineMap::getPermutationMap(inv, getContext());
      AffineMap map = op.getMatchingIndexingMap(operand);
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      maps[operand->getOperandNumber()] = toInput.compose(map);
      rewriter.modifyOpInPlace(op, [&] {
        operand->set(transpose.getInput());
        op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      });
      return success();
    }
    return failure();
  }
};

/// An elementwise generic whose full-size operands are read through a
/// permutation more often than directly iterates in that permutation's
/// layout: its operands become direct reads and its result is transposed
/// once, so the transpose moves past it.
struct IterateInOperandLayout : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
        op.getNumReductionLoops() != 0)
      return failure();
    OpOperand *init = op.getDpsInitOperand(0);
    auto resultType = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    int64_t rank = op.getNumLoops();
    if (!resultType || rank < 2 || !resultType.hasStaticShape() ||
        !op.getMatchingIndexingMap(init).isIdentity() ||
        op.payloadUsesValueFromOperand(init))
      return failure();
    // linalg.index values name loops; re-ordering the loops would change
    // what they mean.
    if (!op.getBody()->getOps<linalg::IndexOp>().empty())
      return failure();

    // Votes per layout among operands that cover the whole iteration space.
    SmallVector<std::pair<AffineMap, int>> votes;
    int direct = 0;
    for (OpOperand *operand : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(operand);
      if (map.getNumResults() != rank || !map.isPermutation())
        continue;
      if (map.isIdentity()) {
        ++direct;
        continue;
      }
      auto *it = llvm::find_if(votes, [&](auto &v) { return v.first == map; });
      if (it == votes.end())
        votes.push_back({map, 1});
      else
        ++it->second;
    }
    auto *best = llvm::max_element(
        votes, [](auto &a, auto &b) { return a.second < b.second; });
    if (best == votes.end() || best->second <= direct)
      return failure();

    // The chosen operand reads idx[j] = d[pi[j]]; new loops e[j] = d[pi[j]],
    // i.e. d[i] = e[inv[i]].
    AffineMap chosen = best->first;
    SmallVector<int64_t> pi;
    for (unsigned j = 0; j < chosen.getNumResults(); ++j)
      pi.push_back(chosen.getDimPosition(j));
    SmallVector<int64_t> inv = invertPermutationVector(pi);
    AffineMap newToOld = AffineMap::getPermutationMap(inv, getContext());
    SmallVector<AffineMap> maps;
    for (OpOperand *operand : op.getDpsInputOperands())
      maps.push_back(op.getMatchingIndexingMap(operand).compose(newToOld));
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, getContext()));

    SmallVector<int64_t> shape;
    for (int64_t j : pi)
      shape.push_back(resultType.getDimSize(j));
    Location loc = op.getLoc();
    Value newInit = tensor::EmptyOp::create(rewriter, loc, shape,
                                            resultType.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{newInit.getType()}, op.getDpsInputs(),
        ValueRange{newInit}, maps, op.getIteratorTypesArray());
    rewriter.inlineRegionBefore(op.getRegion(), generic.getRegion(),
                                generic.getRegion().begin());
    // result[i] = new[inv[i]].
    Value back = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    rewriter.replaceOpWithNewOp<linalg::TransposeOp>(op, generic.getResult(0),
                                                     back, inv);
    return success();
  }
};

/// A concatenation (insert_slice chain into tensor.empty) whose pieces are
/// all transposed the same way is done in the pieces' layout and
/// transposed once: the transpose moves past it.
struct ConcatInOperandLayout : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp first,
                                PatternRewriter &rewriter) const override {
    // The chain starts at an empty tensor (possibly shared, after CSE, with
    // other concatenations of the same shape).
    auto empty = first.getDest().getDefiningOp<tensor::EmptyOp>();
    if (!empty)
      return failure();
    auto type = dyn_cast<RankedTensorType>(empty.getType());
    if (!type || !type.hasStaticShape())
      return failure();
    SmallVector<tensor::InsertSliceOp> chain{first};
    Value acc = first.getResult();
    while (acc.hasOneUse()) {
      auto insert = dyn_cast<tensor::InsertSliceOp>(*acc.getUsers().begin());
      if (!insert || insert.getDest() != acc)
        break;
      chain.push_back(insert);
      acc = insert.getResult();
    }
    if (chain.size() < 2)
      return failure();
    std::optional<SmallVector<int64_t>> perm;
    for (tensor::InsertSliceOp insert : chain) {
      auto transpose = insert.getSource().getDefiningOp<linalg::TransposeOp>();
      if (!transpose || !insert.hasUnitStride() ||
          insert.getSourceType().getRank() != type.getRank() ||
          !insert.getStaticOffsets().size() ||
          ShapedType::isDynamicShape(insert.getStaticOffsets()) ||
          ShapedType::isDynamicShape(insert.getStaticSizes()))
        return failure();
      SmallVector<int64_t> p(transpose.getPermutation());
      if (perm && *perm != p)
        return failure();
      perm = p;
    }
    // result dim i is source dim perm[i].
    int64_t rank = type.getRank();
    SmallVector<int64_t> shape(rank);
    for (int64_t i = 0; i < rank; ++i)
      shape[(*perm)[i]] = type.getDimSize(i);
    Location loc = first.getLoc();
    rewriter.setInsertionPointAfter(chain.back());
    Value result =
        tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
    for (tensor::InsertSliceOp insert : chain) {
      auto transpose = insert.getSource().getDefiningOp<linalg::TransposeOp>();
      SmallVector<OpFoldResult> offsets(rank), sizes(rank),
          strides(rank, rewriter.getIndexAttr(1));
      for (int64_t i = 0; i < rank; ++i) {
        offsets[(*perm)[i]] =
            rewriter.getIndexAttr(insert.getStaticOffsets()[i]);
        sizes[(*perm)[i]] = rewriter.getIndexAttr(insert.getStaticSizes()[i]);
      }
      result = tensor::InsertSliceOp::create(
          rewriter, loc, transpose.getInput(), result, offsets, sizes, strides);
    }
    Value back = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    rewriter.replaceOpWithNewOp<linalg::TransposeOp>(chain.back(), result, back,
                                                     *perm);
    return success();
  }
};

/// expand_shape(transpose(x)) -> transpose(expand_shape(x)): each dim of
/// x is split as the transposed dim it becomes is split (always possible),
/// so the transpose moves past the reshape (a channel split [N, C, H, W] ->
/// [N, G, C/G, H, W] of an NHWC value becomes a split of its last dim).
struct ExpandBeforeTranspose : OpRewritePattern<tensor::ExpandShapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ExpandShapeOp op,
                                PatternRewriter &rewriter) const override {
    auto transpose = op.getSrc().getDefiningOp<linalg::TransposeOp>();
    auto resultType = dyn_cast<RankedTensorType>(op.getResultType());
    if (!transpose || !transpose.hasPureTensorSemantics() || !resultType ||
        !resultType.hasStaticShape())
      return failure();
    ArrayRef<int64_t> perm = transpose.getPermutation();
    SmallVector<ReassociationIndices> groups = op.getReassociationIndices();
    // Transposed dim i (x's dim perm[i]) becomes result dims groups[i].
    SmallVector<int64_t> inv = invertPermutationVector(perm);
    SmallVector<int64_t> shape;
    SmallVector<ReassociationIndices> newGroups;
    SmallVector<int64_t> firstNewDim(perm.size());
    for (int64_t j = 0; j < static_cast<int64_t>(perm.size()); ++j) {
      firstNewDim[j] = shape.size();
      ReassociationIndices g;
      for (int64_t r : groups[inv[j]]) {
        g.push_back(shape.size());
        shape.push_back(resultType.getDimSize(r));
      }
      newGroups.push_back(g);
    }
    SmallVector<int64_t> newPerm;
    for (int64_t i = 0; i < static_cast<int64_t>(perm.size()); ++i)
      for (size_t k = 0; k < groups[i].size(); ++k)
        newPerm.push_back(firstNewDim[perm[i]] + k);
    Location loc = op.getLoc();
    auto expandedType =
        RankedTensorType::get(shape, resultType.getElementType());
    Value expanded = tensor::ExpandShapeOp::create(
        rewriter, loc, expandedType, transpose.getInput(), newGroups);
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    rewriter.replaceOpWithNewOp<linalg::TransposeOp>(op, expanded, init,
                                                     newPerm);
    return success();
  }
};

/// collapse_shape(transpose(x)) -> transpose(collapse_shape(y)) where the
/// collapsed result is transposed again (so the moved transpose composes
/// with that one, typically to nothing): each group of collapsed dims must
/// come from consecutive dims of y in order. Where a group's dims are
/// consecutive in x but out of order (ShuffleNet's channel shuffle:
/// [N, H, W, G, C/G] read as [N, C/G, G, H, W]), y is x with those dims
/// reordered, the one copy that the shuffle needs.
struct CollapseBeforeTranspose : OpRewritePattern<tensor::CollapseShapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::CollapseShapeOp op,
                                PatternRewriter &rewriter) const override {
    auto transpose = op.getSrc().getDefiningOp<linalg::TransposeOp>();
    auto resultType = dyn_cast<RankedTensorType>(op.getResultType());
    if (!transpose || !transpose.hasPureTensorSemantics() || !resultType ||
        !resultType.hasStaticShape() || !op->hasOneUse() ||
        !isa<linalg::TransposeOp>(*op->getUsers().begin()))
      return failure();
    ArrayRef<int64_t> perm = transpose.getPermutation();
    SmallVector<ReassociationIndices> groups = op.getReassociationIndices();
    int64_t rank = perm.size();
    // Each group's x dims, which must be a run of consecutive dims.
    SmallVector<int64_t> groupOfDim(rank, -1);
    bool reorder = false;
    for (auto [gi, g] : llvm::enumerate(groups)) {
      SmallVector<int64_t> dims;
      for (int64_t r : g)
        dims.push_back(perm[r]);
      SmallVector<int64_t> sorted(dims);
      llvm::sort(sorted);
      for (size_t k = 1; k < sorted.size(); ++k)
        if (sorted[k] != sorted[k - 1] + 1)
          return failure();
      reorder |= sorted != dims;
      for (int64_t d : dims)
        groupOfDim[d] = gi;
    }
    // y: x's dims with each group's run in the order the group reads
    // them; `order`: the groups in y's order.
    SmallVector<int64_t> yFromX, order;
    for (int64_t d = 0; d < rank;) {
      int64_t gi = groupOfDim[d];
      order.push_back(gi);
      for (int64_t r : groups[gi])
        yFromX.push_back(perm[r]);
      d += groups[gi].size();
    }
    // Result dim gi is collapsed dim position-of(gi) in `order`.
    SmallVector<int64_t> newPerm(groups.size());
    for (auto [pos, gi] : llvm::enumerate(order))
      newPerm[gi] = pos;
    // Nothing would move: x's transpose only reorders within groups (it is
    // the copy itself).
    if (llvm::equal(newPerm, llvm::seq<int64_t>(0, newPerm.size())))
      return failure();
    Location loc = op.getLoc();
    Value x = transpose.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    Value y = x;
    if (reorder) {
      SmallVector<int64_t> shape;
      for (int64_t d : yFromX)
        shape.push_back(xType.getDimSize(d));
      Value init =
          tensor::EmptyOp::create(rewriter, loc, shape, xType.getElementType());
      y = linalg::TransposeOp::create(rewriter, loc, x, init, yFromX)
              .getResult()[0];
    }
    SmallVector<ReassociationIndices> yGroups;
    SmallVector<int64_t> collapsedShape;
    int64_t next = 0;
    for (int64_t gi : order) {
      ReassociationIndices g;
      for (size_t k = 0; k < groups[gi].size(); ++k)
        g.push_back(next++);
      yGroups.push_back(g);
      collapsedShape.push_back(resultType.getDimSize(gi));
    }
    Value collapsed = tensor::CollapseShapeOp::create(
        rewriter, loc,
        RankedTensorType::get(collapsedShape, resultType.getElementType()), y,
        yGroups);
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    rewriter.replaceOpWithNewOp<linalg::TransposeOp>(op, collapsed, init,
                                                     newPerm);
    return success();
  }
};

struct PropagateTransposesPass
    : mlir::dr1::impl::PropagateTransposesBase<PropagateTransposesPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<FoldTransposeIntoGeneric, IterateInOperandLayout,
                 ConcatInOperandLayout, ExpandBeforeTranspose,
                 CollapseBeforeTranspose>(ctx);
    linalg::TransposeOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
