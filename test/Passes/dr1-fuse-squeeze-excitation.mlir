// RUN: dr1-opt %s --dr1-fuse-squeeze-excitation -split-input-file | FileCheck %s

// EfficientNet's block tail: pool -> reduce conv -> silu -> expand conv ->
// sigmoid gates x, then the 1x1 projection (with bias). The gate moves into
// the projection's weights; the projection reads x directly.
// CHECK-LABEL: func @se_block
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x8x8xf32>, %[[W1:.*]]: tensor<4x16x1x1xf32>, %[[W2:.*]]: tensor<16x4x1x1xf32>, %[[WP:.*]]: tensor<8x16x1x1xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK: %[[P:.*]] = dr1.global_avg_pool %[[X]]
// CHECK: %[[G:.*]] = dr1.sigmoid
// CHECK: %[[WS:.*]] = dr1.mul %[[WP]], %[[G]] : (tensor<8x16x1x1xf32>, tensor<1x16x1x1xf32>) -> tensor<8x16x1x1xf32>
// CHECK: %[[O:.*]] = dr1.conv2d %[[X]], %[[WS]], %[[B]] : (tensor<1x16x8x8xf32>, tensor<8x16x1x1xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
// CHECK-NOT: dr1.mul
// CHECK: return %[[O]]
func.func @se_block(%x: tensor<1x16x8x8xf32>, %w1: tensor<4x16x1x1xf32>,
                    %w2: tensor<16x4x1x1xf32>, %wp: tensor<8x16x1x1xf32>,
                    %b: tensor<8xf32>) -> tensor<1x8x8x8xf32> {
  %p = dr1.global_avg_pool %x : (tensor<1x16x8x8xf32>) -> tensor<1x16x1x1xf32>
  %r = dr1.conv2d %p, %w1 : (tensor<1x16x1x1xf32>, tensor<4x16x1x1xf32>) -> tensor<1x4x1x1xf32>
  %a = dr1.silu %r : tensor<1x4x1x1xf32>
  %e = dr1.conv2d %a, %w2 : (tensor<1x4x1x1xf32>, tensor<16x4x1x1xf32>) -> tensor<1x16x1x1xf32>
  %s = dr1.sigmoid %e : tensor<1x16x1x1xf32>
  %y = dr1.mul %s, %x : (tensor<1x16x1x1xf32>, tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  %o = dr1.conv2d %y, %wp, %b : (tensor<1x16x8x8xf32>, tensor<8x16x1x1xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  return %o : tensor<1x8x8x8xf32>
}

// -----

// Batch 2: each image has its own gate, which one set of weights cannot hold.
// CHECK-LABEL: func @batch_two
// CHECK: %[[Y:.*]] = dr1.mul
// CHECK: dr1.conv2d %[[Y]], %{{.*}} :
func.func @batch_two(%x: tensor<2x16x8x8xf32>, %wp: tensor<8x16x1x1xf32>) -> tensor<2x8x8x8xf32> {
  %p = dr1.global_avg_pool %x : (tensor<2x16x8x8xf32>) -> tensor<2x16x1x1xf32>
  %s = dr1.sigmoid %p : tensor<2x16x1x1xf32>
  %y = dr1.mul %x, %s : (tensor<2x16x8x8xf32>, tensor<2x16x1x1xf32>) -> tensor<2x16x8x8xf32>
  %o = dr1.conv2d %y, %wp : (tensor<2x16x8x8xf32>, tensor<8x16x1x1xf32>) -> tensor<2x8x8x8xf32>
  return %o : tensor<2x8x8x8xf32>
}

// -----

// A per-channel scale that is not computed from x's pool (a gate of some
// other tensor) is left alone.
// CHECK-LABEL: func @other_gate
// CHECK: %[[Y:.*]] = dr1.mul %{{.*}}, %{{.*}} : (tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>)
// CHECK: dr1.conv2d %[[Y]], %{{.*}} :
func.func @other_gate(%x: tensor<1x16x8x8xf32>, %z: tensor<1x16x8x8xf32>,
                      %wp: tensor<8x16x1x1xf32>) -> tensor<1x8x8x8xf32> {
  %p = dr1.global_avg_pool %z : (tensor<1x16x8x8xf32>) -> tensor<1x16x1x1xf32>
  %s = dr1.sigmoid %p : tensor<1x16x1x1xf32>
  %y = dr1.mul %x, %s : (tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x8x8xf32>
  %o = dr1.conv2d %y, %wp : (tensor<1x16x8x8xf32>, tensor<8x16x1x1xf32>) -> tensor<1x8x8x8xf32>
  return %o : tensor<1x8x8x8xf32>
}

// -----

// A 3x3 consumer and a strided 1x1 consumer sum over neighbouring pixels or
// skip some; still exact in principle, but only the 1x1 projection is
// recognised, so both keep their scaled input.
// CHECK-LABEL: func @not_projection
// CHECK: %[[Y:.*]] = dr1.mul %{{.*}}, %{{.*}} : (tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>)
// CHECK: dr1.conv2d %[[Y]], %{{.*}} {padding = array<i64: 1, 1, 1, 1>}
// CHECK: %[[Z:.*]] = dr1.mul %{{.*}}, %{{.*}} : (tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>)
// CHECK: dr1.conv2d %[[Z]], %{{.*}} {strides = array<i64: 2, 2>}
func.func @not_projection(%x: tensor<1x16x8x8xf32>, %w3: tensor<8x16x3x3xf32>,
                          %wp: tensor<8x16x1x1xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>) {
  %p = dr1.global_avg_pool %x : (tensor<1x16x8x8xf32>) -> tensor<1x16x1x1xf32>
  %s = dr1.sigmoid %p : tensor<1x16x1x1xf32>
  %y = dr1.mul %x, %s : (tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x8x8xf32>
  %o = dr1.conv2d %y, %w3 {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<8x16x3x3xf32>) -> tensor<1x8x8x8xf32>
  %z = dr1.mul %x, %s : (tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x8x8xf32>
  %q = dr1.conv2d %z, %wp {strides = array<i64: 2, 2>} : (tensor<1x16x8x8xf32>, tensor<8x16x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %o, %q : tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>
}

// -----

// The scaled tensor has a second user that needs it materialised.
// CHECK-LABEL: func @two_uses
// CHECK: %[[Y:.*]] = dr1.mul
// CHECK: dr1.conv2d %[[Y]], %{{.*}} :
// CHECK: return %{{.*}}, %[[Y]]
func.func @two_uses(%x: tensor<1x16x8x8xf32>, %wp: tensor<8x16x1x1xf32>)
    -> (tensor<1x8x8x8xf32>, tensor<1x16x8x8xf32>) {
  %p = dr1.global_avg_pool %x : (tensor<1x16x8x8xf32>) -> tensor<1x16x1x1xf32>
  %s = dr1.sigmoid %p : tensor<1x16x1x1xf32>
  %y = dr1.mul %x, %s : (tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x8x8xf32>
  %o = dr1.conv2d %y, %wp : (tensor<1x16x8x8xf32>, tensor<8x16x1x1xf32>) -> tensor<1x8x8x8xf32>
  return %o, %y : tensor<1x8x8x8xf32>, tensor<1x16x8x8xf32>
}

// -----

// A late block: 2x2 pixels, 16 filters. Scaling 16 x 16 weights would cost
// more than scaling the 4 x 16 activations: left alone.
// CHECK-LABEL: func @weights_larger
// CHECK: %[[Y:.*]] = dr1.mul
// CHECK: dr1.conv2d %[[Y]], %{{.*}} :
func.func @weights_larger(%x: tensor<1x16x2x2xf32>, %wp: tensor<16x16x1x1xf32>) -> tensor<1x16x2x2xf32> {
  %p = dr1.global_avg_pool %x : (tensor<1x16x2x2xf32>) -> tensor<1x16x1x1xf32>
  %s = dr1.sigmoid %p : tensor<1x16x1x1xf32>
  %y = dr1.mul %x, %s : (tensor<1x16x2x2xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x2x2xf32>
  %o = dr1.conv2d %y, %wp : (tensor<1x16x2x2xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x2x2xf32>
  return %o : tensor<1x16x2x2xf32>
}
