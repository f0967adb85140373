// RUN: dr1-opt %s --convert-dr1-to-linalg -split-input-file | FileCheck %s
// Normalizations: reductions plus one elementwise pass applying them.

// batch_norm folds scale/var into one multiplier and bias/mean into one
// shift, broadcast along dimension 1.
// CHECK-LABEL: func @batch_norm
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%arg1, %arg4 : tensor<3xf32>, tensor<3xf32>)
// CHECK:   arith.constant 1.000000e-03 : f32
// CHECK:   math.sqrt
// CHECK:   arith.divf
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%arg2, %arg3, %[[A]] : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK: %[[AE:.*]] = tensor.expand_shape %[[A]] {{\[}}[0, 1, 2]] output_shape [3, 1, 1]
// CHECK: %[[SE:.*]] = tensor.expand_shape %[[S]]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH:.*]], #[[CH]], #{{.*}}]{{.*}} ins(%arg0, %[[AE]], %[[SE]] : tensor<2x3x4x4xf32>, tensor<3x1x1xf32>, tensor<3x1x1xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
func.func @batch_norm(%x: tensor<2x3x4x4xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<2x3x4x4xf32> {
  %0 = dr1.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-3 : f32} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  return %0 : tensor<2x3x4x4xf32>
}

// -----

// softmax: max, exp(x - max), sum, multiply by 1/sum; along axis 1 here.
// CHECK-DAG: #[[RED:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func @softmax_axis1
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<2x5x3xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK:   arith.maximumf
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%arg0, %[[MAX]] : tensor<2x5x3xf32>, tensor<2x3xf32>)
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<2x5x3xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK:   arith.addf
// CHECK: arith.divf
// CHECK: arith.mulf
func.func @softmax_axis1(%x: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %0 = dr1.softmax %x {axis = 1 : i64} : tensor<2x5x3xf32>
  return %0 : tensor<2x5x3xf32>
}

// -----

// CHECK-LABEL: func @log_softmax
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.log
// CHECK: arith.subf
// CHECK: arith.subf
func.func @log_softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = dr1.log_softmax %x : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// layer_norm over the last two dims: flattened to [outer, inner], centred
// second moment, rsqrt(var + eps), then scale and bias.
// CHECK-LABEL: func @layer_norm
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0], [1, 2]] : tensor<2x3x4xf32> into tensor<2x12xf32>
// CHECK: arith.constant 0.0833333358 : f32
// CHECK: arith.subf
// CHECK: math.rsqrt
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0, 1]] : tensor<3x4xf32> into tensor<12xf32>
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 3, 4]
func.func @layer_norm(%x: tensor<2x3x4xf32>, %g: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = dr1.layer_norm %x, %g, %b {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
