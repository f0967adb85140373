// RUN: dr1-opt %s --dr1-cpu-tile-and-vectorize="vector-bits=512 vector-registers=32 parallel=true" -split-input-file | FileCheck %s
// RUN: dr1-opt %s --dr1-cpu-tile-and-vectorize="vector-bits=512 vector-registers=32" -split-input-file | FileCheck %s --check-prefix=SERIAL

// With parallel=true, the nr-wide strips of each B block are an scf.forall:
// each iteration packs its own strip and runs every register tile of it.
// CHECK-LABEL: func @matmul
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.forall (%{{.*}}) = (0) to (256) step (32) shared_outs(
// CHECK: linalg.copy
// CHECK: vector.contract
// CHECK: tensor.parallel_insert_slice
// SERIAL-LABEL: func @matmul
// SERIAL-NOT: scf.forall
func.func @matmul(%a: tensor<64x256xf32>, %b: tensor<256x256xf32>, %c: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x256xf32>, tensor<256x256xf32>) outs(%c : tensor<64x256xf32>) -> tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}

// -----

// Convolutions share out output rows (image x row) between threads; the
// row's tiles inside are serial loops as before.
// CHECK-LABEL: func @conv
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 32) shared_outs(
// CHECK: scf.for
// CHECK: vector.contract
// SERIAL-LABEL: func @conv
// SERIAL-NOT: scf.forall
func.func @conv(%x: tensor<2x34x34x16xf32>, %w: tensor<3x3x16x32xf32>, %o: tensor<2x32x32x32xf32>) -> tensor<2x32x32x32xf32> {
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x34x34x16xf32>, tensor<3x3x16x32xf32>) outs(%o : tensor<2x32x32x32xf32>) -> tensor<2x32x32x32xf32>
  return %r : tensor<2x32x32x32xf32>
}

// -----

// Below 2^22 multiply-adds a fork/join costs more than it saves: serial.
// CHECK-LABEL: func @small_conv
// CHECK-NOT: scf.forall
func.func @small_conv(%x: tensor<2x8x8x16xf32>, %w: tensor<3x3x16x32xf32>, %o: tensor<2x6x6x32xf32>) -> tensor<2x6x6x32xf32> {
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x8x8x16xf32>, tensor<3x3x16x32xf32>) outs(%o : tensor<2x6x6x32xf32>) -> tensor<2x6x6x32xf32>
  return %r : tensor<2x6x6x32xf32>
}

// -----

// A depthwise convolution's multiply-adds count 8x for that threshold
// (input loads per FMA, and its input left in both cores' caches by a
// shared-out producer): 14x14x576 3x3 (1.0M) is shared out, a dense
// convolution of the same 1.0M (above) would not be.
// CHECK-LABEL: func @depthwise
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (1, 14) shared_outs(
// CHECK: vector.fma
// SERIAL-LABEL: func @depthwise
// SERIAL-NOT: scf.forall
func.func @depthwise(%x: tensor<1x16x16x576xf32>, %w: tensor<3x3x576xf32>, %o: tensor<1x14x14x576xf32>) -> tensor<1x14x14x576xf32> {
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x16x16x576xf32>, tensor<3x3x576xf32>) outs(%o : tensor<1x14x14x576xf32>) -> tensor<1x14x14x576xf32>
  return %r : tensor<1x14x14x576xf32>
}

// -----

// A depthwise convolution below 2^19 multiply-adds stays serial.
// CHECK-LABEL: func @small_depthwise
// CHECK-NOT: scf.forall
func.func @small_depthwise(%x: tensor<1x9x9x576xf32>, %w: tensor<3x3x576xf32>, %o: tensor<1x7x7x576xf32>) -> tensor<1x7x7x576xf32> {
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x9x9x576xf32>, tensor<3x3x576xf32>) outs(%o : tensor<1x7x7x576xf32>) -> tensor<1x7x7x576xf32>
  return %r : tensor<1x7x7x576xf32>
}

// -----

// A tall, narrow product (a 1x1 convolution over 56x56 pixels into 32
// channels) has one B strip per block: its M blocks are shared out.
// CHECK-LABEL: func @tall_narrow
// CHECK: scf.forall (%{{.*}}) = (0) to (3136) step (224) shared_outs(
// CHECK: linalg.copy
// CHECK: vector.contract
// CHECK: tensor.parallel_insert_slice
func.func @tall_narrow(%a: tensor<3136x64xf32>, %b: tensor<64x32xf32>, %c: tensor<3136x32xf32>) -> tensor<3136x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<3136x64xf32>, tensor<64x32xf32>) outs(%c : tensor<3136x32xf32>) -> tensor<3136x32xf32>
  return %r : tensor<3136x32xf32>
}

// -----

// Tall with a few strips (96 channels: 3 strips, which 2 threads would
// split 2:1, in one fork/join per M block): the M blocks are shared out,
// once per product, and the strips stay serial.
// CHECK-LABEL: func @tall_few_strips
// CHECK: scf.forall (%{{.*}}) = (0) to (3136) step (224) shared_outs(
// CHECK-NOT: scf.forall
// CHECK: vector.contract
func.func @tall_few_strips(%a: tensor<3136x64xf32>, %b: tensor<64x96xf32>, %c: tensor<3136x96xf32>) -> tensor<3136x96xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<3136x64xf32>, tensor<64x96xf32>) outs(%c : tensor<3136x96xf32>) -> tensor<3136x96xf32>
  return %r : tensor<3136x96xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The same with an epilogue dr1-fuse-epilogue marked: the cache blocks of
// the fused nest are the forall, and the ReLU stays inside it.
// CHECK-LABEL: func @tall_few_strips_epilogue
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (96, 3136) step (96, 224) shared_outs(
// CHECK-NOT: scf.forall
// CHECK: vector.contract
// CHECK: arith.maximumf %{{.*}} : vector<8x32xf32>
// CHECK: tensor.parallel_insert_slice
func.func @tall_few_strips_epilogue(%a: tensor<3136x64xf32>, %b: tensor<64x96xf32>, %c: tensor<3136x96xf32>) -> tensor<3136x96xf32> {
  %r = linalg.matmul {dr1.fuse_epilogue} ins(%a, %b : tensor<3136x64xf32>, tensor<64x96xf32>) outs(%c : tensor<3136x96xf32>) -> tensor<3136x96xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<3136x96xf32>) outs(%c : tensor<3136x96xf32>) {
  ^bb0(%x: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %x, %z : f32
    linalg.yield %m : f32
  } -> tensor<3136x96xf32>
  return %e : tensor<3136x96xf32>
}
