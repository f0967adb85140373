// RUN: dr1-opt %s --dr1-autodiff --canonicalize --cse --dr1-rematerialize=segments=2 | FileCheck %s
// RUN: dr1-opt %s --dr1-autodiff --canonicalize --cse --dr1-rematerialize=segments=2 --canonicalize --cse | FileCheck %s --check-prefix=CSE
// RUN: dr1-opt %s --dr1-autodiff --canonicalize --cse --dr1-rematerialize=budget=384 | FileCheck %s --check-prefix=FITS
// RUN: dr1-opt %s --dr1-autodiff --canonicalize --cse --dr1-rematerialize=budget=300 | FileCheck %s --check-prefix=TIGHT

// The backward pass reads three forward values (%b, %c, %e); in two runs,
// {linear, tanh, tanh} and {linear, tanh, reduce_sum}, the first run's
// last one (%c) and the whole last run stay;
// tanh's gradient needs its output %b, which is recomputed from the
// parameters (read through barriers) right before the backward pass first
// reads it, after the second run's backward part.
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME: %[[W1:[a-z0-9]+]]: tensor<8x8xf32> {dr1.trainable}, %[[W2:[a-z0-9]+]]: tensor<8x8xf32> {dr1.trainable}, %[[X:[a-z0-9]+]]: tensor<4x8xf32>)
// CHECK-SAME: attributes {dr1.gradient_of = @loss, dr1.rematerialized = {estimated_bytes = 384 : i64, runs = 2 : i64, saved_ops = 3 : i64}}
// CHECK: %[[A:.*]] = dr1.linear %[[X]], %[[W1]]
// CHECK: %[[B:.*]] = dr1.tanh %[[A]]
// CHECK: %[[C:.*]] = dr1.tanh %[[B]]
// CHECK: %[[D:.*]] = dr1.linear %[[C]], %[[W2]]
// CHECK: %[[E:.*]] = dr1.tanh %[[D]]
// CHECK: dr1.mul %[[E]], %[[E]]
// CHECK: dr1.matmul %{{.*}}, %[[C]]
// CHECK: dr1.mul %[[C]], %[[C]]
// CHECK: %[[XB:.*]] = dr1.barrier %[[X]] : tensor<4x8xf32>
// CHECK: %[[W1B:.*]] = dr1.barrier %[[W1]] : tensor<8x8xf32>
// CHECK: %[[A2:.*]] = dr1.linear %[[XB]], %[[W1B]]
// CHECK: %[[B2:.*]] = dr1.tanh %[[A2]]
// CHECK: dr1.mul %[[B2]], %[[B2]]
// CHECK-NOT: dr1.mul %[[B]], %[[B]]
// CHECK: return

// CSE cannot merge the recomputation back into the forward pass.
// CSE-LABEL: func.func @loss_grad(
// CSE-COUNT-2: dr1.linear %{{.*}}, %{{.*}}
// CSE: dr1.barrier
// CSE: dr1.linear

// Under a budget: the three saved activations (128 bytes each) fit in 384
// bytes, so nothing is recomputed; in 300 they cannot (every cut keeps 384
// by this estimate), so the fewest-bytes cut, two runs, is taken.
// FITS-LABEL: func.func @loss_grad(
// FITS-NOT: dr1.rematerialized
// FITS-NOT: dr1.barrier
// TIGHT: dr1.rematerialized = {estimated_bytes = 384 : i64, runs = 2 : i64, saved_ops = 3 : i64}
// TIGHT: dr1.barrier

func.func @loss(%w1: tensor<8x8xf32> {dr1.trainable}, %w2: tensor<8x8xf32> {dr1.trainable},
                %x: tensor<4x8xf32>) -> tensor<f32> {
  %a = dr1.linear %x, %w1 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %b = dr1.tanh %a : tensor<4x8xf32>
  %c = dr1.tanh %b : tensor<4x8xf32>
  %d = dr1.linear %c, %w2 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %e = dr1.tanh %d : tensor<4x8xf32>
  %l = dr1.reduce_sum %e : (tensor<4x8xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
