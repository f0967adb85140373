//===- Elementwise.cpp - unary, binary and cast ops to linalg.generic -----===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::dr1;

namespace {

Value cst(OpBuilder &b, Location loc, Value like, double v) {
  return scalarConstant(b, loc, like.getType(), v);
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = cst(b, loc, x, 1.0);
  Value negX = arith::NegFOp::create(b, loc, x);
  Value e = math::ExpOp::create(b, loc, negX);
  return arith::DivFOp::create(b, loc, one, addS(b, loc, one, e));
}

/// Scalar body of each unary op; the op supplies its attributes.
Value unaryBody(Operation *op, OpBuilder &b, Location loc, Value x) {
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](ReluOp) { return maxS(b, loc, x, cst(b, loc, x, 0)); })
      .Case([&](LeakyReluOp o) {
        Value zero = cst(b, loc, x, 0);
        Value scaled = mulS(b, loc, x, cst(b, loc, x, o.getAlpha().convertToDouble()));
        Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, zero);
        return (Value)arith::SelectOp::create(b, loc, pos, x, scaled);
      })
      .Case([&](ClipOp o) {
        Value lo = cst(b, loc, x, o.getMin().convertToDouble());
        Value hi = cst(b, loc, x, o.getMax().convertToDouble());
        return minS(b, loc, maxS(b, loc, x, lo), hi);
      })
      .Case([&](SigmoidOp) { return sigmoid(b, loc, x); })
      .Case([&](HardSigmoidOp o) {
        Value y = addS(b, loc, mulS(b, loc, x, cst(b, loc, x, o.getAlpha().convertToDouble())),
                       cst(b, loc, x, o.getBeta().convertToDouble()));
        return minS(b, loc, maxS(b, loc, y, cst(b, loc, x, 0)), cst(b, loc, x, 1));
      })
      .Case([&](TanhOp) { return (Value)math::TanhOp::create(b, loc, x); })
      .Case([&](GeluOp o) {
        Value half = cst(b, loc, x, 0.5), one = cst(b, loc, x, 1.0);
        Value inner;
        if (o.getApproximate() == "tanh") {
          Value x3 = mulS(b, loc, mulS(b, loc, x, x), x);
          Value poly = addS(b, loc, x, mulS(b, loc, x3, cst(b, loc, x, 0.044715)));
          Value arg = mulS(b, loc, poly, cst(b, loc, x, 0.7978845608028654));
          inner = math::TanhOp::create(b, loc, arg);
        } else {
          Value arg = mulS(b, loc, x, cst(b, loc, x, 0.7071067811865476));
          inner = math::ErfOp::create(b, loc, arg);
        }
        return mulS(b, loc, mulS(b, loc, half, x), addS(b, loc, one, inner));
      })
      .Case([&](SiluOp) { return mulS(b, loc, x, sigmoid(b, loc, x)); })
      .Case([&](HardSwishOp) {
        Value r6 = minS(b, loc, maxS(b, loc, addS(b, loc, x, cst(b, loc, x, 3)),
                                     cst(b, loc, x, 0)),
                        cst(b, loc, x, 6));
        return mulS(b, loc, x, mulS(b, loc, r6, cst(b, loc, x, 1.0 / 6.0)));
      })
      .Case([&](ExpOp) { return (Value)math::ExpOp::create(b, loc, x); })
      .Case([&](LogOp) { return (Value)math::LogOp::create(b, loc, x); })
      .Case([&](SqrtOp) { return (Value)math::SqrtOp::create(b, loc, x); })
      .Case([&](RsqrtOp) { return (Value)math::RsqrtOp::create(b, loc, x); })
      .Case([&](ReciprocalOp) { return divS(b, loc, cst(b, loc, x, 1), x); })
      .Case([&](ErfOp) { return (Value)math::ErfOp::create(b, loc, x); })
      .Case(
          [&](RoundOp) { return (Value)math::RoundEvenOp::create(b, loc, x); })
      .Case([&](NegOp) {
        if (isa<FloatType>(x.getType()))
          return (Value)arith::NegFOp::create(b, loc, x);
        return subS(b, loc, cst(b, loc, x, 0), x);
      })
      .Case([&](AbsOp) {
        if (isa<FloatType>(x.getType()))
          return (Value)math::AbsFOp::create(b, loc, x);
        return (Value)math::AbsIOp::create(b, loc, x);
      })
      .Default([](Operation *) { return Value(); });
}

template <typename OpTy>
struct UnaryToGeneric : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Value r = buildElementwise(
        rewriter, op.getLoc(), op->getOperands(), op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return unaryBody(op, b, loc, args[0]);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

template <typename OpTy>
struct BinaryToGeneric : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Value r = buildElementwise(
        rewriter, op.getLoc(), op->getOperands(), op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = args[0], y = args[1];
          if constexpr (std::is_same_v<OpTy, AddOp>)
            return addS(b, loc, x, y);
          else if constexpr (std::is_same_v<OpTy, SubOp>)
            return subS(b, loc, x, y);
          else if constexpr (std::is_same_v<OpTy, MulOp>)
            return mulS(b, loc, x, y);
          else if constexpr (std::is_same_v<OpTy, DivOp>)
            return divS(b, loc, x, y);
          else if constexpr (std::is_same_v<OpTy, PowOp>)
            return math::PowFOp::create(b, loc, x, y);
          else if constexpr (std::is_same_v<OpTy, MaxOp>)
            return maxS(b, loc, x, y);
          else
            return minS(b, loc, x, y);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

template <typename OpTy>
struct CompareToGeneric : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Value r = buildElementwise(
        rewriter, op.getLoc(), op->getOperands(), op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = args[0], y = args[1];
          bool f = isa<FloatType>(x.getType());
          if constexpr (std::is_same_v<OpTy, EqualOp>)
            return f ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, y)
                     : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
          else if constexpr (std::is_same_v<OpTy, LessOp>)
            return f ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, y)
                     : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
          else
            return f ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y)
                     : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, y);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct WhereToGeneric : OpRewritePattern<WhereOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WhereOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Value r = buildElementwise(rewriter, op.getLoc(), op->getOperands(), op.getType(),
                               [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                                 return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
                               });
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// A copy through a broadcasting indexing map; fusion folds it into its
/// consumers.
struct BroadcastToGeneric : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getInput(), op.getType(),
        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct CastToGeneric : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op, PatternRewriter &rewriter) const override {
    if (failed(requireStatic(rewriter, op)))
      return failure();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getInput(), resultType,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return convertScalar(b, loc, args[0], resultType.getElementType());
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void mlir::dr1::populateElementwisePatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<UnaryToGeneric<ReluOp>, UnaryToGeneric<LeakyReluOp>,
               UnaryToGeneric<ClipOp>, UnaryToGeneric<SigmoidOp>,
               UnaryToGeneric<HardSigmoidOp>, UnaryToGeneric<TanhOp>,
               UnaryToGeneric<GeluOp>, UnaryToGeneric<SiluOp>,
               UnaryToGeneric<HardSwishOp>, UnaryToGeneric<ExpOp>,
               UnaryToGeneric<LogOp>, UnaryToGeneric<SqrtOp>,
               UnaryToGeneric<RsqrtOp>, UnaryToGeneric<ReciprocalOp>,
               UnaryToGeneric<ErfOp>, UnaryToGeneric<RoundOp>,
               UnaryToGeneric<NegOp>, UnaryToGeneric<AbsOp>>(ctx);
  patterns.add<BinaryToGeneric<AddOp>, BinaryToGeneric<SubOp>,
               BinaryToGeneric<MulOp>, BinaryToGeneric<DivOp>,
               BinaryToGeneric<PowOp>, BinaryToGeneric<MaxOp>,
               BinaryToGeneric<MinOp>>(ctx);
  patterns
      .add<CastToGeneric, CompareToGeneric<EqualOp>, CompareToGeneric<LessOp>,
           CompareToGeneric<GreaterOp>, WhereToGeneric, BroadcastToGeneric>(
          ctx);
}
