// RUN: dr1-opt %s --dr1-fold-batch-norm -split-input-file | FileCheck %s

// conv2d + batch_norm: a = gamma / sqrt(var + eps) scales each output
// channel's weights; the bias becomes (b - mean) * a + beta.
// With gamma = [2, 1], var + eps = [4, 1] (a = [1, 1]), mean = [1, 0],
// beta = [0.5, 0]: W' = W, b' = [(3 - 1) * 1 + 0.5, (4 - 0) * 1 + 0] = [2.5, 4].
// CHECK-LABEL: func @conv_bn
// CHECK-NOT: dr1.batch_norm
// CHECK: dr1.conv2d %arg0, %{{.*}}, %{{.*}} : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
func.func @conv_bn(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = dr1.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = dr1.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %gamma = dr1.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = dr1.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = dr1.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %var = dr1.constant dense<[4.0, 1.0]> : tensor<2xf32>
  %c = dr1.conv2d %x, %w, %b : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %y = dr1.batch_norm %c, %gamma, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A linear layer without bias gets one.
// CHECK-LABEL: func @linear_bn
// CHECK-NOT: dr1.batch_norm
// CHECK: dr1.linear %arg0, %{{.*}}, %{{.*}} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
func.func @linear_bn(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = dr1.constant dense<1.0> : tensor<2x3xf32>
  %one = dr1.constant dense<1.0> : tensor<2xf32>
  %zero = dr1.constant dense<0.0> : tensor<2xf32>
  %c = dr1.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %y = dr1.batch_norm %c, %one, %zero, %zero, %one : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Not folded: the conv result has another use, or the weights are not constant.
// CHECK-LABEL: func @not_folded
// CHECK-COUNT-2: dr1.batch_norm
func.func @not_folded(%x: tensor<1x1x3x3xf32>, %wv: tensor<2x1x1x1xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %w = dr1.constant dense<1.0> : tensor<2x1x1x1xf32>
  %p = dr1.constant dense<1.0> : tensor<2xf32>
  %c = dr1.conv2d %x, %w : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x3x3xf32>
  %y = dr1.batch_norm %c, %p, %p, %p, %p : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %d = dr1.conv2d %x, %wv : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x3x3xf32>
  %z = dr1.batch_norm %d, %p, %p, %p, %p : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y, %c, %z : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}
