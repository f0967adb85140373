// RUN: dr1-opt %s --dr1-vectorize-elementwise --canonicalize --cse | FileCheck %s
// RUN: dr1-opt %s --dr1-vectorize-elementwise=vector-bits=128 --canonicalize --cse | FileCheck %s --check-prefix=NEON
// RUN: dr1-opt %s --dr1-vectorize-elementwise --canonicalize --cse --loop-invariant-subset-hoisting --canonicalize | FileCheck %s --check-prefix=HOIST

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
// Elementwise: runs of 4 registers (64 f32 with AVX-512, 16 with NEON).
// CHECK-LABEL: func @exp
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c64
// CHECK: vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1x64xf32>
// CHECK: math.exp %{{.*}} : vector<1x64xf32>
// CHECK: vector.transfer_write
// NEON-LABEL: func @exp
// NEON: step %c16
// NEON: math.exp %{{.*}} : vector<1x16xf32>
func.func @exp(%x: tensor<8x128xf32>) -> tensor<8x128xf32> {
  %e = tensor.empty() : tensor<8x128xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x128xf32>) outs(%e : tensor<8x128xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<8x128xf32>
  return %y : tensor<8x128xf32>
}

// A row reduction: the whole 200-element row at once, into the row's
// accumulator.
// CHECK-LABEL: func @rowmax
// CHECK: scf.for %[[I:.*]] = %c0 to %c8 step %c1
// CHECK: vector.transfer_read {{.*}} : tensor<1x200xf32>, vector<1x200xf32>
// CHECK: vector.reduction <maximumf>, %{{.*}}, %{{.*}} : vector<200xf32> into f32
// CHECK-NOT: linalg.generic
func.func @rowmax(%x: tensor<8x200xf32>, %init: tensor<8xf32>) -> tensor<8xf32> {
  %y = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x200xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// Rows longer than 16 registers: chunks of 256, the partial sum carried.
// CHECK-LABEL: func @long_rows
// CHECK: scf.for %{{.*}} = %c0 to %c1024 step %c256 iter_args
// CHECK: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<256xf32> into f32
func.func @long_rows(%x: tensor<4x1024xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %y = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x1024xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// 37 has no divisor of at least a register: the whole (short) row, with the
// bias broadcast along rows.
// CHECK-LABEL: func @bias_prime
// CHECK: vector.transfer_read %{{.*}} : tensor<1x37xf32>, vector<1x37xf32>
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true, true], permutation_map = #{{.*}}} : tensor<37xf32>, vector<1x37xf32>
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<1x37xf32>
func.func @bias_prime(%x: tensor<3x37xf32>, %b: tensor<37xf32>) -> tensor<3x37xf32> {
  %e = tensor.empty() : tensor<3x37xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<3x37xf32>, tensor<37xf32>) outs(%e : tensor<3x37xf32>) {
  ^bb0(%a: f32, %c: f32, %d: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<3x37xf32>
  return %y : tensor<3x37xf32>
}
func.func @transpose(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {

// The innermost loop strides through the input: left to later passes.
// CHECK-LABEL: func @transpose
// CHECK-NOT: vector.
// CHECK: linalg.generic
  %e = tensor.empty() : tensor<64x64xf32>
  %y = linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%a: f32, %d: f32):
    linalg.yield %a : f32
  } -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}

// A mask read from memory stays scalar: i1 buffers hold one byte per
// element, vector<...xi1> loads would read packed bits.
// CHECK-LABEL: func @select_mask
// CHECK-NOT: vector.transfer_read
// CHECK: linalg.generic
// CHECK: arith.select
func.func @select_mask(%c: tensor<3x5xi1>, %x: tensor<3x5xf64>) -> tensor<3x5xf64> {
  %e = tensor.empty() : tensor<3x5xf64>
  %z = arith.constant 0.0 : f64
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %x : tensor<3x5xi1>, tensor<3x5xf64>) outs(%e : tensor<3x5xf64>) {
  ^bb0(%m: i1, %a: f64, %b: f64):
    %r = arith.select %m, %a, %z : f64
    linalg.yield %r : f64
  } -> tensor<3x5xf64>
  return %y : tensor<3x5xf64>
}

// A layout transpose (NCHW -> NHWC) in register blocks: 16 x 16 on
// AVX-512, the rows of 16 channels read whole and transposed by the
// unpack/shuffle network; 4 x 4 blocks, one shuffle each, on NEON.
// CHECK-LABEL: func @edge_transpose
// CHECK-NOT: permutation_map
// CHECK: vector.transfer_read {{.*}} : tensor<1x16x1x16xf32>, vector<1x16x1x16xf32>
// CHECK: vector.shuffle {{.*}} [0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29] : vector<16xf32>, vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1x1x16x16xf32>, tensor<1x1x16x16xf32>
// NEON-LABEL: func @edge_transpose
// NEON: vector.transfer_read {{.*}} : tensor<1x4x1x4xf32>, vector<1x4x1x4xf32>
// NEON: vector.shuffle {{.*}} [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15] : vector<16xf32>, vector<16xf32>
// NEON: vector.transfer_write {{.*}} : vector<1x1x4x4xf32>, tensor<1x1x4x4xf32>
func.func @edge_transpose(%x: tensor<1x32x4x16xf32>) -> tensor<1x4x16x32xf32> {
  %e = tensor.empty() : tensor<1x4x16x32xf32>
  %t = linalg.transpose ins(%x : tensor<1x32x4x16xf32>) outs(%e : tensor<1x4x16x32xf32>) permutation = [0, 2, 3, 1]
  return %t : tensor<1x4x16x32xf32>
}

// A channel shuffle's transpose ([4, 28] -> [28, 4] per pixel): 4 x 4
// blocks (28 has no larger power-of-two divisor).
// CHECK-LABEL: func @channel_shuffle
// CHECK: scf.for %{{.*}} = %c0 to %c28 step %c4
// CHECK: vector.transfer_read {{.*}} : tensor<1x1x4x4xf32>, vector<1x1x4x4xf32>
// CHECK: vector.shuffle {{.*}} [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15]
// CHECK: vector.transfer_write {{.*}} : vector<1x1x4x4xf32>, tensor<1x1x4x4xf32>
func.func @channel_shuffle(%x: tensor<2x3x4x28xf32>) -> tensor<2x3x28x4xf32> {
  %e = tensor.empty() : tensor<2x3x28x4xf32>
  %t = linalg.transpose ins(%x : tensor<2x3x4x28xf32>) outs(%e : tensor<2x3x28x4xf32>) permutation = [0, 1, 3, 2]
  return %t : tensor<2x3x28x4xf32>
}

// The innermost dim stays innermost: whole rows are copied, left as is.
// CHECK-LABEL: func @transpose_rows_kept
// CHECK: linalg.transpose
// CHECK-NOT: vector.
// CHECK: return
func.func @transpose_rows_kept(%x: tensor<4x3x16xf32>) -> tensor<3x4x16xf32> {
  %e = tensor.empty() : tensor<3x4x16xf32>
  %t = linalg.transpose ins(%x : tensor<4x3x16xf32>) outs(%e : tensor<3x4x16xf32>) permutation = [1, 0, 2]
  return %t : tensor<3x4x16xf32>
}

// Global average pooling in NHWC (with the ReLU before it fused): the sum
// runs over H and W, outside the contiguous channel dim. The channels are
// tiled in vectors, H and W loops inside each tile accumulate them with
// vector adds (not a strided scalar sum per channel), and subset hoisting
// then keeps each tile's sums in registers across H and W (HOIST). The
// channels stay the vectors' innermost dim, or the ReLU (or a fused SiLU's
// exp) would be computed lane by lane.
// CHECK-LABEL: func @outer_reduction
// CHECK: scf.for {{.*}} to %c128 step %c64
// CHECK: scf.for {{.*}} to %c7 step %c1
// CHECK: scf.for {{.*}} to %c7 step %c1
// CHECK: vector.transfer_read {{.*}} : tensor<1x1x1x64xf32>, vector<1x1x1x64xf32>
// CHECK: arith.maximumf {{.*}} : vector<1x1x1x64xf32>
// CHECK: vector.shape_cast {{.*}} : vector<1x1x1x64xf32> to vector<1x64xf32>
// CHECK: arith.addf {{.*}} : vector<1x64xf32>
// CHECK-NOT: vector.reduction
// CHECK: return
// HOIST-LABEL: func @outer_reduction
// HOIST: scf.for {{.*}} to %c128 step %c64
// HOIST: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1x64xf32>
// HOIST: scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<1x64xf32>)
// HOIST: scf.for {{.*}} -> (vector<1x64xf32>)
// HOIST-NOT: vector.transfer_write
// HOIST: arith.addf {{.*}} : vector<1x64xf32>
// HOIST: scf.yield
// HOIST: scf.yield
// HOIST: vector.transfer_write
func.func @outer_reduction(%x: tensor<1x7x7x128xf32>, %acc: tensor<1x128xf32>) -> tensor<1x128xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<1x7x7x128xf32>) outs(%acc : tensor<1x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    %s = arith.addf %m, %out : f32
    linalg.yield %s : f32
  } -> tensor<1x128xf32>
  return %r : tensor<1x128xf32>
}
