// RUN: dr1-opt %s --convert-dr1-to-linalg -split-input-file | FileCheck %s
// Convolution and pooling: NCHW at the op's edges, NHWC / HWCF inside;
// padding is an insert_slice into an empty tensor plus fills of the border
// only (the producer writes the interior in place); constant filters are
// transposed at compile time.

// The accumulator starts at zero and the bias is added after the
// convolution, where it joins the elementwise epilogue.
// CHECK-LABEL: func @conv_nhwc
// CHECK: linalg.transpose ins(%arg0 : tensor<1x4x8x8xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[PAD:.*]] = tensor.empty() : tensor<1x10x10x4xf32>
// CHECK: %[[IN0:.*]] = tensor.insert_slice %{{.*}} into %[[PAD]][0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1]
// CHECK: %[[TOP:.*]] = linalg.fill {{.*}} -> tensor<1x1x10x4xf32>
// CHECK: %[[IN1:.*]] = tensor.insert_slice %[[TOP]] into %[[IN0]][0, 0, 0, 0] [1, 1, 10, 4]
// CHECK: %[[BOTTOM:.*]] = linalg.fill {{.*}} -> tensor<1x1x10x4xf32>
// CHECK: %[[IN2:.*]] = tensor.insert_slice %[[BOTTOM]] into %[[IN1]][0, 9, 0, 0] [1, 1, 10, 4]
// CHECK: %[[LEFT:.*]] = linalg.fill {{.*}} -> tensor<1x8x1x4xf32>
// CHECK: %[[IN3:.*]] = tensor.insert_slice %[[LEFT]] into %[[IN2]][0, 1, 0, 0] [1, 8, 1, 4]
// CHECK: %[[RIGHT:.*]] = linalg.fill {{.*}} -> tensor<1x8x1x4xf32>
// CHECK: %[[IN:.*]] = tensor.insert_slice %[[RIGHT]] into %[[IN3]][0, 1, 9, 0] [1, 8, 1, 4]
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<1x4x4x8xf32>
// CHECK: %[[W:.*]] = linalg.transpose ins(%arg1 : tensor<8x4x3x3xf32>) {{.*}} permutation = [2, 3, 1, 0]
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[IN]], %[[W]] : tensor<1x10x10x4xf32>, tensor<3x3x4x8xf32>) outs(%[[ZERO]] : tensor<1x4x4x8xf32>)
// CHECK: %[[B:.*]] = linalg.generic {{.*}} ins(%[[C]], %arg2 : tensor<1x4x4x8xf32>, tensor<8xf32>)
// CHECK: arith.addf
// CHECK: linalg.transpose ins(%[[B]] : tensor<1x4x4x8xf32>) {{.*}} permutation = [0, 3, 1, 2]
func.func @conv_nhwc(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = dr1.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// CHECK-LABEL: func @conv_depthwise
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<3x3x4xf32>
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%{{.*}}, %[[W]] : tensor<1x8x8x4xf32>, tensor<3x3x4xf32>)
func.func @conv_depthwise(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %w = dr1.constant dense<1.0> : tensor<4x1x3x3xf32>
  %0 = dr1.conv2d %x, %w {groups = 4 : i64, dilations = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// CHECK-LABEL: func @conv_depthwise_multiplier
// CHECK: linalg.depthwise_conv_2d_nhwc_hwcm {{.*}} outs(%{{.*}} : tensor<1x6x6x4x2xf32>)
func.func @conv_depthwise_multiplier(%x: tensor<1x4x8x8xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %0 = dr1.conv2d %x, %w {groups = 4 : i64} : (tensor<1x4x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// A few groups: one dense convolution per group on channel slices, written
// in place into the output's channel slices.
// CHECK-LABEL: func @conv_grouped
// CHECK: %[[W:.*]] = linalg.transpose ins(%arg1 : tensor<6x4x3x3xf32>) {{.*}} permutation = [2, 3, 1, 0]
// CHECK: %[[X0:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 8, 8, 4] [1, 1, 1, 1] : tensor<1x8x8x8xf32> to tensor<1x8x8x4xf32>
// CHECK: %[[W0:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [3, 3, 4, 3] [1, 1, 1, 1] : tensor<3x3x4x6xf32> to tensor<3x3x4x3xf32>
// CHECK: %[[A0:.*]] = tensor.extract_slice %[[ACC:.*]][0, 0, 0, 0] [1, 6, 6, 3] [1, 1, 1, 1]
// CHECK: %[[C0:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[X0]], %[[W0]] : tensor<1x8x8x4xf32>, tensor<3x3x4x3xf32>) outs(%[[A0]] : tensor<1x6x6x3xf32>)
// CHECK: %[[Y0:.*]] = tensor.insert_slice %[[C0]] into %[[ACC]][0, 0, 0, 0] [1, 6, 6, 3] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 4] [1, 8, 8, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[W]][0, 0, 0, 3] [3, 3, 4, 3] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[Y0]][0, 0, 0, 3] [1, 6, 6, 3] [1, 1, 1, 1]
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK: tensor.insert_slice %{{.*}} into %[[Y0]][0, 0, 0, 3] [1, 6, 6, 3] [1, 1, 1, 1]
// CHECK-NOT: linalg.conv
func.func @conv_grouped(%x: tensor<1x8x8x8xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = dr1.conv2d %x, %w {groups = 2 : i64} : (tensor<1x8x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return %0 : tensor<1x6x6x6xf32>
}

// -----

// More groups than are unrolled: linalg's grouped convolution.
// CHECK-LABEL: func @conv_many_groups
// CHECK: tensor.expand_shape {{.*}} : tensor<1x8x8x34xf32> into tensor<1x8x8x17x2xf32>
// CHECK: linalg.conv_2d_nhwgc_gfhwc {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x8x8x17x2xf32>, tensor<17x2x3x3x2xf32>) outs(%{{.*}} : tensor<1x6x6x17x2xf32>)
func.func @conv_many_groups(%x: tensor<1x34x8x8xf32>, %w: tensor<34x2x3x3xf32>) -> tensor<1x34x6x6xf32> {
  %0 = dr1.conv2d %x, %w {groups = 17 : i64} : (tensor<1x34x8x8xf32>, tensor<34x2x3x3xf32>) -> tensor<1x34x6x6xf32>
  return %0 : tensor<1x34x6x6xf32>
}

// -----

// Max pooling runs in NHWC like the convolutions, pads with -inf, and ceil
// mode adds trailing padding.
// CHECK-LABEL: func @max_pool_ceil
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.transpose ins(%arg0 : tensor<1x2x6x6xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: linalg.fill ins(%[[NINF]] : f32) {{.*}} -> tensor<1x1x7x2xf32>
// CHECK: tensor.insert_slice {{.*}}[0, 6, 0, 0] [1, 1, 7, 2]
// CHECK: linalg.fill ins(%[[NINF]] : f32) {{.*}} -> tensor<1x6x1x2xf32>
// CHECK: tensor.insert_slice {{.*}}[0, 0, 6, 0] [1, 6, 1, 2]
// CHECK: %[[P:.*]] = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} {{.*}} outs(%{{.*}} : tensor<1x3x3x2xf32>)
// CHECK: linalg.transpose ins(%[[P]] : tensor<1x3x3x2xf32>) {{.*}} permutation = [0, 3, 1, 2]
func.func @max_pool_ceil(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32> {
  %0 = dr1.max_pool2d %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true} : (tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Average pooling divides by per-position counts known at compile time
// (padding excluded by default): corners 1/4, edges 1/6, interior 1/9.
// CHECK-LABEL: func @avg_pool_counts
// CHECK: linalg.pooling_nhwc_sum {{.*}} outs(%{{.*}} : tensor<1x3x3x2xf32>)
// CHECK: arith.constant dense<{{\[}}[2.500000e-01, 0.166666672, 2.500000e-01], [0.166666672, 0.111111112, 0.166666672], [2.500000e-01, 0.166666672, 2.500000e-01]]> : tensor<3x3xf32>
func.func @avg_pool_counts(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %0 = dr1.avg_pool2d %x {kernel_shape = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// A reduction over the 4-D input itself (no reshape before it), so that a
// layout transpose feeding it can fold into its indexing map.
// CHECK-LABEL: func @global_avg_pool
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%arg0 : tensor<2x3x4x4xf32>)
// CHECK: arith.constant 6.250000e-02 : f32
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 3, 1, 1]
func.func @global_avg_pool(%x: tensor<2x3x4x4xf32>) -> tensor<2x3x1x1xf32> {
  %0 = dr1.global_avg_pool %x : (tensor<2x3x4x4xf32>) -> tensor<2x3x1x1xf32>
  return %0 : tensor<2x3x1x1xf32>
}

// -----

// A 1x1, stride-1, unpadded convolution is a matmul on the [N*H*W, C] view
// of the NHWC input, with the filter as [C, F] (transposed at compile time
// when constant), so it takes the packed GEMM strategy.
// CHECK-LABEL: func @conv_pointwise
// CHECK: %[[X:.*]] = linalg.transpose ins(%arg0 : tensor<2x16x5x7xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[A:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2], [3]] : tensor<2x5x7x16xf32> into tensor<70x16xf32>
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<16x8xf32>
// CHECK: %[[M:.*]] = linalg.matmul ins(%[[A]], %[[W]] : tensor<70x16xf32>, tensor<16x8xf32>)
// CHECK: tensor.expand_shape %[[M]] {{\[}}[0, 1, 2], [3]] output_shape [2, 5, 7, 8]
// CHECK-NOT: linalg.conv
func.func @conv_pointwise(%x: tensor<2x16x5x7xf32>) -> tensor<2x8x5x7xf32> {
  %w = dr1.constant dense<0.5> : tensor<8x16x1x1xf32>
  %0 = dr1.conv2d %x, %w : (tensor<2x16x5x7xf32>, tensor<8x16x1x1xf32>) -> tensor<2x8x5x7xf32>
  return %0 : tensor<2x8x5x7xf32>
}

// -----

// A grouped 1x1 convolution: one matmul per group on the group's channel
// slice of the [N*H*W, C] view, inserted into its slice of the output.
// CHECK-LABEL: func @grouped_pointwise
// CHECK: %[[A:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2], [3]] : tensor<1x5x5x8xf32> into tensor<25x8xf32>
// CHECK: %[[A0:.*]] = tensor.extract_slice %[[A]][0, 0] [25, 4] [1, 1]
// CHECK: %[[M0:.*]] = linalg.matmul ins(%[[A0]], %{{.*}} : tensor<25x4xf32>, tensor<4x3xf32>)
// CHECK: %[[O0:.*]] = tensor.insert_slice %[[M0]] into %{{.*}}[0, 0] [25, 3] [1, 1]
// CHECK: %[[A1:.*]] = tensor.extract_slice %[[A]][0, 4] [25, 4] [1, 1]
// CHECK: %[[M1:.*]] = linalg.matmul ins(%[[A1]], %{{.*}} : tensor<25x4xf32>, tensor<4x3xf32>)
// CHECK: tensor.insert_slice %[[M1]] into %[[O0]][0, 3] [25, 3] [1, 1]
// CHECK-NOT: linalg.conv_2d
func.func @grouped_pointwise(%x: tensor<1x8x5x5xf32>, %w: tensor<6x4x1x1xf32>) -> tensor<1x6x5x5xf32> {
  %0 = dr1.conv2d %x, %w {groups = 2 : i64} : (tensor<1x8x5x5xf32>, tensor<6x4x1x1xf32>) -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}

// -----

// Groups of 16 or more output channels with constant weights: one matmul
// by the block-diagonal [C, F] weights (rows 0-1: 1.0 and 3.0 in group 0's
// columns 0-15; rows 2-3: 2.0 and 4.0 in group 1's 16-31; zero elsewhere),
// marked for the CPU strategy.
// CHECK-LABEL: func @grouped_pointwise_block_diagonal
// CHECK: %[[W:.*]] = arith.constant dense<"0x0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000040400000404000004040000040400000404000004040000040400000404000004040000040400000404000004040000040400000404000004040000040400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000008040000080400000804000008040000080400000804000008040000080400000804000008040000080400000804000008040000080400000804000008040"> : tensor<4x32xf32>
// CHECK: %[[A:.*]] = tensor.collapse_shape %{{.*}} : tensor<1x5x5x4xf32> into tensor<25x4xf32>
// CHECK: linalg.matmul {dr1.block_diagonal = array<i64: 2, 16, 0>} ins(%[[A]], %[[W]] : tensor<25x4xf32>, tensor<4x32xf32>)
// CHECK-NOT: linalg.matmul
func.func @grouped_pointwise_block_diagonal(%x: tensor<1x4x5x5xf32>) -> tensor<1x32x5x5xf32> {
  %r = dr1.constant dense<[[[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[1.0]], [[3.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]], [[[2.0]], [[4.0]]]]> : tensor<32x2x1x1xf32>
  %0 = dr1.conv2d %x, %r {groups = 2 : i64} : (tensor<1x4x5x5xf32>, tensor<32x2x1x1xf32>) -> tensor<1x32x5x5xf32>
  return %0 : tensor<1x32x5x5xf32>
}
