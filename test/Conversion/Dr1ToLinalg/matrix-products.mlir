// RUN: dr1-opt %s --convert-dr1-to-linalg -split-input-file | FileCheck %s
// Matrix products: everything becomes linalg.matmul / batch_matmul on
// row-major [M, K] x [K, N] operands.

// linear: constant [N, K] weights are transposed at compile time; the bias
// is the accumulator's initial value.
// CHECK-LABEL: func @linear_constant_weight
// CHECK-DAG: %[[WT:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 3.000000e+00, 5.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<2x4x2xf32> into tensor<8x2xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<3xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<8x2xf32>, tensor<2x3xf32>) outs(%[[INIT]] : tensor<8x3xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [2, 4, 3]
func.func @linear_constant_weight(%x: tensor<2x4x2xf32>, %b: tensor<3xf32>) -> tensor<2x4x3xf32> {
  %w = dr1.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %0 = dr1.linear %x, %w, %b : (tensor<2x4x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

// A weight that is not a constant is transposed at run time.
// CHECK-LABEL: func @linear_dynamic_weight
// CHECK: %[[T:.*]] = linalg.transpose ins(%arg1 : tensor<3x2xf32>) outs(%{{.*}} : tensor<2x3xf32>) permutation = [1, 0]
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: linalg.matmul ins(%arg0, %[[T]] : tensor<4x2xf32>, tensor<2x3xf32>) outs(%[[ZERO]] : tensor<4x3xf32>)
func.func @linear_dynamic_weight(%x: tensor<4x2xf32>, %w: tensor<3x2xf32>) -> tensor<4x3xf32> {
  %0 = dr1.linear %x, %w : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// [B, M, K] x [K, N] is one 2-D product over B*M rows.
// CHECK-LABEL: func @matmul_rows
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<3x4x8xf32> into tensor<12x8xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %arg1 : tensor<12x8xf32>, tensor<8x5xf32>)
func.func @matmul_rows(%a: tensor<3x4x8xf32>, %b: tensor<8x5xf32>) -> tensor<3x4x5xf32> {
  %0 = dr1.matmul %a, %b : (tensor<3x4x8xf32>, tensor<8x5xf32>) -> tensor<3x4x5xf32>
  return %0 : tensor<3x4x5xf32>
}

// -----

// Broadcast batch dims are materialised, then collapsed into one batch.
// CHECK-LABEL: func @matmul_batch_broadcast
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<1x3x8x5xf32>) outs(%{{.*}} : tensor<2x3x8x5xf32>)
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<6x4x8xf32>, tensor<6x8x5xf32>) outs(%{{.*}} : tensor<6x4x5xf32>)
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 3, 4, 5]
func.func @matmul_batch_broadcast(%a: tensor<2x3x4x8xf32>, %b: tensor<1x3x8x5xf32>) -> tensor<2x3x4x5xf32> {
  %0 = dr1.matmul %a, %b : (tensor<2x3x4x8xf32>, tensor<1x3x8x5xf32>) -> tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}

// -----

// gemm with alpha/beta scales after the product.
// CHECK-LABEL: func @gemm_scaled
// CHECK: linalg.transpose ins(%arg0 : tensor<8x4xf32>)
// CHECK: %[[P:.*]] = linalg.matmul
// CHECK: linalg.generic {{.*}} ins(%[[P]], %arg2 : tensor<4x3xf32>, tensor<3xf32>)
// CHECK:   arith.constant 5.000000e-01 : f32
// CHECK:   arith.constant 2.000000e+00 : f32
func.func @gemm_scaled(%a: tensor<8x4xf32>, %b: tensor<8x3xf32>, %c: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = dr1.gemm %a, %b, %c {trans_a = true, alpha = 0.5 : f32, beta = 2.0 : f32} : (tensor<8x4xf32>, tensor<8x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
