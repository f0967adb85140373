// RUN: dr1-opt %s --convert-dr1-to-linalg -split-input-file | FileCheck %s
// Quantize and dequantize become elementwise generics; integer products
// accumulate in i32 from i8 operands.

// Per tensor: the scale and zero point are constants in the body; round
// half to even, saturate to i8, convert.
// CHECK-LABEL: func @quantize_per_tensor
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<2x8xf32>) outs(%{{.*}} : tensor<2x8xi8>)
// CHECK: %[[D:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: %[[R:.*]] = math.roundeven %[[D]] : f32
// CHECK: %[[Z:.*]] = arith.addf %[[R]], %{{.*}} : f32
// CHECK: %[[LO:.*]] = arith.maximumf %[[Z]], %{{.*}} : f32
// CHECK: %[[HI:.*]] = arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK: arith.fptosi %[[HI]] : f32 to i8
func.func @quantize_per_tensor(%x: tensor<2x8xf32>) -> tensor<2x8xi8> {
  %0 = dr1.quantize %x {scale = array<f32: 0.05>, zero_point = array<i64: -3>} : tensor<2x8xf32> to tensor<2x8xi8>
  return %0 : tensor<2x8xi8>
}

// -----

// Per axis: scale and zero point are [dim, 1] constants broadcast along
// axis 1 of the accumulator.
// CHECK-LABEL: func @dequantize_per_axis
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[}}[1.000000e+00], [2.000000e+00], [3.000000e+00]]> : tensor<3x1xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<3x1xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[S]], %[[Z]] : tensor<2x3x4xi32>, tensor<3x1xf32>, tensor<3x1xf32>)
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @dequantize_per_axis(%q: tensor<2x3x4xi32>) -> tensor<2x3x4xf32> {
  %0 = dr1.dequantize %q {scale = array<f32: 1.0, 2.0, 3.0>, zero_point = array<i64: 0, 0, 0>, axis = 1 : i64} : tensor<2x3x4xi32> to tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func @int_linear
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<4xi32>) outs(%{{.*}} : tensor<2x4xi32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x8xi8>, tensor<8x4xi8>) outs(%[[INIT]] : tensor<2x4xi32>)
func.func @int_linear(%x: tensor<2x8xi8>, %w: tensor<4x8xi8>, %b: tensor<4xi32>) -> tensor<2x4xi32> {
  %0 = dr1.linear %x, %w, %b : (tensor<2x8xi8>, tensor<4x8xi8>, tensor<4xi32>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

// Padding holds the input's zero point; the accumulator is i32.
// CHECK-LABEL: func @int_conv_pad_value
// CHECK: %[[P:.*]] = arith.constant -3 : i8
// CHECK: linalg.fill ins(%[[P]] : i8) outs(%{{.*}} : tensor<1x1x7x2xi8>)
// CHECK: linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<1x5x5x3xi32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x7x7x2xi8>, tensor<3x3x2x3xi8>) outs(%{{.*}} : tensor<1x5x5x3xi32>)
func.func @int_conv_pad_value(%x: tensor<1x2x5x5xi8>, %w: tensor<3x2x3x3xi8>) -> tensor<1x3x5x5xi32> {
  %0 = dr1.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>, pad_value = -3 : i64} : (tensor<1x2x5x5xi8>, tensor<3x2x3x3xi8>) -> tensor<1x3x5x5xi32>
  return %0 : tensor<1x3x5x5xi32>
}

// -----

// int8 depthwise: f32 sums (exact below 2^24) on the byte input, the
// constant filter converted at compile time, the result back to i32.
// CHECK-LABEL: func @int_depthwise_f32_sums
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, -1.280000e+02], [-2.000000e+00, 0.000000e+00], {{.*}} : tensor<3x3x2xf32>
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<1x5x5x2xf32>)
// CHECK: %[[Y:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%{{.*}}, %[[W]] : tensor<1x7x7x2xi8>, tensor<3x3x2xf32>) outs(%[[ACC]] : tensor<1x5x5x2xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<1x5x5x2xf32>) outs(%{{.*}} : tensor<1x5x5x2xi32>)
// CHECK: arith.fptosi %{{.*}} : f32 to i32
func.func @int_depthwise_f32_sums(%x: tensor<1x2x5x5xi8>) -> tensor<1x2x5x5xi32> {
  %w = arith.constant dense<[[[[1, -2, 3], [4, 5, -6], [7, 8, 127]]], [[[-128, 0, 1], [2, 3, 4], [5, 6, 7]]]]> : tensor<2x1x3x3xi8>
  %0 = dr1.conv2d %x, %w {groups = 2 : i64, padding = array<i64: 1, 1, 1, 1>, pad_value = -3 : i64} : (tensor<1x2x5x5xi8>, tensor<2x1x3x3xi8>) -> tensor<1x2x5x5xi32>
  return %0 : tensor<1x2x5x5xi32>
}

// -----

// A filter that is not constant is converted by an elementwise generic.
// CHECK-LABEL: func @int_depthwise_f32_sums_arg_filter
// CHECK: %[[W:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x3x2xf32>)
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%{{.*}}, %[[W]] : tensor<1x5x5x2xi8>, tensor<3x3x2xf32>)
func.func @int_depthwise_f32_sums_arg_filter(%x: tensor<1x2x5x5xi8>, %w: tensor<2x1x3x3xi8>) -> tensor<1x2x3x3xi32> {
  %0 = dr1.conv2d %x, %w {groups = 2 : i64} : (tensor<1x2x5x5xi8>, tensor<2x1x3x3xi8>) -> tensor<1x2x3x3xi32>
  return %0 : tensor<1x2x3x3xi32>
}
