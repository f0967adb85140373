//===- ConvPool.cpp - conv2d and pooling to linalg ------------------------===//
//
// Convolutions run as NHWC x HWCF (or depthwise / grouped variants), the
// layout CPU kernels want: activations are transposed at the op's edges
// (transposes between consecutive ops cancel in canonicalization) and
// constant filters are transposed at compile time. Padding is an
// insert_slice into an empty tensor plus fills of the border only, so the
// producer writes straight into the padded buffer and nothing is written
// twice.
//
//===----------------------------------------------------------------------===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::dr1;

namespace {

/// Pads the two spatial dims (`hDim`, `hDim + 1`) of `v` with `padValue`.
Value padSpatial(OpBuilder &b, Location loc, Value v, int64_t hDim,
                 ArrayRef<int64_t> pad, Value padValue) {
  if (llvm::all_of(pad, [](int64_t p) { return p == 0; }))
    return v;
  auto type = tensorType(v);
  SmallVector<int64_t> shape(type.getShape());
  shape[hDim] += pad[0] + pad[2];
  shape[hDim + 1] += pad[1] + pad[3];
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  auto slice = [&](Value src, Value dst, ArrayRef<int64_t> at) -> Value {
    SmallVector<OpFoldResult> offsets, sizes;
    for (int64_t o : at)
      offsets.push_back(b.getIndexAttr(o));
    for (int64_t d : tensorType(src).getShape())
      sizes.push_back(b.getIndexAttr(d));
    return tensor::InsertSliceOp::create(b, loc, src, dst, offsets, sizes,
                                         strides);
  };
  SmallVector<int64_t> at(type.getRank(), 0);
  at[hDim] = pad[0];
  at[hDim + 1] = pad[1];
  // Only the border is filled: the interior is the producer's, which writes
  // it in place (empty-tensor elimination), so a whole-buffer fill would
  // write every interior byte twice.
  Value padded = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  padded = slice(v, padded, at);
  auto border = [&](int64_t h0, int64_t h, int64_t w0, int64_t w) {
    if (h == 0 || w == 0)
      return;
    SmallVector<int64_t> part(shape), pos(type.getRank(), 0);
    part[hDim] = h;
    part[hDim + 1] = w;
    pos[hDim] = h0;
    pos[hDim + 1] = w0;
    padded = slice(filledTensor(b, loc, part, padValue), padded, pos);
  };
  int64_t inH = type.getDimSize(hDim), inW = type.getDimSize(hDim + 1);
  border(0, pad[0], 0, shape[hDim + 1]);
  border(pad[0] + inH, pad[2], 0, shape[hDim + 1]);
  border(pad[0], inH, 0, pad[1]);
  border(pad[0], inH, pad[1] + inW, pad[3]);
  return padded;
}

/// `v` (integers) as `f32` values: folded for a constant, otherwise an
/// elementwise conversion.
Value widenToFloat(OpBuilder &b, Location loc, Value v, Type f32) {
  auto type = tensorType(v);
  auto wide = RankedTensorType::get(type.getShape(), f32);
  DenseIntElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr))) {
    SmallVector<float> values;
    for (const APInt &i : attr.getValues<APInt>())
      values.push_back(static_cast<float>(i.getSExtValue()));
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(wide, llvm::ArrayRef(values)));
  }
  return buildElementwise(b, loc, v, wide,
                          [&](OpBuilder &nb, Location l, ValueRange args) {
                            return arith::SIToFPOp::create(nb, l, f32, args[0]);
                          });
}

DenseIntElementsAttr i64Elements(OpBuilder &b, ArrayRef<int64_t> values) {
  return b.getI64TensorAttr(values);
}

/// Grouped convolutions with at most this many groups become one dense
/// convolution per group; more groups keep linalg's grouped op (scalar code)
/// rather than multiplying code size.
constexpr int64_t kMaxUnrolledGroups = 16;

/// Grouped 1x1 convolutions whose groups have at least this many output
/// channels become one block-diagonal product (see Conv2DLowering); below
/// it, a strip of B would span several groups and multiply mostly zeros.
constexpr int64_t kMinBlockDiagonalWidth = 16;

/// The [C/G, F] weights of a grouped 1x1 convolution (group i's columns
/// [i F/G, (i + 1) F/G)) as the [C, F] block-diagonal matrix of the same
/// product, computed at compile time; null if not a constant at hand.
Value blockDiagonal(OpBuilder &b, Location loc, Value w, int64_t groups) {
  ElementsAttr attr;
  auto type = tensorType(w);
  Type elt = type.getElementType();
  if (!matchPattern(w, m_Constant(&attr)) || elt.getIntOrFloatBitWidth() % 8)
    return nullptr;
  std::optional<ArrayRef<char>> raw = getRawConstantData(attr);
  size_t bytes = elt.getIntOrFloatBitWidth() / 8;
  int64_t cg = type.getDimSize(0), f = type.getDimSize(1), fg = f / groups;
  if (!raw || raw->size() != static_cast<size_t>(cg * f) * bytes)
    return nullptr;
  std::vector<char> out(groups * cg * f * bytes, 0);
  for (int64_t gi = 0; gi < groups; ++gi)
    for (int64_t r = 0; r < cg; ++r)
      std::memcpy(out.data() + ((gi * cg + r) * f + gi * fg) * bytes,
                  raw->data() + (r * f + gi * fg) * bytes, fg * bytes);
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::getFromRawBuffer(
          RankedTensorType::get({groups * cg, f}, elt), out));
}

struct Conv2DLowering : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = tensorType(op.getInput()), wt = tensorType(op.getWeight());
    auto ot = op.getType();
    // Integer convolutions accumulate in the (wider) result type.
    Type elt = ot.getElementType();
    int64_t n = it.getDimSize(0), c = it.getDimSize(1);
    int64_t f = wt.getDimSize(0), kh = wt.getDimSize(2), kw = wt.getDimSize(3);
    int64_t oh = ot.getDimSize(2), ow = ot.getDimSize(3), g = op.getGroups();

    Value x = transposeValue(rewriter, loc, op.getInput(), {0, 2, 3, 1});
    x = padSpatial(rewriter, loc, x, 1, op.getPadding(),
                   scalarConstant(rewriter, loc, it.getElementType(),
                                  static_cast<double>(static_cast<int64_t>(op.getPadValue()))));
    auto strides = i64Elements(rewriter, op.getStrides());
    auto dilations = i64Elements(rewriter, op.getDilations());

    // Output accumulator in NHWC, from zero; the bias is added after the
    // convolution, where it joins the elementwise epilogue (activation,
    // residual) instead of costing a pass of its own over the output.
    SmallVector<int64_t> outShape{n, oh, ow, f};
    Value init = filledTensor(rewriter, loc, outShape,
                              scalarConstant(rewriter, loc, elt, 0));
    Value y;
    bool unitWindow =
        kh == 1 && kw == 1 && llvm::all_equal(op.getStrides()) &&
        op.getStrides()[0] == 1 &&
        llvm::all_of(op.getPadding(), [](int64_t p) { return p == 0; });
    bool pointwise = g == 1 && unitWindow;
    ElementsAttr weights;
    if (unitWindow && g > 1 && g != c && isa<FloatType>(elt) &&
        f / g >= kMinBlockDiagonalWidth &&
        matchPattern(op.getWeight(), m_Constant(&weights))) {
      // Grouped 1x1 with constant float weights (ShuffleNet): one matmul
      // over all groups, B block diagonal ([C, F], zero between groups),
      // marked so that the CPU strategy multiplies each strip of B only by
      // the rows of the groups its columns belong to. Unlike one product
      // per group, its epilogue (bias, activation) is fused and the output
      // is written once.
      int64_t cg = c / g, fg = f / g, rows = n * oh * ow;
      Value w = reshapeValue(rewriter, loc, op.getWeight(), {f, cg});
      w = transposeValue(rewriter, loc, w, {1, 0});
      Value diagonal = blockDiagonal(rewriter, loc, w, g);
      if (!diagonal)
        return rewriter.notifyMatchFailure(op, "weights not at hand");
      Value a = reshapeValue(rewriter, loc, x, {rows, c});
      Value acc = filledTensor(rewriter, loc, {rows, f},
                               scalarConstant(rewriter, loc, elt, 0));
      auto mm =
          linalg::MatmulOp::create(rewriter, loc, ValueRange{a, diagonal}, acc);
      mm->setAttr("dr1.block_diagonal",
                  rewriter.getDenseI64ArrayAttr({cg, fg, 0}));
      y = reshapeValue(rewriter, loc, mm.getResult(0), outShape);
    } else if (unitWindow && g > 1 && g <= kMaxUnrolledGroups && g != c) {
      // Grouped 1x1 (ShuffleNet): one matmul per group on the group's
      // channel slice, viewed as [N*H*W, C/G] with a row stride of C (no
      // copy), written into its slice of the output. The direct strategy
      // would run such slices (channel counts like 34) as scalar code.
      int64_t cg = c / g, fg = f / g, rows = n * oh * ow;
      Value a = reshapeValue(rewriter, loc, x, {rows, c});
      Value w = reshapeValue(rewriter, loc, op.getWeight(), {f, cg});
      w = transposeValue(rewriter, loc, w, {1, 0});
      auto one = rewriter.getIndexAttr(1), zero = rewriter.getIndexAttr(0);
      auto idx = [&](int64_t v) -> OpFoldResult {
        return rewriter.getIndexAttr(v);
      };
      SmallVector<OpFoldResult> unit2(2, one);
      Value out = filledTensor(rewriter, loc, {rows, f},
                               scalarConstant(rewriter, loc, elt, 0));
      for (int64_t gi = 0; gi < g; ++gi) {
        Value as = tensor::ExtractSliceOp::create(
            rewriter, loc, a, SmallVector<OpFoldResult>{zero, idx(gi * cg)},
            SmallVector<OpFoldResult>{idx(rows), idx(cg)}, unit2);
        Value ws = tensor::ExtractSliceOp::create(
            rewriter, loc, w, SmallVector<OpFoldResult>{zero, idx(gi * fg)},
            SmallVector<OpFoldResult>{idx(cg), idx(fg)}, unit2);
        Value acc = filledTensor(rewriter, loc, {rows, fg},
                                 scalarConstant(rewriter, loc, elt, 0));
        Value part =
            linalg::MatmulOp::create(rewriter, loc, ValueRange{as, ws}, acc)
                .getResult(0);
        out = tensor::InsertSliceOp::create(
            rewriter, loc, part, out,
            SmallVector<OpFoldResult>{zero, idx(gi * fg)},
            SmallVector<OpFoldResult>{idx(rows), idx(fg)}, unit2);
      }
      y = reshapeValue(rewriter, loc, out, outShape);
    } else if (pointwise) {
      // A 1x1 convolution is a matmul on the [N*H*W, C] view of the NHWC
      // input: it gets the packed GEMM strategy instead of the direct one.
      Value a = reshapeValue(rewriter, loc, x, {n * oh * ow, c});
      Value w = reshapeValue(rewriter, loc, op.getWeight(), {f, c});
      w = transposeValue(rewriter, loc, w, {1, 0});
      Value acc = filledTensor(rewriter, loc, {n * oh * ow, f},
                               scalarConstant(rewriter, loc, elt, 0));
      Value mm = linalg::MatmulOp::create(rewriter, loc, ValueRange{a, w}, acc)
                     .getResult(0);
      y = reshapeValue(rewriter, loc, mm, outShape);
    } else if (g == 1) {
      Value w = transposeValue(rewriter, loc, op.getWeight(), {2, 3, 1, 0});
      y = linalg::Conv2DNhwcHwcfOp::create(rewriter, loc, init.getType(),
                                           ValueRange{x, w}, init, strides,
                                           dilations)
              .getResult(0);
    } else if (g == c) {
      // Depthwise, with channel multiplier m = f / c: output f = ci * m + mi.
      int64_t m = f / c;
      Value w = reshapeValue(rewriter, loc, op.getWeight(), {c, m, kh, kw});
      w = transposeValue(rewriter, loc, w, {2, 3, 0, 1});
      if (m == 1) {
        w = reshapeValue(rewriter, loc, w, {kh, kw, c});
        // int8 x int8 depthwise sums in f32, exactly: every partial sum is
        // an integer of magnitude at most kh * kw * 2^14 < 2^24. A depthwise
        // tap is one FMA per vector that way, against a widening i32
        // multiply (vpmulld: 2 uops, 10 cycles on x86) and an add; the
        // input is still read as bytes and widened in registers.
        bool int8Sums = it.getElementType().isInteger(8) &&
                        wt.getElementType().isInteger(8) && elt.isInteger(32) &&
                        kh * kw < 1024;
        Type f32 = rewriter.getF32Type();
        if (int8Sums)
          w = widenToFloat(rewriter, loc, w, f32);
        Value acc = int8Sums
                        ? filledTensor(rewriter, loc, outShape,
                                       scalarConstant(rewriter, loc, f32, 0))
                        : init;
        y = linalg::DepthwiseConv2DNhwcHwcOp::create(
                rewriter, loc, acc.getType(), ValueRange{x, w}, acc, strides,
                dilations)
                .getResult(0);
        if (int8Sums)
          y = buildElementwise(
              rewriter, loc, y, RankedTensorType::get(outShape, elt),
              [&](OpBuilder &b, Location l, ValueRange args) {
                return arith::FPToSIOp::create(b, l, elt, args[0]);
              });
      } else {
        Value acc = reshapeValue(rewriter, loc, init, {n, oh, ow, c, m});
        y = linalg::DepthwiseConv2DNhwcHwcmOp::create(
                rewriter, loc, acc.getType(), ValueRange{x, w}, acc, strides,
                dilations)
                .getResult(0);
        y = reshapeValue(rewriter, loc, y, outShape);
      }
    } else if (g <= kMaxUnrolledGroups) {
      // A few groups: one NHWC x HWCF convolution per group on channel
      // slices, each written in place into its slice of the output, so the
      // convolution strategy (tiled, vectorized) applies to every group.
      int64_t cg = c / g, fg = f / g;
      Value w = transposeValue(rewriter, loc, op.getWeight(), {2, 3, 1, 0});
      auto xt = tensorType(x);
      auto one = rewriter.getIndexAttr(1), zero = rewriter.getIndexAttr(0);
      auto idx = [&](int64_t v) -> OpFoldResult {
        return rewriter.getIndexAttr(v);
      };
      SmallVector<OpFoldResult> unit(4, one);
      y = init;
      for (int64_t gi = 0; gi < g; ++gi) {
        Value xs = tensor::ExtractSliceOp::create(
            rewriter, loc, x,
            SmallVector<OpFoldResult>{zero, zero, zero, idx(gi * cg)},
            SmallVector<OpFoldResult>{idx(n), idx(xt.getDimSize(1)),
                                      idx(xt.getDimSize(2)), idx(cg)},
            unit);
        Value ws = tensor::ExtractSliceOp::create(
            rewriter, loc, w,
            SmallVector<OpFoldResult>{zero, zero, zero, idx(gi * fg)},
            SmallVector<OpFoldResult>{idx(kh), idx(kw), idx(cg), idx(fg)},
            unit);
        SmallVector<OpFoldResult> outOffsets{zero, zero, zero, idx(gi * fg)};
        SmallVector<OpFoldResult> outSizes{idx(n), idx(oh), idx(ow), idx(fg)};
        Value acc = tensor::ExtractSliceOp::create(rewriter, loc, y, outOffsets,
                                                   outSizes, unit);
        Value part = linalg::Conv2DNhwcHwcfOp::create(
                         rewriter, loc, acc.getType(), ValueRange{xs, ws}, acc,
                         strides, dilations)
                         .getResult(0);
        y = tensor::InsertSliceOp::create(rewriter, loc, part, y, outOffsets,
                                          outSizes, unit);
      }
    } else {
      // Many groups: [N, H, W, G, C/G] x [G, F/G, KH, KW, C/G].
      auto xt = tensorType(x);
      Value xg = reshapeValue(
          rewriter, loc, x, {n, xt.getDimSize(1), xt.getDimSize(2), g, c / g});
      Value w = reshapeValue(rewriter, loc, op.getWeight(),
                             {g, f / g, c / g, kh, kw});
      w = transposeValue(rewriter, loc, w, {0, 1, 3, 4, 2});
      Value acc = reshapeValue(rewriter, loc, init, {n, oh, ow, g, f / g});
      y = linalg::Conv2DNhwgcGfhwcOp::create(rewriter, loc, acc.getType(),
                                             ValueRange{xg, w}, acc, strides,
                                             dilations)
              .getResult(0);
      y = reshapeValue(rewriter, loc, y, outShape);
    }
    if (Value bias = op.getBias())
      y = buildElementwise(rewriter, loc, {y, bias},
                           RankedTensorType::get(outShape, elt),
                           [](OpBuilder &b, Location l, ValueRange a) {
                             return addS(b, l, a[0], a[1]);
                           });
    rewriter.replaceOp(op, transposeValue(rewriter, loc, y, {0, 3, 1, 2}));
    return success();
  }
};

/// Extra trailing padding so that ceil-mode windows stay inside the buffer.
int64_t ceilExtra(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d,
                  int64_t padBefore, int64_t padAfter) {
  int64_t needed = (out - 1) * s + d * (k - 1) + 1;
  return std::max<int64_t>(0, needed - (in + padBefore + padAfter));
}

struct MaxPoolLowering : OpRewritePattern<MaxPool2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxPool2DOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = tensorType(op.getInput());
    auto ot = op.getType();
    Type elt = it.getElementType();
    ArrayRef<int64_t> k = op.getKernelShape(), s = op.getStrides(),
                      d = op.getDilations(), p = op.getPadding();
    if (k[0] == 1 && k[1] == 1) {
      // A 1x1 window is a strided slice (and linalg's unit-dim folding
      // mishandles strided 1x1 pooling).
      SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)), sizes,
          strides;
      for (int64_t dim : ot.getShape())
        sizes.push_back(rewriter.getIndexAttr(dim));
      strides = {rewriter.getIndexAttr(1), rewriter.getIndexAttr(1),
                 rewriter.getIndexAttr(s[0]), rewriter.getIndexAttr(s[1])};
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, ot, op.getInput(), offsets, sizes, strides);
      return success();
    }
    SmallVector<int64_t> pad(p);
    pad[2] += ceilExtra(it.getDimSize(2), ot.getDimSize(2), k[0], s[0], d[0],
                        p[0], p[2]);
    pad[3] += ceilExtra(it.getDimSize(3), ot.getDimSize(3), k[1], s[1], d[1],
                        p[1], p[3]);
    Value lowest = lowestValue(rewriter, loc, elt);
    // NHWC like the convolutions, so the layout transposes between them
    // cancel (dr1-propagate-transposes).
    Value x = transposeValue(rewriter, loc, op.getInput(), {0, 2, 3, 1});
    x = padSpatial(rewriter, loc, x, 1, pad, lowest);
    auto nhwc = RankedTensorType::get({ot.getDimSize(0), ot.getDimSize(2),
                                       ot.getDimSize(3), ot.getDimSize(1)},
                                      elt);
    Value init = filledTensor(rewriter, loc, nhwc.getShape(), lowest);
    Value window = tensor::EmptyOp::create(rewriter, loc, k, elt);
    Value y = linalg::PoolingNhwcMaxOp::create(
                  rewriter, loc, nhwc, ValueRange{x, window}, init,
                  i64Elements(rewriter, s), i64Elements(rewriter, d))
                  .getResult(0);
    rewriter.replaceOp(op, transposeValue(rewriter, loc, y, {0, 3, 1, 2}));
    return success();
  }
};

struct AvgPoolLowering : OpRewritePattern<AvgPool2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AvgPool2DOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = tensorType(op.getInput());
    auto ot = op.getType();
    Type elt = it.getElementType();
    ArrayRef<int64_t> k = op.getKernelShape(), s = op.getStrides(),
                      p = op.getPadding();
    int64_t h = it.getDimSize(2), w = it.getDimSize(3);
    int64_t oh = ot.getDimSize(2), ow = ot.getDimSize(3);
    SmallVector<int64_t> pad(p);
    pad[2] += ceilExtra(h, oh, k[0], s[0], 1, p[0], p[2]);
    pad[3] += ceilExtra(w, ow, k[1], s[1], 1, p[1], p[3]);
    Value zero = scalarConstant(rewriter, loc, elt, 0);
    Value x = transposeValue(rewriter, loc, op.getInput(), {0, 2, 3, 1});
    x = padSpatial(rewriter, loc, x, 1, pad, zero);
    auto nhwc = RankedTensorType::get(
        {ot.getDimSize(0), oh, ow, ot.getDimSize(1)}, elt);
    Value init = filledTensor(rewriter, loc, nhwc.getShape(), zero);
    Value window = tensor::EmptyOp::create(rewriter, loc, k, elt);
    int64_t one[] = {1, 1};
    Value sum = linalg::PoolingNhwcSumOp::create(
                    rewriter, loc, nhwc, ValueRange{x, window}, init,
                    i64Elements(rewriter, s), i64Elements(rewriter, one))
                    .getResult(0);
    sum = transposeValue(rewriter, loc, sum, {0, 3, 1, 2});
    // Per-position divisors, known at compile time.
    std::vector<float> counts = avgPoolReciprocalCounts(op);
    auto countF32 = RankedTensorType::get({oh, ow}, rewriter.getF32Type());
    Value divisors = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(countF32, ArrayRef<float>(counts)));
    Value y = buildElementwise(rewriter, loc, {sum, divisors}, ot,
                               [&](OpBuilder &b, Location l, ValueRange a) {
                                 Value r = convertScalar(b, l, a[1], elt);
                                 return mulS(b, l, a[0], r);
                               });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct GlobalAvgPoolLowering : OpRewritePattern<GlobalAvgPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GlobalAvgPoolOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto it = tensorType(op.getInput());
    Type elt = it.getElementType();
    int64_t n = it.getDimSize(0), c = it.getDimSize(1);
    int64_t rank = it.getRank();
    int64_t spatial = it.getNumElements() / (n * c);
    // A reduction over the input as it is (no reshape), so that a layout
    // transpose feeding it folds into its indexing map.
    Value x = op.getInput();
    Value init = filledTensor(rewriter, loc, {n, c},
                              scalarConstant(rewriter, loc, elt, 0));
    MLIRContext *ctx = rewriter.getContext();
    AffineMap inMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap outMap = AffineMap::get(
        rank, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::reduction);
    iterators[0] = iterators[1] = utils::IteratorType::parallel;
    Value sum = linalg::GenericOp::create(
                    rewriter, loc, init.getType(), x, init,
                    ArrayRef<AffineMap>{inMap, outMap}, iterators,
                    [&](OpBuilder &b, Location l, ValueRange a) {
                      linalg::YieldOp::create(b, l, addS(b, l, a[0], a[1]));
                    })
                    .getResult(0);
    Value mean = buildElementwise(
        rewriter, loc, sum, cast<RankedTensorType>(sum.getType()),
        [&](OpBuilder &b, Location l, ValueRange a) {
          return mulS(b, l, a[0], scalarConstant(b, l, elt, 1.0 / spatial));
        });
    rewriter.replaceOp(
        op, reshapeValue(rewriter, loc, mean, op.getType().getShape()));
    return success();
  }
};

} // namespace

void mlir::dr1::populateConvPoolPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering, MaxPoolLowering, AvgPoolLowering,
               GlobalAvgPoolLowering>(patterns.getContext());
}
