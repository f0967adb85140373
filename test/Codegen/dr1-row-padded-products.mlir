// RUN: dr1-opt %s --dr1-row-padded-products -split-input-file | FileCheck %s
// RUN: dr1-opt %s --dr1-row-padded-products="parallel=true" -split-input-file | FileCheck %s --check-prefix=PAR

// A 1x1 convolution (matmul on [N*H*W, C]) whose epilogue fills the
// interior of the next layer's padded input: one image row per iteration,
// each a [W, C] x [C, F] product whose expand_shape feeds the row's slice
// of the epilogue, which the tiling inserts into a 4-D result (no
// [N*H*W, F] tensor left to copy into the padding).
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch4 = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0 * 15 + d1 * 5)>
// CHECK-LABEL: func @pointwise_into_padding
// CHECK-NOT: tensor<30x8xf32>
// CHECK: %[[ROWS:.*]] = scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}}) -> (tensor<2x3x5x8xf32>)
// CHECK: scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}})
// CHECK: %[[R:.*]] = affine.apply #[[$ROW]](%[[N]], %[[H]])
// CHECK: %[[X:.*]] = tensor.extract_slice %{{.*}}[%[[R]], 0] [5, 16] [1, 1] : tensor<30x16xf32> to tensor<5x16xf32>
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<5x8xf32>
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[X]], %{{.*}} : tensor<5x16xf32>, tensor<16x8xf32>) outs(%[[Z]] : tensor<5x8xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0, 1, 2], [3]] output_shape [1, 1, 5, 8]
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[E]], %{{.*}} : tensor<1x1x5x8xf32>, tensor<8xf32>)
// CHECK: tensor.insert_slice %[[Y]] into %[[ACC]][%[[N]], %[[H]], 0, 0] [1, 1, 5, 8]
// CHECK: tensor.insert_slice %[[ROWS]] into %{{.*}}[0, 1, 1, 0] [2, 3, 5, 8]
// (Too little work to share between threads: the row loop stays serial.)
// PAR-LABEL: func @pointwise_into_padding
// PAR: scf.for
func.func @pointwise_into_padding(%x: tensor<30x16xf32>, %bias: tensor<8xf32>) -> tensor<2x5x7x8xf32> {
  %w = arith.constant dense<0.5> : tensor<16x8xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<30x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e0 : tensor<30x8xf32>) -> tensor<30x8xf32>
  %p = linalg.matmul ins(%x, %w : tensor<30x16xf32>, tensor<16x8xf32>) outs(%z : tensor<30x8xf32>) -> tensor<30x8xf32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [2, 3, 5, 8] : tensor<30x8xf32> into tensor<2x3x5x8xf32>
  %e1 = tensor.empty() : tensor<2x3x5x8xf32>
  %y = linalg.generic {indexing_maps = [#id4, #ch4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e, %bias : tensor<2x3x5x8xf32>, tensor<8xf32>) outs(%e1 : tensor<2x3x5x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x3x5x8xf32>
  %pad0 = tensor.empty() : tensor<2x5x7x8xf32>
  %pad = linalg.fill ins(%zero : f32) outs(%pad0 : tensor<2x5x7x8xf32>) -> tensor<2x5x7x8xf32>
  %i = tensor.insert_slice %y into %pad[0, 1, 1, 0] [2, 3, 5, 8] [1, 1, 1, 1] : tensor<2x3x5x8xf32> into tensor<2x5x7x8xf32>
  return %i : tensor<2x5x7x8xf32>
}

// -----

// int8: the i8 x i8 product's rows accumulate in i32 (the row's fill keeps
// the accumulator's type), and the requantizing epilogue writes the i8
// padded tensor; enough work (> 4M multiply-adds) for threads to share the
// rows.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @int8_pointwise_into_padding
// CHECK: scf.for
// CHECK: linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<56x144xi32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<56x24xi8>, tensor<24x144xi8>) outs(%{{.*}} : tensor<56x144xi32>)
// PAR-LABEL: func @int8_pointwise_into_padding
// PAR: scf.forall (%{{.*}}, %{{.*}}) in (1, 56)
// PAR: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<56x24xi8>, tensor<24x144xi8>)
// PAR: tensor.parallel_insert_slice
func.func @int8_pointwise_into_padding(%x: tensor<3136x24xi8>, %w: tensor<24x144xi8>) -> tensor<1x58x58x144xi8> {
  %zero = arith.constant 0 : i32
  %z8 = arith.constant 0 : i8
  %e0 = tensor.empty() : tensor<3136x144xi32>
  %z = linalg.fill ins(%zero : i32) outs(%e0 : tensor<3136x144xi32>) -> tensor<3136x144xi32>
  %p = linalg.matmul ins(%x, %w : tensor<3136x24xi8>, tensor<24x144xi8>) outs(%z : tensor<3136x144xi32>) -> tensor<3136x144xi32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [1, 56, 56, 144] : tensor<3136x144xi32> into tensor<1x56x56x144xi32>
  %e1 = tensor.empty() : tensor<1x56x56x144xi8>
  %y = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e : tensor<1x56x56x144xi32>) outs(%e1 : tensor<1x56x56x144xi8>) {
  ^bb0(%a: i32, %o: i8):
    %t = arith.trunci %a : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x56x56x144xi8>
  %pad0 = tensor.empty() : tensor<1x58x58x144xi8>
  %pad = linalg.fill ins(%z8 : i8) outs(%pad0 : tensor<1x58x58x144xi8>) -> tensor<1x58x58x144xi8>
  %i = tensor.insert_slice %y into %pad[0, 1, 1, 0] [1, 56, 56, 144] [1, 1, 1, 1] : tensor<1x56x56x144xi8> into tensor<1x58x58x144xi8>
  return %i : tensor<1x58x58x144xi8>
}

// -----

// Weights past 128 KiB would be read from beyond L2 once per row: such
// products keep the whole-image matmul (and the copy).
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @pointwise_into_padding_large_weights
// CHECK-NOT: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<30x128xf32>, tensor<128x320xf32>)
func.func @pointwise_into_padding_large_weights(%x: tensor<30x128xf32>, %w: tensor<128x320xf32>) -> tensor<1x8x7x320xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<30x320xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e0 : tensor<30x320xf32>) -> tensor<30x320xf32>
  %p = linalg.matmul ins(%x, %w : tensor<30x128xf32>, tensor<128x320xf32>) outs(%z : tensor<30x320xf32>) -> tensor<30x320xf32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [1, 6, 5, 320] : tensor<30x320xf32> into tensor<1x6x5x320xf32>
  %e1 = tensor.empty() : tensor<1x6x5x320xf32>
  %y = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e : tensor<1x6x5x320xf32>) outs(%e1 : tensor<1x6x5x320xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x6x5x320xf32>
  %pad0 = tensor.empty() : tensor<1x8x7x320xf32>
  %pad = linalg.fill ins(%zero : f32) outs(%pad0 : tensor<1x8x7x320xf32>) -> tensor<1x8x7x320xf32>
  %i = tensor.insert_slice %y into %pad[0, 1, 1, 0] [1, 6, 5, 320] [1, 1, 1, 1] : tensor<1x6x5x320xf32> into tensor<1x8x7x320xf32>
  return %i : tensor<1x8x7x320xf32>
}

// -----

// An epilogue whose result is not inserted into a larger tensor has
// nothing to copy: left alone.
// CHECK-LABEL: func @pointwise_unpadded
// CHECK-NOT: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<30x16xf32>, tensor<16x8xf32>)
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @pointwise_unpadded(%x: tensor<30x16xf32>, %w: tensor<16x8xf32>) -> tensor<1x6x5x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<30x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e0 : tensor<30x8xf32>) -> tensor<30x8xf32>
  %p = linalg.matmul ins(%x, %w : tensor<30x16xf32>, tensor<16x8xf32>) outs(%z : tensor<30x8xf32>) -> tensor<30x8xf32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [1, 6, 5, 8] : tensor<30x8xf32> into tensor<1x6x5x8xf32>
  %e1 = tensor.empty() : tensor<1x6x5x8xf32>
  %y = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e : tensor<1x6x5x8xf32>) outs(%e1 : tensor<1x6x5x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x6x5x8xf32>
  return %y : tensor<1x6x5x8xf32>
}
