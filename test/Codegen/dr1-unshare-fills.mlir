// RUN: dr1-opt %s --dr1-unshare-fills | FileCheck %s

// Two padded inputs CSE'd onto one fill: the second use gets its own empty
// + fill, right before it (short lifetimes for the workspace planner).
// CHECK-LABEL: func @two_pads
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<1x6x6x4xf32>
// CHECK: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<1x6x6x4xf32>)
// CHECK: tensor.insert_slice %arg0 into %[[F1]]
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<1x6x6x4xf32>
// CHECK: %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<1x6x6x4xf32>)
// CHECK: tensor.insert_slice %arg1 into %[[F2]]
func.func @two_pads(%x: tensor<1x4x4x4xf32>, %y: tensor<1x4x4x4xf32>) -> (tensor<1x6x6x4xf32>, tensor<1x6x6x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x6x6x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  %a = tensor.insert_slice %x into %f[0, 1, 1, 0] [1, 4, 4, 4] [1, 1, 1, 1] : tensor<1x4x4x4xf32> into tensor<1x6x6x4xf32>
  %b = tensor.insert_slice %y into %f[0, 1, 1, 0] [1, 4, 4, 4] [1, 1, 1, 1] : tensor<1x4x4x4xf32> into tensor<1x6x6x4xf32>
  return %a, %b : tensor<1x6x6x4xf32>, tensor<1x6x6x4xf32>
}

// A use inside a loop: the copy of the fill goes right before the loop,
// not into it (it must not be redone every iteration).
// CHECK-LABEL: func @use_in_loop
// CHECK: linalg.fill
// CHECK: linalg.fill
// CHECK: scf.for
// CHECK-NOT: linalg.fill
// CHECK: tensor.extract_slice
// CHECK: scf.yield
func.func @use_in_loop(%x: tensor<1x4x4x4xf32>) -> (tensor<1x6x6x4xf32>, tensor<1x6x6x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %e = tensor.empty() : tensor<1x6x6x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  %a = tensor.insert_slice %x into %f[0, 1, 1, 0] [1, 4, 4, 4] [1, 1, 1, 1] : tensor<1x4x4x4xf32> into tensor<1x6x6x4xf32>
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %a) -> (tensor<1x6x6x4xf32>) {
    %s = tensor.extract_slice %f[0, %i, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1] : tensor<1x6x6x4xf32> to tensor<1x1x6x4xf32>
    %w = tensor.insert_slice %s into %acc[0, %i, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1] : tensor<1x1x6x4xf32> into tensor<1x6x6x4xf32>
    scf.yield %w : tensor<1x6x6x4xf32>
  }
  return %a, %r : tensor<1x6x6x4xf32>, tensor<1x6x6x4xf32>
}
