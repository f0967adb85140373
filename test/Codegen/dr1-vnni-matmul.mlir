// RUN: dr1-opt %s -split-input-file -dr1-vnni-matmul | FileCheck %s

// K = 6 pads to 8, N = 3 to one 32-column panel. Weights packed as
// [panel][k/4][column][k%4]: column 0 holds w[0..3][0] = 1, 4, 7, -10
// (01 04 07 F6), column 1 w[0..3][1] = -2, 5, 8, 11 (FE 05 08 0B).
// corr[n] = 128 * sum_k w[k][n]: 128 * 31 = 3968, 128 * 19 = 2432,
// 128 * 21 = 2688. 10 rows: one 8-row tile, then 2 rows one at a time.
// The init is not zero: it is added after.
// CHECK-LABEL: func @vnni
// CHECK-SAME: (%[[A:.*]]: tensor<10x6xi8>, %[[INIT:.*]]: tensor<10x3xi32>)
// CHECK-DAG: %[[WP:.*]] = arith.constant dense<"0x010407F6FE05080B03FA090C{{0*}}D1000000EEF0000F112{{0*}}"> : tensor<1x2x128xi8>
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense<[3968, 2432, 2688, 0,{{.*}}]> : tensor<32xi32>
// CHECK-DAG: %[[FLIP:.*]] = arith.constant -128 : i8
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[FLIP]] : i8) outs(%{{.*}} : tensor<10x8xi8>)
// CHECK: %[[PAD:.*]] = tensor.insert_slice %[[A]] into %[[FILL]][0, 0] [10, 6] [1, 1]
// CHECK: %[[AU:.*]] = linalg.generic {{.*}} ins(%[[PAD]] : tensor<10x8xi8>)
// CHECK: arith.xori %{{.*}}, %[[FLIP]] : i8
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (tensor<10x32xi32>)
// CHECK: scf.for {{.*}} -> (tensor<10x32xi32>)
// CHECK: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK: vector.transfer_read %[[WP]]{{.*}} : tensor<1x2x128xi8>, vector<64xi8>
// CHECK: vector.transfer_read %[[AU]]{{.*}} : tensor<10x8xi8>, vector<4xi8>
// CHECK: vector.bitcast %{{.*}} : vector<4xi8> to vector<1xi32>
// CHECK: vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: vector.transfer_read %[[CORR]]
// CHECK: arith.subi
// CHECK: vector.transfer_write
// The two remaining rows, one at a time: two accumulators each.
// CHECK: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>)
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %{{.*}}[0, 0] [10, 3] [1, 1] : tensor<10x32xi32> to tensor<10x3xi32>
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[SLICE]], %[[INIT]] : tensor<10x3xi32>, tensor<10x3xi32>)
// CHECK: arith.addi
// CHECK: return %[[SUM]]
func.func @vnni(%a: tensor<10x6xi8>, %init: tensor<10x3xi32>) -> tensor<10x3xi32> {
  %w = arith.constant dense<[[1, -2, 3], [4, 5, -6], [7, 8, 9], [-10, 11, 12], [13, 14, -15], [16, -17, 18]]> : tensor<6x3xi8>
  %y = linalg.matmul ins(%a, %w : tensor<10x6xi8>, tensor<6x3xi8>) outs(%init : tensor<10x3xi32>) -> tensor<10x3xi32>
  return %y : tensor<10x3xi32>
}

// -----

// A zero init needs no addition; weights computed at run time and float
// products are left to the general strategy.
// CHECK-LABEL: func @zero_init
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: arith.addi %{{.*}} : i32
// CHECK: return
// CHECK-LABEL: func @not_constant
// CHECK-NOT: llvm.call_intrinsic
// CHECK: linalg.matmul
// CHECK: linalg.matmul
func.func @zero_init(%a: tensor<8x4xi8>) -> tensor<8x32xi32> {
  %w = arith.constant dense<3> : tensor<4x32xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<8x32xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<8x32xi32>) -> tensor<8x32xi32>
  %y = linalg.matmul ins(%a, %w : tensor<8x4xi8>, tensor<4x32xi8>) outs(%z : tensor<8x32xi32>) -> tensor<8x32xi32>
  return %y : tensor<8x32xi32>
}
func.func @not_constant(%a: tensor<8x4xi8>, %w: tensor<4x32xi8>, %z: tensor<8x32xi32>, %f: tensor<8x4xf32>, %g: tensor<4x32xf32>, %h: tensor<8x32xf32>) -> (tensor<8x32xi32>, tensor<8x32xf32>) {
  %y = linalg.matmul ins(%a, %w : tensor<8x4xi8>, tensor<4x32xi8>) outs(%z : tensor<8x32xi32>) -> tensor<8x32xi32>
  %c = arith.constant dense<1.0> : tensor<4x32xf32>
  %x = linalg.matmul ins(%f, %c : tensor<8x4xf32>, tensor<4x32xf32>) outs(%h : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %y, %x : tensor<8x32xi32>, tensor<8x32xf32>
}

// -----

// Convolutions as implicit GEMMs: C = 3 pads to 4; filters packed as
// [panel][kh][kw][c/4][32 filters][4 channels]; per output row, pixels in
// tiles of 8 (here 4 columns: one at a time), the taps and channels
// accumulated in registers; stride 2 and dilation 2 index the input.
// CHECK-LABEL: func @conv
// CHECK-DAG: %[[WP:.*]] = arith.constant dense<"0x{{[0-9A-F]+}}"> : tensor<1x2x2x1x128xi8>
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense<{{.*}}> : tensor<32xi32>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [1, 9, 9, 3] [1, 1, 1, 1] : tensor<1x9x9x3xi8> into tensor<1x9x9x4xi8>
// CHECK: %[[XU:.*]] = linalg.generic
// CHECK: arith.xori
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (tensor<1x4x4x32xi32>)
// CHECK: scf.for {{.*}} -> (tensor<1x4x4x32xi32>)
// CHECK: arith.constant 2 : index
// CHECK: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>)
// CHECK: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>)
// CHECK: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>)
// CHECK: vector.transfer_read %[[WP]]
// CHECK: vector.transfer_read %[[XU]]{{.*}} : tensor<1x9x9x4xi8>, vector<4xi8>
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 4, 4, 2] [1, 1, 1, 1]
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @conv(%x: tensor<1x9x9x3xi8>) -> tensor<1x4x4x2xi32> {
  %w = arith.constant dense<7> : tensor<2x2x3x2xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x4x2xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x4x2xi32>) -> tensor<1x4x4x2xi32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x9x9x3xi8>, tensor<2x2x3x2xi8>) outs(%z : tensor<1x4x4x2xi32>) -> tensor<1x4x4x2xi32>
  return %y : tensor<1x4x4x2xi32>
}

// -----

// With threads (parallel=true): a one-block product (N = 256) is shared as
// row chunks of 8 (64 rows: 8 chunks), each chunk's slice written back
// with parallel_insert_slice; convolutions by output rows.
// RUN: dr1-opt %s -split-input-file -dr1-vnni-matmul=parallel=true | FileCheck %s --check-prefix=PAR
// PAR-LABEL: func @threads
// PAR: scf.forall (%[[I:.*]], %[[J:.*]]) in (8, 1) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<64x256xi32>)
// PAR: %[[SLICE:.*]] = tensor.extract_slice %[[OUT]]
// PAR: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// PAR: tensor.parallel_insert_slice %{{.*}} into %[[OUT]]
// PAR-LABEL: func @threads_conv
// PAR: scf.forall (%{{.*}}, %{{.*}}) in (1, 24) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<1x24x24x32xi32>)
// PAR: tensor.extract_slice {{.*}} to tensor<1x1x24x32xi32>
// PAR: tensor.parallel_insert_slice
func.func @threads(%a: tensor<64x256xi8>) -> tensor<64x256xi32> {
  %w = arith.constant dense<1> : tensor<256x256xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<64x256xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<64x256xi32>) -> tensor<64x256xi32>
  %y = linalg.matmul ins(%a, %w : tensor<64x256xi8>, tensor<256x256xi8>) outs(%z : tensor<64x256xi32>) -> tensor<64x256xi32>
  return %y : tensor<64x256xi32>
}
func.func @threads_conv(%x: tensor<1x26x26x32xi8>) -> tensor<1x24x24x32xi32> {
  %w = arith.constant dense<1> : tensor<3x3x32x32xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x24x24x32xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x24x24x32xi32>) -> tensor<1x24x24x32xi32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x26x26x32xi8>, tensor<3x3x32x32xi8>) outs(%z : tensor<1x24x24x32xi32>) -> tensor<1x24x24x32xi32>
  return %y : tensor<1x24x24x32xi32>
}
