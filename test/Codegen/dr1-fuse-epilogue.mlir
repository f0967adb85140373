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
