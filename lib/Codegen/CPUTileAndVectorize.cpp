//===- CPUTileAndVectorize.cpp - the dr1-cpu-tile-and-vectorize pass ------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZE
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
struct CPUTileAndVectorizePass
    : mlir::dr1::impl::CPUTileAndVectorizeBase<CPUTileAndVectorizePass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
