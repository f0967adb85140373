//===- VNNIMatmul.cpp - the dr1-vnni-matmul pass --------------------------===//
//
// int8 and bf16 products with constant weights on dot-product
// instructions: AVX-512's vpdpbusd multiplies four unsigned bytes by four
// signed bytes and adds the four products to a 32-bit lane; vdpbf16ps does
// the same with two bf16 pairs into an f32 lane; AArch64's sdot with four
// signed bytes on both sides. LLVM never forms them from generic IR, so the
// kernel is built here: weights packed at compile time into [N/nr][K/g]
// [nr][g] panels (g = 4 or 2 values per lane), vpdpbusd's activations
// flipped to unsigned (x + 128) with the 128 * column-sum correction
// subtracted at the end, accumulator tiles (8 x 32 in 16 zmm registers,
// 4 x 16 in 16 NEON registers) kept over the whole K.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"
#include "Codegen/Work.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "dr1-vnni-matmul"

namespace mlir::dr1 {
#define GEN_PASS_DEF_VNNIMATMUL
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

constexpr int64_t kNC = 256; // columns per cache block of the weights

/// Which instructions the pass may use (its options).
struct DotOptions {
  bool vnni, bf16, sdot;
};

/// What one kind of dot-product instruction needs: operand element type,
/// accumulator type, values per 32-bit lane, the intrinsic, whether
/// activations are flipped to unsigned (vpdpbusd is u8 x s8), and the
/// register tile: `mr` rows x `vecs` vectors of `lanes` 32-bit lanes.
struct DotKind {
  Type elt, acc;
  int64_t group;
  StringRef intrinsic;
  bool flip;
  int64_t lanes, vecs, mr;

  static std::optional<DotKind> of(Type a, Type b, Type c,
                                   const DotOptions &o) {
    bool int8 = a.isInteger(8) && b.isInteger(8) && c.isInteger(32);
    // zmm: 8 x 32 tiles, 16 of the 32 registers accumulating.
    if (o.vnni && int8)
      return DotKind{a, c, 4, "llvm.x86.avx512.vpdpbusd.512", true, 16, 2, 8};
    if (o.bf16 && a.isBF16() && b.isBF16() && c.isF32())
      return DotKind{a,     c,  2, "llvm.x86.avx512bf16.dpbf16ps.512",
                     false, 16, 2, 8};
    // NEON (s8 x s8, no flip): 4 x 16 tiles, 16 of the 32 registers.
    if (o.sdot && int8)
      return DotKind{a,     c, 4, "llvm.aarch64.neon.sdot.v4i32.v16i8",
                     false, 4, 4, 4};
    return std::nullopt;
  }
  int64_t bytes() const { return 4 / group; }
  /// Columns per register tile (and per packed panel).
  int64_t nr() const { return lanes * vecs; }
  /// The instruction's operand: <64 x i8> or <32 x bf16> (zmm), <16 x i8>
  /// (NEON).
  VectorType operandType() const {
    return VectorType::get({lanes * group}, elt);
  }
  VectorType laneType() const { return VectorType::get({lanes}, acc); }
  VectorType laneI32(OpBuilder &b) const {
    return VectorType::get({lanes}, b.getI32Type());
  }
};

/// The raw bytes of a constant of `count` elements of `bytes` bytes each,
/// splats expanded; empty if not at hand.
std::vector<char> constantData(Value v, int64_t count, int64_t bytes) {
  ElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return {};
  if (auto dense = dyn_cast<DenseElementsAttr>(attr);
      dense && dense.isSplat()) {
    Attribute splat = dense.getSplatValue<Attribute>();
    APInt bits;
    if (auto f = dyn_cast<FloatAttr>(splat))
      bits = f.getValue().bitcastToAPInt();
    else
      bits = cast<IntegerAttr>(splat).getValue();
    std::vector<char> out(count * bytes);
    for (int64_t i = 0; i < count; ++i)
      for (int64_t j = 0; j < bytes; ++j)
        out[i * bytes + j] =
            static_cast<char>(bits.extractBitsAsZExtValue(8, 8 * j));
    return out;
  }
  std::optional<ArrayRef<char>> raw = dr1::getRawConstantData(attr);
  if (!raw || static_cast<int64_t>(raw->size()) != count * bytes)
    return {};
  return std::vector<char>(raw->begin(), raw->end());
}

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> v) {
  return llvm::map_to_vector(
      v, [&](int64_t x) -> OpFoldResult { return b.getIndexAttr(x); });
}

/// A zero-filled init: the product needs no addend.
bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_Zero());
}

/// The activations `x` (innermost dimension the reduction) ready for the
/// kernel: that dimension padded to `padded` (pad values meet zero
/// weights) and, for vpdpbusd, i8 flipped to unsigned, x ^ 0x80 = x + 128.
Value prepareActivations(OpBuilder &b, Location loc, const DotKind &kind,
                         Value x, int64_t padded) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t rank = t.getRank();
  Type i8 = b.getI8Type();
  SmallVector<int64_t> shape(t.getShape());
  shape.back() = padded;
  Value flip =
      kind.flip ? arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, -128))
                : Value();
  if (padded != t.getShape().back()) {
    Value empty = tensor::EmptyOp::create(b, loc, shape, kind.elt);
    Value pad =
        kind.flip ? flip
                  : arith::ConstantOp::create(b, loc, b.getZeroAttr(kind.elt));
    Value filled = linalg::FillOp::create(b, loc, pad, empty).getResult(0);
    x = tensor::InsertSliceOp::create(
        b, loc, x, filled, indexAttrs(b, SmallVector<int64_t>(rank, 0)),
        indexAttrs(b, t.getShape()),
        indexAttrs(b, SmallVector<int64_t>(rank, 1)));
  }
  if (!kind.flip)
    return x;
  auto id = b.getMultiDimIdentityMap(rank);
  return linalg::GenericOp::create(
             b, loc, RankedTensorType::get(shape, i8), ValueRange{x},
             ValueRange{tensor::EmptyOp::create(b, loc, shape, i8)},
             ArrayRef<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l,
                   arith::XOrIOp::create(nb, l, args[0], flip).getResult());
             })
      .getResult(0);
}

/// `y` (the padded result) cut to `type` and, unless the product started
/// from zero, plus its initial value.
Value finishResult(OpBuilder &b, Location loc, Value y, RankedTensorType type,
                   Value init) {
  int64_t rank = type.getRank();
  if (cast<RankedTensorType>(y.getType()).getShape() != type.getShape())
    y = tensor::ExtractSliceOp::create(
        b, loc, y, indexAttrs(b, SmallVector<int64_t>(rank, 0)),
        indexAttrs(b, type.getShape()),
        indexAttrs(b, SmallVector<int64_t>(rank, 1)));
  if (isZeroFill(init))
    return y;
  auto id = b.getMultiDimIdentityMap(rank);
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{y, init},
             ValueRange{tensor::EmptyOp::create(b, loc, type.getShape(),
                                                type.getElementType())},
             ArrayRef<AffineMap>{id, id, id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value sum = isa<FloatType>(args[0].getType())
                               ? arith::AddFOp::create(nb, l, args[0], args[1])
                                     .getResult()
                               : arith::AddIOp::create(nb, l, args[0], args[1])
                                     .getResult();
               linalg::YieldOp::create(nb, l, sum);
             })
      .getResult(0);
}

struct VNNIMatmulPass : mlir::dr1::impl::VNNIMatmulBase<VNNIMatmulPass> {
  using VNNIMatmulBase::VNNIMatmulBase;

  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> products;
    getOperation().walk([&](linalg::MatmulOp mm) { products.push_back(mm); });
    for (linalg::MatmulOp mm : products)
      rewrite(mm);
    SmallVector<linalg::Conv2DNhwcHwcfOp> convs;
    getOperation().walk(
        [&](linalg::Conv2DNhwcHwcfOp conv) { convs.push_back(conv); });
    for (linalg::Conv2DNhwcHwcfOp conv : convs)
      rewriteConv(conv);
  }

  /// The same kernel for convolutions (NHWC x HWCF), as an implicit GEMM:
  /// each 8-pixel x 32-filter tile of an output row sums, over the taps and
  /// input channels, one input pixel's 4 channels (broadcast) times a
  /// panel of 32 filters' 4 channels. No im2col buffer: the activations
  /// are read in place (flipped to unsigned, channels padded to 4).
  void rewriteConv(linalg::Conv2DNhwcHwcfOp conv) {
    if (!conv.hasPureTensorSemantics())
      return;
    auto xt = dyn_cast<RankedTensorType>(conv.getInputs()[0].getType());
    auto wt = dyn_cast<RankedTensorType>(conv.getInputs()[1].getType());
    auto ot = dyn_cast<RankedTensorType>(conv.getOutputs()[0].getType());
    if (!xt || !wt || !ot || !xt.hasStaticShape() || !wt.hasStaticShape() ||
        !ot.hasStaticShape())
      return;
    std::optional<DotKind> kind =
        DotKind::of(xt.getElementType(), wt.getElementType(),
                    ot.getElementType(), DotOptions{int8, bf16, sdot});
    if (!kind)
      return;
    int64_t nImg = xt.getDimSize(0), c = xt.getDimSize(3);
    int64_t kh = wt.getDimSize(0), kw = wt.getDimSize(1), f = wt.getDimSize(3);
    int64_t oh = ot.getDimSize(1), ow = ot.getDimSize(2);
    int64_t g = kind->group, eb = kind->bytes();
    std::vector<char> w =
        constantData(conv.getInputs()[1], kh * kw * c * f, eb);
    if (w.empty())
      return;
    SmallVector<int64_t> st(conv.getStrides().getValues<int64_t>()),
        dl(conv.getDilations().getValues<int64_t>());
    LLVM_DEBUG(llvm::dbgs() << "vnni conv: " << kh << "x" << kw << " " << c
                            << "->" << f << " at " << oh << "x" << ow << "\n");

    OpBuilder b(conv);
    Location loc = conv.getLoc();
    int64_t cp = llvm::alignTo(c, g), c4 = cp / g;
    int64_t kNR = kind->nr(), kMR = kind->mr;
    int64_t fp = llvm::alignTo(f, kNR), panels = fp / kNR;
    Type i32 = b.getI32Type();

    // Filters as panels [F/32][KH][KW][C/g][32 filters][g channels].
    std::vector<char> packed(panels * kh * kw * c4 * kNR * g * eb, 0);
    std::vector<int32_t> corr(fp, 0);
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j)
        for (int64_t cc = 0; cc < c; ++cc)
          for (int64_t ff = 0; ff < f; ++ff) {
            int64_t from = ((i * kw + j) * c + cc) * f + ff;
            int64_t at =
                ((((ff / kNR) * kh + i) * kw + j) * c4 + cc / g) * kNR * g +
                (ff % kNR) * g + cc % g;
            std::copy_n(&w[from * eb], eb, &packed[at * eb]);
            if (kind->flip)
              corr[ff] += 128 * static_cast<int8_t>(w[from]);
          }
    auto packedType =
        RankedTensorType::get({panels, kh, kw, c4, kNR * g}, kind->elt);
    Value wp = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::getFromRawBuffer(packedType, packed));
    Value corrV =
        kind->flip
            ? arith::ConstantOp::create(
                  b, loc,
                  DenseElementsAttr::get(RankedTensorType::get({fp}, i32),
                                         ArrayRef<int32_t>(corr)))
                  .getResult()
            : Value();

    Value xu = prepareActivations(b, loc, *kind, conv.getInputs()[0], cp);

    auto idx = [&](OpBuilder &bb, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(bb, loc, v);
    };
    Value res = tensor::EmptyOp::create(b, loc, {nImg, oh, ow, fp}, kind->acc);
    int64_t owMain = ow - ow % kMR;
    // Output row (n, y) into `r`, at (wn, wy) of it: per filter panel, the
    // pixels in tiles of MR, then one by one.
    auto row = [&](OpBuilder &b2, Location l2, Value r, Value n, Value y,
                   Value wn, Value wy) -> Value {
      return scf::ForOp::create(
                 b2, l2, idx(b2, 0), idx(b2, panels), idx(b2, 1), ValueRange{r},
                 [&](OpBuilder &b3, Location l3, Value panel, ValueRange it3) {
                   Value r = it3[0];
                   auto pixels = [&](Value r, int64_t from, int64_t to,
                                     int64_t tile) -> Value {
                     if (from >= to)
                       return r;
                     return scf::ForOp::create(
                                b3, l3, idx(b3, from), idx(b3, to),
                                idx(b3, tile), ValueRange{r},
                                [&](OpBuilder &b4, Location l4, Value x0,
                                    ValueRange it4) {
                                  ConvTile t{*kind, xu,    wp,   corrV, n,
                                             y,     wn,    wy,   x0,    panel,
                                             tile,  kh,    kw,   c4,    st[0],
                                             st[1], dl[0], dl[1]};
                                  scf::YieldOp::create(
                                      b4, l4, convKernel(b4, l4, t, it4[0]));
                                })
                         .getResult(0);
                   };
                   r = pixels(r, 0, owMain, kMR);
                   r = pixels(r, owMain, ow, 1);
                   scf::YieldOp::create(b3, l3, r);
                 })
          .getResult(0);
    };
    Value rows;
    bool nested = conv->getParentOfType<scf::ForallOp>() ||
                  conv->getParentOfType<scf::ParallelOp>();
    if (parallel && !nested &&
        dr1::loopWork(cast<linalg::LinalgOp>(conv.getOperation())) >=
            dr1::kMinParallelWork) {
      // Output rows (of every image) are shared out between threads.
      auto forall = scf::ForallOp::create(
          b, loc,
          SmallVector<OpFoldResult>{b.getIndexAttr(nImg), b.getIndexAttr(oh)},
          ValueRange{res}, std::nullopt);
      OpBuilder fb = OpBuilder::atBlockBegin(forall.getBody());
      Value n = forall.getInductionVar(0), y = forall.getInductionVar(1);
      SmallVector<OpFoldResult> offs{n, y, fb.getIndexAttr(0),
                                     fb.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes{fb.getIndexAttr(1), fb.getIndexAttr(1),
                                      fb.getIndexAttr(ow), fb.getIndexAttr(fp)};
      SmallVector<OpFoldResult> unit(4, fb.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(
          fb, loc, forall.getRegionIterArgs()[0], offs, sizes, unit);
      Value done = row(fb, loc, slice, n, y, idx(fb, 0), idx(fb, 0));
      OpBuilder tb = OpBuilder::atBlockEnd(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(
          tb, loc, done, forall.getRegionIterArgs()[0], offs, sizes, unit);
      rows = forall.getResult(0);
    } else {
      rows = scf::ForOp::create(
                 b, loc, idx(b, 0), idx(b, nImg), idx(b, 1), ValueRange{res},
                 [&](OpBuilder &b1, Location l, Value n, ValueRange it1) {
                   Value r = scf::ForOp::create(
                                 b1, l, idx(b1, 0), idx(b1, oh), idx(b1, 1),
                                 ValueRange{it1[0]},
                                 [&](OpBuilder &b2, Location l2, Value y,
                                     ValueRange it2) {
                                   scf::YieldOp::create(
                                       b2, l2, row(b2, l2, it2[0], n, y, n, y));
                                 })
                                 .getResult(0);
                   scf::YieldOp::create(b1, l, r);
                 })
                 .getResult(0);
    }
    Value out = finishResult(b, loc, rows, ot, conv.getOutputs()[0]);
    conv.getResult(0).replaceAllUsesWith(out);
    conv.erase();
  }

  /// Output pixels (n, y, x0...) x 32 filters of `panel`, written at
  /// (wn, wy, x0...) of the result tensor the kernel gets.
  struct ConvTile {
    DotKind kind;
    Value xu, wp, corr, n, y, wn, wy, x0, panel;
    int64_t pixels, kh, kw, c4, sh, sw, dh, dw;
  };

  /// `t.pixels` output pixels (y, x0...) x 32 filters of image n.
  Value convKernel(OpBuilder &b, Location loc, const ConvTile &t, Value res) {
    const DotKind &kind = t.kind;
    int64_t g = kind.group, lanes = kind.lanes, vecs = kind.vecs;
    auto v16 = kind.laneType();
    auto v16i32 = kind.laneI32(b);
    auto vOp = kind.operandType();
    auto vG = VectorType::get({g}, kind.elt);
    auto v1 = VectorType::get({1}, b.getI32Type());
    auto cst = [&](OpBuilder &bb, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(bb, loc, v);
    };
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v16, b.getZeroAttr(kind.acc)));
    Value padElt = arith::ConstantOp::create(b, loc, b.getZeroAttr(kind.elt));
    SmallVector<Value> accs(t.pixels * vecs, zero);
    StringAttr dot = b.getStringAttr(kind.intrinsic);
    Value yIn = arith::MulIOp::create(b, loc, t.y, cst(b, t.sh));
    auto loopI = scf::ForOp::create(
        b, loc, cst(b, 0), cst(b, t.kh), cst(b, 1), accs,
        [&](OpBuilder &bi, Location l, Value i, ValueRange accI) {
          Value row = arith::AddIOp::create(
              bi, l, yIn, arith::MulIOp::create(bi, l, i, cst(bi, t.dh)));
          auto loopJ = scf::ForOp::create(
              bi, l, cst(bi, 0), cst(bi, t.kw), cst(bi, 1), accI,
              [&](OpBuilder &bj, Location l2, Value j, ValueRange accJ) {
                Value colOff = arith::MulIOp::create(bj, l2, j, cst(bj, t.dw));
                auto loopC = scf::ForOp::create(
                    bj, l2, cst(bj, 0), cst(bj, t.c4), cst(bj, 1), accJ,
                    [&](OpBuilder &bc, Location l3, Value cc, ValueRange acc) {
                      SmallVector<Value> bv;
                      for (int64_t hh = 0; hh < vecs; ++hh)
                        bv.push_back(vector::TransferReadOp::create(
                            bc, l3, vOp, t.wp,
                            ValueRange{t.panel, i, j, cc,
                                       cst(bc, hh * lanes * g)},
                            padElt, ArrayRef<bool>{true}));
                      Value ch = arith::MulIOp::create(bc, l3, cc, cst(bc, g));
                      SmallVector<Value> next;
                      for (int64_t r = 0; r < t.pixels; ++r) {
                        Value px = arith::AddIOp::create(
                            bc, l3,
                            arith::MulIOp::create(
                                bc, l3,
                                arith::AddIOp::create(bc, l3, t.x0, cst(bc, r)),
                                cst(bc, t.sw)),
                            colOff);
                        Value a4 = vector::TransferReadOp::create(
                            bc, l3, vG, t.xu, ValueRange{t.n, row, px, ch},
                            padElt, ArrayRef<bool>{true});
                        Value s = vector::ExtractOp::create(
                            bc, l3, vector::BitCastOp::create(bc, l3, v1, a4),
                            ArrayRef<int64_t>{0});
                        Value a = vector::BitCastOp::create(
                            bc, l3, vOp,
                            vector::BroadcastOp::create(bc, l3, v16i32, s));
                        for (int64_t hh = 0; hh < vecs; ++hh)
                          next.push_back(
                              LLVM::CallIntrinsicOp::create(
                                  bc, l3, v16, dot,
                                  ValueRange{acc[r * vecs + hh], a, bv[hh]})
                                  .getResult(0));
                      }
                      scf::YieldOp::create(bc, l3, next);
                    });
                scf::YieldOp::create(bj, l2, loopC.getResults());
              });
          scf::YieldOp::create(bi, l, loopJ.getResults());
        });
    Value padI32 = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    Value f0 = arith::MulIOp::create(b, loc, t.panel, cst(b, kind.nr()));
    for (int64_t hh = 0; hh < vecs; ++hh) {
      Value col = arith::AddIOp::create(b, loc, f0, cst(b, hh * lanes));
      Value cv = kind.flip
                     ? vector::TransferReadOp::create(b, loc, v16i32, t.corr,
                                                      ValueRange{col}, padI32,
                                                      ArrayRef<bool>{true})
                           .getResult()
                     : Value();
      for (int64_t r = 0; r < t.pixels; ++r) {
        Value px = arith::AddIOp::create(b, loc, t.x0, cst(b, r));
        Value v = loopI.getResult(r * vecs + hh);
        if (kind.flip)
          v = arith::SubIOp::create(b, loc, v, cv);
        res = vector::TransferWriteOp::create(b, loc, v, res,
                                              ValueRange{t.wn, t.wy, px, col},
                                              ArrayRef<bool>{true})
                  .getResult();
      }
    }
    return res;
  }

  void rewrite(linalg::MatmulOp mm) {
    if (mm.hasUserDefinedMaps() || !mm.hasPureTensorSemantics())
      return;
    auto at = dyn_cast<RankedTensorType>(mm.getInputs()[0].getType());
    auto bt = dyn_cast<RankedTensorType>(mm.getInputs()[1].getType());
    auto ct = dyn_cast<RankedTensorType>(mm.getOutputs()[0].getType());
    if (!at || !bt || !ct || !at.hasStaticShape() || !bt.hasStaticShape())
      return;
    std::optional<DotKind> kind =
        DotKind::of(at.getElementType(), bt.getElementType(),
                    ct.getElementType(), DotOptions{int8, bf16, sdot});
    if (!kind)
      return;
    int64_t g = kind->group, eb = kind->bytes();
    int64_t m = at.getDimSize(0), k = at.getDimSize(1), n = bt.getDimSize(1);
    std::vector<char> w = constantData(mm.getInputs()[1], k * n, eb);
    if (w.empty())
      return;
    LLVM_DEBUG(llvm::dbgs() << "vnni: " << m << "x" << n << "x" << k << "\n");

    OpBuilder b(mm);
    Location loc = mm.getLoc();
    int64_t kNR = kind->nr(), kMR = kind->mr;
    int64_t kp = llvm::alignTo(k, g), np = llvm::alignTo(n, kNR);
    int64_t k4 = kp / g, panels = np / kNR;
    Type i32 = b.getI32Type();

    // Weights as panels: [N/32][K/g][32 columns][g k], zeros beyond N, K;
    // for int8, corr[n] = 128 * sum_k w[k][n], what the +128 on
    // activations adds.
    std::vector<char> packed(panels * k4 * kNR * g * eb, 0);
    std::vector<int32_t> corr(np, 0);
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t nn = 0; nn < n; ++nn) {
        int64_t from = kk * n + nn;
        int64_t at =
            ((nn / kNR) * k4 + kk / g) * kNR * g + (nn % kNR) * g + kk % g;
        std::copy_n(&w[from * eb], eb, &packed[at * eb]);
        if (kind->flip)
          corr[nn] += 128 * static_cast<int8_t>(w[from]);
      }
    auto packedType = RankedTensorType::get({panels, k4, kNR * g}, kind->elt);
    Value bp = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::getFromRawBuffer(packedType, packed));
    auto corrType = RankedTensorType::get({np}, i32);
    Value corrV =
        kind->flip
            ? arith::ConstantOp::create(
                  b, loc,
                  DenseElementsAttr::get(corrType, ArrayRef<int32_t>(corr)))
                  .getResult()
            : Value();

    // Activations with K padded to g (int8: as unsigned bytes).
    Value au = prepareActivations(b, loc, *kind, mm.getInputs()[0], kp);

    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value res = tensor::EmptyOp::create(b, loc, {m, np}, kind->acc);
    Value c0 = idx(0), cK4 = idx(k4), c1 = idx(1);
    // Columns in blocks of nc (a divisor of Np, at most 256) so that a
    // block of weights stays in L2.
    int64_t nc = kNR;
    for (int64_t d = kNR; d <= std::min(kNC, np); d += kNR)
      if (np % d == 0)
        nc = d;

    // Rows [rowBase, rowBase + rowCount) x columns [colBase, colBase + nc)
    // of the result into `r`, whose element (0, 0) is at (wRow, wCol) of
    // the result: rows in tiles of MR, then one by one.
    auto block = [&](OpBuilder &bb, Location l, Value r, Value rowBase,
                     Value rowCount, Value colBase, Value wRow,
                     Value wCol) -> Value {
      auto cst = [&](int64_t v) -> Value {
        return arith::ConstantIndexOp::create(bb, l, v);
      };
      Value mainEnd = arith::SubIOp::create(
          bb, l, rowCount, arith::RemUIOp::create(bb, l, rowCount, cst(kMR)));
      Value colEnd = arith::AddIOp::create(bb, l, colBase, cst(nc));
      auto rows = [&](Value r, Value from, Value to, int64_t tile) -> Value {
        return scf::ForOp::create(
                   bb, l, from, to, cst(tile), ValueRange{r},
                   [&](OpBuilder &b2, Location l2, Value i, ValueRange it2) {
                     Value m0 = arith::AddIOp::create(b2, l2, rowBase, i);
                     Value wm0 = arith::SubIOp::create(b2, l2, m0, wRow);
                     auto cols = scf::ForOp::create(
                         b2, l2, colBase, colEnd, cst(kNR), ValueRange{it2[0]},
                         [&](OpBuilder &b3, Location l3, Value n0,
                             ValueRange it3) {
                           Value wn0 = arith::SubIOp::create(b3, l3, n0, wCol);
                           scf::YieldOp::create(
                               b3, l3,
                               kernel(b3, l3, *kind, au, bp, corrV, it3[0], m0,
                                      n0, wm0, wn0, tile, cK4, c0, c1));
                         });
                     scf::YieldOp::create(b2, l2, cols.getResult(0));
                   })
            .getResult(0);
      };
      r = rows(r, cst(0), mainEnd, kMR);
      return rows(r, mainEnd, rowCount, 1);
    };

    Value out;
    bool nested = mm->getParentOfType<scf::ForallOp>() ||
                  mm->getParentOfType<scf::ParallelOp>();
    if (parallel && !nested && m * n * k >= dr1::kMinParallelWork) {
      // Threads share a grid of row chunks x column blocks: enough tasks
      // to balance (about 8), rows split only as far as needed.
      int64_t blocks = np / nc;
      int64_t chunks = std::clamp<int64_t>(llvm::divideCeil(8, blocks), 1,
                                           llvm::divideCeil(m, kMR));
      int64_t rc = llvm::alignTo(llvm::divideCeil(m, chunks), kMR);
      chunks = llvm::divideCeil(m, rc);
      auto forall = scf::ForallOp::create(
          b, loc,
          SmallVector<OpFoldResult>{b.getIndexAttr(chunks),
                                    b.getIndexAttr(blocks)},
          ValueRange{res}, std::nullopt);
      OpBuilder fb = OpBuilder::atBlockBegin(forall.getBody());
      auto fidx = [&](int64_t v) -> Value {
        return arith::ConstantIndexOp::create(fb, loc, v);
      };
      Value rowBase =
          arith::MulIOp::create(fb, loc, forall.getInductionVar(0), fidx(rc));
      Value rowCount = arith::MinSIOp::create(
          fb, loc, fidx(rc), arith::SubIOp::create(fb, loc, fidx(m), rowBase));
      Value colBase =
          arith::MulIOp::create(fb, loc, forall.getInductionVar(1), fidx(nc));
      SmallVector<OpFoldResult> offs{rowBase, colBase};
      SmallVector<OpFoldResult> sizes{rowCount, fb.getIndexAttr(nc)};
      SmallVector<OpFoldResult> unit(2, fb.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(
          fb, loc, forall.getRegionIterArgs()[0], offs, sizes, unit);
      Value done =
          block(fb, loc, slice, rowBase, rowCount, colBase, rowBase, colBase);
      OpBuilder tb = OpBuilder::atBlockEnd(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(
          tb, loc, done, forall.getRegionIterArgs()[0], offs, sizes, unit);
      out = forall.getResult(0);
    } else {
      out = scf::ForOp::create(
                b, loc, c0, idx(np), idx(nc), ValueRange{res},
                [&](OpBuilder &b1, Location l, Value nb, ValueRange iter) {
                  scf::YieldOp::create(
                      b1, l, block(b1, l, iter[0], c0, idx(m), nb, c0, c0));
                })
                .getResult(0);
    }
    Value y = finishResult(b, loc, out, ct, mm.getOutputs()[0]);
    mm.getResult(0).replaceAllUsesWith(y);
    mm.erase();
  }

  /// One `rows` x nr tile of the result at (m0, n0): the whole K in
  /// registers, then written minus the correction at (wm0, wn0) of `res`.
  Value kernel(OpBuilder &b, Location loc, const DotKind &kind, Value au,
               Value bp, Value corr, Value res, Value m0, Value n0, Value wm0,
               Value wn0, int64_t rows, Value cK4, Value c0, Value c1) {
    int64_t g = kind.group, lanes = kind.lanes, vecs = kind.vecs;
    auto v16 = kind.laneType();
    auto v16i32 = kind.laneI32(b);
    auto vOp = kind.operandType();
    auto vG = VectorType::get({g}, kind.elt);
    auto v1 = VectorType::get({1}, b.getI32Type());
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value panel = arith::DivUIOp::create(b, loc, n0, cst(kind.nr()));
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v16, b.getZeroAttr(kind.acc)));
    Value padElt = arith::ConstantOp::create(b, loc, b.getZeroAttr(kind.elt));
    SmallVector<Value> accs(rows * vecs, zero);
    StringAttr dot = b.getStringAttr(kind.intrinsic);
    auto kLoop = scf::ForOp::create(
        b, loc, c0, cK4, c1, accs,
        [&](OpBuilder &kb, Location l, Value kk, ValueRange acc) {
          SmallVector<Value> bv;
          for (int64_t h = 0; h < vecs; ++h) {
            Value raw = vector::TransferReadOp::create(
                kb, l, vOp, bp, ValueRange{panel, kk, cst(h * lanes * g)},
                padElt, ArrayRef<bool>{true});
            bv.push_back(raw);
          }
          Value k0 = arith::MulIOp::create(kb, l, kk, cst(g));
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value row = arith::AddIOp::create(kb, l, m0, cst(r));
            Value a4 = vector::TransferReadOp::create(
                kb, l, vG, au, ValueRange{row, k0}, padElt,
                ArrayRef<bool>{true});
            Value a1 = vector::BitCastOp::create(kb, l, v1, a4);
            Value s =
                vector::ExtractOp::create(kb, l, a1, ArrayRef<int64_t>{0});
            // (LLVM 22's vpdpbusd takes <64 x i8>, vdpbf16ps <32 x bf16>,
            // sdot <16 x i8>.)
            Value a = vector::BitCastOp::create(
                kb, l, vOp, vector::BroadcastOp::create(kb, l, v16i32, s));
            for (int64_t h = 0; h < vecs; ++h)
              next.push_back(
                  LLVM::CallIntrinsicOp::create(
                      kb, l, v16, dot, ValueRange{acc[r * vecs + h], a, bv[h]})
                      .getResult(0));
          }
          scf::YieldOp::create(kb, l, next);
        });
    Value padI32 = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    for (int64_t h = 0; h < vecs; ++h) {
      Value col = arith::AddIOp::create(b, loc, n0, cst(h * lanes));
      Value wCol = arith::AddIOp::create(b, loc, wn0, cst(h * lanes));
      Value cv = kind.flip
                     ? vector::TransferReadOp::create(b, loc, v16i32, corr,
                                                      ValueRange{col}, padI32,
                                                      ArrayRef<bool>{true})
                           .getResult()
                     : Value();
      for (int64_t r = 0; r < rows; ++r) {
        Value row = arith::AddIOp::create(b, loc, wm0, cst(r));
        Value v = kLoop.getResult(r * vecs + h);
        if (kind.flip)
          v = arith::SubIOp::create(b, loc, v, cv);
        res = vector::TransferWriteOp::create(
                  b, loc, v, res, ValueRange{row, wCol}, ArrayRef<bool>{true})
                  .getResult();
      }
    }
    return res;
  }
};

} // namespace
