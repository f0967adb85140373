//===- ExpandMath.cpp - the dr1-expand-math pass --------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_EXPANDMATH
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
struct ExpandMathPass : mlir::dr1::impl::ExpandMathBase<ExpandMathPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
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
