// RUN: dr1-opt %s --convert-dr1-to-linalg --canonicalize --cse -split-input-file | FileCheck %s
// dr1.attention: one parallel iteration per (batch * heads, 64-row query
// block); 600 keys in 200-key blocks, the first peeled, the rest in a loop
// carrying the running max, sum and output. No [*, 600] scores exist.

// CHECK-LABEL: func @blocks
// CHECK-NOT: x600xf32> to tensor<64x600
// CHECK: scf.forall (%[[B:.*]], %[[QB:.*]]) in (2, 2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<2x128x16xf32>)
// The scale is applied to the [64, 8] query block, once.
// CHECK: %[[Q:.*]] = tensor.extract_slice %{{.*}}[%[[B]], %{{.*}}, 0] [1, 64, 8]
// CHECK: %[[QS:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<64x8xf32>)
// CHECK: arith.mulf
// First key block: scores, mask, row max, exp, row sum, P * V.
// CHECK: linalg.matmul ins(%[[QS]], %{{.*}} : tensor<64x8xf32>, tensor<8x200xf32>) outs(%{{.*}} : tensor<64x200xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x200xf32>) outs(%{{.*}} : tensor<64x200xf32>)
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x200xf32>, tensor<200x16xf32>) outs(%{{.*}} : tensor<64x16xf32>)
// CHECK: scf.for %[[J:.*]] = %c200 to %c600 step %c200 iter_args(%[[M:.*]] = %{{.*}}, %[[L:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<64xf32>, tensor<64xf32>, tensor<64x16xf32>)
// CHECK: tensor.extract_slice %{{.*}}[%[[B]], 0, %[[J]]] [1, 8, 200]
// The running max is updated in place; the correction exp(m - m') rescales
// the sum and the output accumulated so far.
// CHECK: linalg.generic {{.*}} outs(%[[M]], %{{.*}}, %{{.*}} : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
// CHECK: linalg.generic {{.*}} outs(%[[L]] : tensor<64xf32>)
// CHECK: linalg.generic {{.*}} outs(%[[ACC]] : tensor<64x16xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x200xf32>, tensor<200x16xf32>)
// CHECK: scf.yield
// Normalised once at the end.
// CHECK: arith.divf
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %{{.*}}, 0] [1, 64, 16]
func.func @blocks(%q: tensor<1x2x128x8xf32>, %kt: tensor<1x2x8x600xf32>, %v: tensor<1x2x600x16xf32>,
                  %m: tensor<1x1x1x600xf32>) -> tensor<1x2x128x16xf32> {
  %0 = dr1.attention %q, %kt, %v mask %m {scale = 0.5 : f32} : (tensor<1x2x128x8xf32>, tensor<1x2x8x600xf32>, tensor<1x2x600x16xf32>, tensor<1x1x1x600xf32>) -> tensor<1x2x128x16xf32>
  return %0 : tensor<1x2x128x16xf32>
}

// -----

// 257 keys have no block size in 64..256 that divides them: two 128-key
// blocks (the loop over the second folds away) and a peeled 1-key tail. A
// [2, 1, 1, Sk] padding mask over 3 heads is broadcast over the heads only
// ([6, 1, 257]), never to the scores.
// CHECK-LABEL: func @tail
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x1x1x257xf32>) outs(%{{.*}} : tensor<2x3x1x257xf32>)
// CHECK: scf.forall (%{{.*}}) in (6)
// CHECK: tensor<13x16xf32>, tensor<16x128xf32>
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, 0, 128] [1, 16, 128]
// CHECK: tensor<13x16xf32>, tensor<16x128xf32>
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, 0, 256] [1, 16, 1]
// CHECK: tensor<13x16xf32>, tensor<16x1xf32>
// CHECK: tensor<13x1xf32>, tensor<1x24xf32>
func.func @tail(%q: tensor<2x3x13x16xf32>, %kt: tensor<2x3x16x257xf32>, %v: tensor<2x3x257x24xf32>,
                %m: tensor<2x1x1x257xf32>) -> tensor<2x3x13x24xf32> {
  %0 = dr1.attention %q, %kt, %v mask %m : (tensor<2x3x13x16xf32>, tensor<2x3x16x257xf32>, tensor<2x3x257x24xf32>, tensor<2x1x1x257xf32>) -> tensor<2x3x13x24xf32>
  return %0 : tensor<2x3x13x24xf32>
}
