//===- Work.h - work and operand sizes of linalg ops, for strategies ------===//
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

/// loopWork in units of a dense product's multiply-adds, for deciding
/// whether to share an op between threads. A depthwise convolution or a
/// pool loads an input vector for every FMA (nothing to reuse it across a
/// register tile) and runs 2-5x slower per multiply-add (MobileNetV2's
/// depthwise layers at 8-20 GFLOP/s on AVX2, its 1x1 products at 35-45);
/// run alone, it also reads its input from both cores' caches when the
/// producer was shared out. Weights 4, 8 and 16 gave MobileNetV2 on two
/// threads 11.0, 10.7 and 10.8 ms (12.5 ms unweighted).
inline int64_t threadWork(mlir::linalg::LinalgOp op) {
  int64_t work = loopWork(op);
  if (mlir::isa<mlir::linalg::DepthwiseConv2DNhwcHwcOp,
                mlir::linalg::PoolingNhwcMaxOp, mlir::linalg::PoolingNhwcSumOp>(
          op.getOperation()) &&
      work < std::numeric_limits<int64_t>::max() / 8)
    work *= 8;
  return work;
}

/// Whether a convolution should loop over blocks of output channels outside
/// its output rows, so that each block's slice of the filter stays in cache
/// while every row uses it. Deep layers on small images have filters larger
/// than their input (ResNet-50's last stage: 9.4 MB of 3x3 filter, 100 KB
/// of 7x7 input); row by row, they would stream the whole filter from
/// memory once per output row.
inline bool filterOutermost(mlir::linalg::LinalgOp conv) {
  if (!mlir::isa<mlir::linalg::Conv2DNhwcHwcfOp>(conv.getOperation()))
    return false;
  auto bytes = [](mlir::Value v) -> int64_t {
    auto t = mlir::dyn_cast<mlir::RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape() || !t.getElementType().isIntOrFloat())
      return -1;
    return t.getNumElements() *
           ((t.getElementType().getIntOrFloatBitWidth() + 7) / 8);
  };
  int64_t input = bytes(conv.getDpsInputs()[0]);
  int64_t filter = bytes(conv.getDpsInputs()[1]);
  auto out =
      mlir::dyn_cast<mlir::RankedTensorType>(conv.getDpsInits()[0].getType());
  return input > 0 && filter > input && out && out.hasStaticShape() &&
         out.getDimSize(1) > 1;
}

} // namespace mlir::dr1

#endif // DR1_CODEGEN_WORK_H
