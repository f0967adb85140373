//===- Dr1ToLinalg.cpp - the convert-dr1-to-linalg pass -------------------===//
#include "Conversion/Dr1ToLinalg/Patterns.h"
#include "Conversion/Passes.h"
#include "dr1/Dr1Dialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_CONVERTDR1TOLINALG
#include "Conversion/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;
using namespace mlir::dr1;

namespace {
struct ConvertDr1ToLinalgPass
    : mlir::dr1::impl::ConvertDr1ToLinalgBase<ConvertDr1ToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateElementwisePatterns(patterns);
    populateMatrixProductPatterns(patterns);
    populateAttentionPatterns(patterns);
    populateConvPoolPatterns(patterns);
    populateNormalizationPatterns(patterns);
    populateReductionPatterns(patterns);
    populateDataMovementPatterns(patterns);
    populateQuantizePatterns(patterns);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<Dr1Dialect>();
    target.addLegalDialect<
        arith::ArithDialect, bufferization::BufferizationDialect,
        linalg::LinalgDialect, math::MathDialect, scf::SCFDialect,
        tensor::TensorDialect, func::FuncDialect>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
