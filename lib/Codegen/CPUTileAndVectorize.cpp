//===- CPUTileAndVectorize.cpp - the dr1-cpu-tile-and-vectorize pass ------===//
//
// CPU strategy for matrix products on tensors:
//   1. pad M, N (and K when it has no good divisor) to multiples of the
//      register tile, so every tile below is full and static;
//   2. tile for the caches: N, then K, then M blocks, B read as contiguous
//      [kc, nr] strips (packed at compile time, or per block at run time);
//   3. tile for registers: mr x nr accumulators with K innermost;
//   4. vectorize the mr x nr x 1 products (vector.contract, lowered later to
//      outer products = broadcast + FMA);
// the accumulator is then hoisted out of the K loop by
// loop-invariant-subset-hoisting, so it lives in registers. An elementwise
// epilogue marked by dr1-fuse-epilogue is tiled with the product down to
// the register tile and applied to the accumulators before they are stored.
//
//===----------------------------------------------------------------------===//
#include "Codegen/FuseUtils.h"
#include "Codegen/Passes.h"
#include "Codegen/Work.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/ViewLikeInterfaceUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/MathExtras.h"

#define DEBUG_TYPE "dr1-cpu-tile-and-vectorize"

namespace mlir::dr1 {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZE
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

struct MatmulTiles {
  int64_t mr, nr;     // register tile
  int64_t mc, nc, kc; // cache tiles (divide the padded sizes)
  int64_t mcLimit;    // the most rows an M block may have
  int64_t mp, np, kp; // padded problem
};

/// Largest multiple of `step` that divides `total` and is <= `limit`
/// (at least `step`; `total` is a multiple of `step`).
int64_t dividingTile(int64_t total, int64_t step, int64_t limit) {
  int64_t best = step;
  for (int64_t t = step; t <= std::min(total, limit); t += step)
    if (total % t == 0)
      best = t;
  return best;
}

/// M's cache block: as dividingTile, unless that leaves slivers of A that
/// reuse each packed strip of B for a row tile or two (516 = 2 * 258 rows,
/// whose largest block of 6-row tiles up to 256 is 12 rows); then the
/// smallest dividing block up to twice `limit`. (Large products with no
/// such block are split instead: see tileAndVectorizeMatmul.)
int64_t rowBlock(int64_t total, int64_t step, int64_t limit) {
  int64_t best = dividingTile(total, step, limit);
  if (best == total || best * 4 >= limit)
    return best;
  for (int64_t t = best + step; t <= std::min(total, 2 * limit); t += step)
    if (total % t == 0)
      return t;
  return best;
}

/// Most columns of B in one cache block.
constexpr int64_t kMaxColumnBlock = 256;

MatmulTiles chooseMatmulTiles(int64_t m, int64_t n, int64_t k, int64_t lanes,
                              int64_t registers) {
  MatmulTiles t;
  // Two vectors of accumulators per row; rows so that accumulators, one
  // row of B and a broadcast of A fit the register file.
  int64_t rows = (registers - 4) / 2;
  t.mr = std::min<int64_t>(m, std::min<int64_t>(rows, 8));
  // Few rows (matrix-vector products): wider rows keep enough independent
  // accumulators in flight to hide the FMA latency. A power of two of
  // vectors: LLVM scalarizes loop-carried accumulators of 3 or 5 vectors
  // (5-row tiles, the last rows of a 197-row product, had 48-wide strips
  // and ran at 4 GFLOP/s).
  int64_t accumulators = registers / 2;
  int64_t vectorsPerRow = std::max<int64_t>(
      2, llvm::bit_floor(static_cast<uint64_t>(accumulators / t.mr)));
  vectorsPerRow = std::min<int64_t>(vectorsPerRow, llvm::divideCeil(n, lanes));
  t.nr = lanes * std::max<int64_t>(vectorsPerRow, 1);
  t.mp = llvm::alignTo(m, t.mr);
  t.np = llvm::alignTo(n, t.nr);
  // K in one block up to 512, or while a [K, nr] strip of B is at most a
  // quarter or so of a core's L2, from which it is streamed (each C tile is
  // then written once, its accumulators starting in registers, instead of
  // loaded from memory once per K block: 10% of a 1024^3 product's time on
  // AVX2, 8-10% of a 2048^3 one's on AVX-512): 64 KiB of f32 where cores
  // have 512 KiB - 1 MiB of L2 (AVX2, NEON: K = 1024 on AVX2's 16-wide
  // strips), 256 KiB on AVX-512 server cores, which have 1-2 MiB (K = 2048
  // on 32-wide strips: 2048^3 went from 0.84x to 0.94x OpenBLAS on a
  // 2 MiB-L2 Xeon). Longer K is cut in blocks of a quarter to all of that
  // which divide K, nearest half of it; else K is padded to a multiple of
  // half.
  int64_t stripFloats = lanes >= 16 ? 65536 : 16384;
  int64_t maxK = std::max<int64_t>(512, stripFloats / t.nr);
  t.kp = k;
  t.kc = k;
  if (k > maxK) {
    int64_t best = 0, target = maxK / 2;
    for (int64_t d = maxK / 4; d <= maxK; ++d)
      if (k % d == 0 &&
          (best == 0 || std::abs(d - target) < std::abs(best - target)))
        best = d;
    if (best) {
      t.kc = best;
    } else {
      t.kc = target;
      t.kp = llvm::alignTo(k, target);
    }
  }
  t.nc = dividingTile(t.np, t.nr, kMaxColumnBlock);
  // A's [mc, kc] block within ~512 KiB of L2.
  t.mcLimit = std::max<int64_t>(t.mr, std::min<int64_t>(256, 131072 / t.kc));
  t.mc = rowBlock(t.mp, t.mr, t.mcLimit);
  return t;
}

/// Fewest multiply-adds for which a product the tiles do not divide is split
/// rather than padded.
constexpr int64_t kMinSplitWork = int64_t(1) << 18;

/// Most elements of A for which a product with an epilogue takes K as one
/// block although K blocks were chosen: A then stays in L2 (~1 MiB of f32).
/// EfficientNet-B0's late 1x1 layers (M = 49 or 196, K = 672 or 1152) gain;
/// a 768-wide BERT at 128 tokens ran 8-10% slower when its K = 3072 down
/// projections took whole-K strips too (384 KiB each, far beyond L1).
constexpr int64_t kWholeKElements = 1 << 18;

/// Tiles for a product whose epilogue is applied in its register tiles, or
/// none. Every tile must hold final sums and be full: K is one block (a K
/// loop split in blocks would finish no tile before the last one) and M and
/// N are divided exactly, by a shorter row tile or by one-vector-wide strips
/// rather than padding (padding keeps the epilogue out, and costs a copy of
/// the output besides).
std::optional<MatmulTiles> epilogueTiles(MatmulTiles t, int64_t m, int64_t n,
                                         int64_t k, int64_t lanes,
                                         int64_t registers) {
  if (t.kc != k && m * k > kWholeKElements)
    return std::nullopt;
  t.kc = t.kp = k;
  if (n % t.nr) {
    // One vector per row (80, 112, 144, 240 channels on AVX-512), and more
    // rows to keep as many FMAs in flight. Strips of 3 vectors (48) or of
    // 24 or 40 lanes would divide more widths, but LLVM scalarizes the
    // loop-carried accumulators of such vector lengths (a 4x slowdown
    // measured on EfficientNet-B0).
    if (n % lanes)
      return std::nullopt;
    t.nr = lanes;
    t.np = n;
    t.nc = dividingTile(n, lanes, 256);
    t.mr = std::min<int64_t>({m, 14, registers - 3});
  }
  // Rows that the register tile does not divide (6-row AVX2 tiles, 64
  // rows): a slightly shorter tile that divides them.
  int64_t first = t.mr;
  for (int64_t mr = first; m % t.mr && mr * 2 > first; --mr)
    if (m % mr == 0)
      t.mr = mr;
  t.mp = llvm::alignTo(m, t.mr);
  if (t.mp != m || t.np != n)
    return std::nullopt;
  // A's [mc, K] block stays within ~512 KiB of L2 when K is long.
  t.mc = dividingTile(
      m, t.mr, std::max<int64_t>(t.mr, std::min<int64_t>(256, 131072 / k)));
  return t;
}

/// Columns [offset, offset + size) of every row of a 2-D constant, placed
/// at the top left of a zero constant of `shape`, computed at compile time;
/// null if its bytes are not at hand.
TypedAttr constantWindow(Attribute attr, RankedTensorType type,
                         ArrayRef<int64_t> shape, int64_t offset,
                         int64_t size) {
  Type elt = type.getElementType();
  if (type.getRank() != 2 || !elt.isIntOrFloat() ||
      elt.getIntOrFloatBitWidth() % 8 != 0)
    return nullptr;
  auto elements = dyn_cast<ElementsAttr>(attr);
  std::optional<ArrayRef<char>> data =
      elements ? dr1::getRawConstantData(elements) : std::nullopt;
  if (!data)
    return nullptr;
  ArrayRef<char> raw = *data;
  size_t eltBytes = elt.getIntOrFloatBitWidth() / 8;
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (raw.size() != static_cast<size_t>(rows * cols) * eltBytes)
    return nullptr;
  std::vector<char> out(shape[0] * shape[1] * eltBytes, 0);
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(out.data() + r * shape[1] * eltBytes,
                raw.data() + (r * cols + offset) * eltBytes, size * eltBytes);
  return DenseElementsAttr::getFromRawBuffer(RankedTensorType::get(shape, elt),
                                             out);
}

/// A 2-D constant grown to `shape` with zeros (weights are padded once, not
/// on every call); null if its bytes are not at hand.
TypedAttr padConstant(Attribute attr, RankedTensorType type,
                      ArrayRef<int64_t> shape) {
  return constantWindow(attr, type, shape, 0, type.getDimSize(1));
}

/// Columns [offset, offset + size) of a 2-D constant as a constant of their
/// own; null if `v` is not a constant whose bytes are at hand.
Value constantColumns(RewriterBase &b, Location loc, Value v, int64_t offset,
                      int64_t size) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return nullptr;
  auto type = cast<RankedTensorType>(v.getType());
  TypedAttr columns =
      constantWindow(attr, type, {type.getDimSize(0), size}, offset, size);
  return columns ? arith::ConstantOp::create(b, loc, columns).getResult()
                 : Value();
}

/// `v` grown to `shape` with zeros at the end of each dimension.
Value padWithZeros(RewriterBase &b, Location loc, Value v,
                   ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  Attribute attr;
  if (matchPattern(v, m_Constant(&attr)))
    if (TypedAttr padded = padConstant(attr, type, shape))
      return arith::ConstantOp::create(b, loc, padded);
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  Value empty = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  Value filled = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d : type.getShape())
    sizes.push_back(b.getIndexAttr(d));
  return tensor::InsertSliceOp::create(b, loc, v, filled, offsets, sizes,
                                       strides);
}

SmallVector<OpFoldResult> indexAttrs(RewriterBase &b, ArrayRef<int64_t> v) {
  return llvm::map_to_vector(
      v, [&](int64_t x) -> OpFoldResult { return b.getIndexAttr(x); });
}

FailureOr<Operation *> tile(RewriterBase &rewriter, Operation *op,
                            ArrayRef<int64_t> sizes,
                            ArrayRef<int64_t> interchange,
                            bool parallel = false) {
  scf::SCFTilingOptions options;
  options.setTileSizes(indexAttrs(rewriter, sizes));
  options.setInterchange(interchange);
  options.setLoopType(parallel ? scf::SCFTilingOptions::LoopType::ForallOp
                               : scf::SCFTilingOptions::LoopType::ForOp);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> r =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
  if (failed(r))
    return failure();
  rewriter.replaceOp(op, r->replacements);
  return r->tiledOps.back();
}

/// `v` with its floats extended to `elt` (an elementwise linalg.generic,
/// vectorized in contiguous runs by dr1-vectorize-elementwise). Where `v`
/// is the only result of an elementwise generic used nowhere else (the
/// rounding of an activation to bf16, fused with what computed it), that
/// generic yields the extended value instead: no second pass, no narrow
/// copy.
Value widenTensor(RewriterBase &b, Location loc, Value v, Type elt) {
  auto type = cast<RankedTensorType>(v.getType());
  auto producer = v.getDefiningOp<linalg::GenericOp>();
  if (producer && v.hasOneUse() && producer->getNumResults() == 1 &&
      producer.getNumDpsInits() == 1 &&
      producer.getNumLoops() == producer.getNumParallelLoops() &&
      producer.getIndexingMapsArray().back().isIdentity() &&
      !producer.payloadUsesValueFromOperand(producer.getDpsInitOperand(0))) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(producer);
    Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), elt);
    auto wide = linalg::GenericOp::create(
        b, producer.getLoc(), empty.getType(), producer.getDpsInputs(),
        ValueRange{empty}, producer.getIndexingMapsArray(),
        producer.getIteratorTypesArray());
    IRMapping map;
    Block &from = producer.getRegion().front();
    Block *to = b.createBlock(&wide.getRegion());
    for (BlockArgument arg : from.getArguments().drop_back())
      map.map(arg, to->addArgument(arg.getType(), arg.getLoc()));
    map.map(from.getArguments().back(),
            to->addArgument(elt, from.getArguments().back().getLoc()));
    for (Operation &op : from.without_terminator())
      b.clone(op, map);
    auto yield = cast<linalg::YieldOp>(from.getTerminator());
    Value out = map.lookup(yield.getOperand(0));
    linalg::YieldOp::create(
        b, yield.getLoc(), arith::ExtFOp::create(b, loc, elt, out).getResult());
    // The narrow result's one user takes the wide one; the narrow loop goes.
    v.getUses().begin()->set(wide.getResult(0));
    b.eraseOp(producer);
    return wide.getResult(0);
  }
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), elt);
  auto id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, empty.getType(), ValueRange{v}, ValueRange{empty},
             ArrayRef<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l,
                   arith::ExtFOp::create(nb, l, elt, args[0]).getResult());
             })
      .getResult(0);
}

LogicalResult vectorizeOp(RewriterBase &rewriter, Operation *op) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> r = linalg::vectorize(
      rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
      /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false,
      /*createNamedContraction=*/true);
  if (failed(r))
    return failure();
  rewriter.replaceOp(op, r->replacements);
  return success();
}

/// Packed copies of constants, one per (constant, tile width).
using PackedConstants = DenseMap<std::pair<Operation *, int64_t>, Value>;

/// Whether index `v` is provably a multiple of `t`: constants, induction
/// variables of loops whose bounds and steps are, and affine sums of them
/// (tile offsets).
bool isMultipleOf(OpFoldResult v, int64_t t, int depth = 0) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c % t == 0;
  auto value = dyn_cast<Value>(v);
  if (!value || depth > 8)
    return false;
  auto multiples = [&](ArrayRef<OpFoldResult> all) {
    return llvm::all_of(
        all, [&](OpFoldResult x) { return isMultipleOf(x, t, depth + 1); });
  };
  if (auto apply = value.getDefiningOp<affine::AffineApplyOp>()) {
    AffineMap map = apply.getAffineMap();
    SmallVector<AffineExpr> dims, syms;
    for (auto [i, operand] : llvm::enumerate(apply.getMapOperands())) {
      bool isDim = i < map.getNumDims();
      AffineExpr e =
          isDim ? getAffineDimExpr(i, apply.getContext())
                : getAffineSymbolExpr(i - map.getNumDims(), apply.getContext());
      if (isMultipleOf(operand, t, depth + 1))
        e = e * t;
      (isDim ? dims : syms).push_back(e);
    }
    AffineExpr e = map.getResult(0).replaceDimsAndSymbols(dims, syms);
    return e.getLargestKnownDivisor() % t == 0;
  }
  if (scf::ForOp loop = scf::getForInductionVarOwner(value))
    return multiples({loop.getLowerBound(), loop.getStep()});
  if (scf::ForallOp loop = scf::getForallOpThreadIndexOwner(value)) {
    unsigned i = cast<BlockArgument>(value).getArgNumber();
    return multiples({loop.getMixedLowerBound()[i], loop.getMixedStep()[i]});
  }
  return false;
}

/// `constant` ([d0, ..., dn-1, D]) as [D / t, d0, ..., dn-1, t], computed
/// at compile time; null if its bytes are not at hand.
Value packConstant(RewriterBase &rewriter, Value constant, int64_t t,
                   PackedConstants &packed) {
  Operation *def = constant.getDefiningOp();
  auto key = std::make_pair(def, t);
  if (Value v = packed.lookup(key))
    return v;
  auto type = cast<RankedTensorType>(constant.getType());
  Type elt = type.getElementType();
  ElementsAttr attr;
  if (!matchPattern(constant, m_Constant(&attr)) || !elt.isIntOrFloat() ||
      elt.getIntOrFloatBitWidth() % 8 != 0)
    return nullptr;
  std::optional<ArrayRef<char>> raw = dr1::getRawConstantData(attr);
  size_t bytes = elt.getIntOrFloatBitWidth() / 8;
  if (!raw || raw->size() != static_cast<size_t>(type.getNumElements()) * bytes)
    return nullptr;
  int64_t d = type.getShape().back();
  int64_t rows = type.getNumElements() / d;
  // Columns past the last whole block are left out: no tile t wide at a
  // multiple of t reads them (a split product reads them as its own part).
  std::vector<char> out((d / t) * rows * t * bytes);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < d / t; ++b)
      std::memcpy(out.data() + ((b * rows + r) * t) * bytes,
                  raw->data() + (r * d + b * t) * bytes, t * bytes);
  SmallVector<int64_t> shape{d / t};
  llvm::append_range(shape, type.getShape().drop_back());
  shape.push_back(t);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfter(def);
  Value v =
      arith::ConstantOp::create(rewriter, def->getLoc(),
                                DenseElementsAttr::getFromRawBuffer(
                                    RankedTensorType::get(shape, elt), out));
  packed[key] = v;
  return v;
}

/// Where a tile (`v`, an extract_slice) lies in the value its chain of
/// slices starts from (or in `root`, where the chain is followed up to
/// `root` only): that value, and the composed offsets, sizes and strides.
struct SliceOrigin {
  Value source;
  SmallVector<OpFoldResult> offsets, sizes, strides;
};
std::optional<SliceOrigin> sliceOrigin(RewriterBase &rewriter, Location loc,
                                       Value v, Value root = nullptr) {
  auto slice = v.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || !slice.getDroppedDims().none())
    return std::nullopt;
  SliceOrigin o{slice.getSource(), slice.getMixedOffsets(),
                slice.getMixedSizes(), slice.getMixedStrides()};
  while (o.source != root) {
    auto outer = o.source.getDefiningOp<tensor::ExtractSliceOp>();
    if (!outer)
      break;
    if (!outer.getDroppedDims().none())
      return std::nullopt;
    SmallVector<OpFoldResult> offsets, sizes, strides;
    if (failed(affine::mergeOffsetsSizesAndStrides(
            rewriter, loc, outer.getMixedOffsets(), outer.getMixedSizes(),
            outer.getMixedStrides(), outer.getDroppedDims(), o.offsets, o.sizes,
            o.strides, offsets, sizes, strides)))
      return std::nullopt;
    o.offsets = offsets, o.sizes = sizes, o.strides = strides;
    o.source = outer.getSource();
  }
  return o;
}

/// A tile of a constant (a convolution's [1, 1, ct, ft] filter slice, a
/// matmul's [kc, nr] strip of B), read through the slices tiling left, read
/// instead from a copy of the constant packed as [D / t, ..., t] (t: the
/// tile's innermost width): the tile is then one contiguous block, not rows
/// D elements apart, so it is streamed by the prefetchers and touches one or
/// two pages (a 3x3x512x512 filter spans 2300 4 KiB pages; one tile of its
/// unpacked rows, eight). Returns the packed tile, or null where the operand
/// is not such a tile. With `root` given, the slices are followed up to
/// `root` only, and `rootPacked` (`root` packed so, at run time) is read
/// instead of a constant.
Value packedTile(RewriterBase &rewriter, Operation *op, OpOperand &operand,
                 PackedConstants &packed, Value root = nullptr,
                 Value rootPacked = nullptr) {
  auto tileType = cast<RankedTensorType>(operand.get().getType());
  if (!tileType.hasStaticShape())
    return nullptr;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op->getLoc();
  std::optional<SliceOrigin> origin =
      sliceOrigin(rewriter, loc, operand.get(), root);
  if (!origin)
    return nullptr;
  Value source = origin->source;
  ArrayRef<OpFoldResult> offsets = origin->offsets, strides = origin->strides;
  int64_t t = tileType.getShape().back();
  auto whole = cast<RankedTensorType>(source.getType());
  if (source != root && root)
    return nullptr;
  if (!whole.hasStaticShape() || whole.getShape().back() <= t ||
      !isMultipleOf(offsets.back(), t) ||
      llvm::any_of(strides, [](OpFoldResult s) {
        return getConstantIntValue(s) != int64_t(1);
      }))
    return nullptr;
  Value p = root ? rootPacked : packConstant(rewriter, source, t, packed);
  if (!p)
    return nullptr;
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  SmallVector<OpFoldResult> packedOffsets{affine::makeComposedFoldedAffineApply(
      rewriter, loc, d0.floorDiv(t), {offsets.back()})};
  llvm::append_range(packedOffsets, ArrayRef(offsets).drop_back());
  packedOffsets.push_back(rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> packedSizes{rewriter.getIndexAttr(1)};
  for (int64_t d : tileType.getShape())
    packedSizes.push_back(rewriter.getIndexAttr(d));
  SmallVector<OpFoldResult> ones(packedSizes.size(), rewriter.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(rewriter, loc, tileType, p,
                                        packedOffsets, packedSizes, ones);
}

/// `b` ([K, N], N a multiple of `t`) packed at run time as [N / t, K, t],
/// one t-wide strip after another (each a vector copy once bufferized);
/// with `parallel`, the strips are shared out between threads.
Value packAtRunTime(RewriterBase &rewriter, Location loc, Value b, int64_t t,
                    bool parallel) {
  auto type = cast<RankedTensorType>(b.getType());
  int64_t k = type.getDimSize(0), strips = type.getDimSize(1) / t;
  auto stripType = RankedTensorType::get({k, t}, type.getElementType());
  Value empty = tensor::EmptyOp::create(rewriter, loc, {strips, k, t},
                                        type.getElementType());
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  auto copyStrip = [&](OpBuilder &b2, Value j) {
    OpFoldResult col = affine::makeComposedFoldedAffineApply(b2, loc, d0 * t,
                                                             {OpFoldResult(j)});
    return tensor::ExtractSliceOp::create(
        b2, loc, stripType, b, {b2.getIndexAttr(0), col},
        {b2.getIndexAttr(k), b2.getIndexAttr(t)},
        {b2.getIndexAttr(1), b2.getIndexAttr(1)});
  };
  SmallVector<OpFoldResult> sizes{rewriter.getIndexAttr(1),
                                  rewriter.getIndexAttr(k),
                                  rewriter.getIndexAttr(t)};
  SmallVector<OpFoldResult> ones(3, rewriter.getIndexAttr(1));
  if (parallel) {
    auto loop = scf::ForallOp::create(
        rewriter, loc, SmallVector<OpFoldResult>{rewriter.getIndexAttr(strips)},
        ValueRange{empty}, std::nullopt);
    OpBuilder body = OpBuilder::atBlockBegin(loop.getBody());
    Value j = loop.getInductionVar(0);
    Value strip = copyStrip(body, j);
    OpBuilder end = OpBuilder::atBlockEnd(loop.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        end, loc, strip, loop.getRegionIterArgs()[0],
        {OpFoldResult(j), end.getIndexAttr(0), end.getIndexAttr(0)}, sizes,
        ones);
    return loop.getResult(0);
  }
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value count = arith::ConstantIndexOp::create(rewriter, loc, strips);
  auto loop = scf::ForOp::create(
      rewriter, loc, zero, count, one, ValueRange{empty},
      [&](OpBuilder &b2, Location, Value j, ValueRange acc) {
        Value strip = copyStrip(b2, j);
        Value next = tensor::InsertSliceOp::create(
            b2, loc, strip, acc[0],
            {OpFoldResult(j), b2.getIndexAttr(0), b2.getIndexAttr(0)}, sizes,
            ones);
        scf::YieldOp::create(b2, loc, next);
      });
  return loop.getResult(0);
}

/// A product whose constant B is block diagonal: B[k, n] is zero unless
/// k / kg == (n + offset) / ng. Grouped 1x1 convolutions are lowered so
/// (dr1.block_diagonal = [kg, ng, offset]): one product over all groups,
/// whose epilogue is fused and whose output is written once, where one
/// product per group had group widths (28, 34, 68) that no register tile
/// divides and a separate bias/activation pass.
struct BlockDiagonal {
  int64_t kg, ng, offset;
};

std::optional<BlockDiagonal> getBlockDiagonal(Operation *op) {
  auto a = op->getAttrOfType<DenseI64ArrayAttr>("dr1.block_diagonal");
  if (!a || a.size() != 3 || a[0] <= 0 || a[1] <= 0 || a[2] < 0)
    return std::nullopt;
  return BlockDiagonal{a[0], a[1], a[2]};
}

void setBlockDiagonal(Operation *op, const BlockDiagonal &d) {
  op->setAttr("dr1.block_diagonal",
              DenseI64ArrayAttr::get(op->getContext(), {d.kg, d.ng, d.offset}));
}

/// How many rows of B (K = k) an nr-wide strip of [0, n) reads: those of
/// the groups its columns meet, for the strip that meets most (two groups
/// where nr <= ng).
int64_t blockRows(const BlockDiagonal &d, int64_t n, int64_t k, int64_t nr) {
  int64_t groups = k / d.kg, rows = d.kg;
  for (int64_t n0 = 0; n0 < n; n0 += nr) {
    int64_t lo = std::min((n0 + d.offset) / d.ng, groups - 1);
    int64_t hi = std::min((n0 + d.offset + nr - 1) / d.ng, groups - 1);
    rows = std::max(rows, (hi - lo + 1) * d.kg);
  }
  return std::min(rows, k);
}

/// The first of the `rows` rows of B that the strip at column `n0` reads
/// (its first group's, or the last `rows` of B).
AffineMap firstBlockRow(MLIRContext *ctx, const BlockDiagonal &d, int64_t k,
                        int64_t rows) {
  AffineExpr n0 = getAffineDimExpr(0, ctx);
  return AffineMap::get(1, 0,
                        {(n0 + d.offset).floorDiv(d.ng) * d.kg,
                         getAffineConstantExpr(k - rows, ctx)},
                        ctx);
}

/// Constant B ([k, n], n a multiple of nr) packed as [n / nr, rows, nr]:
/// strip j holds the `rows` rows from firstBlockRow(j * nr), the only ones
/// that may be nonzero in its columns. Null if B's bytes are not at hand.
Value packBlockDiagonal(RewriterBase &rewriter, Value b, const BlockDiagonal &d,
                        int64_t nr, int64_t rows) {
  auto type = cast<RankedTensorType>(b.getType());
  Type elt = type.getElementType();
  ElementsAttr attr;
  if (!matchPattern(b, m_Constant(&attr)) || !elt.isIntOrFloat() ||
      elt.getIntOrFloatBitWidth() % 8 != 0)
    return nullptr;
  std::optional<ArrayRef<char>> raw = dr1::getRawConstantData(attr);
  size_t bytes = elt.getIntOrFloatBitWidth() / 8;
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  if (!raw || n % nr || raw->size() != static_cast<size_t>(k * n) * bytes)
    return nullptr;
  std::vector<char> out(n * rows * bytes);
  for (int64_t j = 0; j < n / nr; ++j) {
    int64_t first = std::min((j * nr + d.offset) / d.ng * d.kg, k - rows);
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(out.data() + ((j * rows + r) * nr) * bytes,
                  raw->data() + ((first + r) * n + j * nr) * bytes, nr * bytes);
  }
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfter(b.getDefiningOp());
  return arith::ConstantOp::create(
      rewriter, b.getLoc(),
      DenseElementsAttr::getFromRawBuffer(
          RankedTensorType::get({n / nr, rows, nr}, elt), out));
}

/// `mm`, an nr-wide strip of a block-diagonal product (whole K), as the
/// product of the `rows` rows of B its columns may have nonzero, read from
/// `packedB` (packBlockDiagonal), by the matching columns of A.
struct RestrictedStrip {
  linalg::MatmulOp op;
  OpFoldResult column; // the strip's first column in B
  int64_t k;           // B's rows
};
FailureOr<RestrictedStrip> restrictToBlocks(RewriterBase &rewriter,
                                            linalg::MatmulOp mm,
                                            const BlockDiagonal &d, int64_t nr,
                                            int64_t rows, Value packedB) {
  Location loc = mm.getLoc();
  rewriter.setInsertionPoint(mm);
  std::optional<SliceOrigin> origin =
      sliceOrigin(rewriter, loc, mm.getInputs()[1]);
  auto aType = cast<RankedTensorType>(mm.getInputs()[0].getType());
  auto bType = cast<RankedTensorType>(mm.getInputs()[1].getType());
  if (!origin || origin->offsets.size() != 2 ||
      !matchPattern(origin->source, m_Constant()) ||
      bType.getDimSize(1) != nr || !isMultipleOf(origin->offsets[1], nr))
    return failure();
  int64_t k = cast<RankedTensorType>(origin->source.getType()).getDimSize(0);
  if (aType.getDimSize(1) != k || bType.getDimSize(0) != k)
    return failure();
  OpFoldResult n0 = origin->offsets[1];
  OpFoldResult first = affine::makeComposedFoldedAffineMin(
      rewriter, loc, firstBlockRow(rewriter.getContext(), d, k, rows), {n0});
  AffineExpr e = rewriter.getAffineDimExpr(0);
  OpFoldResult strip = affine::makeComposedFoldedAffineApply(
      rewriter, loc, e.floorDiv(nr), {n0});
  auto index = [&](int64_t v) -> OpFoldResult {
    return rewriter.getIndexAttr(v);
  };
  int64_t m = aType.getDimSize(0);
  Value a = tensor::ExtractSliceOp::create(
      rewriter, loc, RankedTensorType::get({m, rows}, aType.getElementType()),
      mm.getInputs()[0], {index(0), first}, {index(m), index(rows)},
      {index(1), index(1)});
  Value b = tensor::ExtractSliceOp::create(
      rewriter, loc, RankedTensorType::get({rows, nr}, bType.getElementType()),
      packedB, {strip, index(0), index(0)}, {index(1), index(rows), index(nr)},
      {index(1), index(1), index(1)});
  auto restricted = linalg::MatmulOp::create(rewriter, loc, ValueRange{a, b},
                                             mm.getOutputs()[0]);
  rewriter.replaceOp(mm, restricted.getResult(0));
  return RestrictedStrip{restricted, n0, k};
}

/// The K loop around `tiled` (a register tile of a restricted strip, K
/// tiled by 1) bounded to the rows of the groups the strip's columns meet:
/// a strip inside one group multiplies its kg rows only, one across two
/// groups 2 kg, instead of all `rows` (ShuffleNet's 68-channel groups: 84
/// rows on average per 16-wide strip, not 136).
void boundBlockLoop(RewriterBase &rewriter, Operation *tiled,
                    const RestrictedStrip &strip, const BlockDiagonal &d,
                    int64_t nr, int64_t rows) {
  auto loop = dyn_cast<scf::ForOp>(tiled->getParentOp());
  if (!loop || getConstantIntValue(loop.getLowerBound()) != int64_t(0) ||
      getConstantIntValue(loop.getUpperBound()) != rows ||
      getConstantIntValue(loop.getStep()) != int64_t(1))
    return;
  MLIRContext *ctx = rewriter.getContext();
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  int64_t groups = strip.k / d.kg;
  AffineExpr n0 = getAffineDimExpr(0, ctx);
  auto minOf = [&](AffineExpr a, int64_t b) {
    return affine::makeComposedFoldedAffineMin(
        rewriter, loc,
        AffineMap::get(1, 0, {a, getAffineConstantExpr(b, ctx)}, ctx),
        {strip.column});
  };
  // B's nonzero rows for the strip: [begin, end), `first` its first read.
  OpFoldResult begin =
      minOf((n0 + d.offset).floorDiv(d.ng) * d.kg, (groups - 1) * d.kg);
  OpFoldResult end = minOf(((n0 + d.offset + nr - 1).floorDiv(d.ng) + 1) * d.kg,
                           groups * d.kg);
  OpFoldResult first = affine::makeComposedFoldedAffineMin(
      rewriter, loc, firstBlockRow(ctx, d, strip.k, rows), {strip.column});
  AffineExpr x = getAffineDimExpr(0, ctx), y = getAffineDimExpr(1, ctx);
  Value lb = getValueOrCreateConstantIndexOp(
      rewriter, loc,
      affine::makeComposedFoldedAffineApply(rewriter, loc, x - y,
                                            {begin, first}));
  Value ub =
      getValueOrCreateConstantIndexOp(rewriter, loc,
                                      affine::makeComposedFoldedAffineApply(
                                          rewriter, loc, x - y, {end, first}));
  rewriter.modifyOpInPlace(loop, [&] {
    loop.setLowerBound(lb);
    loop.setUpperBound(ub);
  });
}

/// What a block-diagonal product's strips read: `rows` rows of `packedB`.
struct BlockRestriction {
  BlockDiagonal diagonal;
  int64_t rows;
  Value packedB;
};

/// The restriction for `mm` (B constant, [k, np]) under tiles `t`, where K
/// is one block and the strips need fewer than all K rows.
std::optional<BlockRestriction> blockRestriction(RewriterBase &rewriter,
                                                 linalg::MatmulOp mm,
                                                 std::optional<BlockDiagonal> d,
                                                 const MatmulTiles &t) {
  if (!d)
    return std::nullopt;
  auto bType = cast<RankedTensorType>(mm.getInputs()[1].getType());
  int64_t k = bType.getDimSize(0);
  if (t.kc != k || t.kp != k || bType.getDimSize(1) != t.np)
    return std::nullopt;
  int64_t rows = blockRows(*d, t.np, k, t.nr);
  if (rows >= k)
    return std::nullopt;
  Value packedB =
      packBlockDiagonal(rewriter, mm.getInputs()[1], *d, t.nr, rows);
  if (!packedB)
    return std::nullopt;
  return BlockRestriction{*d, rows, packedB};
}

/// How a matmul's work is shared between threads: the nr-wide strips of
/// each B block, or its M blocks (each thread then packs its own strips).
struct MatmulThreads {
  bool strips = false, rows = false;
};

MatmulThreads chooseMatmulThreads(Operation *op, const MatmulTiles &t,
                                  int64_t m, int64_t n, int64_t k,
                                  bool parallel) {
  MatmulThreads r;
  // Products already inside a parallel loop (attention blocks) stay serial.
  bool nested = op->getParentOfType<scf::ForallOp>() ||
                op->getParentOfType<scf::ParallelOp>();
  if (!parallel || nested || m * n * k < dr1::kMinParallelWork)
    return r;
  // (Blocks of a few rows, when M has no better divisor, cost more in
  // fork/join than they share.)
  bool rowsPossible = t.mp / t.mc >= 2 && t.mc >= 4 * t.mr;
  // Tall products with few strips per block (1x1 convolutions: M = H*W,
  // N = 96 channels is 3 strips, which 2 threads split 2:1) share rows:
  // one fork/join per product instead of one per block, and balanced
  // (MobileNetV2 on 2 threads: 1.11x at batch 1, 1.16x at batch 8).
  bool fewStrips = t.nc / t.nr < 8 && t.mp / t.mc >= 4;
  r.rows = rowsPossible && (t.nc <= t.nr || fewStrips);
  r.strips = !r.rows && t.nc > t.nr;
  return r;
}

/// The elementwise consumer dr1-fuse-epilogue marked `op`'s result for
/// (checked again: passes in between may have taken it into other loops).
linalg::GenericOp markedEpilogue(linalg::MatmulOp op) {
  if (!op->hasAttr("dr1.fuse_epilogue"))
    return nullptr;
  return dr1::matmulEpilogue(op);
}

/// `epilogue` tiled by `sizes` (loops in `interchange` order) with `mm`, and
/// the op initialising its accumulator, fused into the loops.
FailureOr<std::pair<linalg::GenericOp, linalg::MatmulOp>>
tileWithEpilogue(RewriterBase &rewriter, linalg::GenericOp epilogue,
                 linalg::MatmulOp mm, ArrayRef<int64_t> sizes,
                 ArrayRef<int64_t> interchange, bool parallel) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(indexAttrs(rewriter, sizes));
  tiling.setInterchange(interchange);
  tiling.setLoopType(parallel ? scf::SCFTilingOptions::LoopType::ForallOp
                              : scf::SCFTilingOptions::LoopType::ForOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  Operation *initOp = mm.getOutputs()[0].getDefiningOp();
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        Operation *op = producer.getOwner();
        if (op == mm.getOperation() ||
            (op == initOp && isa<linalg::FillOp, linalg::GenericOp>(op)))
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
  rewriter.setInsertionPoint(epilogue);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(epilogue.getOperation()), options);
  if (failed(fused))
    return failure();
  linalg::MatmulOp tiledMM;
  for (Operation *op : fused->tiledAndFusedOps)
    if (auto m = dyn_cast<linalg::MatmulOp>(op))
      tiledMM = m;
  if (!tiledMM || !tiledMM->getResult(0).hasOneUse())
    return failure();
  auto tiledEpilogue =
      dyn_cast<linalg::GenericOp>(*tiledMM->getResult(0).getUsers().begin());
  if (!tiledEpilogue)
    return failure();
  dr1::commitFusion(rewriter, *fused);
  for (Operation *op : {epilogue.getOperation(), mm.getOperation(), initOp})
    if (op && op->use_empty())
      rewriter.eraseOp(op);
  return std::make_pair(tiledEpilogue, tiledMM);
}

/// The matmul strategy with an epilogue: cache blocks (N, then M), nr-wide
/// strips of B (packed), mr x nr register tiles whose accumulators, once K
/// is summed, go through the epilogue before anything is stored. Once the
/// first level is tiled there is no way back: a failure leaves correct but
/// untiled code.
LogicalResult tileMatmulWithEpilogue(RewriterBase &rewriter,
                                     linalg::MatmulOp op,
                                     linalg::GenericOp epilogue,
                                     const MatmulTiles &t, bool parallel,
                                     PackedConstants &packed,
                                     std::optional<BlockRestriction> blocks) {
  auto aType = cast<RankedTensorType>(op.getInputs()[0].getType());
  int64_t m = aType.getDimSize(0), k = aType.getDimSize(1);
  int64_t n = cast<RankedTensorType>(op.getInputs()[1].getType()).getDimSize(1);
  MatmulThreads threads = chooseMatmulThreads(op, t, m, n, k, parallel);
  bool parallelStrips = threads.strips, parallelBlocks = threads.rows;
  // `op` is erased by the first tiling below.
  Location loc = op.getLoc();
  // Cache blocks, N outermost: the B block stays in cache while A's blocks
  // stream through.
  auto block = tileWithEpilogue(rewriter, epilogue, op, {t.mc, t.nc}, {1, 0},
                                parallelBlocks);
  if (failed(block))
    return failure();
  auto strip = tileWithEpilogue(rewriter, block->first, block->second,
                                {0, t.nr}, {}, parallelStrips);
  if (failed(strip))
    return failure();
  linalg::MatmulOp stripMM = strip->second;
  OpOperand &bOperand = stripMM.getInputsMutable()[1];
  FailureOr<RestrictedStrip> restricted = failure();
  if (blocks)
    restricted = restrictToBlocks(rewriter, stripMM, blocks->diagonal, t.nr,
                                  blocks->rows, blocks->packedB);
  if (succeeded(restricted)) {
    stripMM = restricted->op;
  } else if (Value p = packedTile(rewriter, stripMM, bOperand, packed)) {
    rewriter.modifyOpInPlace(stripMM, [&] { bOperand.set(p); });
  } else if (t.mc > t.mr) {
    rewriter.setInsertionPoint(stripMM);
    Value bStrip = stripMM.getInputs()[1];
    auto bType = cast<RankedTensorType>(bStrip.getType());
    Value empty = tensor::EmptyOp::create(rewriter, loc, bType.getShape(),
                                          bType.getElementType());
    Value packed =
        linalg::CopyOp::create(rewriter, loc, bStrip, empty).getResult(0);
    rewriter.modifyOpInPlace(
        stripMM, [&] { stripMM.getInputsMutable()[1].set(packed); });
  }
  auto micro =
      tileWithEpilogue(rewriter, strip->first, stripMM, {t.mr, 0}, {}, false);
  if (failed(micro))
    return failure();
  auto [tileEpilogue, tileMM] = *micro;
  Operation *tileInit = tileMM.getOutputs()[0].getDefiningOp();
  FailureOr<Operation *> kLoop = tile(rewriter, tileMM, {0, 0, 1}, {});
  if (failed(kLoop))
    return failure();
  if (succeeded(restricted))
    boundBlockLoop(rewriter, *kLoop, *restricted, blocks->diagonal, t.nr,
                   blocks->rows);
  if (failed(vectorizeOp(rewriter, *kLoop)))
    return failure();
  if (tileInit && isa<linalg::FillOp, linalg::GenericOp>(tileInit) &&
      failed(vectorizeOp(rewriter, tileInit)))
    return failure();
  return vectorizeOp(rewriter, tileEpilogue);
}

LogicalResult tileAndVectorizeMatmul(RewriterBase &rewriter,
                                     linalg::MatmulOp op, int64_t lanes,
                                     int64_t registers, bool parallel,
                                     PackedConstants &packed);

/// `op` as two products, over rows [0, rowsAt) and [rowsAt, M) or, with
/// `rowsAt` 0, over columns [0, colsAt) and [colsAt, N), each then tiled.
/// A fill of C becomes a fill of each part.
LogicalResult splitMatmul(RewriterBase &rewriter, linalg::MatmulOp op,
                          int64_t rowsAt, int64_t colsAt, int64_t lanes,
                          int64_t registers, bool parallel,
                          PackedConstants &packed) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto cType = cast<RankedTensorType>(op.getOutputs()[0].getType());
  int64_t m = cType.getDimSize(0), n = cType.getDimSize(1);
  bool byRows = rowsAt != 0;
  int64_t at = byRows ? rowsAt : colsAt, total = byRows ? m : n;
  auto slice = [&](Value v, int64_t offset, int64_t size) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> offsets{0, 0}, sizes(type.getShape());
    offsets[byRows ? 0 : 1] = offset;
    sizes[byRows ? 0 : 1] = size;
    return tensor::ExtractSliceOp::create(
        rewriter, loc, v, indexAttrs(rewriter, offsets),
        indexAttrs(rewriter, sizes), indexAttrs(rewriter, {1, 1}));
  };
  auto fill = op.getOutputs()[0].getDefiningOp<linalg::FillOp>();
  Value c = fill ? fill.getOutputs()[0] : op.getOutputs()[0];
  Value a = op.getInputs()[0], b = op.getInputs()[1];
  SmallVector<linalg::MatmulOp, 2> parts;
  for (auto [offset, size] :
       {std::pair{int64_t(0), at}, std::pair{at, total - at}}) {
    Value init = slice(c, offset, size);
    if (fill)
      init = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], init)
                 .getResult(0);
    Value partA = byRows ? Value(slice(a, offset, size)) : a;
    // Constant weights are split at compile time: each part's strips are
    // then packed from its own columns, not from a whole second copy.
    Value partB = b;
    if (!byRows) {
      partB = constantColumns(rewriter, loc, b, offset, size);
      if (!partB)
        partB = slice(b, offset, size);
    }
    auto part =
        linalg::MatmulOp::create(rewriter, loc, ValueRange{partA, partB}, init);
    if (std::optional<BlockDiagonal> d = getBlockDiagonal(op)) {
      if (!byRows)
        d->offset += offset;
      setBlockDiagonal(part, *d);
    }
    parts.push_back(part);
    c = tensor::InsertSliceOp::create(
        rewriter, loc, part.getResult(0), c,
        indexAttrs(rewriter, {byRows ? offset : 0, byRows ? 0 : offset}),
        indexAttrs(rewriter, {byRows ? size : m, byRows ? n : size}),
        indexAttrs(rewriter, {1, 1}));
  }
  rewriter.replaceOp(op, c);
  LogicalResult first = tileAndVectorizeMatmul(rewriter, parts[0], lanes,
                                               registers, parallel, packed);
  LogicalResult second = tileAndVectorizeMatmul(rewriter, parts[1], lanes,
                                                registers, parallel, packed);
  return success(succeeded(first) && succeeded(second));
}

LogicalResult tileAndVectorizeMatmul(RewriterBase &rewriter,
                                     linalg::MatmulOp op, int64_t lanes,
                                     int64_t registers, bool parallel,
                                     PackedConstants &packed) {
  auto aType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto bType = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  auto cType = dyn_cast<RankedTensorType>(op.getOutputs()[0].getType());
  if (!aType || !bType || !cType || !aType.hasStaticShape() ||
      !bType.hasStaticShape() || !cType.hasStaticShape() ||
      !op.hasPureTensorSemantics())
    return failure();
  // Only the canonical row-major form (the dr1 lowering's output).
  if (op.getIndexingMapsArray() !=
      linalg::MatmulOp::getDefaultIndexingMaps(op.getContext()))
    return failure();
  int64_t m = aType.getDimSize(0), k = aType.getDimSize(1),
          n = bType.getDimSize(1);
  MatmulTiles t = chooseMatmulTiles(m, n, k, lanes, registers);
  LLVM_DEBUG(llvm::dbgs() << "matmul " << m << "x" << n << "x" << k
                          << ": register " << t.mr << "x" << t.nr << ", cache "
                          << t.mc << "x" << t.nc << "x" << t.kc << ", padded "
                          << t.mp << "x" << t.np << "x" << t.kp << "\n");

  // f16 / bf16 operands of an f32 product are widened: A once, whole (each
  // of its blocks is read once per column block), B as each strip is
  // packed. The micro-kernel then multiplies f32 by f32 on FMAs.
  Type cElt = cType.getElementType();
  auto narrowFloat = [&](Type t) { return isa<FloatType>(t) && t != cElt; };
  bool widenB = narrowFloat(bType.getElementType());
  if (narrowFloat(aType.getElementType()) && isa<FloatType>(cElt)) {
    rewriter.setInsertionPoint(op);
    aType = RankedTensorType::get(aType.getShape(), cElt);
    Value wide = widenTensor(rewriter, op.getLoc(), op.getInputs()[0], cElt);
    rewriter.modifyOpInPlace(op, [&] { op.getInputsMutable()[0].set(wide); });
  }
  std::optional<BlockDiagonal> diagonal = getBlockDiagonal(op);
  if (linalg::GenericOp epilogue =
          widenB ? linalg::GenericOp() : markedEpilogue(op))
    if (std::optional<MatmulTiles> e =
            epilogueTiles(t, m, n, k, lanes, registers))
      return tileMatmulWithEpilogue(
          rewriter, op, epilogue, *e, parallel, packed,
          blockRestriction(rewriter, op, diagonal, *e));
  // Where the tiles do not divide the product well, it is split in two
  // (each part tiled on its own) rather than padded: padding copies all of
  // A in and all of C out (10% of a 1024^3 product's time on AVX2) and
  // keeps C's fill out of the register tiles. Loop-carried accumulators
  // (attention) keep the padding: their result must come back in their
  // own buffer. Small products stay whole: their padding costs little
  // time, and one kernel is less code than two or four.
  if (!op->getParentOfType<scf::ForOp>() && m * n * k >= kMinSplitWork) {
    int64_t rowsAt = 0, colsAt = 0;
    if (m % t.mr && m > t.mr) {
      // Rows the register tile does not divide (6-row AVX2 tiles at 1024
      // rows): the rest gets a register tile as tall as it is.
      rowsAt = m - m % t.mr;
    } else if (t.mc * 4 < t.mcLimit && t.mc != t.mp) {
      // M blocks would be slivers (996 = 6 * 166 rows: 12): whole blocks
      // of the largest size, then the rest.
      int64_t block = t.mcLimit - t.mcLimit % t.mr;
      if (m % block)
        rowsAt = m - m % block;
    } else if (n % t.nr && n > t.nr) {
      // Columns the strips do not divide: the rest in narrower strips.
      colsAt = n - n % t.nr;
    } else if (t.nc * 4 < kMaxColumnBlock && t.nc != t.np) {
      // N blocks would be slivers (992 = 16 * 62 columns: 32), each
      // reading all of A again.
      int64_t block = kMaxColumnBlock - kMaxColumnBlock % t.nr;
      if (n % block)
        colsAt = n - n % block;
    }
    if (rowsAt || colsAt)
      return splitMatmul(rewriter, op, rowsAt, colsAt, lanes, registers,
                         parallel, packed);
  }
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  // One K block and no padding: each register tile's sums are final once
  // its K loop ends, so the fill of C moves into the register tiles (its
  // accumulators start from the fill value, not from loads of C).
  linalg::FillOp fill;
  if (t.kc == k && t.kp == k && t.mp == m && t.np == n)
    fill = op.getOutputs()[0].getDefiningOp<linalg::FillOp>();
  if (fill)
    rewriter.modifyOpInPlace(
        op, [&] { op.getOutputsMutable()[0].set(fill.getOutputs()[0]); });
  Operation *mm = op;
  if (t.mp != m || t.np != n || t.kp != k) {
    Value a = padWithZeros(rewriter, loc, op.getInputs()[0], {t.mp, t.kp});
    Value b = padWithZeros(rewriter, loc, op.getInputs()[1], {t.kp, t.np});
    Value c = padWithZeros(rewriter, loc, op.getOutputs()[0], {t.mp, t.np});
    auto padded = linalg::MatmulOp::create(rewriter, loc, ValueRange{a, b}, c);
    if (diagonal)
      setBlockDiagonal(padded, *diagonal);
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, loc, cType, padded.getResult(0), indexAttrs(rewriter, {0, 0}),
        indexAttrs(rewriter, {m, n}), indexAttrs(rewriter, {1, 1}));
    // A loop-carried accumulator (attention's running output) must come
    // back in its own buffer for bufferization to keep it in place.
    if (op->getParentOfType<scf::ForOp>())
      slice = linalg::CopyOp::create(rewriter, loc, slice, op.getOutputs()[0])
                  .getResult(0);
    rewriter.replaceOp(op, slice);
    mm = padded;
  }
  // (`op` may be gone: `mm` has its place.)
  // (Narrow B is widened strip by strip below, unrestricted.)
  std::optional<BlockRestriction> blocks =
      widenB ? std::nullopt
             : blockRestriction(rewriter, cast<linalg::MatmulOp>(mm), diagonal,
                                t);
  MatmulThreads threads = chooseMatmulThreads(mm, t, m, n, k, parallel);
  bool parallelStrips = threads.strips;
  if (threads.rows) {
    FailureOr<Operation *> rows = tile(rewriter, mm, {t.mc, 0, 0}, {}, true);
    if (failed(rows))
      return failure();
    mm = *rows;
  }
  // Cache blocks: N outermost, then K, then M: the B block stays in L2/L3
  // while A's blocks stream through. B is read one nr-wide strip at a time
  // from a contiguous [kc, nr] block: the micro-kernel then streams it
  // instead of striding through B (whose rows, 4 KiB or more apart, alias
  // cache sets and each take a TLB entry). Constant B (weights) comes so
  // packed from compile time. Otherwise, where several M blocks reuse a B
  // block, the whole [kc, nc] block is packed once, as [nc / nr, kc, nr],
  // before its M loop (BLIS's packing of B); else each strip is copied
  // where it is used. With threads, strips are shared out between them,
  // both for packing and for the products.
  Value bIn = cast<linalg::MatmulOp>(mm).getInputs()[1];
  bool packBlocks = !threads.rows && !widenB && t.mp / t.mc >= 2 &&
                    !matchPattern(bIn, m_Constant());
  Value bBlock, packedBlock;
  FailureOr<Operation *> block;
  if (packBlocks) {
    FailureOr<Operation *> nk = tile(rewriter, mm, {0, t.nc, t.kc}, {1, 2, 0});
    if (failed(nk))
      return failure();
    auto nkOp = cast<linalg::MatmulOp>(*nk);
    rewriter.setInsertionPoint(nkOp);
    bBlock = nkOp.getInputs()[1];
    packedBlock = packAtRunTime(rewriter, loc, bBlock, t.nr, parallelStrips);
    block = tile(rewriter, nkOp, {t.mc, 0, 0}, {});
  } else {
    block = tile(rewriter, mm, {t.mc, t.nc, t.kc}, {1, 2, 0});
  }
  if (failed(block))
    return failure();
  FailureOr<Operation *> strip =
      tile(rewriter, *block, {0, t.nr, 0}, {}, parallelStrips);
  if (failed(strip))
    return failure();
  auto stripOp = cast<linalg::MatmulOp>(*strip);
  FailureOr<RestrictedStrip> restricted = failure();
  if (blocks)
    restricted = restrictToBlocks(rewriter, stripOp, blocks->diagonal, t.nr,
                                  blocks->rows, blocks->packedB);
  if (succeeded(restricted)) {
    stripOp = restricted->op;
  } else if (packBlocks) {
    Value b = packedTile(rewriter, stripOp, stripOp.getInputsMutable()[1],
                         packed, bBlock, packedBlock);
    if (!b && t.nc == t.nr) {
      // One strip per block (a narrow rest of a split product): tiling
      // left the block whole.
      rewriter.setInsertionPoint(stripOp);
      b = tensor::CollapseShapeOp::create(
          rewriter, loc, stripOp.getInputs()[1].getType(), packedBlock,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    }
    // (Where the strip's slice of the block is not found, it is read from
    // B as it is: slower, still right.)
    if (b)
      rewriter.modifyOpInPlace(stripOp,
                               [&] { stripOp.getInputsMutable()[1].set(b); });
  } else {
    Value packedB =
        packedTile(rewriter, stripOp, stripOp.getInputsMutable()[1], packed);
    if (packedB && !widenB) {
      rewriter.modifyOpInPlace(
          stripOp, [&] { stripOp.getInputsMutable()[1].set(packedB); });
    } else if (t.mc > t.mr || widenB) {
      rewriter.setInsertionPoint(stripOp);
      Value bStrip = packedB ? packedB : stripOp.getInputs()[1];
      auto bType = cast<RankedTensorType>(bStrip.getType());
      Value copy;
      if (widenB) {
        copy = widenTensor(rewriter, loc, bStrip, cElt);
      } else {
        Value empty = tensor::EmptyOp::create(rewriter, loc, bType.getShape(),
                                              bType.getElementType());
        copy =
            linalg::CopyOp::create(rewriter, loc, bStrip, empty).getResult(0);
      }
      rewriter.modifyOpInPlace(
          stripOp, [&] { stripOp.getInputsMutable()[1].set(copy); });
    }
  }
  // Register tiles: mr rows at a time, K innermost.
  auto bound = [&](Operation *tiled) {
    if (succeeded(restricted))
      boundBlockLoop(rewriter, tiled, *restricted, blocks->diagonal, t.nr,
                     blocks->rows);
  };
  if (!fill) {
    FailureOr<Operation *> micro = tile(rewriter, stripOp, {t.mr, 0, 1}, {});
    if (failed(micro))
      return failure();
    bound(*micro);
    return vectorizeOp(rewriter, *micro);
  }
  FailureOr<Operation *> rows = tile(rewriter, stripOp, {t.mr, 0, 0}, {});
  if (failed(rows))
    return failure();
  auto rowsOp = cast<linalg::MatmulOp>(*rows);
  rewriter.setInsertionPoint(rowsOp);
  auto tileFill = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0],
                                         rowsOp.getOutputs()[0]);
  rewriter.modifyOpInPlace(rowsOp, [&] {
    rowsOp.getOutputsMutable()[0].set(tileFill.getResult(0));
  });
  FailureOr<Operation *> micro = tile(rewriter, rowsOp, {0, 0, 1}, {});
  if (failed(micro))
    return failure();
  bound(*micro);
  if (failed(vectorizeOp(rewriter, *micro)))
    return failure();
  return vectorizeOp(rewriter, tileFill);
}

/// Largest divisor of `total` that is <= `limit`, preferring multiples of
/// `preferred` (vector lanes) when one exists.
int64_t divisorTile(int64_t total, int64_t limit, int64_t preferred = 1) {
  int64_t best = 1, bestPreferred = 0;
  for (int64_t d = 1; d <= std::min(total, limit); ++d) {
    if (total % d)
      continue;
    best = d;
    if (d % preferred == 0)
      bestPreferred = d;
  }
  return bestPreferred ? bestPreferred : best;
}

/// Output channels per convolution tile: whole vectors where they divide
/// `f`, else the largest power-of-two part of a vector that does. A tile of
/// 24 or 17 channels is a vector<24xf32> / vector<17xf32> that LLVM
/// legalizes element by element through the stack (ShuffleNet's 3 -> 24
/// stem ran 8x slower than the 3 -> 32 one); 8-lane vectors stay vectors.
int64_t channelTile(int64_t f, int64_t lanes) {
  int64_t ft = divisorTile(f, 2 * lanes, lanes);
  if (ft % lanes == 0 || llvm::isPowerOf2_64(ft))
    return ft;
  int64_t pow2 = std::min<int64_t>(lanes, f & -f);
  return pow2 >= 4 ? pow2 : ft;
}

/// `op` (NHWC convolution) rewritten to produce `width` output columns, the
/// input grown on the right to feed them; the original result is a slice.
FailureOr<linalg::LinalgOp> padConvWidth(RewriterBase &rewriter,
                                         linalg::LinalgOp op, int64_t width) {
  auto in = cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  auto out = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  auto filter = cast<RankedTensorType>(op.getDpsInputs()[1].getType());
  auto strides = op->getAttrOfType<DenseIntElementsAttr>("strides");
  auto dilations = op->getAttrOfType<DenseIntElementsAttr>("dilations");
  if (!strides || !dilations)
    return failure();
  int64_t sw = strides.getValues<int64_t>()[1];
  int64_t dw = dilations.getValues<int64_t>()[1];
  int64_t kw = filter.getDimSize(1);
  int64_t inWidth =
      std::max<int64_t>(in.getDimSize(2), (width - 1) * sw + (kw - 1) * dw + 1);
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<int64_t> inShape(in.getShape()), outShape(out.getShape());
  inShape[2] = inWidth;
  outShape[2] = width;
  Value input = padWithZeros(rewriter, loc, op.getDpsInputs()[0], inShape);
  Value init = padWithZeros(rewriter, loc, op.getDpsInits()[0], outShape);
  Operation *wide = rewriter.clone(*op);
  wide->setOperand(0, input);
  wide->setOperand(op.getNumDpsInputs(), init);
  wide->getResult(0).setType(init.getType());
  SmallVector<int64_t> zeros(out.getRank(), 0), ones(out.getRank(), 1);
  rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
      op, out, wide->getResult(0), indexAttrs(rewriter, zeros),
      indexAttrs(rewriter, out.getShape()), indexAttrs(rewriter, ones));
  return cast<linalg::LinalgOp>(wide);
}

/// Convolutions (NHWC x HWCF and depthwise NHWC x HWC, and max / sum pooling
/// NHWC, whose loops are depthwise's): one output row per tile, OWt output
/// columns x Ft output channels of accumulators, the filter height (and for
/// dense convolutions its width) tiled to 1 so that the tile is a 1-D
/// convolution, which the vectorizer turns into broadcast + FMA (max / add
/// for pooling). Constant filters are read from packed copies.
LogicalResult tileConv(RewriterBase &rewriter, linalg::LinalgOp op,
                       int64_t lanes, int64_t registers, bool parallel,
                       PackedConstants &packed) {
  auto out = dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
  auto filter = dyn_cast<RankedTensorType>(op.getDpsInputs()[1].getType());
  if (!out || !filter || !out.hasStaticShape() || !filter.hasStaticShape() ||
      !op.hasPureTensorSemantics())
    return failure();
  // f16 / bf16 input or filters of an f32 convolution are widened first
  // (elementwise), so that the tiles run on f32 FMAs.
  Type outElt = out.getElementType();
  if (isa<FloatType>(outElt)) {
    rewriter.setInsertionPoint(op);
    for (unsigned i = 0; i < 2; ++i) {
      Value v = op.getDpsInputs()[i];
      Type elt = cast<RankedTensorType>(v.getType()).getElementType();
      if (!isa<FloatType>(elt) || elt == outElt)
        continue;
      Value wide = widenTensor(rewriter, op.getLoc(), v, outElt);
      rewriter.modifyOpInPlace(op, [&] { op->setOperand(i, wide); });
    }
    filter = cast<RankedTensorType>(op.getDpsInputs()[1].getType());
  }
  int64_t ow = out.getDimSize(2), f = out.getDimSize(3);
  int64_t accumulators = registers / 2;
  int64_t ft = channelTile(f, lanes);
  int64_t owt = divisorTile(
      ow, std::max<int64_t>(1, accumulators / llvm::divideCeil(ft, lanes)));
  bool dense = isa<linalg::Conv2DNhwcHwcfOp>(op);
  auto strides = op->getAttrOfType<DenseIntElementsAttr>("strides");
  int64_t defaultMax =
      std::max<int64_t>(1, accumulators / llvm::divideCeil(ft, lanes));
  bool defaultPads = owt * 2 <= defaultMax && ow > defaultMax;
  if (f % lanes == 0 && strides && (!dense || defaultPads)) {
    // The register tile (owt columns x v vectors of channels) that loads
    // least per FMA, among those whose width divides the row. A dense
    // step broadcasts owt inputs and loads v filter vectors for owt * v
    // FMAs, which the default 2-vector tile keeps below one load per FMA
    // where its width fits the row; a depthwise (or pooling) tap loads
    // (owt - 1) * stride + kw input vectors and kw filter vectors for
    // owt * kw FMAs per channel vector, whatever v is, so it wants the
    // widest row tile. Rows of 14 on AVX2 (8 accumulators) thus get 2 x 4
    // (dense) or 7 x 1 (depthwise) tiles instead of being padded to 16.
    int64_t sw = strides.getValues<int64_t>()[1];
    int64_t kw = filter.getDimSize(1);
    auto cost = [&](int64_t t, int64_t v) {
      return dense ? double(t + v) / double(t * v)
                   : double((t - 1) * sw + 2 * kw) / double(t * kw);
    };
    // A dense convolution leaves the padded default tile only for one that
    // loads no more per FMA: at 7 columns the 7 x 1-vector tile (8 loads
    // per 7 FMAs) ran ResNet-50's 3x3/2 layer 34% slower than padding to 8.
    int64_t defaultVectors = llvm::divideCeil(ft, lanes);
    double best =
        dense ? cost(defaultMax, defaultVectors) : cost(owt, defaultVectors);
    for (int64_t v = 1; v <= 4; ++v) {
      if (f % (v * lanes))
        continue;
      int64_t t = divisorTile(ow, std::max<int64_t>(1, accumulators / v));
      if (dense ? cost(t, v) <= best + 1e-9 : cost(t, v) < best - 1e-9) {
        best = cost(t, v);
        ft = v * lanes;
        owt = t;
      }
    }
  }
  int64_t vectors = llvm::divideCeil(ft, lanes);
  int64_t owtMax = std::max<int64_t>(1, accumulators / vectors);
  if (owt * 2 <= owtMax && ow > owtMax) {
    // Widths with no good divisor (55, 111, primes): compute a few extra
    // output columns so that every tile holds owtMax accumulators, rather
    // than running latency-bound tiles of one or two.
    FailureOr<linalg::LinalgOp> padded =
        padConvWidth(rewriter, op, llvm::alignTo(ow, owtMax));
    if (succeeded(padded)) {
      op = *padded;
      owt = owtMax;
      out = cast<RankedTensorType>(op.getDpsInits()[0].getType());
    }
  }
  SmallVector<int64_t> sizes;
  if (isa<linalg::Conv2DNhwcHwcfOp>(op)) {
    int64_t c = filter.getDimSize(2);
    // Loops: n, oh, ow, f, kh, kw, c.
    // One filter tap and 8 input channels per tile: the vectorized 1-D
    // convolution then holds an owt x 8 window of the input, whereas all
    // kw taps at once keep (owt + kw - 1) x ct broadcasts live across taps
    // and spill (ResNet-50's 3x3 layers: 8 -> 0 spills in the inner loop).
    sizes = {1, 1, owt, ft, 1, 1, divisorTile(c, 8, lanes)};
  } else {
    // Loops: n, oh, ow, c, kh, kw.
    sizes = {1, 1, owt, ft, 1, 0};
  }
  LLVM_DEBUG(llvm::dbgs() << "conv tiles: ow " << owt << ", channels " << ft
                          << "\n");
  // Deep layers on small images: output-channel tiles outermost, each
  // filter slice reused by every row while in cache.
  bool filterOuter = dr1::filterOutermost(op);
  SmallVector<int64_t> interchange;
  if (filterOuter)
    interchange = {3, 0, 1, 2, 4, 5, 6};
  // Convolutions already tiled (dr1-fuse-epilogue) are tiled only within.
  if (parallel && !op->hasAttr("dr1.row_tiled") &&
      dr1::threadWork(op) >= dr1::kMinParallelWork) {
    // Output rows (of every image), or output-channel tiles, are shared out
    // between threads.
    SmallVector<int64_t> share(sizes.size(), 0);
    share[0] = 1;
    if (filterOuter)
      share[3] = ft;
    else
      share[1] = 1;
    FailureOr<Operation *> shared = tile(rewriter, op, share, {}, true);
    if (failed(shared))
      return failure();
    op = cast<linalg::LinalgOp>(*shared);
  }
  FailureOr<Operation *> tiled = tile(rewriter, op, sizes, interchange);
  if (failed(tiled))
    return failure();
  if (isa<linalg::Conv2DNhwcHwcfOp>(*tiled)) {
    OpOperand &filterOperand = (*tiled)->getOpOperand(1);
    if (Value p = packedTile(rewriter, *tiled, filterOperand, packed))
      rewriter.modifyOpInPlace(*tiled, [&] { filterOperand.set(p); });
  }
  return success();
}

struct CPUTileAndVectorizePass
    : mlir::dr1::impl::CPUTileAndVectorizeBase<CPUTileAndVectorizePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t lanes = std::max<int64_t>(1, vectorBits / 32);
    // Batched products: one batch at a time, as a plain matmul.
    {
      SmallVector<linalg::BatchMatmulOp> batched;
      func.walk([&](linalg::BatchMatmulOp op) { batched.push_back(op); });
      IRRewriter rewriter(&getContext());
      for (linalg::BatchMatmulOp op : batched) {
        if (!op.hasPureTensorSemantics() ||
            op.getIndexingMapsArray() !=
                linalg::BatchMatmulOp::getDefaultIndexingMaps(op.getContext()))
          continue;
        FailureOr<Operation *> tiled = tile(rewriter, op, {1, 0, 0, 0}, {});
        if (failed(tiled))
          continue;
        auto bm = cast<linalg::BatchMatmulOp>(*tiled);
        rewriter.setInsertionPoint(bm);
        Location loc = bm.getLoc();
        SmallVector<ReassociationIndices> dropBatch{{0, 1}, {2}};
        auto collapse = [&](Value v) -> Value {
          return tensor::CollapseShapeOp::create(rewriter, loc, v, dropBatch);
        };
        auto mm =
            linalg::MatmulOp::create(rewriter, loc,
                                     ValueRange{collapse(bm.getInputs()[0]),
                                                collapse(bm.getInputs()[1])},
                                     collapse(bm.getOutputs()[0]));
        rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
            bm, bm.getResultTypes()[0], mm.getResult(0), dropBatch);
      }
    }
    SmallVector<linalg::MatmulOp> matmuls;
    func.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    IRRewriter rewriter(&getContext());
    PackedConstants packed;
    for (linalg::MatmulOp op : matmuls) {
      auto elt =
          cast<ShapedType>(op.getOutputs()[0].getType()).getElementType();
      int64_t eltLanes = std::max<int64_t>(
          1, vectorBits / std::max<unsigned>(8, elt.getIntOrFloatBitWidth()));
      (void)lanes;
      if (failed(tileAndVectorizeMatmul(rewriter, op, eltLanes,
                                        numVectorRegisters, parallel, packed)))
        LLVM_DEBUG(llvm::dbgs() << "a matmul left untiled\n");
    }

    SmallVector<linalg::LinalgOp> convs;
    func.walk([&](linalg::LinalgOp op) {
      // Max / sum pooling has the depthwise convolution's loops (its
      // window operand is shape only) and takes its strategy.
      if (isa<linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp,
              linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp>(op))
        convs.push_back(op);
    });
    for (linalg::LinalgOp op : convs) {
      Type elt =
          cast<ShapedType>(op.getDpsInits()[0].getType()).getElementType();
      int64_t eltLanes = std::max<int64_t>(
          1, vectorBits / std::max<unsigned>(8, elt.getIntOrFloatBitWidth()));
      if (failed(tileConv(rewriter, op, eltLanes, numVectorRegisters, parallel,
                          packed)))
        LLVM_DEBUG(llvm::dbgs() << "left untiled: " << op << "\n");
    }
    // Tiles with a filter height of 1 become 1-D convolutions ...
    RewritePatternSet decompose(&getContext());
    linalg::populateDecomposeConvolutionPatterns(decompose);
    if (failed(applyPatternsGreedily(func, std::move(decompose))))
      return signalPassFailure();
    // ... which vectorize.
    SmallVector<Operation *> conv1d;
    func.walk([&](Operation *op) {
      if (isa<linalg::Conv1DNwcWcfOp, linalg::DepthwiseConv1DNwcWcOp,
              linalg::PoolingNwcMaxOp, linalg::PoolingNwcSumOp>(op))
        conv1d.push_back(op);
    });
    for (Operation *op : conv1d)
      if (failed(vectorizeOp(rewriter, op)))
        LLVM_DEBUG(llvm::dbgs() << "not vectorized: " << *op << "\n");
  }
};

} // namespace
