// RUN: dr1-opt %s --dr1-autodiff -split-input-file | FileCheck %s
// RUN: dr1-opt %s --dr1-autodiff --canonicalize -split-input-file | FileCheck %s --check-prefix=CANON

// linear -> relu -> linear -> log_softmax -> cross-entropy against one-hot
// labels. The loss stays; @loss_grad returns it and one gradient per
// trainable argument, in order, named after it. Backward through linear:
// dx = dy W, dW = dy^T x, db = sum over rows; through relu: a mask on the
// pre-activation; through log_softmax: dy - exp(y) sum(dy).
// CHECK-LABEL: func.func @loss(
// CHECK: return %{{.*}} : tensor<f32>
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME: %[[W1:[a-z0-9]+]]: tensor<16x8xf32> {dr1.name = "fc1.weight", dr1.trainable}
// CHECK-SAME: %[[W2:[a-z0-9]+]]: tensor<3x16xf32> {dr1.name = "fc2.weight", dr1.trainable}
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<4x8xf32>
// CHECK-SAME: -> (tensor<f32>, tensor<16x8xf32> {dr1.name = "grad_fc1.weight"}, tensor<16xf32> {dr1.name = "grad_fc1.bias"}, tensor<3x16xf32> {dr1.name = "grad_fc2.weight"})
// CHECK-SAME: attributes {dr1.gradient_of = @loss}
// CHECK: %[[H:.*]] = dr1.linear %[[X]], %[[W1]]
// CHECK: %[[R:.*]] = dr1.relu %[[H]]
// CHECK: %[[LP:.*]] = dr1.log_softmax
// CHECK: %[[LOSS:.*]] = dr1.neg
// CHECK: %[[ONE:.*]] = dr1.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[SUMG:.*]] = dr1.reduce_sum %[[G:.*]] {axes = array<i64: -1>, keepdims = true}
// CHECK: %[[E:.*]] = dr1.exp %[[LP]]
// CHECK: %[[GZ:.*]] = dr1.sub %[[G]], %{{.*}}
// CHECK: %[[GR:.*]] = dr1.matmul %[[GZ]], %[[W2]] : (tensor<4x3xf32>, tensor<3x16xf32>) -> tensor<4x16xf32>
// CHECK: %[[GZT:.*]] = dr1.transpose %[[GZ]] {perm = array<i64: 1, 0>}
// CHECK: %[[DW2:.*]] = dr1.matmul %[[GZT]], %[[R]] : (tensor<3x4xf32>, tensor<4x16xf32>) -> tensor<3x16xf32>
// CHECK: %[[POS:.*]] = dr1.greater %[[H]], %{{.*}} : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xi1>
// CHECK: %[[GH:.*]] = dr1.where %[[POS]], %[[GR]], %{{.*}}
// CHECK: %[[GHT:.*]] = dr1.transpose %[[GH]] {perm = array<i64: 1, 0>}
// CHECK: %[[DW1:.*]] = dr1.matmul %[[GHT]], %[[X]] : (tensor<16x4xf32>, tensor<4x8xf32>) -> tensor<16x8xf32>
// CHECK: %[[DB1:.*]] = dr1.reduce_sum %[[GH]] {axes = array<i64: 0>} : (tensor<4x16xf32>) -> tensor<16xf32>
// CHECK: return %[[LOSS]], %[[DW1]], %[[DB1]], %[[DW2]]
// The labels' one-hot path (equal, cast) takes no gradient.
// CANON-LABEL: func.func @loss_grad(
// CANON: dr1.cast
// CANON-NOT: dr1.cast
// CANON: return
func.func @loss(%w1: tensor<16x8xf32> {dr1.trainable, dr1.name = "fc1.weight"},
                %b1: tensor<16xf32> {dr1.trainable, dr1.name = "fc1.bias"},
                %w2: tensor<3x16xf32> {dr1.trainable, dr1.name = "fc2.weight"},
                %x: tensor<4x8xf32>, %y: tensor<4xi64>) -> tensor<f32> {
  %h = dr1.linear %x, %w1, %b1 : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %r = dr1.relu %h : tensor<4x16xf32>
  %z = dr1.linear %r, %w2 : (tensor<4x16xf32>, tensor<3x16xf32>) -> tensor<4x3xf32>
  %lp = dr1.log_softmax %z {axis = -1 : i64} : tensor<4x3xf32>
  %yy = dr1.reshape %y : tensor<4xi64> -> tensor<4x1xi64>
  %iota = dr1.constant dense<[[0, 1, 2]]> : tensor<1x3xi64>
  %eq = dr1.equal %yy, %iota : (tensor<4x1xi64>, tensor<1x3xi64>) -> tensor<4x3xi1>
  %oh = dr1.cast %eq : tensor<4x3xi1> to tensor<4x3xf32>
  %p = dr1.mul %lp, %oh : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %s = dr1.reduce_mean %p {axes = array<i64: 0>} : (tensor<4x3xf32>) -> tensor<3xf32>
  %t = dr1.reduce_sum %s : (tensor<3xf32>) -> tensor<f32>
  %l = dr1.neg %t : tensor<f32>
  return %l : tensor<f32>
}

// -----

// A value used twice gets the sum of both gradients; a trainable argument
// the loss does not depend on gets zeros; extra results pass through.
// CHECK-LABEL: func.func @twice_grad(
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32>, tensor<4xf32> {dr1.name = "grad_input0"}, tensor<2xf32> {dr1.name = "grad_unused"})
// CHECK: %[[SQ:.*]] = dr1.mul %arg0, %arg0
// CHECK: %[[L:.*]] = dr1.reduce_sum %[[SQ]]
// CHECK-DAG: %[[A:.*]] = dr1.mul %[[G:.*]], %arg0
// CHECK-DAG: %[[B:.*]] = dr1.mul %[[G]], %arg0
// CHECK: %[[SUM:.*]] = dr1.add %[[A]], %[[B]]
// CHECK: %[[Z:.*]] = dr1.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: return %[[L]], %[[SQ]], %[[SUM]], %[[Z]]
func.func @twice(%x: tensor<4xf32> {dr1.trainable}, %u: tensor<2xf32> {dr1.trainable, dr1.name = "unused"})
    -> (tensor<f32>, tensor<4xf32>) {
  %sq = dr1.mul %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = dr1.reduce_sum %sq : (tensor<4xf32>) -> tensor<f32>
  return %l, %sq : tensor<f32>, tensor<4xf32>
}

// -----

// Without trainable arguments nothing is added.
// CHECK-LABEL: func.func @inference
// CHECK-NOT: func.func @inference_grad
func.func @inference(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = dr1.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
