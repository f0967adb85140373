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
