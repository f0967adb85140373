//===- VectorizeElementwise.cpp - the dr1-vectorize-elementwise pass ------===//
//
// Elementwise ops and row reductions (bias, activations, softmax, layer
// norm, attention's block updates) as explicit vector code. LLVM's loop
// vectorizer was left to do this before, and often did not: views into one
// workspace look like they may alias, and polynomial exp/erf bodies are
// past its cost limits, so softmax exps ran one float at a time. Also
// reductions over outer dims (global pooling in NHWC) and transposes that
// move the contiguous dim, in register blocks.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "dr1-vectorize-elementwise"

namespace mlir::dr1 {
#define GEN_PASS_DEF_VECTORIZEELEMENTWISE
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// Largest divisor of `total` in [lo, hi], preferring multiples of `align`;
/// 0 when there is none.
int64_t divisorIn(int64_t total, int64_t lo, int64_t hi, int64_t align) {
  int64_t best = 0, aligned = 0;
  for (int64_t t = std::max<int64_t>(lo, 1); t <= std::min(total, hi); ++t) {
    if (total % t)
      continue;
    best = t;
    if (t % align == 0)
      aligned = t;
  }
  return aligned ? aligned : best;
}

/// Tile sizes that leave one contiguous run of the innermost loop per tile
/// (every other loop tiled to 1), or nothing when the op does not fit that
/// shape: all loops parallel, or parallel with one innermost reduction; the
/// innermost loop, where an operand uses it, is that operand's last dim.
std::optional<SmallVector<int64_t>> tileSizes(linalg::GenericOp op,
                                              int64_t lanes) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0)
    return std::nullopt;
  for (Value v : op->getOperands()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape())
      return std::nullopt;
  }
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  unsigned inner = iters.size() - 1;
  for (unsigned i = 0; i < inner; ++i)
    if (iters[i] != utils::IteratorType::parallel)
      return std::nullopt;
  bool reduction = iters[inner] == utils::IteratorType::reduction;
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (!map.isProjectedPermutation())
      return std::nullopt;
    for (unsigned r = 0; r + 1 < map.getNumResults(); ++r)
      if (map.getDimPosition(r) == inner)
        return std::nullopt;
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t n = ranges[inner];
  // Vectors narrower than half a register are not worth it.
  if (n < std::max<int64_t>(4, lanes / 2))
    return std::nullopt;
  SmallVector<int64_t> sizes(ranges.size(), 1);
  if (reduction) {
    // Whole rows up to 16 registers; longer ones in row chunks (the tile
    // loop carries the partial result).
    int64_t limit = 16 * lanes;
    sizes[inner] = n <= limit ? n : divisorIn(n, lanes, limit, lanes);
    if (sizes[inner] < lanes)
      return std::nullopt;
  } else {
    // Up to four registers per value: room for a polynomial's temporaries.
    int64_t t = divisorIn(n, lanes, 4 * lanes, lanes);
    if (!t)
      t = n <= 16 * lanes ? n : 0;
    if (!t)
      return std::nullopt;
    sizes[inner] = t;
  }
  // A tile covering the whole op needs no loop.
  if (llvm::equal(sizes, ranges))
    return SmallVector<int64_t>(ranges.size(), 0);
  return sizes;
}

/// For a generic that reduces over loops outside its operands' contiguous
/// dim (global average pooling in NHWC: [N, H, W, C] summed over H and W),
/// the parallel loop every operand reads contiguously (C), or nothing. Such
/// a generic iterated with the reductions innermost reads with a stride of
/// C elements, one float at a time.
std::optional<unsigned> outerReductionLoop(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 ||
      !op.getBody()->getOps<linalg::IndexOp>().empty())
    return std::nullopt;
  for (Value v : op->getOperands()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape())
      return std::nullopt;
  }
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() == 0 || !out.isProjectedPermutation())
    return std::nullopt;
  unsigned loop = out.getDimPosition(out.getNumResults() - 1);
  if (op.getIteratorTypesArray()[loop] != utils::IteratorType::parallel)
    return std::nullopt;
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (!map.isProjectedPermutation())
      return std::nullopt;
    for (unsigned r = 0; r < map.getNumResults(); ++r)
      if (map.getDimPosition(r) == loop && r + 1 != map.getNumResults())
        return std::nullopt;
  }
  return loop;
}

/// The largest power of two that divides `n`, at most `limit`.
int64_t powerOfTwoTile(int64_t n, int64_t limit) {
  int64_t t = 1;
  while (t * 2 <= limit && n % (t * 2) == 0)
    t *= 2;
  return t;
}

/// Tile sizes for a transpose that moves its input's innermost dim (layout
/// changes at a model's edges, ShuffleNet's channel shuffle): one [ta, tb]
/// block per tile, ta along the output dim that reads the input's
/// contiguous dim and tb along the output's contiguous dim, every other dim
/// 1; the block is then a vector.transpose of registers. Nothing where the
/// innermost dim stays innermost (rows are copied as they are) or where
/// the block would be smaller than 4 x 4.
std::optional<SmallVector<int64_t>> transposeTiles(linalg::TransposeOp op,
                                                   int64_t lanes) {
  auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
  if (!op.hasPureTensorSemantics() || !inType || !inType.hasStaticShape())
    return std::nullopt;
  ArrayRef<int64_t> perm = op.getPermutation();
  int64_t rank = perm.size();
  if (rank < 2 || perm[rank - 1] == rank - 1)
    return std::nullopt;
  SmallVector<int64_t> inv = invertPermutationVector(perm);
  int64_t ia = inv[rank - 1];
  int64_t ta = powerOfTwoTile(inType.getDimSize(rank - 1), lanes);
  int64_t tb = powerOfTwoTile(inType.getDimSize(perm[rank - 1]), lanes);
  if (ta < 4 || tb < 4)
    return std::nullopt;
  SmallVector<int64_t> sizes(rank, 1);
  sizes[ia] = ta;
  sizes[rank - 1] = tb;
  return sizes;
}

/// `op` tiled into register blocks and vectorized, its vector.transpose
/// lowered to shuffles (the 16 x 16 f32 block as AVX-512's unpack/shuffle
/// network, others as one shufflevector for LLVM): the default lowering
/// moves one element at a time.
void vectorizeTranspose(RewriterBase &rewriter, linalg::TransposeOp op,
                        int64_t lanes) {
  std::optional<SmallVector<int64_t>> sizes = transposeTiles(op, lanes);
  if (!sizes)
    return;
  // (`op` is erased by tiling.)
  MLIRContext *ctx = op.getContext();
  bool f32 = getElementTypeOrSelf(op.getInit().getType()).isF32();
  scf::SCFTilingOptions options;
  options.setTileSizes(llvm::map_to_vector(
      *sizes, [&](int64_t s) -> OpFoldResult { return rewriter.getIndexAttr(s); }));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> r = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(r))
    return;
  rewriter.replaceOp(op, r->replacements);
  Operation *target = r->tiledOps.back();
  rewriter.setInsertionPoint(target);
  FailureOr<linalg::VectorizationResult> v =
      linalg::vectorize(rewriter, target);
  if (failed(v))
    return;
  rewriter.replaceOp(target, v->replacements);
  // The permuted read becomes a read of the input's rows and a
  // vector.transpose, lowered here (and only here: the other kernels'
  // vectors keep their own lowering).
  auto write = v->replacements.front().getDefiningOp<vector::TransferWriteOp>();
  if (!write)
    return;
  SmallVector<Operation *> vectorOps{write};
  if (Operation *read = write.getVector().getDefiningOp())
    vectorOps.push_back(read);
  RewritePatternSet patterns(ctx);
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  bool block16 = (*sizes)[sizes->size() - 1] == 16 &&
                 llvm::count((*sizes), 16) == 2 && f32;
  vector::populateVectorTransposeLoweringPatterns(
      patterns, block16 ? vector::VectorTransposeLowering::Shuffle16x16
                        : vector::VectorTransposeLowering::Shuffle1D);
  vector::populateDropUnitDimWithShapeCastPatterns(patterns);
  vector::ShapeCastOp::getCanonicalizationPatterns(patterns, ctx);
  vector::TransposeOp::getCanonicalizationPatterns(patterns, ctx);
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  (void)applyOpPatternsGreedily(vectorOps, std::move(patterns), config);
}

struct VectorizeElementwisePass
    : mlir::dr1::impl::VectorizeElementwiseBase<VectorizeElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk(
        [&](linalg::TransposeOp op) { transposes.push_back(op); });
    for (linalg::TransposeOp op : transposes) {
      Type elt = getElementTypeOrSelf(op.getInit().getType());
      if (!elt.isIntOrFloat() || elt.isInteger(1))
        continue;
      vectorizeTranspose(
          rewriter, op,
          std::max<int64_t>(1, vectorBits / std::max<unsigned>(
                                                8, elt.getIntOrFloatBitWidth())));
    }
    for (linalg::GenericOp op : ops) {
      Type elt = getElementTypeOrSelf(op->getResult(0).getType());
      if (!elt.isIntOrFloat())
        continue;
      // An i1 buffer holds a byte per element, but a vector of i1 loads and
      // stores packed bits: masks in memory stay scalar (in registers,
      // inside one fused loop, they vectorize fine).
      if (llvm::any_of(op->getOperandTypes(), [](Type t) {
            return getElementTypeOrSelf(t).isInteger(1);
          }))
        continue;
      int64_t lanes = std::max<int64_t>(
          1, vectorBits / std::max<unsigned>(8, elt.getIntOrFloatBitWidth()));
      std::optional<SmallVector<int64_t>> sizes = tileSizes(op, lanes);
      // For an outer reduction, the tile's vector loop, moved innermost
      // once tiled: its vectors must be the innermost dim, or n-D math
      // (a fused SiLU's exp) is taken apart lane by lane.
      std::optional<unsigned> vectorLoop;
      if (!sizes) {
        // Reductions outside the contiguous dim: that dim is tiled in
        // vectors, with the reductions inside its tile loop, so that a
        // tile's partial sums stay in registers across them (subset
        // hoisting lifts them out of the reduction loops). Every other
        // loop runs one step at a time.
        std::optional<unsigned> inner = outerReductionLoop(op);
        if (!inner)
          continue;
        SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
        SmallVector<unsigned> order;
        for (unsigned i = 0; i < op.getNumLoops(); ++i)
          if (i != *inner && iters[i] == utils::IteratorType::parallel)
            order.push_back(i);
        order.push_back(*inner);
        vectorLoop = order.size() - 1;
        for (unsigned i = 0; i < op.getNumLoops(); ++i)
          if (iters[i] != utils::IteratorType::parallel)
            order.push_back(i);
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::GenericOp> swapped =
            linalg::interchangeGenericOp(rewriter, op, order);
        if (failed(swapped))
          continue;
        op = *swapped;
        int64_t n = op.getStaticLoopRanges()[*vectorLoop];
        int64_t t = divisorIn(n, lanes, 4 * lanes, lanes);
        if (!t && n <= 4 * lanes && n >= lanes / 2)
          t = n;
        if (!t)
          continue;
        sizes = SmallVector<int64_t>(op.getNumLoops(), 1);
        (*sizes)[*vectorLoop] = t;
      }
      Operation *target = op;
      if (llvm::any_of(*sizes, [](int64_t s) { return s != 0; })) {
        scf::SCFTilingOptions options;
        options.setTileSizes(
            llvm::map_to_vector(*sizes, [&](int64_t s) -> OpFoldResult {
              return rewriter.getIndexAttr(s);
            }));
        rewriter.setInsertionPoint(op);
        FailureOr<scf::SCFTilingResult> r = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
        if (failed(r))
          continue;
        rewriter.replaceOp(op, r->replacements);
        target = r->tiledOps.back();
      }
      if (vectorLoop) {
        auto tiled = cast<linalg::GenericOp>(target);
        SmallVector<unsigned> order;
        for (unsigned i = 0; i < tiled.getNumLoops(); ++i)
          if (i != *vectorLoop)
            order.push_back(i);
        order.push_back(*vectorLoop);
        rewriter.setInsertionPoint(tiled);
        FailureOr<linalg::GenericOp> swapped =
            linalg::interchangeGenericOp(rewriter, tiled, order);
        if (succeeded(swapped))
          target = *swapped;
      }
      rewriter.setInsertionPoint(target);
      FailureOr<linalg::VectorizationResult> v =
          linalg::vectorize(rewriter, target);
      if (failed(v)) {
        LLVM_DEBUG(llvm::dbgs() << "not vectorized: " << *target << "\n");
        continue;
      }
      rewriter.replaceOp(target, v->replacements);
    }
    // Reductions over unit dims (the outer-reduction tiles above) are
    // elementwise ops; folded first, the lowering below would take them
    // apart lane by lane.
    {
      RewritePatternSet unit(&getContext());
      vector::MultiDimReductionOp::getCanonicalizationPatterns(unit,
                                                               &getContext());
      if (failed(applyPatternsGreedily(getOperation(), std::move(unit))))
        return signalPassFailure();
    }
    // Row reductions as vector.reduction over the row (a tree of vector
    // ops once LLVM may reassociate them).
    RewritePatternSet patterns(&getContext());
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
