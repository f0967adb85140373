//===- Work.h - how much work a linalg op is, for threading decisions -----===//
#ifndef DR1_CODEGEN_WORK_H
#define DR1_CODEGEN_WORK_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <limits>

namespace mlir::dr1 {

/// Multiply-adds below which a matmul or convolution stays on one thread:
/// a fork/join costs more than the work it would share out.
constexpr int64_t kMinParallelWork = int64_t(1) << 22;

/// Iterations of the op's loop nest (multiply-adds of a contraction or
/// convolution); the maximum for dynamic shapes.
inline int64_t loopWork(mlir::linalg::LinalgOp op) {
  int64_t work = 1;
  for (int64_t range : op.getStaticLoopRanges()) {
    if (mlir::ShapedType::isDynamic(range))
      return std::numeric_limits<int64_t>::max();
    work *= range;
  }
  return work;
}

} // namespace mlir::dr1

#endif // DR1_CODEGEN_WORK_H
