// RUN: dr1-opt %s --convert-dr1-to-linalg -split-input-file | FileCheck %s
// Data movement: constants, reshapes, transposes, concat, slice, gather.

// CHECK-LABEL: func @constant_resource
// CHECK: arith.constant dense_resource<blob> : tensor<2xf32>
func.func @constant_resource() -> tensor<2xf32> {
  %0 = dr1.constant dense_resource<blob> : tensor<2xf32>
  return %0 : tensor<2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000803F00000040"
    }
  }
#-}

// -----

// A reshape that is no pure collapse or expand goes through 1-D.
// CHECK-LABEL: func @reshapes
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1]] : tensor<2x6xf32> into tensor<12xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [3, 4] : tensor<12xf32> into tensor<3x4xf32>
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1]] : tensor<2x6xf32> into tensor<12xf32>
func.func @reshapes(%x: tensor<2x6xf32>) -> (tensor<3x4xf32>, tensor<12xf32>) {
  %0 = dr1.reshape %x : tensor<2x6xf32> -> tensor<3x4xf32>
  %1 = dr1.reshape %x : tensor<2x6xf32> -> tensor<12xf32>
  return %0, %1 : tensor<3x4xf32>, tensor<12xf32>
}

// -----

// CHECK-LABEL: func @transpose
// CHECK: linalg.transpose ins(%arg0 : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = dr1.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func @concat
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x5xf32>
// CHECK: %[[A:.*]] = tensor.insert_slice %arg0 into %[[E]][0, 0] [2, 2] [1, 1]
// CHECK: tensor.insert_slice %arg1 into %[[A]][0, 2] [2, 3] [1, 1]
func.func @concat(%a: tensor<2x2xf32>, %b: tensor<2x3xf32>) -> tensor<2x5xf32> {
  %0 = dr1.concat %a, %b {axis = -1 : i64} : (tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// CHECK-LABEL: func @slice
// CHECK: tensor.extract_slice %arg0[1, 0] [2, 3] [2, 3] : tensor<6x8xf32> to tensor<2x3xf32>
func.func @slice(%x: tensor<6x8xf32>) -> tensor<2x3xf32> {
  %0 = dr1.slice %x {starts = array<i64: 1, 0>, ends = array<i64: 5, 8>, steps = array<i64: 2, 3>} : (tensor<6x8xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// gather: negative indices wrap, out-of-range ones clamp.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @gather
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<2x3xi64>) outs(%{{.*}} : tensor<2x3x4xf32>)
// CHECK:   arith.index_cast
// CHECK:   arith.select
// CHECK:   arith.maxsi
// CHECK:   arith.minsi
// CHECK:   %[[J:.*]] = linalg.index 2 : index
// CHECK:   tensor.extract %arg0[%{{.*}}, %[[J]]] : tensor<10x4xf32>
func.func @gather(%t: tensor<10x4xf32>, %i: tensor<2x3xi64>) -> tensor<2x3x4xf32> {
  %0 = dr1.gather %t, %i : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// pad: a filled tensor with the input inserted as a strided slice.
// CHECK-LABEL: func @pad
// CHECK: %[[FILL:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x7xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[FILL]] : f32) outs(%[[E]] : tensor<4x7xf32>)
// CHECK: tensor.insert_slice %arg0 into %[[F]][1, 0] [2, 3] [1, 2] : tensor<2x3xf32> into tensor<4x7xf32>
func.func @pad(%x: tensor<2x3xf32>) -> tensor<4x7xf32> {
  %0 = dr1.pad %x {low = array<i64: 1, 0>, strides = array<i64: 1, 2>, value = 0xFFF0000000000000 : f64} : tensor<2x3xf32> -> tensor<4x7xf32>
  return %0 : tensor<4x7xf32>
}
