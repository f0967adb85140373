// RUN: dr1-opt %s -canonicalize -split-input-file | FileCheck %s
// Folders and canonicalization patterns of the dr1 dialect.

// CHECK-LABEL: func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = dr1.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = dr1.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = dr1.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// CHECK-LABEL: func @reshape_identity
// CHECK-NEXT: return %arg0
func.func @reshape_identity(%x: tensor<6xf32>) -> tensor<6xf32> {
  %0 = dr1.reshape %x : tensor<6xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// CHECK-LABEL: func @flatten_is_reshape
// CHECK-NEXT: dr1.reshape %arg0 : tensor<2x3x4xf32> -> tensor<2x12xf32>
func.func @flatten_is_reshape(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %0 = dr1.flatten %x : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
}

// -----

// CHECK-LABEL: func @transposes
// CHECK-NEXT: %[[T:.*]] = dr1.transpose %arg0 {perm = array<i64: 2, 0, 1>}
// CHECK-NEXT: return %arg0, %[[T]]
func.func @transposes(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %0 = dr1.transpose %x {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %1 = dr1.transpose %0 {perm = array<i64: 1, 0, 2>} : (tensor<3x2x4xf32>) -> tensor<2x3x4xf32>
  %2 = dr1.transpose %0 {perm = array<i64: 2, 1, 0>} : (tensor<3x2x4xf32>) -> tensor<4x2x3xf32>
  return %1, %2 : tensor<2x3x4xf32>, tensor<4x2x3xf32>
}

// -----

// Constants are transposed at compile time, resources included.
// CHECK-LABEL: func @transpose_constant
// CHECK-NEXT: %[[C:.*]] = dr1.constant dense<{{\[}}[1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: %[[R:.*]] = dr1.constant dense<{{\[}}[5.000000e+00, 7.000000e+00], [6.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: return %[[C]], %[[R]]
func.func @transpose_constant() -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %0 = dr1.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %1 = dr1.transpose %0 {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %2 = dr1.constant dense_resource<blob> : tensor<2x2xf32>
  %3 = dr1.transpose %2 {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %1, %3 : tensor<2x2xf32>, tensor<2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000A0400000C0400000E04000000041"
    }
  }
#-}

// -----

// CHECK-LABEL: func @gemm_to_linear
// CHECK-NEXT: dr1.linear %arg0, %arg1, %arg2 : (tensor<4x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<4x3xf32>
func.func @gemm_to_linear(%a: tensor<4x8xf32>, %b: tensor<3x8xf32>, %c: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = dr1.gemm %a, %b, %c {trans_b = true} : (tensor<4x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func @gemm_to_matmul
// CHECK-NEXT: dr1.matmul %arg0, %arg1 : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
func.func @gemm_to_matmul(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %0 = dr1.gemm %a, %b : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Scaled gemm stays: neither linear nor matmul expresses alpha.
// CHECK-LABEL: func @gemm_scaled_stays
// CHECK-NEXT: dr1.gemm
func.func @gemm_scaled_stays(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %0 = dr1.gemm %a, %b {alpha = 0.5 : f32} : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func @identities
// CHECK-NOT: dr1.add
// CHECK-NOT: dr1.mul
// CHECK-NOT: dr1.neg
// CHECK-NOT: dr1.cast
// CHECK: return %arg0, %arg0, %arg0, %arg0
func.func @identities(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = dr1.constant dense<0.0> : tensor<4xf32>
  %one = dr1.constant dense<1.0> : tensor<f32>
  %0 = dr1.add %zero, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = dr1.mul %x, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %2 = dr1.neg %x : tensor<4xf32>
  %3 = dr1.neg %2 : tensor<4xf32>
  %4 = dr1.cast %x : tensor<4xf32> to tensor<4xf32>
  return %0, %1, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Adding a zero that broadcasts the other operand is not an identity.
// CHECK-LABEL: func @broadcasting_zero_stays
// CHECK: dr1.add
func.func @broadcasting_zero_stays(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %zero = dr1.constant dense<0.0> : tensor<2x4xf32>
  %0 = dr1.add %x, %zero : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func @trivial_concat_slice
// CHECK-NEXT: return %arg0, %arg0
func.func @trivial_concat_slice(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %0 = dr1.concat %x {axis = 0 : i64} : (tensor<4x2xf32>) -> tensor<4x2xf32>
  %1 = dr1.slice %x {starts = array<i64: 0, 0>, ends = array<i64: 4, 2>, steps = array<i64: 1, 1>} : (tensor<4x2xf32>) -> tensor<4x2xf32>
  return %0, %1 : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// Constants reshape at compile time, but not into a dynamic shape.
// CHECK-LABEL: func @reshape_constant
// CHECK-DAG: dr1.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: dr1.reshape %{{.*}} : tensor<4xf32> -> tensor<?xf32>
func.func @reshape_constant() -> (tensor<2x2xf32>, tensor<?xf32>) {
  %0 = dr1.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %1 = dr1.reshape %0 : tensor<4xf32> -> tensor<2x2xf32>
  %2 = dr1.reshape %0 : tensor<4xf32> -> tensor<?xf32>
  return %1, %2 : tensor<2x2xf32>, tensor<?xf32>
}

// -----

// Constant weights are quantized at compile time, per channel: round half
// to even (0.25 / 0.5 = 0.5 -> 0, 0.75 / 0.5 = 1.5 -> 2), then saturate.
// CHECK-LABEL: func @quantize_constant
// CHECK-NEXT: %[[Q:.*]] = dr1.constant dense<{{\[}}[0, 2, -128, 127], [1, -1, 3, -3]]> : tensor<2x4xi8>
// CHECK-NEXT: return %[[Q]]
func.func @quantize_constant() -> tensor<2x4xi8> {
  %w = dr1.constant dense<[[0.25, 0.75, -100.0, 100.0], [0.1, -0.1, 0.3, -0.3]]> : tensor<2x4xf32>
  %q = dr1.quantize %w {scale = array<f32: 0.5, 0.1>, zero_point = array<i64: 0, 0>, axis = 0 : i64} : tensor<2x4xf32> to tensor<2x4xi8>
  return %q : tensor<2x4xi8>
}

// -----

// Broadcasts of splats become splats; a broadcast to its own type goes.
// Negating a splat folds (the seed of a gradient is one).
// CHECK-LABEL: func @broadcast_neg_fold
// CHECK-DAG: %[[S:.*]] = dr1.constant dense<-2.000000e+00> : tensor<3x4xf32>
// CHECK-DAG: %[[N:.*]] = dr1.constant dense<-1.000000e+00> : tensor<f32>
// CHECK: return %[[S]], %arg0, %[[N]]
func.func @broadcast_neg_fold(%x: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>, tensor<f32>) {
  %c = dr1.constant dense<-2.0> : tensor<1x4xf32>
  %0 = dr1.broadcast %c : tensor<1x4xf32> -> tensor<3x4xf32>
  %1 = dr1.broadcast %x : tensor<4xf32> -> tensor<4xf32>
  %one = dr1.constant dense<1.0> : tensor<f32>
  %2 = dr1.neg %one : tensor<f32>
  return %0, %1, %2 : tensor<3x4xf32>, tensor<4xf32>, tensor<f32>
}
