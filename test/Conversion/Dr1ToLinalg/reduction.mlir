// RUN: dr1-opt %s --convert-dr1-to-linalg -split-input-file | FileCheck %s
// Reductions: one linalg.generic with reduction iterators, reshaped to keep dims.

// CHECK-LABEL: func @sum_keepdims
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction"]} ins(%arg0 : tensor<2x3x4xf32>) outs(%[[Z]] : tensor<3xf32>)
// CHECK:   arith.addf
// CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1, 2]] output_shape [1, 3, 1]
func.func @sum_keepdims(%x: tensor<2x3x4xf32>) -> tensor<1x3x1xf32> {
  %0 = dr1.reduce_sum %x {axes = array<i64: 0, -1>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  return %0 : tensor<1x3x1xf32>
}

// -----

// CHECK-LABEL: func @mean_all
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]
// CHECK: arith.constant 0.166666672 : f32
// CHECK: arith.mulf
func.func @mean_all(%x: tensor<2x3xf32>) -> tensor<f32> {
  %0 = dr1.reduce_mean %x : (tensor<2x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func @max_int
// CHECK: arith.constant -2147483648 : i32
// CHECK: arith.maxsi
func.func @max_int(%x: tensor<2x3xi32>) -> tensor<2xi32> {
  %0 = dr1.reduce_max %x {axes = array<i64: 1>} : (tensor<2x3xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}
