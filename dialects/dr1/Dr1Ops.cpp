//===- Dr1Ops.cpp - dr1 op verification, inference and folding ------------===//
#include "dr1/Dr1Ops.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dr1;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> mlir::dr1::broadcastShapes(ArrayRef<int64_t> a,
                                                           ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else if (ShapedType::isDynamic(da) || ShapedType::isDynamic(db))
      out[i] = ShapedType::kDynamic;
    else
      return failure();
  }
  return out;
}

FailureOr<int64_t> mlir::dr1::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return failure();
  return axis < 0 ? axis + rank : axis;
}

int64_t mlir::dr1::windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                    int64_t padBefore, int64_t padAfter,
                                    int64_t dilation, bool ceilMode) {
  if (ShapedType::isDynamic(in))
    return ShapedType::kDynamic;
  int64_t span = in + padBefore + padAfter - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = ceilMode ? (span + stride - 1) / stride + 1 : span / stride + 1;
  // As in PyTorch: the last window must start inside the input or the
  // leading padding, never in the trailing padding only.
  if (ceilMode && (out - 1) * stride >= in + padBefore)
    --out;
  return out;
}

std::optional<ArrayRef<char>> mlir::dr1::getRawConstantData(ElementsAttr attr) {
  Type elt = attr.getElementType();
  if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::nullopt;
    return dense.getRawData();
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getData();
  }
  return std::nullopt;
}

ElementsAttr mlir::dr1::transposeElements(ElementsAttr attr,
                                          ArrayRef<int64_t> perm) {
  auto type = cast<ShapedType>(attr.getType());
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> newShape;
  for (int64_t p : perm)
    newShape.push_back(shape[p]);
  auto newType = RankedTensorType::get(newShape, type.getElementType());
  if (auto splat = dyn_cast<SplatElementsAttr>(attr))
    return splat.reshape(newType);
  std::optional<ArrayRef<char>> raw = getRawConstantData(attr);
  if (!raw)
    return nullptr;
  size_t eltBytes = type.getElementTypeBitWidth() / 8;
  int64_t rank = shape.size(), count = type.getNumElements();
  if (raw->size() != static_cast<size_t>(count) * eltBytes)
    return nullptr;
  // Source strides, read in the order of the destination's dimensions.
  SmallVector<int64_t> srcStrides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    srcStrides[i] = srcStrides[i + 1] * shape[i + 1];
  SmallVector<int64_t> permStrides;
  for (int64_t p : perm)
    permStrides.push_back(srcStrides[p]);
  std::vector<char> out(raw->size());
  SmallVector<int64_t> idx(rank, 0);
  int64_t src = 0;
  for (int64_t dst = 0; dst < count; ++dst) {
    std::memcpy(out.data() + dst * eltBytes, raw->data() + src * eltBytes,
                eltBytes);
    for (int64_t d = rank - 1; d >= 0; --d) {
      src += permStrides[d];
      if (++idx[d] < newShape[d])
        break;
      src -= permStrides[d] * newShape[d];
      idx[d] = 0;
    }
  }
  return DenseElementsAttr::getFromRawBuffer(newType, out);
}

std::optional<std::vector<float>> mlir::dr1::getF32Values(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  int64_t n = type.getNumElements();
  std::vector<float> out(n);
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    auto values = dense.getValues<float>();
    std::copy(values.begin(), values.end(), out.begin());
    return out;
  }
  std::optional<ArrayRef<char>> raw = getRawConstantData(attr);
  if (!raw || raw->size() != static_cast<size_t>(n) * sizeof(float))
    return std::nullopt;
  std::memcpy(out.data(), raw->data(), raw->size());
  return out;
}

static std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

ElementsAttr mlir::dr1::reshapeElements(ElementsAttr attr,
                                        ArrayRef<int64_t> shape) {
  auto newType = RankedTensorType::get(shape, attr.getElementType());
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense.reshape(newType);
  if (std::optional<ArrayRef<char>> raw = getRawConstantData(attr))
    return DenseElementsAttr::getFromRawBuffer(newType, *raw);
  return nullptr;
}

static LogicalResult fail(std::optional<Location> loc, const Twine &msg) {
  return emitOptionalError(loc, msg);
}

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      ", ");
  os << "]";
  return s;
}

static bool dimsMatch(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

static RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type elt) {
  return RankedTensorType::get(shape, elt);
}

/// Integer products accumulate in i32: narrower integer operands (quantized
/// values) give an i32 result; other element types are kept.
static Type productElementType(Type elt) {
  auto it = dyn_cast<IntegerType>(elt);
  if (it && it.getWidth() < 32)
    return IntegerType::get(elt.getContext(), 32);
  return elt;
}

/// The element type two operands of a product are computed in: they agree,
/// or both are floats of different widths (f16 / bf16 weights stored narrow
/// and widened where they are used), and then the wider one.
static FailureOr<Type> productOperandType(std::optional<Location> loc, Type a,
                                          Type b, StringRef what) {
  Type ea = cast<ShapedType>(a).getElementType();
  Type eb = cast<ShapedType>(b).getElementType();
  if (ea == eb)
    return ea;
  auto fa = dyn_cast<FloatType>(ea), fb = dyn_cast<FloatType>(eb);
  if (!fa || !fb || fa.getWidth() == fb.getWidth())
    return fail(loc, Twine(what) + " element type " + typeStr(eb) +
                         " differs from the input's " + typeStr(ea));
  return fa.getWidth() > fb.getWidth() ? ea : eb;
}

/// The result element type of a product computed in `elt` with an addend
/// (bias, c) of element type `addend` (null: none): the addend has the
/// product's type, or is f32 where the product is f16 / bf16, whose sums
/// are then kept in f32.
static FailureOr<Type> productResultType(std::optional<Location> loc, Type elt,
                                         Type addend, StringRef what) {
  Type want = productElementType(elt);
  if (!addend)
    return want;
  Type got = cast<ShapedType>(addend).getElementType();
  if (got == want || (got.isF32() && (want.isF16() || want.isBF16())))
    return got;
  return fail(loc, Twine(what) + " element type " + typeStr(got) +
                       " differs from the product's " + typeStr(want));
}

/// f16 / bf16 products may return f32: their sums accumulate in f32 (as
/// vdpbf16ps does), and keeping them there avoids a rounding per output.
static bool productTypesCompatible(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != 1 || actual.size() != 1)
    return false;
  if (inferred[0] == actual[0])
    return true;
  auto i = dyn_cast<RankedTensorType>(inferred[0]);
  auto a = dyn_cast<RankedTensorType>(actual[0]);
  return i && a && i.getShape() == a.getShape() &&
         (i.getElementType().isF16() || i.getElementType().isBF16()) &&
         a.getElementType().isF32();
}

bool MatmulOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return productTypesCompatible(l, r);
}
bool LinearOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return productTypesCompatible(l, r);
}
bool GemmOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return productTypesCompatible(l, r);
}
bool Conv2DOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return productTypesCompatible(l, r);
}

static LogicalResult sameElementType(std::optional<Location> loc, Type a,
                                     Type b, StringRef what) {
  Type ea = cast<ShapedType>(a).getElementType();
  Type eb = cast<ShapedType>(b).getElementType();
  if (ea != eb)
    return fail(loc, Twine(what) + " element type " + typeStr(eb) +
                         " differs from the input's " + typeStr(ea));
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return fail(loc, "matmul operands must have rank >= 2, got lhs " +
                         shapeStr(lhs.getShape()) + " and rhs " +
                         shapeStr(rhs.getShape()));
  FailureOr<Type> elt = productOperandType(loc, lhs, rhs, "rhs");
  if (failed(elt))
    return failure();
  int64_t m = lhs.getDimSize(lhs.getRank() - 2);
  int64_t k = lhs.getDimSize(lhs.getRank() - 1);
  int64_t k2 = rhs.getDimSize(rhs.getRank() - 2);
  int64_t n = rhs.getDimSize(rhs.getRank() - 1);
  if (!dimsMatch(k, k2))
    return fail(loc, "matmul contraction mismatch: lhs " +
                         shapeStr(lhs.getShape()) + " has K = " + Twine(k) +
                         " but rhs " + shapeStr(rhs.getShape()) + " has K = " +
                         Twine(k2));
  auto batch = broadcastShapes(lhs.getShape().drop_back(2),
                               rhs.getShape().drop_back(2));
  if (failed(batch))
    return fail(loc, "matmul batch dimensions do not broadcast: lhs " +
                         shapeStr(lhs.getShape()) + ", rhs " +
                         shapeStr(rhs.getShape()));
  SmallVector<int64_t> shape(*batch);
  shape.append({m, n});
  types.push_back(tensorOf(shape, productElementType(*elt)));
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto q = cast<RankedTensorType>(adaptor.getQuery().getType());
  auto kt = cast<RankedTensorType>(adaptor.getKeyT().getType());
  auto v = cast<RankedTensorType>(adaptor.getValue().getType());
  int64_t rank = q.getRank();
  if (rank < 2 || kt.getRank() != rank || v.getRank() != rank)
    return fail(loc, "attention operands must have the same rank >= 2, got "
                     "query " + shapeStr(q.getShape()) + ", key_t " +
                         shapeStr(kt.getShape()) + " and value " +
                         shapeStr(v.getShape()));
  if (failed(sameElementType(loc, q, kt, "key_t")) ||
      failed(sameElementType(loc, q, v, "value")))
    return failure();
  ArrayRef<int64_t> batch = q.getShape().drop_back(2);
  if (kt.getShape().drop_back(2) != batch || v.getShape().drop_back(2) != batch)
    return fail(loc, "attention batch dimensions differ: query " +
                         shapeStr(q.getShape()) + ", key_t " +
                         shapeStr(kt.getShape()) + ", value " +
                         shapeStr(v.getShape()));
  int64_t sq = q.getDimSize(rank - 2), d = q.getDimSize(rank - 1);
  int64_t sk = kt.getDimSize(rank - 1), dv = v.getDimSize(rank - 1);
  if (!dimsMatch(d, kt.getDimSize(rank - 2)) ||
      !dimsMatch(sk, v.getDimSize(rank - 2)))
    return fail(loc, "attention shapes do not chain: query " +
                         shapeStr(q.getShape()) + ", key_t " +
                         shapeStr(kt.getShape()) + ", value " +
                         shapeStr(v.getShape()));
  SmallVector<int64_t> scores(batch);
  scores.append({sq, sk});
  if (Value mask = adaptor.getMask()) {
    auto mt = cast<RankedTensorType>(mask.getType());
    if (failed(sameElementType(loc, q, mt, "mask")))
      return failure();
    auto bc = broadcastShapes(scores, mt.getShape());
    if (failed(bc) || ArrayRef<int64_t>(*bc) != ArrayRef<int64_t>(scores))
      return fail(loc, "attention mask " + shapeStr(mt.getShape()) +
                           " does not broadcast to the scores " +
                           shapeStr(scores));
  }
  SmallVector<int64_t> shape(batch);
  shape.append({sq, dv});
  types.push_back(tensorOf(shape, q.getElementType()));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto w = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (in.getRank() < 1)
    return fail(loc, "linear input must have rank >= 1");
  if (w.getRank() != 2)
    return fail(loc, "linear weight must be 2-D [N, K], got " +
                         shapeStr(w.getShape()));
  FailureOr<Type> elt = productOperandType(loc, in, w, "weight");
  if (failed(elt))
    return failure();
  int64_t k = in.getDimSize(in.getRank() - 1);
  if (!dimsMatch(k, w.getDimSize(1)))
    return fail(loc, "linear weight " + shapeStr(w.getShape()) +
                         " expects K = " + Twine(w.getDimSize(1)) +
                         " but the input " + shapeStr(in.getShape()) +
                         " has K = " + Twine(k));
  int64_t n = w.getDimSize(0);
  if (Value bias = adaptor.getBias()) {
    auto b = cast<RankedTensorType>(bias.getType());
    if (b.getRank() != 1 || !dimsMatch(b.getDimSize(0), n))
      return fail(loc, "linear bias must be [" + Twine(n) + "], got " +
                           shapeStr(b.getShape()));
  }
  FailureOr<Type> result = productResultType(
      loc, *elt, adaptor.getBias() ? adaptor.getBias().getType() : Type(),
      "bias");
  if (failed(result))
    return failure();
  SmallVector<int64_t> shape(in.getShape().drop_back());
  shape.push_back(n);
  types.push_back(tensorOf(shape, *result));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto a = cast<RankedTensorType>(adaptor.getA().getType());
  auto b = cast<RankedTensorType>(adaptor.getB().getType());
  if (a.getRank() != 2 || b.getRank() != 2)
    return fail(loc, "gemm operands must be 2-D, got a " +
                         shapeStr(a.getShape()) + " and b " +
                         shapeStr(b.getShape()));
  FailureOr<Type> elt = productOperandType(loc, a, b, "b");
  if (failed(elt))
    return failure();
  bool ta = adaptor.getTransA(), tb = adaptor.getTransB();
  int64_t m = a.getDimSize(ta ? 1 : 0), k = a.getDimSize(ta ? 0 : 1);
  int64_t k2 = b.getDimSize(tb ? 1 : 0), n = b.getDimSize(tb ? 0 : 1);
  if (!dimsMatch(k, k2))
    return fail(loc, "gemm contraction mismatch: op(a) is [" + Twine(m) +
                         ", " + Twine(k) + "] but op(b) is [" + Twine(k2) +
                         ", " + Twine(n) + "]");
  if (Value c = adaptor.getC()) {
    auto ct = cast<RankedTensorType>(c.getType());
    auto bc = broadcastShapes({m, n}, ct.getShape());
    if (ct.getRank() > 2 || failed(bc) || (*bc)[0] != m || (*bc)[1] != n)
      return fail(loc, "gemm c " + shapeStr(ct.getShape()) +
                           " does not broadcast to [" + Twine(m) + ", " +
                           Twine(n) + "]");
  }
  FailureOr<Type> result = productResultType(
      loc, *elt, adaptor.getC() ? adaptor.getC().getType() : Type(), "c");
  if (failed(result))
    return failure();
  types.push_back(tensorOf({m, n}, *result));
  return success();
}

namespace {
/// gemm without scaling becomes linear (b transposed) or matmul: the forms
/// fusion, quantization and the code generators specialise on.
struct SimplifyGemm : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTransA() || op.getAlpha().convertToFloat() != 1.0f ||
        op.getBeta().convertToFloat() != 1.0f)
      return failure();
    Value c = op.getC();
    int64_t n = op.getType().getDimSize(1);
    if (op.getTransB()) {
      if (c && !(cast<RankedTensorType>(c.getType()).getShape() ==
                 ArrayRef<int64_t>{n}))
        return failure();
      rewriter.replaceOpWithNewOp<LinearOp>(op, op.getA(), op.getB(), c);
      return success();
    }
    if (c)
      return failure();
    rewriter.replaceOpWithNewOp<MatmulOp>(op, op.getA(), op.getB());
    return success();
  }
};
} // namespace

void GemmOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<SimplifyGemm>(context);
}

//===----------------------------------------------------------------------===//
// Convolution, normalization, pooling
//===----------------------------------------------------------------------===//

static LogicalResult checkWindowAttrs(std::optional<Location> loc,
                                      StringRef op, ArrayRef<int64_t> strides,
                                      ArrayRef<int64_t> padding,
                                      ArrayRef<int64_t> dilations) {
  if (strides.size() != 2 || llvm::any_of(strides, [](int64_t s) { return s < 1; }))
    return fail(loc, op + " strides must be 2 values >= 1, got " +
                         shapeStr(strides));
  if (padding.size() != 4 || llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return fail(loc, op + " padding must be 4 values >= 0 [top, left, "
                          "bottom, right], got " + shapeStr(padding));
  if (dilations.size() != 2 ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return fail(loc, op + " dilations must be 2 values >= 1, got " +
                         shapeStr(dilations));
  return success();
}

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto w = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (in.getRank() != 4)
    return fail(loc, "conv2d input must be 4-D NCHW, got " +
                         shapeStr(in.getShape()));
  if (w.getRank() != 4)
    return fail(loc, "conv2d weight must be 4-D [F, C/groups, KH, KW], got " +
                         shapeStr(w.getShape()));
  FailureOr<Type> elt = productOperandType(loc, in, w, "weight");
  if (failed(elt))
    return failure();
  ArrayRef<int64_t> strides = adaptor.getStrides(), pad = adaptor.getPadding(),
                    dil = adaptor.getDilations();
  if (failed(checkWindowAttrs(loc, "conv2d", strides, pad, dil)))
    return failure();
  int64_t groups = adaptor.getGroups();
  int64_t c = in.getDimSize(1), f = w.getDimSize(0);
  if (groups < 1 || c % groups != 0 || f % groups != 0)
    return fail(loc, "conv2d groups = " + Twine(groups) +
                         " must divide input channels (" + Twine(c) +
                         ") and output channels (" + Twine(f) + ")");
  if (w.getDimSize(1) != c / groups)
    return fail(loc, "conv2d weight " + shapeStr(w.getShape()) +
                         " expects " + Twine(w.getDimSize(1)) +
                         " input channels per group but the input " +
                         shapeStr(in.getShape()) + " has " + Twine(c / groups));
  if (Value bias = adaptor.getBias()) {
    auto b = cast<RankedTensorType>(bias.getType());
    if (b.getRank() != 1 || b.getDimSize(0) != f)
      return fail(loc, "conv2d bias must be [" + Twine(f) + "], got " +
                           shapeStr(b.getShape()));
  }
  FailureOr<Type> result = productResultType(
      loc, *elt, adaptor.getBias() ? adaptor.getBias().getType() : Type(),
      "bias");
  if (failed(result))
    return failure();
  if (adaptor.getPadValue() != 0 && !isa<IntegerType>(in.getElementType()))
    return fail(loc, "conv2d pad_value applies to integer convolutions only");
  int64_t oh = windowOutputSize(in.getDimSize(2), w.getDimSize(2), strides[0],
                                pad[0], pad[2], dil[0], false);
  int64_t ow = windowOutputSize(in.getDimSize(3), w.getDimSize(3), strides[1],
                                pad[1], pad[3], dil[1], false);
  if (oh < 1 || ow < 1)
    return fail(loc, "conv2d kernel " + shapeStr(w.getShape().drop_front(2)) +
                         " does not fit the padded input " +
                         shapeStr(in.getShape()));
  types.push_back(tensorOf({in.getDimSize(0), f, oh, ow}, *result));
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizableOpInterface
//===----------------------------------------------------------------------===//

int64_t MatmulOp::getWeightChannelAxis() {
  return getRhs().getType().getRank() - 1;
}
int64_t MatmulOp::getResultChannelAxis() { return getType().getRank() - 1; }
SmallVector<int64_t> MatmulOp::getWeightReductionDims() {
  return {getRhs().getType().getRank() - 2};
}

int64_t LinearOp::getWeightChannelAxis() { return 0; }
int64_t LinearOp::getResultChannelAxis() { return getType().getRank() - 1; }
SmallVector<int64_t> LinearOp::getWeightReductionDims() { return {1}; }

int64_t Conv2DOp::getWeightChannelAxis() { return 0; }
int64_t Conv2DOp::getResultChannelAxis() { return 1; }
SmallVector<int64_t> Conv2DOp::getWeightReductionDims() { return {1, 2, 3}; }
void Conv2DOp::setActivationZeroPoint(int64_t zp) { setPadValue(zp); }

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() < 2)
    return fail(loc, "batch_norm input must have rank >= 2 [N, C, ...], got " +
                         shapeStr(in.getShape()));
  int64_t c = in.getDimSize(1);
  const char *names[] = {"scale", "bias", "mean", "var"};
  Value params[] = {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(),
                    adaptor.getVar()};
  for (auto [name, v] : llvm::zip(names, params)) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || !dimsMatch(t.getDimSize(0), c))
      return fail(loc, Twine("batch_norm ") + name + " must be [" + Twine(c) +
                           "], got " + shapeStr(t.getShape()));
    if (failed(sameElementType(loc, in, t, name)))
      return failure();
  }
  types.push_back(in);
  return success();
}

static LogicalResult inferPool(std::optional<Location> loc, StringRef op,
                               RankedTensorType in, ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> pad, ArrayRef<int64_t> dil,
                               bool ceilMode, SmallVectorImpl<Type> &types) {
  if (in.getRank() != 4)
    return fail(loc, op + " input must be 4-D NCHW, got " +
                         shapeStr(in.getShape()));
  if (kernel.size() != 2 || llvm::any_of(kernel, [](int64_t k) { return k < 1; }))
    return fail(loc, op + " kernel_shape must be 2 values >= 1, got " +
                         shapeStr(kernel));
  if (failed(checkWindowAttrs(loc, op, strides, pad, dil)))
    return failure();
  if (pad[0] >= kernel[0] || pad[2] >= kernel[0] || pad[1] >= kernel[1] ||
      pad[3] >= kernel[1])
    return fail(loc, op + " padding " + shapeStr(pad) +
                         " must be smaller than the kernel " + shapeStr(kernel));
  int64_t oh = windowOutputSize(in.getDimSize(2), kernel[0], strides[0], pad[0],
                                pad[2], dil[0], ceilMode);
  int64_t ow = windowOutputSize(in.getDimSize(3), kernel[1], strides[1], pad[1],
                                pad[3], dil[1], ceilMode);
  if (oh < 1 || ow < 1)
    return fail(loc, op + " kernel " + shapeStr(kernel) +
                         " does not fit the padded input " +
                         shapeStr(in.getShape()));
  types.push_back(
      tensorOf({in.getDimSize(0), in.getDimSize(1), oh, ow}, in.getElementType()));
  return success();
}

LogicalResult MaxPool2DOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferPool(loc, "max_pool2d",
                   cast<RankedTensorType>(adaptor.getInput().getType()),
                   adaptor.getKernelShape(), adaptor.getStrides(),
                   adaptor.getPadding(), adaptor.getDilations(),
                   adaptor.getCeilMode(), types);
}

LogicalResult AvgPool2DOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  int64_t one[] = {1, 1};
  return inferPool(loc, "avg_pool2d",
                   cast<RankedTensorType>(adaptor.getInput().getType()),
                   adaptor.getKernelShape(), adaptor.getStrides(),
                   adaptor.getPadding(), one, adaptor.getCeilMode(), types);
}

LogicalResult GlobalAvgPoolOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() < 3)
    return fail(loc, "global_avg_pool input must have rank >= 3 [N, C, ...], "
                     "got " + shapeStr(in.getShape()));
  SmallVector<int64_t> shape(in.getShape());
  for (int64_t i = 2; i < in.getRank(); ++i)
    shape[i] = 1;
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult LayerNormOp::verify() {
  auto in = getInput().getType();
  auto axis = normalizeAxis(getAxis(), in.getRank());
  if (failed(axis))
    return emitOpError("axis ") << static_cast<int64_t>(getAxis()) << " is out of range for rank "
                                << in.getRank();
  ArrayRef<int64_t> normShape = in.getShape().drop_front(*axis);
  for (auto [name, v] : {std::pair<StringRef, Value>{"scale", getScale()},
                         {"bias", getBias()}}) {
    if (!v)
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getShape() != normShape)
      return emitOpError() << name << " must have the normalized shape "
                           << shapeStr(normShape) << ", got "
                           << shapeStr(t.getShape());
    if (t.getElementType() != in.getElementType())
      return emitOpError() << name << " element type " << t.getElementType()
                           << " differs from the input's "
                           << in.getElementType();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  if (getMin().convertToFloat() > getMax().convertToFloat())
    return emitOpError("min ") << getMin().convertToFloat()
                               << " is greater than max "
                               << getMax().convertToFloat();
  return success();
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

static LogicalResult inferBinary(std::optional<Location> loc, StringRef op,
                                 Value lhs, Value rhs,
                                 SmallVectorImpl<Type> &types) {
  auto l = cast<RankedTensorType>(lhs.getType());
  auto r = cast<RankedTensorType>(rhs.getType());
  if (l.getElementType() != r.getElementType())
    return fail(loc, op + " operands have different element types " +
                         typeStr(l.getElementType()) + " and " +
                         typeStr(r.getElementType()));
  auto shape = broadcastShapes(l.getShape(), r.getShape());
  if (failed(shape))
    return fail(loc, op + " operand shapes " + shapeStr(l.getShape()) +
                         " and " + shapeStr(r.getShape()) +
                         " do not broadcast");
  types.push_back(tensorOf(*shape, l.getElementType()));
  return success();
}

#define DR1_BINARY_INFER(OP, NAME)                                             \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                           \
                                     std::optional<Location> loc,             \
                                     Adaptor adaptor,                         \
                                     SmallVectorImpl<Type> &types) {          \
    return inferBinary(loc, NAME, adaptor.getLhs(), adaptor.getRhs(), types); \
  }
DR1_BINARY_INFER(AddOp, "add")
DR1_BINARY_INFER(SubOp, "sub")
DR1_BINARY_INFER(MulOp, "mul")
DR1_BINARY_INFER(DivOp, "div")
DR1_BINARY_INFER(PowOp, "pow")
DR1_BINARY_INFER(MaxOp, "max")
DR1_BINARY_INFER(MinOp, "min")
#undef DR1_BINARY_INFER

#define DR1_COMPARE_INFER(OP, NAME)                                            \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                        \
                                     std::optional<Location> loc,             \
                                     Adaptor adaptor,                         \
                                     SmallVectorImpl<Type> &types) {          \
    if (failed(inferBinary(loc, NAME, adaptor.getLhs(), adaptor.getRhs(),     \
                           types)))                                           \
      return failure();                                                       \
    types.back() = RankedTensorType::get(                                     \
        cast<RankedTensorType>(types.back()).getShape(),                      \
        IntegerType::get(ctx, 1));                                            \
    return success();                                                         \
  }
DR1_COMPARE_INFER(EqualOp, "equal")
DR1_COMPARE_INFER(LessOp, "less")
DR1_COMPARE_INFER(GreaterOp, "greater")
#undef DR1_COMPARE_INFER

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  if (failed(inferBinary(loc, "where", adaptor.getLhs(), adaptor.getRhs(), types)))
    return failure();
  auto c = cast<RankedTensorType>(adaptor.getCondition().getType());
  auto shape = broadcastShapes(cast<RankedTensorType>(types.back()).getShape(),
                               c.getShape());
  if (failed(shape))
    return fail(loc, "where condition shape " + shapeStr(c.getShape()) +
                         " does not broadcast with the values' " +
                         shapeStr(cast<RankedTensorType>(types.back()).getShape()));
  types.back() = RankedTensorType::get(
      *shape, cast<RankedTensorType>(types.back()).getElementType());
  return success();
}

/// True if `attr` is a splat constant equal to `value`.
static bool isSplatOf(Attribute attr, double value) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(attr);
  if (!splat)
    return false;
  Type elt = splat.getElementType();
  if (isa<FloatType>(elt))
    return splat.getSplatValue<APFloat>().convertToDouble() == value;
  if (isa<IntegerType>(elt))
    return splat.getSplatValue<APInt>().getSExtValue() ==
           static_cast<int64_t>(value);
  return false;
}

/// x op identity -> x, when that does not change the result type.
static OpFoldResult foldIdentity(Value x, Attribute other, double identity,
                                 Type resultType) {
  if (x.getType() == resultType && isSplatOf(other, identity))
    return x;
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIdentity(getLhs(), adaptor.getRhs(), 0.0, getType()))
    return r;
  return foldIdentity(getRhs(), adaptor.getLhs(), 0.0, getType());
}
OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldIdentity(getLhs(), adaptor.getRhs(), 0.0, getType());
}
OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIdentity(getLhs(), adaptor.getRhs(), 1.0, getType()))
    return r;
  return foldIdentity(getRhs(), adaptor.getLhs(), 1.0, getType());
}
OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldIdentity(getLhs(), adaptor.getRhs(), 1.0, getType());
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  // Gradients start from constants (the loss's seed of 1).
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    if (auto f = dyn_cast<FloatAttr>(splat.getSplatValue<Attribute>())) {
      APFloat v = f.getValue();
      v.changeSign();
      return SplatElementsAttr::get(getType(), FloatAttr::get(f.getType(), v));
    }
  return {};
}

LogicalResult CastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getShape() != out.getShape())
    return emitOpError("cannot change the shape: ")
           << shapeStr(in.getShape()) << " to " << shapeStr(out.getShape());
  for (Type t : {in.getElementType(), out.getElementType()})
    if (!t.isIntOrFloat())
      return emitOpError("element type ") << t << " is not an integer or float";
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// Shared by quantize and dequantize: shapes agree, one (scale, zero point)
/// per tensor or per index of `axis`, scales positive and finite, zero
/// points representable in `intType`.
static LogicalResult verifyQuantParams(Operation *op, RankedTensorType in,
                                       RankedTensorType out,
                                       ArrayRef<float> scale,
                                       ArrayRef<int64_t> zeroPoint,
                                       std::optional<int64_t> axis,
                                       IntegerType intType) {
  if (in.getShape() != out.getShape())
    return op->emitOpError("cannot change the shape: ")
           << shapeStr(in.getShape()) << " to " << shapeStr(out.getShape());
  if (scale.empty() || scale.size() != zeroPoint.size())
    return op->emitOpError("needs as many zero points as scales (at least "
                           "one), got ")
           << scale.size() << " scales and " << zeroPoint.size()
           << " zero points";
  for (float s : scale)
    if (!(s > 0.0f) || !std::isfinite(s))
      return op->emitOpError("scales must be positive and finite, got ") << s;
  unsigned width = intType.getWidth();
  if (width > 64 || width < 2)
    return op->emitOpError("integer type ") << intType << " is not supported";
  int64_t lo = width == 64 ? INT64_MIN : -(int64_t(1) << (width - 1));
  int64_t hi = width == 64 ? INT64_MAX : (int64_t(1) << (width - 1)) - 1;
  for (int64_t z : zeroPoint)
    if (z < lo || z > hi)
      return op->emitOpError("zero point ")
             << z << " does not fit " << intType << " [" << lo << ", " << hi
             << "]";
  if (axis) {
    auto a = normalizeAxis(*axis, in.getRank());
    if (failed(a))
      return op->emitOpError("axis ") << *axis << " is out of range for rank "
                                      << in.getRank();
    int64_t dim = in.getDimSize(*a);
    if (!ShapedType::isDynamic(dim) && int64_t(scale.size()) != dim)
      return op->emitOpError("has ")
             << scale.size() << " scales for axis " << *axis << " of size "
             << dim;
  } else if (scale.size() != 1) {
    return op->emitOpError("has ")
           << scale.size() << " scales but no axis to apply them along";
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  return verifyQuantParams(
      *this, getInput().getType(), getOutput().getType(), getScale(),
      getZeroPoint(), getAxis(),
      cast<IntegerType>(getOutput().getType().getElementType()));
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantParams(
      *this, getInput().getType(), getOutput().getType(), getScale(),
      getZeroPoint(), getAxis(),
      cast<IntegerType>(getInput().getType().getElementType()));
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  // Weights are quantized once, at compile time.
  auto elements = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  auto inType = getInput().getType();
  auto outType = getType();
  auto intType = cast<IntegerType>(outType.getElementType());
  unsigned width = intType.getWidth();
  if (!elements || width > 32)
    return {};
  std::optional<std::vector<float>> maybeValues = getF32Values(elements);
  if (!maybeValues)
    return {};
  std::vector<float> &values = *maybeValues;
  // Per-axis parameters repeat every `inner` elements, `dim` of them.
  int64_t inner = 1, dim = 1;
  if (std::optional<int64_t> axis = getAxis()) {
    int64_t a = *normalizeAxis(*axis, inType.getRank());
    dim = inType.getDimSize(a);
    for (int64_t d = a + 1; d < inType.getRank(); ++d)
      inner *= inType.getDimSize(d);
  }
  double lo = -std::ldexp(1.0, width - 1), hi = std::ldexp(1.0, width - 1) - 1;
  ArrayRef<float> scale = getScale();
  ArrayRef<int64_t> zp = getZeroPoint();
  SmallVector<APInt> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t c = (static_cast<int64_t>(i) / inner) % dim;
    double q = std::nearbyint(static_cast<double>(values[i] / scale[c])) +
               static_cast<double>(zp[c]);
    q = std::clamp(q, lo, hi);
    out.push_back(APInt(width, static_cast<int64_t>(q), /*isSigned=*/true));
  }
  return DenseElementsAttr::get(outType, out);
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  if (failed(normalizeAxis(getAxis(), getInput().getType().getRank())))
    return emitOpError("axis ") << static_cast<int64_t>(getAxis()) << " is out of range for rank "
                                << getInput().getType().getRank();
  return success();
}

LogicalResult LogSoftmaxOp::verify() {
  if (failed(normalizeAxis(getAxis(), getInput().getType().getRank())))
    return emitOpError("axis ") << static_cast<int64_t>(getAxis()) << " is out of range for rank "
                                << getInput().getType().getRank();
  return success();
}

static LogicalResult inferReduce(std::optional<Location> loc, StringRef op,
                                 Value input, ArrayRef<int64_t> axes,
                                 bool keepdims, SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(input.getType());
  int64_t rank = in.getRank();
  llvm::SmallSet<int64_t, 8> reduced;
  for (int64_t a : axes) {
    auto n = normalizeAxis(a, rank);
    if (failed(n))
      return fail(loc, op + " axis " + Twine(a) + " is out of range for rank " +
                           Twine(rank));
    if (!reduced.insert(*n).second)
      return fail(loc, op + " axis " + Twine(a) + " is repeated");
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    bool r = axes.empty() || reduced.contains(i);
    if (!r)
      shape.push_back(in.getDimSize(i));
    else if (keepdims)
      shape.push_back(1);
  }
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

#define DR1_REDUCE_INFER(OP, NAME)                                             \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                           \
                                     std::optional<Location> loc,             \
                                     Adaptor adaptor,                         \
                                     SmallVectorImpl<Type> &types) {          \
    return inferReduce(loc, NAME, adaptor.getInput(), adaptor.getAxes(),      \
                       adaptor.getKeepdims(), types);                         \
  }
DR1_REDUCE_INFER(ReduceSumOp, "reduce_sum")
DR1_REDUCE_INFER(ReduceMeanOp, "reduce_mean")
DR1_REDUCE_INFER(ReduceMaxOp, "reduce_max")
#undef DR1_REDUCE_INFER

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

std::vector<float> mlir::dr1::avgPoolReciprocalCounts(AvgPool2DOp op) {
  auto it = cast<RankedTensorType>(op.getInput().getType());
  auto ot = cast<RankedTensorType>(op.getType());
  ArrayRef<int64_t> k = op.getKernelShape(), s = op.getStrides(),
                    p = op.getPadding();
  int64_t h = it.getDimSize(2), w = it.getDimSize(3);
  std::vector<float> out;
  for (int64_t i = 0; i < ot.getDimSize(2); ++i) {
    int64_t hs = i * s[0] - p[0], he = std::min(hs + k[0], h + p[2]);
    for (int64_t j = 0; j < ot.getDimSize(3); ++j) {
      int64_t ws = j * s[1] - p[1], we = std::min(ws + k[1], w + p[3]);
      int64_t ch = he - hs, cw = we - ws;
      if (!op.getCountIncludePad()) {
        ch = std::min(he, h) - std::max<int64_t>(hs, 0);
        cw = std::min(we, w) - std::max<int64_t>(ws, 0);
      }
      out.push_back(1.0f / static_cast<float>(std::max<int64_t>(1, ch * cw)));
    }
  }
  return out;
}

LogicalResult PadOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("cannot change the element type: ")
           << in.getElementType() << " to " << out.getElementType();
  int64_t rank = in.getRank();
  if (out.getRank() != rank || static_cast<int64_t>(getLow().size()) != rank ||
      static_cast<int64_t>(getStrides().size()) != rank)
    return emitOpError("needs the input's rank (")
           << rank << ") for the result, `low` and `strides`";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = getLow()[d], st = getStrides()[d], n = in.getDimSize(d);
    if (lo < 0 || st < 1)
      return emitOpError("dimension ")
             << d << ": low must be >= 0 and stride >= 1, got " << lo << " and "
             << st;
    if (in.hasStaticShape() && out.hasStaticShape() && n > 0 &&
        lo + (n - 1) * st >= out.getDimSize(d))
      return emitOpError("dimension ")
             << d << ": element " << n - 1 << " lands at " << lo + (n - 1) * st
             << ", outside the result's " << out.getDimSize(d);
  }
  return success();
}

LogicalResult BroadcastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("cannot change the element type: ")
           << in.getElementType() << " to " << out.getElementType();
  if (in.getRank() > out.getRank())
    return emitOpError("cannot broadcast rank ")
           << in.getRank() << " to the lower rank " << out.getRank();
  int64_t lead = out.getRank() - in.getRank();
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t d = in.getDimSize(i), o = out.getDimSize(lead + i);
    if (d != 1 && d != o)
      return emitOpError("input dimension ")
             << i << " (" << d << ") is neither 1 nor the result's " << o;
  }
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return SplatElementsAttr::get(getType(),
                                    splat.getSplatValue<Attribute>());
  return {};
}

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("cannot change the element type: ")
           << in.getElementType() << " to " << out.getElementType();
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError("element count changes from ")
           << in.getNumElements() << " " << shapeStr(in.getShape()) << " to "
           << out.getNumElements() << " " << shapeStr(out.getShape());
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = adaptor.getAxis(), rank = in.getRank();
  if (axis < -rank || axis > rank)
    return fail(loc, "flatten axis " + Twine(axis) +
                         " is out of range for rank " + Twine(rank));
  if (axis < 0)
    axis += rank;
  auto prod = [](ArrayRef<int64_t> dims) {
    int64_t p = 1;
    for (int64_t d : dims) {
      if (ShapedType::isDynamic(d))
        return ShapedType::kDynamic;
      p *= d;
    }
    return p;
  };
  types.push_back(tensorOf({prod(in.getShape().take_front(axis)),
                            prod(in.getShape().drop_front(axis))},
                           in.getElementType()));
  return success();
}

namespace {
struct FlattenToReshape : OpRewritePattern<FlattenOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FlattenOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), op.getInput());
    return success();
  }
};

struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPerm())
      perm.push_back(inner.getPerm()[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, inner.getInput(), perm);
    return success();
  }
};
} // namespace

void FlattenOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<FlattenToReshape>(context);
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  int64_t rank = in.getRank();
  SmallVector<bool> seen(rank, false);
  bool ok = static_cast<int64_t>(perm.size()) == rank;
  for (int64_t p : perm) {
    if (!ok || p < 0 || p >= rank || seen[p]) {
      ok = false;
      break;
    }
    seen[p] = true;
  }
  if (!ok)
    return fail(loc, "transpose perm " + shapeStr(perm) +
                         " is not a permutation of " + Twine(rank) +
                         " dimensions");
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(in.getDimSize(p));
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  if (llvm::equal(getPerm(), llvm::seq<int64_t>(0, getPerm().size())))
    return getInput();
  if (auto attr = dyn_cast_or_null<ElementsAttr>(adaptor.getInput()))
    if (auto t = transposeElements(attr, getPerm()))
      return t;
  return {};
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ComposeTransposes>(context);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return fail(loc, "concat needs at least one input");
  auto first = cast<RankedTensorType>(inputs[0].getType());
  auto axis = normalizeAxis(adaptor.getAxis(), first.getRank());
  if (failed(axis))
    return fail(loc, "concat axis " + Twine(static_cast<int64_t>(adaptor.getAxis())) +
                         " is out of range for rank " + Twine(first.getRank()));
  SmallVector<int64_t> shape(first.getShape());
  for (auto [i, v] : llvm::enumerate(inputs.drop_front())) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != first.getElementType())
      return fail(loc, "concat input " + Twine(i + 1) + " has element type " +
                           typeStr(t.getElementType()) +
                           ", input 0 has " +
                           typeStr(first.getElementType()));
    if (t.getRank() != first.getRank())
      return fail(loc, "concat input " + Twine(i + 1) + " has rank " +
                           Twine(t.getRank()) + ", input 0 has rank " +
                           Twine(first.getRank()));
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d == *axis) {
        shape[d] = ShapedType::isDynamic(shape[d]) || t.isDynamicDim(d)
                       ? ShapedType::kDynamic
                       : shape[d] + t.getDimSize(d);
      } else if (!dimsMatch(shape[d], t.getDimSize(d))) {
        return fail(loc, "concat input " + Twine(i + 1) + " " +
                             shapeStr(t.getShape()) + " differs from input 0 " +
                             shapeStr(first.getShape()) + " in dimension " +
                             Twine(d));
      }
    }
  }
  types.push_back(tensorOf(shape, first.getElementType()));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    steps = adaptor.getSteps();
  int64_t rank = in.getRank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(ends.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return fail(loc, "slice needs one start, end and step per dimension (" +
                         Twine(rank) + "), got " + Twine(starts.size()) + ", " +
                         Twine(ends.size()) + ", " + Twine(steps.size()));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = in.getDimSize(d);
    if (steps[d] < 1)
      return fail(loc, "slice step " + Twine(steps[d]) + " in dimension " +
                           Twine(d) + " must be >= 1");
    if (starts[d] < 0 || starts[d] > ends[d] ||
        (!ShapedType::isDynamic(dim) && ends[d] > dim))
      return fail(loc, "slice [" + Twine(starts[d]) + ", " + Twine(ends[d]) +
                           ") in dimension " + Twine(d) +
                           " is not within [0, " + Twine(dim) + "]");
    shape.push_back((ends[d] - starts[d] + steps[d] - 1) / steps[d]);
  }
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }) &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  return {};
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto axis = normalizeAxis(adaptor.getAxis(), data.getRank());
  if (failed(axis))
    return fail(loc, "gather axis " + Twine(static_cast<int64_t>(adaptor.getAxis())) +
                         " is out of range for rank " + Twine(data.getRank()));
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  types.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

FailureOr<Value> mlir::dr1::buildOp(OpBuilder &b, Location loc, StringRef name,
                                    ArrayRef<Value> operands,
                                    ArrayRef<NamedAttribute> attributes,
                                    Type resultType) {
  MLIRContext *ctx = b.getContext();
  std::string full = ("dr1." + name).str();
  std::optional<RegisteredOperationName> info =
      RegisteredOperationName::lookup(full, ctx);
  if (!info)
    return emitError(loc, "dr1 has no op '") << name << "'";
  SmallVector<Value> values;
  SmallVector<int32_t> segments;
  for (Value v : operands) {
    segments.push_back(v ? 1 : 0);
    if (v)
      values.push_back(v);
  }
  OperationState state(loc, full);
  state.addOperands(values);
  state.addAttributes(attributes);
  if (info->hasTrait<OpTrait::AttrSizedOperandSegments>())
    state.addAttribute("operandSegmentSizes",
                       DenseI32ArrayAttr::get(ctx, segments));
  // A placeholder result type, replaced below.
  state.addTypes(NoneType::get(ctx));
  Operation *op = Operation::create(state);
  if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
    SmallVector<Type> types;
    if (failed(infer.inferReturnTypes(ctx, loc, op->getOperands(),
                                      op->getDiscardableAttrDictionary(),
                                      op->getPropertiesStorage(),
                                      op->getRegions(), types))) {
      op->destroy();
      return failure();
    }
    // A given result type is kept where the op accepts it (an f16 / bf16
    // product declared f32); the verifier below checks that.
    if (!resultType)
      resultType = types.front();
  } else if (!resultType) {
    op->destroy();
    return emitError(loc, "dr1.") << name << " needs an explicit result type";
  }
  op->getResult(0).setType(resultType);
  b.insert(op);
  if (failed(verify(op))) {
    op->erase();
    return failure();
  }
  return op->getResult(0);
}

#include "dr1/Dr1Interfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dr1/Dr1Ops.cpp.inc"
