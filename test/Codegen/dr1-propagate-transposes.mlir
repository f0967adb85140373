// RUN: dr1-opt %s --dr1-propagate-transposes --canonicalize -split-input-file | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>

// NHWC producer -> NCHW relu with a per-channel bias -> back to NHWC: the
// relu iterates in NHWC (bias map follows), and both transposes cancel.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func @cancel_around_relu
// CHECK-NOT: linalg.transpose
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[C]], #[[ID]]], {{.*}}} ins(%arg0, %arg1 : tensor<1x4x5x3xf32>, tensor<3xf32>) outs(%{{.*}} : tensor<1x4x5x3xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: return %[[R]] : tensor<1x4x5x3xf32>
func.func @cancel_around_relu(%nhwc: tensor<1x4x5x3xf32>, %bias: tensor<3xf32>) -> tensor<1x4x5x3xf32> {
  %e0 = tensor.empty() : tensor<1x3x4x5xf32>
  %t = linalg.transpose ins(%nhwc : tensor<1x4x5x3xf32>) outs(%e0 : tensor<1x3x4x5xf32>) permutation = [0, 3, 1, 2]
  %r = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t, %bias : tensor<1x3x4x5xf32>, tensor<3xf32>) outs(%e0 : tensor<1x3x4x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x3x4x5xf32>
  %e1 = tensor.empty() : tensor<1x4x5x3xf32>
  %u = linalg.transpose ins(%r : tensor<1x3x4x5xf32>) outs(%e1 : tensor<1x4x5x3xf32>) permutation = [0, 2, 3, 1]
  return %u : tensor<1x4x5x3xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A residual add of two transposed values runs in their layout; the one
// transpose left is at the function's edge, where the NCHW result is due.
// CHECK-LABEL: func @residual_add
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<1x4x5x3xf32>, tensor<1x4x5x3xf32>) outs(%{{.*}} : tensor<1x4x5x3xf32>)
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[A]] : tensor<1x4x5x3xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK: return %[[T]] : tensor<1x3x4x5xf32>
func.func @residual_add(%x: tensor<1x4x5x3xf32>, %y: tensor<1x4x5x3xf32>) -> tensor<1x3x4x5xf32> {
  %e0 = tensor.empty() : tensor<1x3x4x5xf32>
  %tx = linalg.transpose ins(%x : tensor<1x4x5x3xf32>) outs(%e0 : tensor<1x3x4x5xf32>) permutation = [0, 3, 1, 2]
  %ty = linalg.transpose ins(%y : tensor<1x4x5x3xf32>) outs(%e0 : tensor<1x3x4x5xf32>) permutation = [0, 3, 1, 2]
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%tx, %ty : tensor<1x3x4x5xf32>, tensor<1x3x4x5xf32>) outs(%e0 : tensor<1x3x4x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x3x4x5xf32>
  return %r : tensor<1x3x4x5xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// One transposed and one direct operand: no majority, so the iteration
// order stays; the transpose still folds into the operand's map.
// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-DAG: #[[I:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @no_majority
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[P]], #[[I]], #[[I]]], {{.*}}} ins(%arg0, %arg1 : tensor<1x4x5x3xf32>, tensor<1x3x4x5xf32>) outs(%{{.*}} : tensor<1x3x4x5xf32>)
// CHECK-NOT: linalg.transpose
func.func @no_majority(%x: tensor<1x4x5x3xf32>, %y: tensor<1x3x4x5xf32>) -> tensor<1x3x4x5xf32> {
  %e0 = tensor.empty() : tensor<1x3x4x5xf32>
  %tx = linalg.transpose ins(%x : tensor<1x4x5x3xf32>) outs(%e0 : tensor<1x3x4x5xf32>) permutation = [0, 3, 1, 2]
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%tx, %y : tensor<1x3x4x5xf32>, tensor<1x3x4x5xf32>) outs(%e0 : tensor<1x3x4x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.subf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x3x4x5xf32>
  return %r : tensor<1x3x4x5xf32>
}

// -----

#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d0, d1)>

// A reduction (global average pooling over NCHW) reads the NHWC tensor
// through its indexing map instead of a materialized transpose.
// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func @into_reduction
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[P]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%arg0 : tensor<1x4x5x3xf32>)
func.func @into_reduction(%x: tensor<1x4x5x3xf32>, %acc: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %e0 = tensor.empty() : tensor<1x3x4x5xf32>
  %tx = linalg.transpose ins(%x : tensor<1x4x5x3xf32>) outs(%e0 : tensor<1x3x4x5xf32>) permutation = [0, 3, 1, 2]
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%tx : tensor<1x3x4x5xf32>) outs(%acc : tensor<1x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}

// -----

// Named ops need their operand in memory: the transpose feeding a matmul
// stays.
// CHECK-LABEL: func @named_consumer
// CHECK: %[[T:.*]] = linalg.transpose
// CHECK: linalg.matmul ins(%[[T]], %arg1
func.func @named_consumer(%x: tensor<8x4xf32>, %w: tensor<8x6xf32>, %c: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %t = linalg.transpose ins(%x : tensor<8x4xf32>) outs(%e : tensor<4x8xf32>) permutation = [1, 0]
  %m = linalg.matmul ins(%t, %w : tensor<4x8xf32>, tensor<8x6xf32>) outs(%c : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %m : tensor<4x6xf32>
}

// -----

// A channel concatenation of two NHWC results (SqueezeNet's fire module)
// is done in NHWC and transposed once; the transpose into the next NHWC op
// cancels with it.
// CHECK-LABEL: func @concat
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x4x5x7xf32>
// CHECK: %[[A:.*]] = tensor.insert_slice %arg0 into %[[E]][0, 0, 0, 0] [1, 4, 5, 3] [1, 1, 1, 1]
// CHECK: %[[B:.*]] = tensor.insert_slice %arg1 into %[[A]][0, 0, 0, 3] [1, 4, 5, 4] [1, 1, 1, 1]
// CHECK-NOT: linalg.transpose
// CHECK: return %[[B]] : tensor<1x4x5x7xf32>
func.func @concat(%x: tensor<1x4x5x3xf32>, %y: tensor<1x4x5x4xf32>) -> tensor<1x4x5x7xf32> {
  %e0 = tensor.empty() : tensor<1x3x4x5xf32>
  %tx = linalg.transpose ins(%x : tensor<1x4x5x3xf32>) outs(%e0 : tensor<1x3x4x5xf32>) permutation = [0, 3, 1, 2]
  %e1 = tensor.empty() : tensor<1x4x4x5xf32>
  %ty = linalg.transpose ins(%y : tensor<1x4x5x4xf32>) outs(%e1 : tensor<1x4x4x5xf32>) permutation = [0, 3, 1, 2]
  %e = tensor.empty() : tensor<1x7x4x5xf32>
  %c0 = tensor.insert_slice %tx into %e[0, 0, 0, 0] [1, 3, 4, 5] [1, 1, 1, 1] : tensor<1x3x4x5xf32> into tensor<1x7x4x5xf32>
  %c1 = tensor.insert_slice %ty into %c0[0, 3, 0, 0] [1, 4, 4, 5] [1, 1, 1, 1] : tensor<1x4x4x5xf32> into tensor<1x7x4x5xf32>
  %e2 = tensor.empty() : tensor<1x4x5x7xf32>
  %back = linalg.transpose ins(%c1 : tensor<1x7x4x5xf32>) outs(%e2 : tensor<1x4x5x7xf32>) permutation = [0, 2, 3, 1]
  return %back : tensor<1x4x5x7xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A payload reading loop indices (linalg.index) keeps its loop order: the
// transpose only folds into the operand's map.
// CHECK-LABEL: func @uses_index
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], {{.*}}} ins(%arg0 : tensor<3x2xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: linalg.index 0
// CHECK-NOT: linalg.transpose
func.func @uses_index(%x: tensor<3x2xf32>) -> tensor<2x3xf32> {
  %e = tensor.empty() : tensor<2x3xf32>
  %t = linalg.transpose ins(%x : tensor<3x2xf32>) outs(%e : tensor<2x3xf32>) permutation = [1, 0]
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %s = arith.addf %a, %f : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// A reshape splitting NCHW channels moves before the layout transpose: the
// NHWC value's last dim is split instead.
// CHECK-LABEL: func @expand_channels
// CHECK: %[[E:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1], [2], [3, 4]] output_shape [1, 5, 6, 2, 4] : tensor<1x5x6x8xf32> into tensor<1x5x6x2x4xf32>
// CHECK: linalg.transpose ins(%[[E]] : tensor<1x5x6x2x4xf32>) {{.*}} permutation = [0, 3, 4, 1, 2]
func.func @expand_channels(%x: tensor<1x5x6x8xf32>) -> tensor<1x2x4x5x6xf32> {
  %e0 = tensor.empty() : tensor<1x8x5x6xf32>
  %t0 = linalg.transpose ins(%x : tensor<1x5x6x8xf32>) outs(%e0 : tensor<1x8x5x6xf32>) permutation = [0, 3, 1, 2]
  %r1 = tensor.expand_shape %t0 [[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 5, 6] : tensor<1x8x5x6xf32> into tensor<1x2x4x5x6xf32>
  return %r1 : tensor<1x2x4x5x6xf32>
}

// -----

// ShuffleNet's channel shuffle between NHWC ops (NCHW in the graph: to
// NCHW, split channels into 2 groups of 4, swap, merge, back to NHWC): one
// transpose of the two channel axes of the NHWC value, the layout
// transposes gone.
// CHECK-LABEL: func @channel_shuffle
// CHECK: %[[E:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1], [2], [3, 4]] output_shape [1, 5, 6, 2, 4] : tensor<1x5x6x8xf32> into tensor<1x5x6x2x4xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[E]] : tensor<1x5x6x2x4xf32>) outs(%{{.*}} : tensor<1x5x6x4x2xf32>) permutation = [0, 1, 2, 4, 3]
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[T]] {{\[\[}}0], [1], [2], [3, 4]] : tensor<1x5x6x4x2xf32> into tensor<1x5x6x8xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return %[[C]]
func.func @channel_shuffle(%x: tensor<1x5x6x8xf32>) -> tensor<1x5x6x8xf32> {
  %e0 = tensor.empty() : tensor<1x8x5x6xf32>
  %t0 = linalg.transpose ins(%x : tensor<1x5x6x8xf32>) outs(%e0 : tensor<1x8x5x6xf32>) permutation = [0, 3, 1, 2]
  %r1 = tensor.expand_shape %t0 [[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 5, 6] : tensor<1x8x5x6xf32> into tensor<1x2x4x5x6xf32>
  %e1 = tensor.empty() : tensor<1x4x2x5x6xf32>
  %t1 = linalg.transpose ins(%r1 : tensor<1x2x4x5x6xf32>) outs(%e1 : tensor<1x4x2x5x6xf32>) permutation = [0, 2, 1, 3, 4]
  %r2 = tensor.collapse_shape %t1 [[0], [1, 2], [3], [4]] : tensor<1x4x2x5x6xf32> into tensor<1x8x5x6xf32>
  %e2 = tensor.empty() : tensor<1x5x6x8xf32>
  %t2 = linalg.transpose ins(%r2 : tensor<1x8x5x6xf32>) outs(%e2 : tensor<1x5x6x8xf32>) permutation = [0, 2, 3, 1]
  return %t2 : tensor<1x5x6x8xf32>
}

// -----

// A collapse whose result is not transposed again keeps the transpose
// before it (moving it would gain nothing), and a transpose that only
// reorders within a collapsed group is the copy itself: both stay.
// CHECK-LABEL: func @collapse_kept
// CHECK: linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
// CHECK: tensor.collapse_shape
// CHECK: linalg.transpose {{.*}} permutation = [0, 1, 2, 4, 3]
// CHECK: tensor.collapse_shape
func.func @collapse_kept(%x: tensor<1x5x6x8xf32>, %y: tensor<1x5x6x2x4xf32>) -> (tensor<1x8x30xf32>, tensor<1x5x6x8xf32>) {
  %e0 = tensor.empty() : tensor<1x8x5x6xf32>
  %t0 = linalg.transpose ins(%x : tensor<1x5x6x8xf32>) outs(%e0 : tensor<1x8x5x6xf32>) permutation = [0, 3, 1, 2]
  %c0 = tensor.collapse_shape %t0 [[0], [1], [2, 3]] : tensor<1x8x5x6xf32> into tensor<1x8x30xf32>
  %e1 = tensor.empty() : tensor<1x5x6x4x2xf32>
  %t1 = linalg.transpose ins(%y : tensor<1x5x6x2x4xf32>) outs(%e1 : tensor<1x5x6x4x2xf32>) permutation = [0, 1, 2, 4, 3]
  %c1 = tensor.collapse_shape %t1 [[0], [1], [2], [3, 4]] : tensor<1x5x6x4x2xf32> into tensor<1x5x6x8xf32>
  %e2 = tensor.empty() : tensor<1x8x5x6xf32>
  %t2 = linalg.transpose ins(%c1 : tensor<1x5x6x8xf32>) outs(%e2 : tensor<1x8x5x6xf32>) permutation = [0, 3, 1, 2]
  %e3 = tensor.empty() : tensor<1x5x6x8xf32>
  %t3 = linalg.transpose ins(%t2 : tensor<1x8x5x6xf32>) outs(%e3 : tensor<1x5x6x8xf32>) permutation = [0, 2, 3, 1]
  return %c0, %t3 : tensor<1x8x30xf32>, tensor<1x5x6x8xf32>
}
