// RUN: dr1-opt %s --dr1-expand-math | FileCheck %s
// Transcendental functions become arithmetic: no libm calls in compiled models.

// CHECK-LABEL: func @approximated
// CHECK-NOT: math.exp
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK-NOT: math.log
// CHECK-NOT: math.powf
// CHECK: math.sqrt
// CHECK: return
func.func @approximated(%x: vector<8xf32>, %s: f32) -> (vector<8xf32>, vector<8xf32>, f32, f32, f32, f32) {
  %0 = math.exp %x : vector<8xf32>
  %1 = math.erf %x : vector<8xf32>
  %2 = math.tanh %s : f32
  %3 = math.log %s : f32
  %4 = math.powf %s, %s : f32
  %5 = math.sqrt %s : f32
  return %0, %1, %2, %3, %4, %5 : vector<8xf32>, vector<8xf32>, f32, f32, f32, f32
}
