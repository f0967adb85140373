//===- Passes.td - dr1 conversion passes -------------------*- tablegen -*-===//
#ifndef DR1_CONVERSION_PASSES_TD
#define DR1_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertDr1ToLinalg : Pass<"convert-dr1-to-linalg", "ModuleOp"> {
  let summary = "Lower dr1 ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every dr1 op becomes linalg structured ops (named ops where one fits,
    `linalg.generic` otherwise) plus tensor, arith and math ops, still on
    tensors. Patterns are split by op family (elementwise, matrix products,
    convolution and pooling, normalization, reductions, data movement).
    Convolutions and pools become NHWC / HWCF named ops with the layout
    changes at their edges; constant filters are transposed at compile time.
    A dr1 op without a lowering makes the pass fail with an error at the op.

    Before:
    ```mlir
    %y = dr1.relu %x : tensor<4x8xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<4x8xf32>
    %y = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %z = arith.constant 0.0 : f32
      %m = arith.maximumf %in, %z : f32
      linalg.yield %m : f32
    } -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::linalg::LinalgDialect", "mlir::math::MathDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"
  ];
}

#endif // DR1_CONVERSION_PASSES_TD
