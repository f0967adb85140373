// RUN: dr1-opt %s --dr1-fuse-attention -split-input-file | FileCheck %s

// BERT's spelling: divide by sqrt(d), add a [B, 1, 1, Sk] padding mask.
// CHECK-LABEL: func @scaled_masked
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x16x8xf32>, %[[KT:.*]]: tensor<2x4x8x32xf32>, %[[V:.*]]: tensor<2x4x32x6xf32>, %[[M:.*]]: tensor<2x1x1x32xf32>)
// CHECK-NEXT: %[[O:.*]] = dr1.attention %[[Q]], %[[KT]], %[[V]] mask %[[M]] {scale = 2.500000e-01 : f32}
// CHECK-NEXT: return %[[O]]
func.func @scaled_masked(%q: tensor<2x4x16x8xf32>, %kt: tensor<2x4x8x32xf32>,
                         %v: tensor<2x4x32x6xf32>, %m: tensor<2x1x1x32xf32>) -> tensor<2x4x16x6xf32> {
  %c = dr1.constant dense<4.0> : tensor<f32>
  %s = dr1.matmul %q, %kt : (tensor<2x4x16x8xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x16x32xf32>
  %t = dr1.div %s, %c : (tensor<2x4x16x32xf32>, tensor<f32>) -> tensor<2x4x16x32xf32>
  %u = dr1.add %t, %m : (tensor<2x4x16x32xf32>, tensor<2x1x1x32xf32>) -> tensor<2x4x16x32xf32>
  %p = dr1.softmax %u {axis = 3 : i64} : tensor<2x4x16x32xf32>
  %o = dr1.matmul %p, %v : (tensor<2x4x16x32xf32>, tensor<2x4x32x6xf32>) -> tensor<2x4x16x6xf32>
  return %o : tensor<2x4x16x6xf32>
}

// -----

// The scale as a multiplication with the constant first, the mask first in
// the add, softmax axis -1.
// CHECK-LABEL: func @mul_left
// CHECK: dr1.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {scale = 1.250000e-01 : f32} : (tensor<16x8xf32>, tensor<8x32xf32>, tensor<32x6xf32>, tensor<16x32xf32>)
// CHECK-NOT: dr1.softmax
func.func @mul_left(%q: tensor<16x8xf32>, %kt: tensor<8x32xf32>, %v: tensor<32x6xf32>,
                    %m: tensor<16x32xf32>) -> tensor<16x6xf32> {
  %c = dr1.constant dense<0.125> : tensor<1xf32>
  %s = dr1.matmul %q, %kt : (tensor<16x8xf32>, tensor<8x32xf32>) -> tensor<16x32xf32>
  %t = dr1.mul %c, %s : (tensor<1xf32>, tensor<16x32xf32>) -> tensor<16x32xf32>
  %u = dr1.add %m, %t : (tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<16x32xf32>
  %p = dr1.softmax %u {axis = -1 : i64} : tensor<16x32xf32>
  %o = dr1.matmul %p, %v : (tensor<16x32xf32>, tensor<32x6xf32>) -> tensor<16x6xf32>
  return %o : tensor<16x6xf32>
}

// -----

// Neither scale nor mask.
// CHECK-LABEL: func @plain
// CHECK-NEXT: dr1.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<3x16x8xf32>, tensor<3x8x32xf32>, tensor<3x32x6xf32>) -> tensor<3x16x6xf32>
// CHECK-NEXT: return
func.func @plain(%q: tensor<3x16x8xf32>, %kt: tensor<3x8x32xf32>, %v: tensor<3x32x6xf32>) -> tensor<3x16x6xf32> {
  %s = dr1.matmul %q, %kt : (tensor<3x16x8xf32>, tensor<3x8x32xf32>) -> tensor<3x16x32xf32>
  %p = dr1.softmax %s {axis = 2 : i64} : tensor<3x16x32xf32>
  %o = dr1.matmul %p, %v : (tensor<3x16x32xf32>, tensor<3x32x6xf32>) -> tensor<3x16x6xf32>
  return %o : tensor<3x16x6xf32>
}

// -----

// The probabilities are also returned: they must exist, nothing is fused.
// CHECK-LABEL: func @probabilities_used
// CHECK-NOT: dr1.attention
// CHECK: dr1.softmax
func.func @probabilities_used(%q: tensor<16x8xf32>, %kt: tensor<8x32xf32>, %v: tensor<32x6xf32>)
    -> (tensor<16x6xf32>, tensor<16x32xf32>) {
  %s = dr1.matmul %q, %kt : (tensor<16x8xf32>, tensor<8x32xf32>) -> tensor<16x32xf32>
  %p = dr1.softmax %s {axis = 1 : i64} : tensor<16x32xf32>
  %o = dr1.matmul %p, %v : (tensor<16x32xf32>, tensor<32x6xf32>) -> tensor<16x6xf32>
  return %o, %p : tensor<16x6xf32>, tensor<16x32xf32>
}

// -----

// Softmax over the query axis is not attention.
// CHECK-LABEL: func @wrong_axis
// CHECK-NOT: dr1.attention
func.func @wrong_axis(%q: tensor<16x8xf32>, %kt: tensor<8x32xf32>, %v: tensor<32x6xf32>) -> tensor<16x6xf32> {
  %s = dr1.matmul %q, %kt : (tensor<16x8xf32>, tensor<8x32xf32>) -> tensor<16x32xf32>
  %p = dr1.softmax %s {axis = 0 : i64} : tensor<16x32xf32>
  %o = dr1.matmul %p, %v : (tensor<16x32xf32>, tensor<32x6xf32>) -> tensor<16x6xf32>
  return %o : tensor<16x6xf32>
}

// -----

// A scale that is not a compile-time constant stays unfused.
// CHECK-LABEL: func @runtime_scale
// CHECK-NOT: dr1.attention
func.func @runtime_scale(%q: tensor<16x8xf32>, %kt: tensor<8x32xf32>, %v: tensor<32x6xf32>,
                         %c: tensor<f32>) -> tensor<16x6xf32> {
  %s = dr1.matmul %q, %kt : (tensor<16x8xf32>, tensor<8x32xf32>) -> tensor<16x32xf32>
  %t = dr1.mul %s, %c : (tensor<16x32xf32>, tensor<f32>) -> tensor<16x32xf32>
  %p = dr1.softmax %t {axis = 1 : i64} : tensor<16x32xf32>
  %o = dr1.matmul %p, %v : (tensor<16x32xf32>, tensor<32x6xf32>) -> tensor<16x6xf32>
  return %o : tensor<16x6xf32>
}

// -----

// Keys shared by every batch (broadcast batch dims) are left alone.
// CHECK-LABEL: func @broadcast_keys
// CHECK-NOT: dr1.attention
func.func @broadcast_keys(%q: tensor<2x16x8xf32>, %kt: tensor<8x32xf32>, %v: tensor<2x32x6xf32>) -> tensor<2x16x6xf32> {
  %s = dr1.matmul %q, %kt : (tensor<2x16x8xf32>, tensor<8x32xf32>) -> tensor<2x16x32xf32>
  %p = dr1.softmax %s {axis = 2 : i64} : tensor<2x16x32xf32>
  %o = dr1.matmul %p, %v : (tensor<2x16x32xf32>, tensor<2x32x6xf32>) -> tensor<2x16x6xf32>
  return %o : tensor<2x16x6xf32>
}
