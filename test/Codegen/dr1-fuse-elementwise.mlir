// RUN: dr1-opt %s --dr1-fuse-elementwise | FileCheck %s
// Elementwise chains fuse; contractions stay named ops.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @bias_matmul_relu
// CHECK: %[[B:.*]] = linalg.generic
// CHECK: %[[M:.*]] = linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[B]] : tensor<4x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[M]] : tensor<4x16xf32>)
// CHECK:   arith.maximumf
// CHECK:   arith.mulf
// CHECK-NOT: linalg.generic
func.func @bias_matmul_relu(%a: tensor<4x8xf32>, %w: tensor<8x16xf32>, %bias: tensor<16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %b = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]} ins(%bias : tensor<16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x16xf32>
  %m = linalg.matmul ins(%a, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%b : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %x = arith.maximumf %in, %z : f32
    linalg.yield %x : f32
  } -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%r : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %two = arith.constant 2.0 : f32
    %x = arith.mulf %in, %two : f32
    linalg.yield %x : f32
  } -> tensor<4x16xf32>
  return %s : tensor<4x16xf32>
}

// A squeeze-excitation gate (sigmoid of [1, 1, 1, C]) scaling [1, H, W, C]:
// fused, its exp and division would run for every (h, w), not once per
// channel, so it stays a loop of its own.
#nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#gate = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>
// CHECK-LABEL: func @gate_not_recomputed
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<1x1x1x32xf32>)
// CHECK:   math.exp
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[G]] : tensor<1x7x7x32xf32>, tensor<1x1x1x32xf32>)
// CHECK-NOT: math.exp
// CHECK:   arith.mulf
// CHECK-NOT: math.exp
// CHECK: return
func.func @gate_not_recomputed(%x: tensor<1x7x7x32xf32>, %s: tensor<1x1x1x32xf32>) -> tensor<1x7x7x32xf32> {
  %eg = tensor.empty() : tensor<1x1x1x32xf32>
  %g = linalg.generic {indexing_maps = [#nhwc, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x1x1x32xf32>) outs(%eg : tensor<1x1x1x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %in : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %r = arith.divf %one, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x1x1x32xf32>
  %ey = tensor.empty() : tensor<1x7x7x32xf32>
  %y = linalg.generic {indexing_maps = [#nhwc, #gate, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %g : tensor<1x7x7x32xf32>, tensor<1x1x1x32xf32>) outs(%ey : tensor<1x7x7x32xf32>) {
  ^bb0(%in: f32, %gi: f32, %out: f32):
    %m = arith.mulf %in, %gi : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x32xf32>
  return %y : tensor<1x7x7x32xf32>
}

// Values broadcast along the innermost loop only (one per row, as in
// softmax) still fuse: dr1-fuse-rows expects them in the row's last loop.
#rows = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @row_value_fused
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<4x16xf32>, tensor<4xf32>)
// CHECK:   arith.divf
// CHECK:   arith.mulf
// CHECK-NOT: linalg.generic
func.func @row_value_fused(%x: tensor<4x16xf32>, %sum: tensor<4xf32>) -> tensor<4x16xf32> {
  %er = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%sum : tensor<4xf32>) outs(%er : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %d = arith.divf %one, %in : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #rows, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %r : tensor<4x16xf32>, tensor<4xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %ri: f32, %out: f32):
    %m = arith.mulf %in, %ri : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
