// RUN: dr1-opt %s | dr1-opt | FileCheck %s
// RUN: dr1-opt %s --mlir-print-op-generic | dr1-opt | FileCheck %s
// Round trip of every dr1 op, custom and generic form.

// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<2xf32>, tensor<2x2xf32>) {
  // CHECK: dr1.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = dr1.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: dr1.constant dense_resource<blob> : tensor<2x2xf32>
  %1 = dr1.constant dense_resource<blob> : tensor<2x2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2x2xf32>
}

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<2x4x16x8xf32>, %kt: tensor<2x4x8x32xf32>,
                     %v: tensor<2x4x32x6xf32>, %m: tensor<2x1x1x32xf32>) {
  // CHECK: dr1.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {scale = 1.250000e-01 : f32} : (tensor<2x4x16x8xf32>, tensor<2x4x8x32xf32>, tensor<2x4x32x6xf32>, tensor<2x1x1x32xf32>) -> tensor<2x4x16x6xf32>
  %0 = dr1.attention %q, %kt, %v mask %m {scale = 0.125 : f32} : (tensor<2x4x16x8xf32>, tensor<2x4x8x32xf32>, tensor<2x4x32x6xf32>, tensor<2x1x1x32xf32>) -> tensor<2x4x16x6xf32>
  // CHECK: dr1.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4x16x8xf32>, tensor<2x4x8x32xf32>, tensor<2x4x32x6xf32>) -> tensor<2x4x16x6xf32>
  %1 = dr1.attention %q, %kt, %v : (tensor<2x4x16x8xf32>, tensor<2x4x8x32xf32>, tensor<2x4x32x6xf32>) -> tensor<2x4x16x6xf32>
  return
}

// CHECK-LABEL: func @products
func.func @products(%a: tensor<8x4x16xf32>, %b: tensor<16x5xf32>, %w: tensor<5x16xf32>,
                    %bias: tensor<5xf32>, %g: tensor<16x4xf32>) {
  // CHECK: dr1.matmul %{{.*}}, %{{.*}} : (tensor<8x4x16xf32>, tensor<16x5xf32>) -> tensor<8x4x5xf32>
  %0 = dr1.matmul %a, %b : (tensor<8x4x16xf32>, tensor<16x5xf32>) -> tensor<8x4x5xf32>
  // CHECK: dr1.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<8x4x16xf32>, tensor<5x16xf32>, tensor<5xf32>) -> tensor<8x4x5xf32>
  %1 = dr1.linear %a, %w, %bias : (tensor<8x4x16xf32>, tensor<5x16xf32>, tensor<5xf32>) -> tensor<8x4x5xf32>
  // CHECK: dr1.linear %{{.*}}, %{{.*}} : (tensor<8x4x16xf32>, tensor<5x16xf32>) -> tensor<8x4x5xf32>
  %2 = dr1.linear %a, %w : (tensor<8x4x16xf32>, tensor<5x16xf32>) -> tensor<8x4x5xf32>
  // CHECK: dr1.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 2.000000e+00 : f32, trans_a = true}
  %3 = dr1.gemm %g, %b, %bias {trans_a = true, alpha = 2.0 : f32} : (tensor<16x4xf32>, tensor<16x5xf32>, tensor<5xf32>) -> tensor<4x5xf32>
  return
}

// CHECK-LABEL: func @conv_pool
func.func @conv_pool(%x: tensor<1x8x16x16xf32>, %w: tensor<16x8x3x3xf32>, %dw: tensor<8x1x3x3xf32>,
                     %b: tensor<16xf32>, %c: tensor<8xf32>) {
  // CHECK: dr1.conv2d %{{.*}}, %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %0 = dr1.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x16x16xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<1x16x8x8xf32>
  // CHECK: dr1.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 2, 2>, groups = 8 : i64}
  %1 = dr1.conv2d %x, %dw {groups = 8 : i64, dilations = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x12x12xf32>
  // CHECK: dr1.batch_norm
  %2 = dr1.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-3 : f32} : (tensor<1x8x16x16xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x16x16xf32>
  // CHECK: dr1.max_pool2d %{{.*}} {ceil_mode = true, kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  %3 = dr1.max_pool2d %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true} : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: dr1.avg_pool2d %{{.*}} {count_include_pad = true, kernel_shape = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
  %4 = dr1.avg_pool2d %x {kernel_shape = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, count_include_pad = true} : (tensor<1x8x16x16xf32>) -> tensor<1x8x17x17xf32>
  // CHECK: dr1.global_avg_pool %{{.*}} : (tensor<1x8x16x16xf32>) -> tensor<1x8x1x1xf32>
  %5 = dr1.global_avg_pool %x : (tensor<1x8x16x16xf32>) -> tensor<1x8x1x1xf32>
  return
}

// CHECK-LABEL: func @elementwise
func.func @elementwise(%x: tensor<4x8xf32>, %y: tensor<8xf32>, %i: tensor<4x8xi32>) {
  // CHECK: dr1.relu %{{.*}} : tensor<4x8xf32>
  %0 = dr1.relu %x : tensor<4x8xf32>
  // CHECK: dr1.relu %{{.*}} : tensor<4x8xi32>
  %1 = dr1.relu %i : tensor<4x8xi32>
  // CHECK: dr1.leaky_relu %{{.*}} {alpha = 2.000000e-01 : f32}
  %2 = dr1.leaky_relu %x {alpha = 0.2 : f32} : tensor<4x8xf32>
  // CHECK: dr1.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
  %3 = dr1.clip %x {min = 0.0 : f32, max = 6.0 : f32} : tensor<4x8xf32>
  // CHECK: dr1.sigmoid
  %4 = dr1.sigmoid %x : tensor<4x8xf32>
  // CHECK: dr1.hard_sigmoid
  %5 = dr1.hard_sigmoid %x : tensor<4x8xf32>
  // CHECK: dr1.tanh
  %6 = dr1.tanh %x : tensor<4x8xf32>
  // CHECK: dr1.gelu %{{.*}} : tensor<4x8xf32>
  %7 = dr1.gelu %x : tensor<4x8xf32>
  // CHECK: dr1.gelu %{{.*}} {approximate = "tanh"}
  %8 = dr1.gelu %x {approximate = "tanh"} : tensor<4x8xf32>
  // CHECK: dr1.silu
  %9 = dr1.silu %x : tensor<4x8xf32>
  // CHECK: dr1.hardswish
  %10 = dr1.hardswish %x : tensor<4x8xf32>
  // CHECK: dr1.exp
  %11 = dr1.exp %x : tensor<4x8xf32>
  // CHECK: dr1.log
  %12 = dr1.log %x : tensor<4x8xf32>
  // CHECK: dr1.sqrt
  %13 = dr1.sqrt %x : tensor<4x8xf32>
  // CHECK: dr1.rsqrt
  %14 = dr1.rsqrt %x : tensor<4x8xf32>
  // CHECK: dr1.reciprocal
  %15 = dr1.reciprocal %x : tensor<4x8xf32>
  // CHECK: dr1.erf
  %16 = dr1.erf %x : tensor<4x8xf32>
  // CHECK: dr1.round
  %round = dr1.round %x : tensor<4x8xf32>
  // CHECK: dr1.neg
  %17 = dr1.neg %x : tensor<4x8xf32>
  // CHECK: dr1.abs
  %18 = dr1.abs %i : tensor<4x8xi32>
  // CHECK: dr1.add %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %19 = dr1.add %x, %y : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: dr1.sub
  %20 = dr1.sub %y, %x : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: dr1.mul
  %21 = dr1.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: dr1.div
  %22 = dr1.div %i, %i : (tensor<4x8xi32>, tensor<4x8xi32>) -> tensor<4x8xi32>
  // CHECK: dr1.pow
  %23 = dr1.pow %x, %y : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: dr1.max
  %24 = dr1.max %x, %y : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: dr1.min
  %25 = dr1.min %x, %y : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: dr1.cast %{{.*}} : tensor<4x8xf32> to tensor<4x8xi32>
  %26 = dr1.cast %x : tensor<4x8xf32> to tensor<4x8xi32>
  // CHECK: dr1.equal %{{.*}}, %{{.*}} : (tensor<4x8xi32>, tensor<4x8xi32>) -> tensor<4x8xi1>
  %27 = dr1.equal %i, %i : (tensor<4x8xi32>, tensor<4x8xi32>) -> tensor<4x8xi1>
  // CHECK: dr1.less %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  %28 = dr1.less %x, %y : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  // CHECK: dr1.greater
  %29 = dr1.greater %x, %y : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  // CHECK: dr1.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %30 = dr1.where %28, %x, %y : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: dr1.broadcast %{{.*}} : tensor<8xf32> -> tensor<2x4x8xf32>
  %31 = dr1.broadcast %y : tensor<8xf32> -> tensor<2x4x8xf32>
  // CHECK: dr1.pad %{{.*}} {low = array<i64: 1, 0>, strides = array<i64: 2, 1>, value = -1.000000e+00 : f64} : tensor<4x8xf32> -> tensor<9x8xf32>
  %32 = dr1.pad %x {low = array<i64: 1, 0>, strides = array<i64: 2, 1>, value = -1.0 : f64} : tensor<4x8xf32> -> tensor<9x8xf32>
  return
}

// CHECK-LABEL: func @normalization_reduction
func.func @normalization_reduction(%x: tensor<2x3x8xf32>, %g: tensor<8xf32>, %g2: tensor<3x8xf32>) {
  // CHECK: dr1.softmax %{{.*}} {axis = 1 : i64} : tensor<2x3x8xf32>
  %0 = dr1.softmax %x {axis = 1 : i64} : tensor<2x3x8xf32>
  // CHECK: dr1.log_softmax %{{.*}} : tensor<2x3x8xf32>
  %1 = dr1.log_softmax %x : tensor<2x3x8xf32>
  // CHECK: dr1.layer_norm %{{.*}}, %{{.*}}, %{{.*}} :
  %2 = dr1.layer_norm %x, %g, %g : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  // CHECK: dr1.layer_norm %{{.*}}, %{{.*}} {axis = -2 : i64}
  %3 = dr1.layer_norm %x, %g2 {axis = -2 : i64} : (tensor<2x3x8xf32>, tensor<3x8xf32>) -> tensor<2x3x8xf32>
  // CHECK: dr1.layer_norm %{{.*}} {epsilon
  %4 = dr1.layer_norm %x {epsilon = 1.0e-6 : f32} : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  // CHECK: dr1.reduce_sum %{{.*}} {axes = array<i64: 0, 2>} : (tensor<2x3x8xf32>) -> tensor<3xf32>
  %5 = dr1.reduce_sum %x {axes = array<i64: 0, 2>} : (tensor<2x3x8xf32>) -> tensor<3xf32>
  // CHECK: dr1.reduce_mean %{{.*}} {axes = array<i64: -1>, keepdims = true} : (tensor<2x3x8xf32>) -> tensor<2x3x1xf32>
  %6 = dr1.reduce_mean %x {axes = array<i64: -1>, keepdims = true} : (tensor<2x3x8xf32>) -> tensor<2x3x1xf32>
  // CHECK: dr1.reduce_max %{{.*}} : (tensor<2x3x8xf32>) -> tensor<f32>
  %7 = dr1.reduce_max %x : (tensor<2x3x8xf32>) -> tensor<f32>
  return
}

// CHECK-LABEL: func @data_movement
func.func @data_movement(%x: tensor<2x3x8xf32>, %t: tensor<100x16xf32>, %ids: tensor<2x5xi64>) {
  // CHECK: dr1.reshape %{{.*}} : tensor<2x3x8xf32> -> tensor<6x8xf32>
  %0 = dr1.reshape %x : tensor<2x3x8xf32> -> tensor<6x8xf32>
  // CHECK: dr1.flatten %{{.*}} : (tensor<2x3x8xf32>) -> tensor<2x24xf32>
  %1 = dr1.flatten %x : (tensor<2x3x8xf32>) -> tensor<2x24xf32>
  // CHECK: dr1.transpose %{{.*}} {perm = array<i64: 2, 0, 1>} : (tensor<2x3x8xf32>) -> tensor<8x2x3xf32>
  %2 = dr1.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x8xf32>) -> tensor<8x2x3xf32>
  // CHECK: dr1.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x6x8xf32>
  %3 = dr1.concat %x, %x {axis = 1 : i64} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x6x8xf32>
  // CHECK: dr1.slice %{{.*}} {ends = array<i64: 2, 3, 8>, starts = array<i64: 1, 0, 1>, steps = array<i64: 1, 2, 3>} : (tensor<2x3x8xf32>) -> tensor<1x2x3xf32>
  %4 = dr1.slice %x {starts = array<i64: 1, 0, 1>, ends = array<i64: 2, 3, 8>, steps = array<i64: 1, 2, 3>} : (tensor<2x3x8xf32>) -> tensor<1x2x3xf32>
  // CHECK: dr1.gather %{{.*}}, %{{.*}} : (tensor<100x16xf32>, tensor<2x5xi64>) -> tensor<2x5x16xf32>
  %5 = dr1.gather %t, %ids : (tensor<100x16xf32>, tensor<2x5xi64>) -> tensor<2x5x16xf32>
  // CHECK: dr1.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<100x16xf32>, tensor<2x5xi64>) -> tensor<100x2x5xf32>
  %6 = dr1.gather %t, %ids {axis = 1 : i64} : (tensor<100x16xf32>, tensor<2x5xi64>) -> tensor<100x2x5xf32>
  return
}

// CHECK-LABEL: func @quantized
func.func @quantized(%x: tensor<2x8xf32>, %w: tensor<4x8xi8>, %b: tensor<4xi32>, %img: tensor<1x2x5x5xi8>, %f: tensor<3x2x3x3xi8>) {
  // CHECK: dr1.quantize %{{.*}} {scale = array<f32: 5.000000e-02>, zero_point = array<i64: -3>} : tensor<2x8xf32> to tensor<2x8xi8>
  %0 = dr1.quantize %x {scale = array<f32: 0.05>, zero_point = array<i64: -3>} : tensor<2x8xf32> to tensor<2x8xi8>
  // CHECK: dr1.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8xi8>, tensor<4x8xi8>, tensor<4xi32>) -> tensor<2x4xi32>
  %1 = dr1.linear %0, %w, %b : (tensor<2x8xi8>, tensor<4x8xi8>, tensor<4xi32>) -> tensor<2x4xi32>
  // CHECK: dr1.dequantize %{{.*}} {axis = 1 : i64, scale = array<f32: 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00>, zero_point = array<i64: 0, 0, 0, 0>} : tensor<2x4xi32> to tensor<2x4xf32>
  %2 = dr1.dequantize %1 {scale = array<f32: 1.0, 2.0, 3.0, 4.0>, zero_point = array<i64: 0, 0, 0, 0>, axis = 1 : i64} : tensor<2x4xi32> to tensor<2x4xf32>
  // CHECK: dr1.matmul %{{.*}}, %{{.*}} : (tensor<2x8xi8>, tensor<8x4xi8>) -> tensor<2x4xi32>
  %wt = dr1.transpose %w {perm = array<i64: 1, 0>} : (tensor<4x8xi8>) -> tensor<8x4xi8>
  %3 = dr1.matmul %0, %wt : (tensor<2x8xi8>, tensor<8x4xi8>) -> tensor<2x4xi32>
  // CHECK: dr1.conv2d %{{.*}}, %{{.*}} {pad_value = -3 : i64, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x2x5x5xi8>, tensor<3x2x3x3xi8>) -> tensor<1x3x5x5xi32>
  %4 = dr1.conv2d %img, %f {padding = array<i64: 1, 1, 1, 1>, pad_value = -3 : i64} : (tensor<1x2x5x5xi8>, tensor<3x2x3x3xi8>) -> tensor<1x3x5x5xi32>
  return
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// f16 / bf16 products: weights narrower than the activation are widened;
// bf16 x bf16 may be declared f32 (sums kept in f32); an f32 bias makes
// the product f32.
// CHECK-LABEL: func @narrow_float_products
// CHECK: dr1.matmul %{{.*}} : (tensor<2x8xf32>, tensor<8x4xf16>) -> tensor<2x4xf32>
// CHECK: dr1.matmul %{{.*}} : (tensor<2x8xbf16>, tensor<8x4xbf16>) -> tensor<2x4xf32>
// CHECK: dr1.matmul %{{.*}} : (tensor<2x8xbf16>, tensor<8x4xbf16>) -> tensor<2x4xbf16>
// CHECK: dr1.linear %{{.*}} : (tensor<2x8xbf16>, tensor<4x8xbf16>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK: dr1.conv2d %{{.*}} : (tensor<1x2x5x5xbf16>, tensor<3x2x3x3xbf16>) -> tensor<1x3x3x3xf32>
// CHECK: dr1.gemm %{{.*}} : (tensor<2x8xf32>, tensor<8x4xbf16>) -> tensor<2x4xf32>
func.func @narrow_float_products(%x: tensor<2x8xf32>, %wh: tensor<8x4xf16>,
    %xb: tensor<2x8xbf16>, %wb: tensor<8x4xbf16>, %lw: tensor<4x8xbf16>,
    %bias: tensor<4xf32>, %img: tensor<1x2x5x5xbf16>, %cw: tensor<3x2x3x3xbf16>) {
  %0 = dr1.matmul %x, %wh : (tensor<2x8xf32>, tensor<8x4xf16>) -> tensor<2x4xf32>
  %1 = dr1.matmul %xb, %wb : (tensor<2x8xbf16>, tensor<8x4xbf16>) -> tensor<2x4xf32>
  %2 = dr1.matmul %xb, %wb : (tensor<2x8xbf16>, tensor<8x4xbf16>) -> tensor<2x4xbf16>
  %3 = dr1.linear %xb, %lw, %bias : (tensor<2x8xbf16>, tensor<4x8xbf16>, tensor<4xf32>) -> tensor<2x4xf32>
  %4 = dr1.conv2d %img, %cw : (tensor<1x2x5x5xbf16>, tensor<3x2x3x3xbf16>) -> tensor<1x3x3x3xf32>
  %5 = dr1.gemm %x, %wb : (tensor<2x8xf32>, tensor<8x4xbf16>) -> tensor<2x4xf32>
  return
}
