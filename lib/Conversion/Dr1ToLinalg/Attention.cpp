//===- Attention.cpp - dr1.attention to a blocked online softmax ---------===//
//
// FlashAttention's schedule on tensors: one parallel iteration per (batch,
// query block), and inside it a loop over key blocks that keeps a running
// row max m, row sum l and unnormalized output acc:
//   s    = (q * scale) * kt[:, j-block] (+ mask)
//   m'   = max(m, rowmax(s));  p = exp(s - m');  c = exp(m - m')
//   l'   = l * c + rowsum(p);  acc' = acc * c + p * v[j-block]
// and o = acc / l at the end. Only a [Bq, Bk] block of scores exists at a
// time; its products are plain linalg.matmul ops, which the CPU strategy
// tiles and vectorizes like any other.
//
//===----------------------------------------------------------------------===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::dr1;

namespace {

using utils::IteratorType;

/// Largest divisor of `total` in [lo, hi], preferring multiples of `align`;
/// 0 when there is none.
int64_t blockSize(int64_t total, int64_t lo, int64_t hi, int64_t align) {
  int64_t best = 0, bestAligned = 0;
  for (int64_t t = lo; t <= std::min(total, hi); ++t) {
    if (total % t)
      continue;
    best = t;
    if (t % align == 0)
      bestAligned = t;
  }
  return bestAligned ? bestAligned : best;
}

/// A rank-reducing slice of `src` at `offsets` with `sizes`, result `shape`.
Value slice(OpBuilder &b, Location loc, Value src,
            ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes,
            ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, tensorType(src).getElementType());
  SmallVector<OpFoldResult> sizeAttrs, strides;
  for (int64_t s : sizes) {
    sizeAttrs.push_back(b.getIndexAttr(s));
    strides.push_back(b.getIndexAttr(1));
  }
  return tensor::ExtractSliceOp::create(b, loc, type, src, offsets, sizeAttrs,
                                        strides);
}

Value emptyLike(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                Type elt) {
  return tensor::EmptyOp::create(b, loc, shape, elt);
}

/// Running state of one query block.
struct State {
  Value max, sum, acc; // [bq], [bq], [bq, dv]
};

struct AttentionLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto qType = tensorType(op.getQuery());
    Type elt = qType.getElementType();
    int64_t rank = qType.getRank();
    ArrayRef<int64_t> batchShape = qType.getShape().drop_back(2);
    int64_t batch = 1;
    for (int64_t d : batchShape)
      batch *= d;
    int64_t sq = qType.getDimSize(rank - 2), d = qType.getDimSize(rank - 1);
    int64_t sk = tensorType(op.getKeyT()).getDimSize(rank - 1);
    int64_t dv = tensorType(op.getValue()).getDimSize(rank - 1);

    Value q3 = reshapeValue(rewriter, loc, op.getQuery(), {batch, sq, d});
    Value kt3 = reshapeValue(rewriter, loc, op.getKeyT(), {batch, d, sk});
    Value v3 = reshapeValue(rewriter, loc, op.getValue(), {batch, sk, dv});

    // The mask as [mb, mq, mk], each 1 (broadcast) or full. Only the batch
    // dims are materialized, and only when some but not all of them
    // broadcast (a [B, 1, 1, Sk] padding mask over heads): never more than
    // the mask's own rows.
    Value mask3;
    int64_t mb = 1, mq = 1, mk = 1;
    if (Value mask = op.getMask()) {
      auto mt = tensorType(mask);
      SmallVector<int64_t> full(rank - mt.getRank(), 1);
      llvm::append_range(full, mt.getShape());
      mq = full[rank - 2];
      mk = full[rank - 1];
      ArrayRef<int64_t> mBatch = ArrayRef<int64_t>(full).drop_back(2);
      bool allOne = llvm::all_of(mBatch, [](int64_t x) { return x == 1; });
      mask = reshapeValue(rewriter, loc, mask, full);
      if (!allOne && mBatch != batchShape) {
        SmallVector<int64_t> shape(batchShape);
        shape.append({mq, mk});
        mask = buildElementwise(
            rewriter, loc, mask, RankedTensorType::get(shape, elt),
            [](OpBuilder &, Location, ValueRange a) { return a[0]; });
      }
      mb = allOne ? 1 : batch;
      mask3 = reshapeValue(rewriter, loc, mask, {mb, mq, mk});
    }

    // Query blocks of up to 64 rows (the register tile's multiple of 8
    // when possible); key blocks of 64..256 columns, the last one peeled
    // when Sk has no such divisor.
    int64_t bq = sq <= 64 ? sq : blockSize(sq, 8, 64, 8);
    if (bq < 8)
      bq = sq;
    int64_t bk = sk <= 256 ? sk : blockSize(sk, 64, 256, 16);
    if (!bk)
      bk = 128;
    int64_t fullBlocks = sk / bk, tail = sk % bk;
    double scale = op.getScale().convertToDouble();

    auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    auto rows = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
    auto id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
    SmallVector<IteratorType> par2(2, IteratorType::parallel);
    SmallVector<IteratorType> rowReduce{IteratorType::parallel,
                                        IteratorType::reduction};

    Value out = emptyLike(rewriter, loc, {batch, sq, dv}, elt);
    SmallVector<OpFoldResult> ubs{rewriter.getIndexAttr(batch),
                                  rewriter.getIndexAttr(sq / bq)};
    auto forall =
        scf::ForallOp::create(rewriter, loc, ubs, ValueRange{out}, std::nullopt);
    OpBuilder b = OpBuilder::atBlockBegin(forall.getBody());
    Value bIdx = forall.getInductionVar(0);
    Value q0 = arith::MulIOp::create(
        b, loc, forall.getInductionVar(1),
        arith::ConstantIndexOp::create(b, loc, bq));
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);

    // The scale goes on the [bq, d] query block once, not on every score.
    Value qs = slice(b, loc, q3, {bIdx, q0, zero}, {1, bq, d}, {bq, d});
    if (scale != 1.0)
      qs = buildElementwise(b, loc, qs, tensorType(qs),
                            [&](OpBuilder &nb, Location l, ValueRange a) {
                              return mulS(nb, l, a[0],
                                          scalarConstant(nb, l, elt, scale));
                            });

    Value negInf = scalarConstant(b, loc, elt,
                                  -std::numeric_limits<double>::infinity());
    Value fzero = scalarConstant(b, loc, elt, 0.0);

    // One key block [j, j + bk) folded into `state` (absent for the first).
    auto step = [&](OpBuilder &sb, Value j, int64_t cols,
                    std::optional<State> state) -> State {
      Value kts = slice(sb, loc, kt3, {bIdx, zero, j}, {1, d, cols}, {d, cols});
      Value vs = slice(sb, loc, v3, {bIdx, j, zero}, {1, cols, dv}, {cols, dv});
      Value s = linalg::MatmulOp::create(
                    sb, loc, ValueRange{qs, kts},
                    filledTensor(sb, loc, {bq, cols}, fzero))
                    .getResult(0);
      if (mask3) {
        SmallVector<OpFoldResult> off{mb == 1 ? zero : bIdx,
                                      mq == 1 ? zero : q0,
                                      mk == 1 ? zero : j};
        int64_t rq = mq == 1 ? 1 : bq, rk = mk == 1 ? 1 : cols;
        Value ms = slice(sb, loc, mask3, off, {1, rq, rk}, {rq, rk});
        AffineExpr c0 = getAffineConstantExpr(0, ctx);
        auto maskMap = AffineMap::get(
            2, 0,
            {mq == 1 ? c0 : getAffineDimExpr(0, ctx),
             mk == 1 ? c0 : getAffineDimExpr(1, ctx)},
            ctx);
        s = linalg::GenericOp::create(
                sb, loc, s.getType(), ValueRange{ms}, ValueRange{s},
                SmallVector<AffineMap>{maskMap, id2}, par2,
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  linalg::YieldOp::create(nb, l, addS(nb, l, a[1], a[0]));
                })
                .getResult(0);
      }
      // Row max of this block, then the new running max, the rescaling
      // factor of everything accumulated so far, and a finite stand-in
      // for rows masked entirely so far (-inf - -inf would be NaN).
      Value blockMax =
          linalg::GenericOp::create(
              sb, loc, TypeRange{RankedTensorType::get({bq}, elt)},
              ValueRange{s}, ValueRange{filledTensor(sb, loc, {bq}, negInf)},
              SmallVector<AffineMap>{id2, rows}, rowReduce,
              [&](OpBuilder &nb, Location l, ValueRange a) {
                linalg::YieldOp::create(nb, l, maxS(nb, l, a[0], a[1]));
              })
              .getResult(0);
      auto rowType = RankedTensorType::get({bq}, elt);
      Value newMax = blockMax, correction;
      auto finite = [&](OpBuilder &nb, Location l, Value m) -> Value {
        Value isInf = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                            m, negInf);
        return arith::SelectOp::create(nb, l, isInf, fzero, m);
      };
      Value safeMax;
      if (state) {
        // Loop-carried state is updated in place (outs), which keeps each
        // yielded tensor in its iteration argument's buffer.
        auto g = linalg::GenericOp::create(
            sb, loc, TypeRange{rowType, rowType, rowType}, ValueRange{blockMax},
            ValueRange{state->max, emptyLike(sb, loc, {bq}, elt),
                       emptyLike(sb, loc, {bq}, elt)},
            SmallVector<AffineMap>(4, id1),
            SmallVector<IteratorType>{IteratorType::parallel},
            [&](OpBuilder &nb, Location l, ValueRange a) {
              Value m = maxS(nb, l, a[1], a[0]);
              Value safe = finite(nb, l, m);
              Value c = math::ExpOp::create(nb, l, subS(nb, l, a[1], safe));
              linalg::YieldOp::create(nb, l, ValueRange{m, safe, c});
            });
        newMax = g.getResult(0);
        safeMax = g.getResult(1);
        correction = g.getResult(2);
      } else {
        safeMax = linalg::GenericOp::create(
                      sb, loc, TypeRange{rowType}, ValueRange{blockMax},
                      ValueRange{emptyLike(sb, loc, {bq}, elt)},
                      SmallVector<AffineMap>(2, id1),
                      SmallVector<IteratorType>{IteratorType::parallel},
                      [&](OpBuilder &nb, Location l, ValueRange a) {
                        linalg::YieldOp::create(nb, l, finite(nb, l, a[0]));
                      })
                      .getResult(0);
      }
      Value p = linalg::GenericOp::create(
                    sb, loc, s.getType(), ValueRange{safeMax}, ValueRange{s},
                    SmallVector<AffineMap>{rows, id2}, par2,
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      linalg::YieldOp::create(
                          nb, l,
                          ValueRange{math::ExpOp::create(
                              nb, l, subS(nb, l, a[1], a[0]))});
                    })
                    .getResult(0);
      // Rescale what was summed before, in place, then add this block.
      Value sumInit = filledTensor(sb, loc, {bq}, fzero);
      Value accInit = filledTensor(sb, loc, {bq, dv}, fzero);
      if (state) {
        sumInit = linalg::GenericOp::create(
                      sb, loc, TypeRange{rowType}, ValueRange{correction},
                      ValueRange{state->sum}, SmallVector<AffineMap>(2, id1),
                      SmallVector<IteratorType>{IteratorType::parallel},
                      [&](OpBuilder &nb, Location l, ValueRange a) {
                        linalg::YieldOp::create(nb, l,
                                                mulS(nb, l, a[1], a[0]));
                      })
                      .getResult(0);
        accInit = linalg::GenericOp::create(
                      sb, loc, state->acc.getType(), ValueRange{correction},
                      ValueRange{state->acc},
                      SmallVector<AffineMap>{rows, id2}, par2,
                      [&](OpBuilder &nb, Location l, ValueRange a) {
                        linalg::YieldOp::create(nb, l,
                                                mulS(nb, l, a[1], a[0]));
                      })
                      .getResult(0);
      }
      Value sum = linalg::GenericOp::create(
                      sb, loc, TypeRange{rowType}, ValueRange{p},
                      ValueRange{sumInit}, SmallVector<AffineMap>{id2, rows},
                      rowReduce,
                      [&](OpBuilder &nb, Location l, ValueRange a) {
                        linalg::YieldOp::create(nb, l,
                                                addS(nb, l, a[0], a[1]));
                      })
                      .getResult(0);
      Value acc =
          linalg::MatmulOp::create(sb, loc, ValueRange{p, vs}, accInit)
              .getResult(0);
      return State{newMax, sum, acc};
    };

    State st = step(b, zero, bk, std::nullopt);
    if (fullBlocks > 1) {
      Value lb = arith::ConstantIndexOp::create(b, loc, bk);
      Value ub = arith::ConstantIndexOp::create(b, loc, fullBlocks * bk);
      auto loop = scf::ForOp::create(
          b, loc, lb, ub, lb, ValueRange{st.max, st.sum, st.acc},
          [&](OpBuilder &fb, Location l, Value j, ValueRange iter) {
            State next = step(fb, j, bk, State{iter[0], iter[1], iter[2]});
            scf::YieldOp::create(fb, l,
                                 ValueRange{next.max, next.sum, next.acc});
          });
      st = State{loop.getResult(0), loop.getResult(1), loop.getResult(2)};
    }
    if (tail)
      st = step(b, arith::ConstantIndexOp::create(b, loc, fullBlocks * bk),
                tail, st);

    Value o = linalg::GenericOp::create(
                  b, loc, st.acc.getType(), ValueRange{st.sum},
                  ValueRange{st.acc}, SmallVector<AffineMap>{rows, id2}, par2,
                  [&](OpBuilder &nb, Location l, ValueRange a) {
                    linalg::YieldOp::create(nb, l, divS(nb, l, a[1], a[0]));
                  })
                  .getResult(0);
    OpBuilder tb = OpBuilder::atBlockEnd(forall.getTerminator().getBody());
    SmallVector<OpFoldResult> offs{bIdx, q0, tb.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{tb.getIndexAttr(1), tb.getIndexAttr(bq),
                                    tb.getIndexAttr(dv)};
    SmallVector<OpFoldResult> strides(3, tb.getIndexAttr(1));
    tensor::ParallelInsertSliceOp::create(tb, loc, o,
                                          forall.getRegionIterArgs()[0], offs,
                                          sizes, strides);

    SmallVector<int64_t> shape(batchShape);
    shape.append({sq, dv});
    rewriter.replaceOp(op, reshapeValue(rewriter, loc, forall.getResult(0),
                                        shape));
    return success();
  }
};

} // namespace

void mlir::dr1::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<AttentionLowering>(patterns.getContext());
}
