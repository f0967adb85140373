// RUN: dr1-opt %s --dr1-fuse-elementwise | FileCheck %s
// Elementwise chains fuse; contractions stay named ops.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @bias_matmul_relu
// CHECK: %[[B:.*]] = linalg.generic
// CHECK: %[[M:.*]] = linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[B]] : tensor<4x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[M]] : tensor<4x16xf32>)
// CHECK:   arith.maximumf
// CHECK:   arith.mulf
// CHECK-NOT: linalg.generic
func.func @bias_matmul_relu(%a: tensor<4x8xf32>, %w: tensor<8x16xf32>, %bias: tensor<16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %b = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]} ins(%bias : tensor<16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x16xf32>
  %m = linalg.matmul ins(%a, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%b : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %x = arith.maximumf %in, %z : f32
    linalg.yield %x : f32
  } -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%r : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %two = arith.constant 2.0 : f32
    %x = arith.mulf %in, %two : f32
    linalg.yield %x : f32
  } -> tensor<4x16xf32>
  return %s : tensor<4x16xf32>
}
