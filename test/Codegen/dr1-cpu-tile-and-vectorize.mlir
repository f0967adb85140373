// RUN: dr1-opt %s --dr1-cpu-tile-and-vectorize="vector-bits=512 vector-registers=32" -split-input-file | FileCheck %s --check-prefix=AVX512
// RUN: dr1-opt %s --dr1-cpu-tile-and-vectorize="vector-bits=128 vector-registers=32" -split-input-file | FileCheck %s --check-prefix=NEON
// RUN: dr1-opt %s --dr1-cpu-tile-and-vectorize="vector-bits=256 vector-registers=16" -split-input-file | FileCheck %s --check-prefix=AVX2

// Divisible matmul: cache blocks, a packed [kc, nr] strip of B, mr x nr
// register tiles with K innermost, vector.contract on mr x 1 by 1 x nr.
// AVX512-LABEL: func @matmul
// AVX512: scf.for {{.*}} step %c256
// AVX512: linalg.copy ins(%{{.*}} : tensor<256x32xf32>) outs(%{{.*}} : tensor<256x32xf32>)
// AVX512: scf.for {{.*}} step %c8
// AVX512: scf.for {{.*}} = %c0 to %c256 step %c1
// AVX512: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// NEON-LABEL: func @matmul
// NEON: vector.contract {{.*}} : vector<8x1xf32>, vector<1x8xf32> into vector<8x8xf32>
func.func @matmul(%a: tensor<256x256xf32>, %b: tensor<256x256xf32>, %c: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<256x256xf32>, tensor<256x256xf32>) outs(%c : tensor<256x256xf32>) -> tensor<256x256xf32>
  return %0 : tensor<256x256xf32>
}

// -----

// Shapes the tiles do not divide are padded with zeros and sliced back.
// AVX512-LABEL: func @matmul_padded
// AVX512: tensor.insert_slice %arg0 into %{{.*}}[0, 0] [13, 7] [1, 1] : tensor<13x7xf32> into tensor<16x7xf32>
// AVX512: tensor.insert_slice %arg1 into %{{.*}}[0, 0] [7, 33] [1, 1] : tensor<7x33xf32> into tensor<7x64xf32>
// AVX512: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// AVX512: tensor.extract_slice %{{.*}}[0, 0] [13, 33] [1, 1] : tensor<16x64xf32> to tensor<13x33xf32>
func.func @matmul_padded(%a: tensor<13x7xf32>, %b: tensor<7x33xf32>, %c: tensor<13x33xf32>) -> tensor<13x33xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<13x7xf32>, tensor<7x33xf32>) outs(%c : tensor<13x33xf32>) -> tensor<13x33xf32>
  return %0 : tensor<13x33xf32>
}

// -----

// Larger products are split instead (on AVX2, 6-row register tiles, 16-wide
// strips): rows 0..996 in M blocks of 126 (882 rows) and one of 114, the
// last 4 rows on their own with 4-row tiles; columns 0..768 in N blocks of
// 256, then 224, then 8 in one-vector strips. K = 1024 is one block, so
// the fill of C moves into the register tiles: accumulators start as
// zeros, nothing is padded or copied back. Each [1024, 256] block of B,
// which seven row blocks read, is packed once before them, as 16 strips
// of [1024, 16]; the register tiles read their strip from there.
// AVX2-LABEL: func @matmul_split
// AVX2-NOT: linalg.fill
// AVX2: tensor.extract_slice %arg0[0, 0] [996, 1024] [1, 1]
// AVX2: scf.for {{.*}} = %c0 to %c768 step %c256
// AVX2: tensor.empty() : tensor<16x1024x16xf32>
// AVX2: scf.for {{.*}} = %c0 to %c16 step %c1
// AVX2: tensor.insert_slice {{.*}} : tensor<1024x16xf32> into tensor<16x1024x16xf32>
// AVX2: scf.for {{.*}} = %c0 to %c882 step %c126
// AVX2-NOT: linalg.copy
// AVX2: tensor.extract_slice %{{.*}}[%{{.*}}, 0, 0] [1, 1024, 16] [1, 1, 1] : tensor<16x1024x16xf32> to tensor<1024x16xf32>
// AVX2: scf.for {{.*}} = %c0 to %c126 step %c6
// AVX2: vector.transfer_write %cst{{.*}} : vector<6x16xf32>, tensor<6x16xf32>
// AVX2: scf.for {{.*}} = %c0 to %c1024 step %c1
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// AVX2: tensor.extract_slice %{{.*}}[0, 768] [1024, 224] [1, 1]
// AVX2: tensor.extract_slice %arg1[0, 992] [1024, 8] [1, 1]
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x8xf32> into vector<6x8xf32>
// AVX2: scf.for {{.*}} = %c0 to %c114 step %c6
// AVX2: tensor.extract_slice %arg0[996, 0] [4, 1024] [1, 1]
// AVX2: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// AVX2-NOT: tensor.insert_slice %arg
// AVX2: return
func.func @matmul_split(%a: tensor<1000x1024xf32>, %b: tensor<1024x1000xf32>) -> tensor<1000x1000xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1000x1000xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<1000x1000xf32>) -> tensor<1000x1000xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<1000x1024xf32>, tensor<1024x1000xf32>) outs(%c : tensor<1000x1000xf32>) -> tensor<1000x1000xf32>
  return %0 : tensor<1000x1000xf32>
}

// -----

// A single row (matrix-vector): one wide register row, no packing.
// AVX512-LABEL: func @gemv
// AVX512-NOT: linalg.copy
// AVX512: vector.contract {{.*}} : vector<1x1xf32>, vector<1x256xf32> into vector<1x256xf32>
func.func @gemv(%a: tensor<1x784xf32>, %b: tensor<784x256xf32>, %c: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<1x784xf32>, tensor<784x256xf32>) outs(%c : tensor<1x256xf32>) -> tensor<1x256xf32>
  return %0 : tensor<1x256xf32>
}

// -----

// Convolutions: one output row, 8 columns x 32 channels, filter height
// tiled to 1, input channels 8 at a time, then a vectorized 1-D
// convolution.
// AVX512-LABEL: func @conv
// AVX512-NOT: linalg.conv_2d_nhwc_hwcf
// AVX512: vector.contract {{.*}} : vector<1x8x8xf32>, vector<8x32xf32> into vector<1x8x32xf32>
func.func @conv(%x: tensor<1x10x10x16xf32>, %w: tensor<3x3x16x64xf32>, %o: tensor<1x8x8x64xf32>) -> tensor<1x8x8x64xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x10x10x16xf32>, tensor<3x3x16x64xf32>) outs(%o : tensor<1x8x8x64xf32>) -> tensor<1x8x8x64xf32>
  return %0 : tensor<1x8x8x64xf32>
}

// -----

// AVX512-LABEL: func @depthwise
// AVX512-NOT: linalg.depthwise_conv_2d_nhwc_hwc
// AVX512: vector.fma {{.*}} : vector<1x8x32xf32>
func.func @depthwise(%x: tensor<1x10x10x32xf32>, %w: tensor<3x3x32xf32>, %o: tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> {
  %0 = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x10x10x32xf32>, tensor<3x3x32xf32>) outs(%o : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  return %0 : tensor<1x8x8x32xf32>
}

// -----

// Rows of 14 on AVX2 (8 accumulators): the default 4 columns x 2 vectors
// does not divide them. A depthwise tap loads fewer inputs per FMA the
// wider its row tile, so it takes 7 columns x 1 vector; a dense
// convolution takes 2 columns x 4 vectors. Neither pads its input to 16
// columns (the zero fill and copies that padding costs on every call).
// AVX2-LABEL: func @depthwise_row14
// AVX2-NOT: linalg.fill
// AVX2: tensor.extract_slice %arg0{{.*}} [1, 1, 9, 8] [1, 1, 1, 1] : tensor<1x16x16x64xf32> to tensor<1x1x9x8xf32>
// AVX2: vector.fma {{.*}} : vector<1x7x8xf32>
// AVX2-NOT: tensor.extract_slice {{.*}} : tensor<1x14x16x64xf32> to tensor<1x14x14x64xf32>
func.func @depthwise_row14(%x: tensor<1x16x16x64xf32>, %w: tensor<3x3x64xf32>, %o: tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32> {
  %0 = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x16x16x64xf32>, tensor<3x3x64xf32>) outs(%o : tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32>
  return %0 : tensor<1x14x14x64xf32>
}

// -----

// AVX2-LABEL: func @conv_row14
// AVX2-NOT: linalg.fill
// AVX2: tensor.extract_slice %arg0{{.*}} [1, 1, 2, 8] [1, 1, 1, 1] : tensor<1x16x16x16xf32> to tensor<1x1x2x8xf32>
// AVX2: vector.contract {{.*}} : vector<1x2x8xf32>, vector<8x32xf32> into vector<1x2x32xf32>
func.func @conv_row14(%x: tensor<1x16x16x16xf32>, %w: tensor<3x3x16x64xf32>, %o: tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x16x16x16xf32>, tensor<3x3x16x64xf32>) outs(%o : tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32>
  return %0 : tensor<1x14x14x64xf32>
}

// -----

// At 7 columns the dense candidates (7 x 1 vector: 8 loads per 7 FMAs)
// load more per FMA than the default 4 x 2 tile on a row padded to 8,
// which stays (34% faster on ResNet-50's 3x3/2 layer on AVX2).
// AVX2-LABEL: func @conv_row7
// AVX2: tensor.insert_slice %arg2 into %{{.*}}[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x8x64xf32>
// AVX2: vector.contract {{.*}} : vector<1x1x8xf32>, vector<8x16xf32> into vector<1x1x16xf32>
// AVX2: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x8x64xf32> to tensor<1x7x7x64xf32>
func.func @conv_row7(%x: tensor<1x15x15x16xf32>, %w: tensor<3x3x16x64xf32>, %o: tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x15x15x16xf32>, tensor<3x3x16x64xf32>) outs(%o : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  return %0 : tensor<1x7x7x64xf32>
}

// -----

// 24 output channels (ShuffleNet's stem) on 16 lanes: 8-channel tiles, not
// 24-lane vectors, which LLVM takes apart element by element (8x slower).
// AVX512-LABEL: func @conv_channels24
// AVX512-NOT: vector<{{[0-9x]*}}24xf32>
// AVX512: vector.contract {{.*}} : vector<1x1x3xf32>, vector<3x8xf32> into vector<1x1x8xf32>
// AVX512-NOT: vector<{{[0-9x]*}}24xf32>
func.func @conv_channels24(%x: tensor<1x226x226x3xf32>, %w: tensor<3x3x3x24xf32>, %o: tensor<1x112x112x24xf32>) -> tensor<1x112x112x24xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x226x226x3xf32>, tensor<3x3x3x24xf32>) outs(%o : tensor<1x112x112x24xf32>) -> tensor<1x112x112x24xf32>
  return %0 : tensor<1x112x112x24xf32>
}

// -----

// Pooling takes the same channel tiles.
// AVX512-LABEL: func @maxpool_channels24
// AVX512-NOT: vector<{{[0-9x]*}}24xf32>
// AVX512: arith.maximumf {{.*}} : vector<1x1x8xf32>
func.func @maxpool_channels24(%x: tensor<1x114x114x24xf32>, %o: tensor<1x56x56x24xf32>) -> tensor<1x56x56x24xf32> {
  %k = tensor.empty() : tensor<3x3xf32>
  %0 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %k : tensor<1x114x114x24xf32>, tensor<3x3xf32>) outs(%o : tensor<1x56x56x24xf32>) -> tensor<1x56x56x24xf32>
  return %0 : tensor<1x56x56x24xf32>
}

// -----

// Constant weights are padded at compile time, not on every call.
// AVX512-LABEL: func @matmul_constant_padded
// AVX512: arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 0.000000e+00, {{.*}}], [4.000000e+00, 5.000000e+00, 6.000000e+00, 0.000000e+00, {{.*}}]]> : tensor<2x16xf32>
// AVX512-NOT: tensor<2x3xf32> into tensor<2x16xf32>
// AVX512: vector.contract
func.func @matmul_constant_padded(%a: tensor<1x2xf32>, %c: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = linalg.matmul ins(%a, %w : tensor<1x2xf32>, tensor<2x3xf32>) outs(%c : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

// Batched products run one batch at a time through the matmul strategy.
// AVX512-LABEL: func @batch_matmul
// AVX512: scf.for %{{.*}} = %c0 to %c6 step %c1
// AVX512-NOT: linalg.batch_matmul
// AVX512: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
func.func @batch_matmul(%a: tensor<6x64x32xf32>, %b: tensor<6x32x48xf32>, %c: tensor<6x64x48xf32>) -> tensor<6x64x48xf32> {
  %0 = linalg.batch_matmul ins(%a, %b : tensor<6x64x32xf32>, tensor<6x32x48xf32>) outs(%c : tensor<6x64x48xf32>) -> tensor<6x64x48xf32>
  return %0 : tensor<6x64x48xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// A product marked by dr1-fuse-epilogue: the bias + GELU-style epilogue is
// tiled with it down to the 8 x 32 register tile and applied to the
// accumulators right after the K loop, before the one store; neither the
// product nor the epilogue is left as a whole-tensor op.
// AVX512-LABEL: func @matmul_epilogue
// AVX512: scf.for {{.*}} step %c256
// AVX512: linalg.copy ins(%{{.*}} : tensor<256x32xf32>) outs(%{{.*}} : tensor<256x32xf32>)
// AVX512: scf.for {{.*}} step %c8
// AVX512: %[[ACC:.*]] = scf.for {{.*}} = %c0 to %c256 step %c1
// AVX512: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// AVX512: %[[V:.*]] = vector.transfer_read %[[ACC]]
// AVX512: %[[BIAS:.*]] = vector.transfer_read {{.*}} : tensor<32xf32>, vector<8x32xf32>
// AVX512: %[[S:.*]] = arith.addf %[[V]], %[[BIAS]] : vector<8x32xf32>
// AVX512: math.erf %{{.*}} : vector<8x32xf32>
// AVX512: vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// AVX512-NOT: linalg.matmul
// AVX512-NOT: linalg.generic
// NEON-LABEL: func @matmul_epilogue
// NEON: vector.contract {{.*}} : vector<8x1xf32>, vector<1x8xf32> into vector<8x8xf32>
// NEON: math.erf %{{.*}} : vector<8x8xf32>
func.func @matmul_epilogue(%a: tensor<64x256xf32>, %b: tensor<256x512xf32>, %bias: tensor<512xf32>) -> tensor<64x512xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x512xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x512xf32>) -> tensor<64x512xf32>
  %mm = linalg.matmul {dr1.fuse_epilogue} ins(%a, %b : tensor<64x256xf32>, tensor<256x512xf32>) outs(%f : tensor<64x512xf32>) -> tensor<64x512xf32>
  %o = tensor.empty() : tensor<64x512xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %bias : tensor<64x512xf32>, tensor<512xf32>) outs(%o : tensor<64x512xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    %g = math.erf %s : f32
    %p = arith.mulf %s, %g : f32
    linalg.yield %p : f32
  } -> tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// K = 4096 with 320 rows (A: 5 MiB) is summed in 1024-wide blocks
// outside the row blocks, so no tile is final before the last block: the
// epilogue stays a separate op.
// AVX512-LABEL: func @matmul_epilogue_k_blocked
// AVX512: scf.for {{.*}} = %c0 to %c4096 step %c1024
// AVX512: vector.contract
// AVX512: linalg.generic
// AVX512: arith.maximumf
func.func @matmul_epilogue_k_blocked(%a: tensor<320x4096xf32>, %b: tensor<4096x256xf32>, %c: tensor<320x256xf32>) -> tensor<320x256xf32> {
  %mm = linalg.matmul {dr1.fuse_epilogue} ins(%a, %b : tensor<320x4096xf32>, tensor<4096x256xf32>) outs(%c : tensor<320x256xf32>) -> tensor<320x256xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<320x256xf32>) outs(%c : tensor<320x256xf32>) {
  ^bb0(%x: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %x, %z : f32
    linalg.yield %m : f32
  } -> tensor<320x256xf32>
  return %r : tensor<320x256xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The same K = 1024 with 64 rows (A: 256 KiB) is one block: each 8 x 32
// register tile sums all of K, then takes the ReLU before its one store.
// AVX512-LABEL: func @matmul_epilogue_whole_k
// AVX512: scf.for {{.*}} step %c8
// AVX512: scf.for {{.*}} = %c0 to %c1024 step %c1
// AVX512: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// AVX512: arith.maximumf {{.*}} : vector<8x32xf32>
// AVX512: vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// AVX512-NOT: linalg.generic
func.func @matmul_epilogue_whole_k(%a: tensor<64x1024xf32>, %b: tensor<1024x256xf32>, %c: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %mm = linalg.matmul {dr1.fuse_epilogue} ins(%a, %b : tensor<64x1024xf32>, tensor<1024x256xf32>) outs(%c : tensor<64x256xf32>) -> tensor<64x256xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<64x256xf32>) outs(%c : tensor<64x256xf32>) {
  ^bb0(%x: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %x, %z : f32
    linalg.yield %m : f32
  } -> tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// 80 columns are not a multiple of the 32-wide tile: with an epilogue, one
// vector per row (16 columns, 5 strips) and 14 rows of accumulators instead
// of padding; the residual add is applied in registers.
// AVX512-LABEL: func @matmul_epilogue_one_vector
// AVX512: scf.for {{.*}} = %c0 to %c80 step %c16
// AVX512: scf.for {{.*}} = %c0 to %c196 step %c14
// AVX512: vector.contract {{.*}} : vector<14x1xf32>, vector<1x16xf32> into vector<14x16xf32>
// AVX512: arith.addf {{.*}} : vector<14x16xf32>
// AVX512-NOT: linalg.generic
// AVX512-NOT: tensor.pad
func.func @matmul_epilogue_one_vector(%a: tensor<196x96xf32>, %b: tensor<96x80xf32>, %c: tensor<196x80xf32>, %res: tensor<196x80xf32>) -> tensor<196x80xf32> {
  %mm = linalg.matmul {dr1.fuse_epilogue} ins(%a, %b : tensor<196x96xf32>, tensor<96x80xf32>) outs(%c : tensor<196x80xf32>) -> tensor<196x80xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %res : tensor<196x80xf32>, tensor<196x80xf32>) outs(%c : tensor<196x80xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<196x80xf32>
  return %r : tensor<196x80xf32>
}
