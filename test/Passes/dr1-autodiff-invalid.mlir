// RUN: dr1-opt %s --dr1-autodiff -split-input-file -verify-diagnostics | FileCheck %s

// expected-error @+1 {{dr1-autodiff: the first result of 'vector_loss' must be the loss, a 0-d float tensor; it is 'tensor<4xf32>'}}
func.func @vector_loss(%x: tensor<4xf32> {dr1.trainable}) -> tensor<4xf32> {
  %y = dr1.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{dr1-autodiff: trainable argument #0 of 'int_param' is not a float tensor: 'tensor<4xi32>'}}
func.func @int_param(%x: tensor<4xi32> {dr1.trainable}, %y: tensor<4xf32>) -> tensor<f32> {
  %l = dr1.reduce_sum %y : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Rounding is piecewise constant: a silent zero gradient would stop
// training, so it is an error.
func.func @round(%x: tensor<4xf32> {dr1.trainable}) -> tensor<f32> {
  // expected-error @+1 {{'dr1.round' op is not differentiable}}
  %r = dr1.round %x : tensor<4xf32>
  %l = dr1.reduce_sum %r : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Integer values carry no gradient: quantizing a trainable value cuts its
// path to the loss, and its gradient is zero.
// CHECK-LABEL: func.func @quantized_grad
// CHECK: %[[Z:.*]] = dr1.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: return %{{.*}}, %[[Z]]
func.func @quantized(%x: tensor<4xf32> {dr1.trainable}) -> tensor<f32> {
  %q = dr1.quantize %x {scale = array<f32: 0.1>, zero_point = array<i64: 0>} : tensor<4xf32> to tensor<4xi8>
  %d = dr1.dequantize %q {scale = array<f32: 0.1>, zero_point = array<i64: 0>} : tensor<4xi8> to tensor<4xf32>
  %l = dr1.reduce_sum %d : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

func.func private @helper(%x: tensor<4xf32>) -> tensor<f32>

func.func @call(%x: tensor<4xf32> {dr1.trainable}) -> tensor<f32> {
  // expected-error @+1 {{'func.call' op cannot be differentiated by dr1-autodiff (only dr1 ops in one block; inline calls first)}}
  %l = func.call @helper(%x) : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
