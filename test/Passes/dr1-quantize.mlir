// RUN: dr1-opt %s -split-input-file -dr1-quantize -verify-diagnostics | FileCheck %s

// Range [-1, 3]: scale 4/255, zero point round(-128 + 1 / (4/255)) = -64.
// Weights per output channel, symmetric: row 0 by 1/127 ->
// [127, -76, 25, 0] (sum 76), row 1 by 2/127 -> [-127, 44, 25, 6] (sum -52).
// The dequantize zero points are -64 * 76 and -64 * -52; the bias is
// added after, in f32.
// CHECK-LABEL: func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>)
// CHECK: %[[B:.*]] = dr1.constant dense<[5.000000e-01, -1.000000e+00]>
// CHECK: %[[W:.*]] = dr1.constant dense<{{\[}}[127, -76, 25, 0], [-127, 44, 25, 6]]> : tensor<2x4xi8>
// CHECK: %[[XQ:.*]] = dr1.quantize %[[X]] {scale = array<f32: 0.0156862{{[0-9]*}}>, zero_point = array<i64: -64>} : tensor<3x4xf32> to tensor<3x4xi8>
// CHECK: %[[ACC:.*]] = dr1.linear %[[XQ]], %[[W]] : (tensor<3x4xi8>, tensor<2x4xi8>) -> tensor<3x2xi32>
// CHECK: %[[D:.*]] = dr1.dequantize %[[ACC]] {axis = 1 : i64, scale = array<f32: 1.2351{{[0-9]*}}E-4, 2.4702{{[0-9]*}}E-4>, zero_point = array<i64: -4864, 3328>} : tensor<3x2xi32> to tensor<3x2xf32>
// CHECK: %[[Y:.*]] = dr1.add %[[D]], %[[B]] : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK: return %[[Y]]
func.func @linear(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = dr1.constant dense<[[1.0, -0.6, 0.2, 0.0], [-2.0, 0.7, 0.4, 0.1]]> : tensor<2x4xf32>
  %b = dr1.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %y = dr1.linear %x, %w, %b {dr1.input_range = array<f32: -1.0, 3.0>} : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A non-negative range (after ReLU) starts at zero point -128; the
// convolution pads with it; the bias is reshaped to [F, 1, 1].
// CHECK-LABEL: func @conv
// CHECK: %[[XQ:.*]] = dr1.quantize %{{.*}} {scale = array<f32: {{.*}}>, zero_point = array<i64: -128>}
// CHECK: %[[ACC:.*]] = dr1.conv2d %[[XQ]], %{{.*}} {pad_value = -128 : i64, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x2x5x5xi8>, tensor<3x2x3x3xi8>) -> tensor<1x3x5x5xi32>
// CHECK: %[[D:.*]] = dr1.dequantize %[[ACC]] {axis = 1 : i64
// CHECK: %[[B:.*]] = dr1.reshape %{{.*}} : tensor<3xf32> -> tensor<3x1x1xf32>
// CHECK: dr1.add %[[D]], %[[B]] : (tensor<1x3x5x5xf32>, tensor<3x1x1xf32>) -> tensor<1x3x5x5xf32>
func.func @conv(%x: tensor<1x2x5x5xf32>) -> tensor<1x3x5x5xf32> {
  %w = dr1.constant dense<0.25> : tensor<3x2x3x3xf32>
  %b = dr1.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %y = dr1.conv2d %x, %w, %b {padding = array<i64: 1, 1, 1, 1>, dr1.input_range = array<f32: 0.0, 6.0>} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>) -> tensor<1x3x5x5xf32>
  return %y : tensor<1x3x5x5xf32>
}

// -----

// Without a range, or marked f32, or with weights computed at run time,
// products stay in float.
// CHECK-LABEL: func @stay_float
// CHECK-NOT: dr1.quantize
// CHECK: dr1.linear %{{.*}}, %{{.*}} : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
// CHECK: dr1.linear %{{.*}}, %{{.*}} {dr1.input_range = array<f32: -1.000000e+00, 1.000000e+00>, dr1.precision = "f32"}
// CHECK: dr1.matmul %{{.*}}, %{{.*}} {dr1.input_range
func.func @stay_float(%x: tensor<3x4xf32>, %v: tensor<4x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x4xf32>) {
  %w = dr1.constant dense<1.0> : tensor<2x4xf32>
  %0 = dr1.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %1 = dr1.linear %x, %w {dr1.input_range = array<f32: -1.0, 1.0>, dr1.precision = "f32"} : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %2 = dr1.matmul %x, %v {dr1.input_range = array<f32: -1.0, 1.0>} : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  return %0, %1, %2 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x4xf32>
}

// -----

func.func @int8_without_range(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = dr1.constant dense<1.0> : tensor<2x4xf32>
  // expected-error @+1 {{int8 needs the activation's range as dr1.input_range = array<f32: min, max> (from calibration)}}
  %0 = dr1.linear %x, %w {dr1.precision = "int8"} : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @unknown_precision(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = dr1.constant dense<1.0> : tensor<2x4xf32>
  // expected-error @+1 {{unsupported precision 'int4' (dr1-quantize knows int8, bf16, f16 and f32)}}
  %0 = dr1.linear %x, %w {dr1.precision = "int4"} : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A model that quantized itself (ONNX QDQ / QLinear*): the product takes the
// model's int8 activation and int8 weights with their scales as they are,
// without a range; the zero-point shares are -10 * (6, 12, 18). A product
// that stays float gets the weights folded to f32 at compile time.
// CHECK-LABEL: func @model_quantized
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>)
// CHECK: %[[XQ:.*]] = dr1.quantize %[[X]] {scale = array<f32: 5.000000e-02>, zero_point = array<i64: -10>}
// CHECK: %[[WQ:.*]] = dr1.constant dense<{{\[}}[1, -2, 3, 4], [5, 6, -7, 8], [9, 10, 11, -12]]> : tensor<3x4xi8>
// CHECK: %[[WF:.*]] = dr1.constant dense_resource<dequantized> : tensor<3x4xf32>
// CHECK: %[[ACC:.*]] = dr1.linear %[[XQ]], %[[WQ]] : (tensor<2x4xi8>, tensor<3x4xi8>) -> tensor<2x3xi32>
// CHECK: dr1.dequantize %[[ACC]] {axis = 1 : i64, scale = array<f32: 2.500000e-02, 1.250000e-02, 6.250000e-03>, zero_point = array<i64: -60, -120, -180>}
// CHECK: dr1.linear %[[X]], %[[WF]] : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
// CHECK: dequantized: "0x040000000000003F000080BF0000C03F00000040
func.func @model_quantized(%x: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %xq = dr1.quantize %x {scale = array<f32: 0.05>, zero_point = array<i64: -10>} : tensor<2x4xf32> to tensor<2x4xi8>
  %xd = dr1.dequantize %xq {scale = array<f32: 0.05>, zero_point = array<i64: -10>} : tensor<2x4xi8> to tensor<2x4xf32>
  %wq = dr1.constant dense<[[1, -2, 3, 4], [5, 6, -7, 8], [9, 10, 11, -12]]> : tensor<3x4xi8>
  %w = dr1.dequantize %wq {scale = array<f32: 0.5, 0.25, 0.125>, zero_point = array<i64: 0, 0, 0>, axis = 0 : i64} : tensor<3x4xi8> to tensor<3x4xf32>
  %y = dr1.linear %xd, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %z = dr1.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return %y, %z : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// bf16 needs no range: weights rounded to nearest even at compile time
// (1.0, -0.6, 0.2, 0 -> 0x3F80, 0xBF1A, 0x3E4D, 0; -2, 0.7, 0.4, 0.1 ->
// 0xC000, 0x3F33, 0x3ECD, 0x3DCD, little-endian in the blob), the
// activation cast to bf16, the f32 bias kept: the product returns f32.
// A matmul without bias is declared f32.
// CHECK-LABEL: func @bf16
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>, %[[A:.*]]: tensor<3x2xf32>)
// CHECK-DAG: %[[W:.*]] = dr1.constant dense_resource<[[BLOB:bf16_weights[_0-9]*]]> : tensor<2x4xbf16>
// CHECK-DAG: %[[B:.*]] = dr1.constant dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[XB:.*]] = dr1.cast %[[X]] : tensor<3x4xf32> to tensor<3x4xbf16>
// CHECK: %[[Y:.*]] = dr1.linear %[[XB]], %[[W]], %[[B]] : (tensor<3x4xbf16>, tensor<2x4xbf16>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK: %[[AB:.*]] = dr1.cast %[[A]] : tensor<3x2xf32> to tensor<3x2xbf16>
// CHECK: %[[Z:.*]] = dr1.matmul %[[AB]], %{{.*}} : (tensor<3x2xbf16>, tensor<2x4xbf16>) -> tensor<3x4xf32>
// CHECK: return %[[Y]], %[[Z]]
// CHECK: [[BLOB]]: "0x02000000803F1ABF4D3E000000C0333FCD3ECD3D"
func.func @bf16(%x: tensor<3x4xf32>, %a: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  %w = dr1.constant dense<[[1.0, -0.6, 0.2, 0.0], [-2.0, 0.7, 0.4, 0.1]]> : tensor<2x4xf32>
  %b = dr1.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %y = dr1.linear %x, %w, %b {dr1.precision = "bf16"} : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %m = dr1.constant dense<0.25> : tensor<2x4xf32>
  %z = dr1.matmul %a, %m {dr1.precision = "bf16"} : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
  return %y, %z : tensor<3x2xf32>, tensor<3x4xf32>
}

// -----

// f16 stores the weights only (f32 compute): the activation is not cast.
// CHECK-LABEL: func @f16
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>)
// CHECK: %[[W:.*]] = dr1.constant dense_resource<[[BLOB:f16_weights[_0-9]*]]> : tensor<2x4xf16>
// CHECK-NOT: dr1.cast
// CHECK: dr1.linear %[[X]], %[[W]] : (tensor<3x4xf32>, tensor<2x4xf16>) -> tensor<3x2xf32>
// CHECK: [[BLOB]]: "0x02000000003CCDB86632000000C09A396636662E"
func.func @f16(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = dr1.constant dense<[[1.0, -0.6, 0.2, 0.0], [-2.0, 0.7, 0.4, 0.1]]> : tensor<2x4xf32>
  %y = dr1.linear %x, %w {dr1.precision = "f16"} : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
