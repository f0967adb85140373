// RUN: dr1-opt %s --dr1-unshare-fills | FileCheck %s

// Two padded inputs CSE'd onto one fill: each use gets its own empty + fill.
// CHECK-LABEL: func @two_pads
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<1x6x6x4xf32>
// CHECK: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<1x6x6x4xf32>)
// CHECK: tensor.insert_slice %arg0 into %[[F1]]
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<1x6x6x4xf32>
// CHECK: %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<1x6x6x4xf32>)
// CHECK: tensor.insert_slice %arg1 into %[[F2]]
func.func @two_pads(%x: tensor<1x4x4x4xf32>, %y: tensor<1x4x4x4xf32>) -> (tensor<1x6x6x4xf32>, tensor<1x6x6x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x6x6x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  %a = tensor.insert_slice %x into %f[0, 1, 1, 0] [1, 4, 4, 4] [1, 1, 1, 1] : tensor<1x4x4x4xf32> into tensor<1x6x6x4xf32>
  %b = tensor.insert_slice %y into %f[0, 1, 1, 0] [1, 4, 4, 4] [1, 1, 1, 1] : tensor<1x4x4x4xf32> into tensor<1x6x6x4xf32>
  return %a, %b : tensor<1x6x6x4xf32>, tensor<1x6x6x4xf32>
}
