// RUN: dr1-opt %s -split-input-file -dr1-vnni-matmul="int8=false sdot=true" | FileCheck %s

// AArch64 sdot: signed bytes on both sides, so no flip and no correction;
// K = 5 pads to 8 (activations copied into a zero-filled [6, 8]), N = 3
// to one 16-column panel. Weights packed as [panel][k/4][column][k%4]:
// column 0 holds w[0..3][0] = 1, 4, 7, -10 (01 04 07 F6), column 1
// -2, 5, 8, 11 (FE 05 08 0B), column 2 3, -6, 9, 12 (03 FA 09 0C); the
// second k quad holds w[4][n] = 13, -14, 15 (0D, F2, 0F). 4-row tiles:
// 6 rows are one tile and 2 rows one at a time.
// CHECK-LABEL: func @sdot
// CHECK-SAME: (%[[A:.*]]: tensor<6x5xi8>, %[[INIT:.*]]: tensor<6x3xi32>)
// CHECK-NOT: tensor<16xi32>
// CHECK: arith.constant dense<"0x010407F6FE05080B03FA090C{{0*}}0D000000F20000000F000000{{0*}}"> : tensor<1x2x64xi8>
// CHECK-NOT: arith.xori
// CHECK: tensor.insert_slice %[[A]] into %{{.*}}[0, 0] [6, 5] [1, 1] : tensor<6x5xi8> into tensor<6x8xi8>
// CHECK: vector.transfer_read {{.*}} : tensor<1x2x64xi8>, vector<16xi8>
// CHECK: vector.broadcast %{{.*}} : i32 to vector<4xi32>
// CHECK: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%{{.*}}) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// CHECK-NOT: arith.subi {{.*}} : vector
// CHECK: arith.addi
func.func @sdot(%a: tensor<6x5xi8>, %init: tensor<6x3xi32>) -> tensor<6x3xi32> {
  %w = arith.constant dense<[[1, -2, 3], [4, 5, -6], [7, 8, 9], [-10, 11, 12], [13, -14, 15]]> : tensor<5x3xi8>
  %0 = linalg.matmul ins(%a, %w : tensor<6x5xi8>, tensor<5x3xi8>) outs(%init : tensor<6x3xi32>) -> tensor<6x3xi32>
  return %0 : tensor<6x3xi32>
}

// -----

// Convolutions: filters [F/16][KH][KW][C/4][16][4].
// CHECK-LABEL: func @conv
// CHECK: arith.constant dense<{{.*}}> : tensor<1x3x3x1x64xi8>
// CHECK: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @conv(%x: tensor<1x6x6x4xi8>) -> tensor<1x4x4x8xi32> {
  %w = arith.constant dense<3> : tensor<3x3x4x8xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x4x8xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<1x4x4x8xi32>) -> tensor<1x4x4x8xi32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x6x6x4xi8>, tensor<3x3x4x8xi8>) outs(%init : tensor<1x4x4x8xi32>) -> tensor<1x4x4x8xi32>
  return %0 : tensor<1x4x4x8xi32>
}
