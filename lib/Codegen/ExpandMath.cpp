//===- ExpandMath.cpp - the dr1-expand-math pass --------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <cmath>

namespace mlir::dr1 {
#define GEN_PASS_DEF_EXPANDMATH
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// powf(a, b) with an exponent not known at compile time. Upstream's
/// expansion is exp(b * log(a)), NaN for every a < 0 (and for 0^0), while
/// layer norms square (x - mean): on a GPU, where the exponent 2.0 reaches
/// the kernel as a parameter, every variance came out NaN. Here:
/// |a|^b = exp(b * log|a|), negated for a < 0 and b an odd integer, NaN for
/// a < 0 and b not an integer, and 1 for b = 0. Constant exponents keep
/// upstream's exact special cases (a * a for 2.0, sqrt for 0.5, ...).
struct SignedPowF : OpRewritePattern<math::PowFOp> {
  SignedPowF(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(math::PowFOp op,
                                PatternRewriter &rewriter) const override {
    Value a = op.getLhs(), b = op.getRhs();
    if (matchPattern(b, m_Constant()))
      return failure();
    Location loc = op.getLoc();
    Type ty = a.getType();
    auto cst = [&](double v) -> Value {
      Type elem = getElementTypeOrSelf(ty);
      TypedAttr attr = rewriter.getFloatAttr(elem, v);
      if (auto vec = dyn_cast<VectorType>(ty))
        attr = DenseElementsAttr::get(vec, attr);
      return arith::ConstantOp::create(rewriter, loc, attr);
    };
    auto cmp = [&](arith::CmpFPredicate p, Value x, Value y) {
      return arith::CmpFOp::create(rewriter, loc, p, x, y);
    };
    Value absA = math::AbsFOp::create(rewriter, loc, a);
    Value mag = math::ExpOp::create(
        rewriter, loc,
        arith::MulFOp::create(rewriter, loc, b,
                              math::LogOp::create(rewriter, loc, absA)));
    Value isInt = cmp(arith::CmpFPredicate::OEQ,
                      math::FloorOp::create(rewriter, loc, b), b);
    Value half = arith::MulFOp::create(rewriter, loc, b, cst(0.5));
    Value isOdd = arith::AndIOp::create(
        rewriter, loc, isInt,
        cmp(arith::CmpFPredicate::ONE,
            math::FloorOp::create(rewriter, loc, half), half));
    Value negative = cmp(arith::CmpFPredicate::OLT, a, cst(0.0));
    Value signedMag = arith::SelectOp::create(
        rewriter, loc, isOdd, arith::NegFOp::create(rewriter, loc, mag), mag);
    Value forNegative =
        arith::SelectOp::create(rewriter, loc, isInt, signedMag, cst(NAN));
    Value r =
        arith::SelectOp::create(rewriter, loc, negative, forNegative, mag);
    r = arith::SelectOp::create(rewriter, loc,
                                cmp(arith::CmpFPredicate::OEQ, b, cst(0.0)),
                                cst(1.0), r);
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct ExpandMathPass : mlir::dr1::impl::ExpandMathBase<ExpandMathPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SignedPowF>(&getContext());
    // powf, rsqrt, tanh, ... in terms of exp / log / sqrt; then exp, log,
    // erf, tanh as polynomials. sqrt stays: it is an instruction.
    math::populateExpansionPatterns(patterns,
                                    {"powf", "tanh", "sinh", "cosh", "asinh",
                                     "acosh", "atanh", "fpowi", "ipowi"});
    // Predicates see full op names ("math.exp").
    auto approximated = [](StringRef name) {
      return llvm::is_contained({"math.erf", "math.exp", "math.log",
                                 "math.tanh", "math.log1p", "math.expm1",
                                 "math.log2"},
                                name);
    };
    populateMathF32ExpansionPatterns(patterns, approximated);
    populateMathPolynomialApproximationPatterns(patterns, approximated);
    if (bf16)
      arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
