// RUN: dr1-opt %s -split-input-file -dr1-vnni-matmul=bf16=true | FileCheck %s
// RUN: dr1-opt %s -split-input-file -dr1-vnni-matmul | FileCheck %s --check-prefix=OFF

// bf16 x bf16 -> f32 with constant weights: vdpbf16ps. K = 3 pads to 4
// (the activations copied into a zero-filled [10, 4]), N = 3 to one
// 32-column panel. Weights packed as [panel][k/2][column][k%2]: column 0
// holds w[0][0], w[1][0] = 1, 4 (bf16 0x3F80, 0x4080), column 1 2, 5
// (0x4000, 0x40A0), column 2 3, 6 (0x4040, 0x40C0); the second k pair
// 7, 0 / 8, 0 / 9, 0 (0x40E0, 0x4100, 0x4110). No correction term.
// The init is not zero: it is added after, in f32.
// CHECK-LABEL: func @bf16
// CHECK-SAME: (%[[A:.*]]: tensor<10x3xbf16>, %[[INIT:.*]]: tensor<10x3xf32>)
// CHECK-NOT: tensor<32xi32>
// CHECK: %[[WP:.*]] = arith.constant dense<"0x803F80400040A0404040C040{{0*}}E04000000041000010410000{{0*}}"> : tensor<1x2x64xbf16>
// CHECK: %[[PADDED:.*]] = tensor.insert_slice %[[A]] into %{{.*}}[0, 0] [10, 3] [1, 1] : tensor<10x3xbf16> into tensor<10x4xbf16>
// CHECK: scf.for
// CHECK: vector.transfer_read %[[WP]]{{.*}} : tensor<1x2x64xbf16>, vector<32xbf16>
// CHECK: vector.transfer_read %[[PADDED]]{{.*}} : tensor<10x4xbf16>, vector<2xbf16>
// CHECK: vector.bitcast %{{.*}} : vector<16xi32> to vector<32xbf16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%{{.*}}) : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
// CHECK-NOT: arith.subi {{.*}} : vector
// CHECK: linalg.generic
// CHECK: arith.addf
// OFF-LABEL: func @bf16
// OFF: linalg.matmul
func.func @bf16(%a: tensor<10x3xbf16>, %init: tensor<10x3xf32>) -> tensor<10x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]> : tensor<3x3xbf16>
  %0 = linalg.matmul ins(%a, %w : tensor<10x3xbf16>, tensor<3x3xbf16>) outs(%init : tensor<10x3xf32>) -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// -----

// Convolutions as an implicit GEMM: filters [F/32][KH][KW][C/2][32][2].
// CHECK-LABEL: func @conv
// CHECK: arith.constant dense<{{.*}}> : tensor<1x3x3x2x64xbf16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @conv(%x: tensor<1x6x6x4xbf16>) -> tensor<1x4x4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x4x8xbf16>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x6x6x4xbf16>, tensor<3x3x4x8xbf16>) outs(%init : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %0 : tensor<1x4x4x8xf32>
}

// -----

// Mixed f32 x bf16 (or any other pairing) is not the instruction's.
// CHECK-LABEL: func @mixed
// CHECK: linalg.matmul
func.func @mixed(%a: tensor<4x4xf32>, %init: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x4xbf16>
  %0 = linalg.matmul ins(%a, %w : tensor<4x4xf32>, tensor<4x4xbf16>) outs(%init : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
