// RUN: dr1-opt %s --dr1-fuse-epilogue -split-input-file | FileCheck %s
// RUN: dr1-opt %s --dr1-fuse-epilogue="parallel=true" -split-input-file | FileCheck %s --check-prefix=PAR

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d3)>

// conv (bias-initialised) -> residual add + relu: one loop over output rows
// (n, oh) computes the bias row, the convolution row and the epilogue row;
// the residual is read a row at a time; nothing of the original is left.
// CHECK-LABEL: func @conv_residual_relu
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[B:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<8xf32>) outs(%{{.*}} : tensor<1x1x6x8xf32>)
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {{{.*}}dr1.row_tiled{{.*}}} ins(%{{.*}}, %{{.*}} : tensor<1x3x8x4xf32>, tensor<3x3x4x8xf32>) outs(%[[B]] : tensor<1x1x6x8xf32>)
// CHECK: %[[R:.*]] = tensor.extract_slice %arg3[%[[N]], %[[H]], 0, 0] [1, 1, 6, 8]
// CHECK: linalg.generic {{.*}} ins(%[[C]], %[[R]] : tensor<1x1x6x8xf32>, tensor<1x1x6x8xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.insert_slice
// CHECK-NOT: linalg.conv
// Too little work for threads: the row loop stays serial with parallel=true.
// PAR-LABEL: func @conv_residual_relu
// PAR-NOT: scf.forall
// PAR: scf.for
func.func @conv_residual_relu(%x: tensor<2x8x8x4xf32>, %w: tensor<3x3x4x8xf32>, %bias: tensor<8xf32>, %res: tensor<2x6x6x8xf32>) -> tensor<2x6x6x8xf32> {
  %e = tensor.empty() : tensor<2x6x6x8xf32>
  %b = linalg.generic {indexing_maps = [#chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : tensor<8xf32>) outs(%e : tensor<2x6x6x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x6x6x8xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x8x8x4xf32>, tensor<3x3x4x8xf32>) outs(%b : tensor<2x6x6x8xf32>) -> tensor<2x6x6x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %res : tensor<2x6x6x8xf32>, tensor<2x6x6x8xf32>) outs(%e : tensor<2x6x6x8xf32>) {
  ^bb0(%a: f32, %r0: f32, %o: f32):
    %s = arith.addf %a, %r0 : f32
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<2x6x6x8xf32>
  return %r : tensor<2x6x6x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A convolution whose result is used twice (a squeeze-excitation's pool
// and scale, or a returned value) has no single epilogue: left alone.
// CHECK-LABEL: func @two_users
// CHECK-NOT: scf.for
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: dr1.row_tiled
func.func @two_users(%x: tensor<1x8x8x4xf32>, %w: tensor<3x3x4x8xf32>, %o: tensor<1x6x6x8xf32>) -> (tensor<1x6x6x8xf32>, tensor<1x6x6x8xf32>) {
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x8x4xf32>, tensor<3x3x4x8xf32>) outs(%o : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x6x6x8xf32>) outs(%o : tensor<1x6x6x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %a, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x6x6x8xf32>
  return %r, %c : tensor<1x6x6x8xf32>, tensor<1x6x6x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Enough work (2 x 32 rows x 32 x 32 x 3 x 3 x 16 multiply-adds): with
// parallel=true the row loop is an scf.forall.
// CHECK-LABEL: func @big_conv_relu
// PAR-LABEL: func @big_conv_relu
// PAR: scf.forall (%{{.*}}, %{{.*}}) in (2, 32)
// PAR: linalg.conv_2d_nhwc_hwcf {{{.*}}dr1.row_tiled
// PAR: arith.maximumf
// PAR: tensor.parallel_insert_slice
func.func @big_conv_relu(%x: tensor<2x34x34x16xf32>, %w: tensor<3x3x16x32xf32>, %o: tensor<2x32x32x32xf32>) -> tensor<2x32x32x32xf32> {
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x34x34x16xf32>, tensor<3x3x16x32xf32>) outs(%o : tensor<2x32x32x32xf32>) -> tensor<2x32x32x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<2x32x32x32xf32>) outs(%o : tensor<2x32x32x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %a, %z : f32
    linalg.yield %m : f32
  } -> tensor<2x32x32x32xf32>
  return %r : tensor<2x32x32x32xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d3)>

// A deep layer on small images (filter 3x3x256x128, 1.2 MB; input 4x4x4x256,
// 64 KB): one iteration per image and block of 64 output channels, not per
// row, so that the filter is read once; the bias and relu apply to the
// block. Threads share the blocks out.
// CHECK-LABEL: func @deep_conv_bias_relu
// CHECK: scf.for %[[N:.*]] = %{{c0[_0-9]*}} to %c4 step %c1
// CHECK: scf.for %[[F:.*]] = %{{c0[_0-9]*}} to %c128 step %c64
// CHECK: linalg.conv_2d_nhwc_hwcf {{{.*}}dr1.row_tiled{{.*}}} ins(%{{.*}}, %{{.*}} : tensor<1x4x4x256xf32>, tensor<3x3x256x64xf32>) outs(%{{.*}} : tensor<1x2x2x64xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[N]], 0, 0, %[[F]]] [1, 2, 2, 64]
// PAR-LABEL: func @deep_conv_bias_relu
// PAR: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (4, 128) step (1, 64)
// PAR: linalg.conv_2d_nhwc_hwcf {{{.*}}dr1.row_tiled
func.func @deep_conv_bias_relu(%x: tensor<4x4x4x256xf32>, %w: tensor<3x3x256x128xf32>, %b: tensor<128xf32>, %o: tensor<4x2x2x128xf32>) -> tensor<4x2x2x128xf32> {
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<4x4x4x256xf32>, tensor<3x3x256x128xf32>) outs(%o : tensor<4x2x2x128xf32>) -> tensor<4x2x2x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<4x2x2x128xf32>, tensor<128xf32>) outs(%o : tensor<4x2x2x128xf32>) {
  ^bb0(%a: f32, %bb: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %s = arith.addf %a, %bb : f32
    %m = arith.maximumf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<4x2x2x128xf32>
  return %r : tensor<4x2x2x128xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#feat = affine_map<(d0, d1, d2) -> (d2)>

// A linear layer as exporters write it: the [rows, features] product goes
// back to [batch, seq, features] before bias, residual and activation. The
// epilogue's loops are collapsed so it reads the product directly (the
// residual through a collapse_shape, its result expanded back), and the
// product is marked for dr1-cpu-tile-and-vectorize.
// CHECK-LABEL: func @linear_bias_residual_relu
// CHECK-SAME: (%[[X:.*]]: tensor<128x64xf32>, %[[W:.*]]: tensor<64x32xf32>, %[[B:.*]]: tensor<32xf32>, %[[R:.*]]: tensor<2x64x32xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul {dr1.fuse_epilogue} ins(%[[X]], %[[W]] : tensor<128x64xf32>, tensor<64x32xf32>)
// CHECK: %[[RC:.*]] = tensor.collapse_shape %[[R]] {{\[}}[0, 1], [2]] : tensor<2x64x32xf32> into tensor<128x32xf32>
// CHECK: %[[E:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[MM]], %[[B]], %[[RC]] : tensor<128x32xf32>, tensor<32xf32>, tensor<128x32xf32>)
// CHECK: arith.maximumf
// CHECK: %[[O:.*]] = tensor.expand_shape %[[E]] {{\[}}[0, 1], [2]] output_shape [2, 64, 32]
// CHECK: return %[[O]]
func.func @linear_bias_residual_relu(%x: tensor<128x64xf32>, %w: tensor<64x32xf32>, %b: tensor<32xf32>,
                                     %res: tensor<2x64x32xf32>) -> tensor<2x64x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<128x32xf32>) -> tensor<128x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32>) outs(%f : tensor<128x32xf32>) -> tensor<128x32xf32>
  %y = tensor.expand_shape %mm [[0, 1], [2]] output_shape [2, 64, 32] : tensor<128x32xf32> into tensor<2x64x32xf32>
  %o = tensor.empty() : tensor<2x64x32xf32>
  %r = linalg.generic {indexing_maps = [#id3, #feat, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y, %b, %res : tensor<2x64x32xf32>, tensor<32xf32>, tensor<2x64x32xf32>) outs(%o : tensor<2x64x32xf32>) {
  ^bb0(%a: f32, %bb: f32, %rr: f32, %out: f32):
    %s = arith.addf %a, %bb : f32
    %t = arith.addf %s, %rr : f32
    %m = arith.maximumf %t, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x64x32xf32>
  return %r : tensor<2x64x32xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// A product that is also returned has no epilogue to fuse: not marked.
// CHECK-LABEL: func @matmul_two_users
// CHECK: linalg.matmul ins
// CHECK-NOT: dr1.fuse_epilogue
func.func @matmul_two_users(%x: tensor<16x64xf32>, %w: tensor<64x32xf32>, %c: tensor<16x32xf32>)
    -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %mm = linalg.matmul ins(%x, %w : tensor<16x64xf32>, tensor<64x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<16x32xf32>) outs(%c : tensor<16x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %a, %z : f32
    linalg.yield %m : f32
  } -> tensor<16x32xf32>
  return %r, %mm : tensor<16x32xf32>, tensor<16x32xf32>
}
