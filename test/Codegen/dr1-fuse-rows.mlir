// RUN: dr1-opt %s --dr1-to-linalg --dr1-fuse-rows --canonicalize --cse -split-input-file | FileCheck %s
// RUN: dr1-opt %s --dr1-to-linalg --dr1-fuse-rows=parallel --canonicalize --cse -split-input-file | FileCheck %s --check-prefix=PAR

// softmax: max, exp, sum and scale in one loop over 2-row blocks (2 x 768
// floats = 6 KB); exp is computed once per block and read twice.
// CHECK-LABEL: func @softmax
// CHECK: scf.for %[[I:.*]] = %c0 to %c128 step %c2
// CHECK:   %[[X:.*]] = tensor.extract_slice %{{.*}}[%[[I]], 0] [2, 768] [1, 1]
// CHECK:   %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<2x768xf32>)
// CHECK:     arith.maximumf
// CHECK:   %[[E:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]] : tensor<2x768xf32>, tensor<2xf32>)
// CHECK:     math.exp
// CHECK:   %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[E]] : tensor<2x768xf32>)
// CHECK:   linalg.generic {{.*}} ins(%[[E]], %[[SUM]] : tensor<2x768xf32>, tensor<2xf32>)
// CHECK-NOT: math.exp
// CHECK:   tensor.insert_slice
// CHECK-NOT: linalg.generic
// CHECK: return
// With threads: the same loop as an scf.forall.
// PAR-LABEL: func @softmax
// PAR: scf.forall (%{{.*}}) = (0) to (128) step (2)
func.func @softmax(%x: tensor<128x768xf32>) -> tensor<128x768xf32> {
  %y = dr1.softmax %x {axis = -1 : i64} : tensor<128x768xf32>
  return %y : tensor<128x768xf32>
}

// -----

// Layer norm as ONNX exporters write it (ReduceMean, Sub, Pow, ReduceMean,
// Add, Sqrt, Div, Mul, Add): the keepdims reshapes are read through, and
// both moments, centring and the affine part share one loop over 8-row
// blocks.
// CHECK-LABEL: func @onnx_layer_norm
// CHECK-NOT: tensor.expand_shape
// CHECK: scf.for %[[I:.*]] = %c0 to %c128 step %c8
// CHECK:   tensor.extract_slice %{{.*}}[0, %[[I]], 0] [1, 8, 256]
// CHECK:   iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   arith.subf
// CHECK:   iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   math.sqrt
// CHECK:   tensor.insert_slice
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @onnx_layer_norm(%x: tensor<1x128x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) -> tensor<1x128x256xf32> {
  %two = dr1.constant dense<2.0> : tensor<f32>
  %eps = dr1.constant dense<1.0e-12> : tensor<f32>
  %m = dr1.reduce_mean %x {axes = array<i64: -1>, keepdims = true} : (tensor<1x128x256xf32>) -> tensor<1x128x1xf32>
  %c = dr1.sub %x, %m : (tensor<1x128x256xf32>, tensor<1x128x1xf32>) -> tensor<1x128x256xf32>
  %p = dr1.pow %c, %two : (tensor<1x128x256xf32>, tensor<f32>) -> tensor<1x128x256xf32>
  %v = dr1.reduce_mean %p {axes = array<i64: -1>, keepdims = true} : (tensor<1x128x256xf32>) -> tensor<1x128x1xf32>
  %ve = dr1.add %v, %eps : (tensor<1x128x1xf32>, tensor<f32>) -> tensor<1x128x1xf32>
  %s = dr1.sqrt %ve : tensor<1x128x1xf32>
  %n = dr1.div %c, %s : (tensor<1x128x256xf32>, tensor<1x128x1xf32>) -> tensor<1x128x256xf32>
  %a = dr1.mul %n, %g : (tensor<1x128x256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32>
  %y = dr1.add %a, %b : (tensor<1x128x256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32>
  return %y : tensor<1x128x256xf32>
}

// -----

// exp(x) is also returned: it stays a whole-tensor op (moving it into the
// loop would compute it twice); the sum and the division still share one
// row loop that reads it.
// CHECK-LABEL: func @shared_exp
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<128x768xf32>)
// CHECK:   math.exp
// CHECK: scf.for
// CHECK:   tensor.extract_slice %[[E]]
// CHECK:   iterator_types = ["parallel", "reduction"]
// CHECK:   arith.divf
// CHECK: return %{{.*}}, %[[E]]
func.func @shared_exp(%x: tensor<128x768xf32>) -> (tensor<128x768xf32>, tensor<128x768xf32>) {
  %e = dr1.exp %x : tensor<128x768xf32>
  %s = dr1.reduce_sum %e {axes = array<i64: -1>, keepdims = true} : (tensor<128x768xf32>) -> tensor<128x1xf32>
  %y = dr1.div %e, %s : (tensor<128x768xf32>, tensor<128x1xf32>) -> tensor<128x768xf32>
  return %y, %e : tensor<128x768xf32>, tensor<128x768xf32>
}

// -----

// No reduction in the chain: plain elementwise work is left alone.
// CHECK-LABEL: func @elementwise
// CHECK-NOT: scf.for
func.func @elementwise(%x: tensor<128x768xf32>) -> tensor<128x768xf32> {
  %e = dr1.exp %x : tensor<128x768xf32>
  %y = dr1.relu %e : tensor<128x768xf32>
  return %y : tensor<128x768xf32>
}
