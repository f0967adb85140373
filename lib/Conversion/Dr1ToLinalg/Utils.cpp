//===- Utils.cpp - helpers shared by the dr1 to linalg patterns -----------===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::dr1;

Value mlir::dr1::scalarConstant(OpBuilder &b, Location loc, Type elt,
                                double value) {
  if (auto ft = dyn_cast<FloatType>(elt))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(elt, static_cast<int64_t>(value)));
}

Value mlir::dr1::lowestValue(OpBuilder &b, Location loc, Type elt) {
  if (auto ft = dyn_cast<FloatType>(elt))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), true)));
  unsigned width = elt.getIntOrFloatBitWidth();
  if (width == 1) // booleans order false < true
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elt, 0));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(elt, APInt::getSignedMinValue(width)));
}

Value mlir::dr1::filledTensor(OpBuilder &b, Location loc,
                              ArrayRef<int64_t> shape, Value scalar) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, scalar.getType());
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

AffineMap mlir::dr1::broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> inShape,
                                  ArrayRef<int64_t> outShape) {
  SmallVector<AffineExpr> exprs;
  size_t offset = outShape.size() - inShape.size();
  for (auto [i, d] : llvm::enumerate(inShape)) {
    if (d == 1 && outShape[i + offset] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(i + offset, ctx));
  }
  return AffineMap::get(outShape.size(), 0, exprs, ctx);
}

Value mlir::dr1::buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                                  RankedTensorType resultType, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(
        broadcastMap(ctx, tensorType(in).getShape(), resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iters(resultType.getRank(),
                                         utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iters,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

Value mlir::dr1::transposeValue(OpBuilder &b, Location loc, Value v,
                                ArrayRef<int64_t> perm) {
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return v;
  ElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr)))
    if (ElementsAttr t = transposeElements(attr, perm))
      return arith::ConstantOp::create(b, loc, cast<TypedAttr>(t));
  auto type = tensorType(v);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

Value mlir::dr1::reshapeValue(OpBuilder &b, Location loc, Value v,
                              ArrayRef<int64_t> shape) {
  auto type = tensorType(v);
  if (type.getShape() == shape)
    return v;
  auto target = RankedTensorType::get(shape, type.getElementType());
  ElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr)))
    if (ElementsAttr r = reshapeElements(attr, shape))
      return arith::ConstantOp::create(b, loc, cast<TypedAttr>(r));
  if (std::optional<SmallVector<ReassociationIndices>> re =
          getReassociationIndicesForReshape(type, target)) {
    if (target.getRank() < type.getRank())
      return tensor::CollapseShapeOp::create(b, loc, target, v, *re);
    return tensor::ExpandShapeOp::create(b, loc, target, v, *re);
  }
  // General case: through 1-D, which is always a valid reassociation.
  auto flat = RankedTensorType::get({type.getNumElements()},
                                    type.getElementType());
  SmallVector<ReassociationIndices> toFlat(1), fromFlat(1);
  for (int64_t i = 0; i < type.getRank(); ++i)
    toFlat[0].push_back(i);
  for (int64_t i = 0; i < target.getRank(); ++i)
    fromFlat[0].push_back(i);
  Value f = type.getRank() == 1
                ? v
                : tensor::CollapseShapeOp::create(b, loc, flat, v, toFlat)
                      .getResult();
  if (target.getRank() == 1)
    return f;
  return tensor::ExpandShapeOp::create(b, loc, target, f, fromFlat);
}

LogicalResult mlir::dr1::requireStatic(PatternRewriter &rewriter,
                                       Operation *op) {
  for (Type t : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
    if (auto st = dyn_cast<ShapedType>(t); st && !st.hasStaticShape())
      return op->emitError("dynamic shapes are not supported yet: ") << st;
  return success();
}

Value mlir::dr1::reduceDims(
    OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> dims, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = tensorType(x);
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool red = llvm::is_contained(dims, d);
    iters.push_back(red ? utils::IteratorType::reduction
                        : utils::IteratorType::parallel);
    if (!red) {
      outShape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  Value acc = filledTensor(b, loc, outShape, init);
  AffineMap inMap = AffineMap::getMultiDimIdentityMap(type.getRank(), ctx);
  AffineMap outMap = AffineMap::get(type.getRank(), 0, outExprs, ctx);
  return linalg::GenericOp::create(
             b, loc, acc.getType(), x, acc, ArrayRef<AffineMap>{inMap, outMap},
             iters,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(nb, l, combine(nb, l, a[0], a[1]));
             })
      .getResult(0);
}

Value mlir::dr1::mapWithReduced(OpBuilder &b, Location loc, Value x,
                                ValueRange reduced, ArrayRef<int64_t> dims,
                                Type resultElt, BodyFn body) {
  auto type = tensorType(x);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> redExprs;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!llvm::is_contained(dims, d))
      redExprs.push_back(getAffineDimExpr(d, ctx));
  AffineMap id = AffineMap::getMultiDimIdentityMap(type.getRank(), ctx);
  SmallVector<AffineMap> maps{id};
  for (size_t i = 0; i < reduced.size(); ++i)
    maps.push_back(AffineMap::get(type.getRank(), 0, redExprs, ctx));
  maps.push_back(id);
  SmallVector<Value> ins{x};
  llvm::append_range(ins, reduced);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), resultElt);
  SmallVector<utils::IteratorType> iters(type.getRank(),
                                         utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ins, init, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(nb, l, body(nb, l, a.drop_back()));
             })
      .getResult(0);
}

static bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

Value mlir::dr1::addS(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x) ? (Value)arith::AddFOp::create(b, loc, x, y)
                    : (Value)arith::AddIOp::create(b, loc, x, y);
}
Value mlir::dr1::subS(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x) ? (Value)arith::SubFOp::create(b, loc, x, y)
                    : (Value)arith::SubIOp::create(b, loc, x, y);
}
Value mlir::dr1::mulS(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x) ? (Value)arith::MulFOp::create(b, loc, x, y)
                    : (Value)arith::MulIOp::create(b, loc, x, y);
}
Value mlir::dr1::divS(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x) ? (Value)arith::DivFOp::create(b, loc, x, y)
                    : (Value)arith::DivSIOp::create(b, loc, x, y);
}
Value mlir::dr1::maxS(OpBuilder &b, Location loc, Value x, Value y) {
  if (x.getType().isInteger(1))
    return arith::OrIOp::create(b, loc, x, y);
  return isFloat(x) ? (Value)arith::MaximumFOp::create(b, loc, x, y)
                    : (Value)arith::MaxSIOp::create(b, loc, x, y);
}
Value mlir::dr1::minS(OpBuilder &b, Location loc, Value x, Value y) {
  if (x.getType().isInteger(1))
    return arith::AndIOp::create(b, loc, x, y);
  return isFloat(x) ? (Value)arith::MinimumFOp::create(b, loc, x, y)
                    : (Value)arith::MinSIOp::create(b, loc, x, y);
}

Value mlir::dr1::convertScalar(OpBuilder &b, Location loc, Value x, Type to) {
  Type from = x.getType();
  if (from == to)
    return x;
  auto fromF = dyn_cast<FloatType>(from), toF = dyn_cast<FloatType>(to);
  if (fromF && toF)
    return fromF.getWidth() < toF.getWidth()
               ? (Value)arith::ExtFOp::create(b, loc, to, x)
               : (Value)arith::TruncFOp::create(b, loc, to, x);
  if (fromF && to.isInteger(1)) {
    Value zero = scalarConstant(b, loc, from, 0);
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x, zero);
  }
  if (fromF)
    return arith::FPToSIOp::create(b, loc, to, x);
  if (toF) {
    if (from.isInteger(1))
      return arith::UIToFPOp::create(b, loc, to, x);
    return arith::SIToFPOp::create(b, loc, to, x);
  }
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (tw == 1) {
    Value zero = scalarConstant(b, loc, from, 0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, zero);
  }
  if (fw < tw)
    return fw == 1 ? (Value)arith::ExtUIOp::create(b, loc, to, x)
                   : (Value)arith::ExtSIOp::create(b, loc, to, x);
  return arith::TruncIOp::create(b, loc, to, x);
}
