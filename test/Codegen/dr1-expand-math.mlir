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

// powf with an exponent unknown at compile time (a GPU kernel parameter, a
// tensor): exp(b * log|a|), negated for a < 0 and odd integer b, NaN for
// a < 0 and fractional b, 1 for b = 0. exp(b * log a) alone was NaN for
// every negative base.
// CHECK-LABEL: func @dynamic_pow
// CHECK: %[[ABS:.*]] = math.absf %arg0
// CHECK: math.floor %arg1
// CHECK: %[[ISINT:.*]] = arith.cmpf oeq
// CHECK: %[[ISODD:.*]] = arith.andi %[[ISINT]]
// CHECK: %[[NEG:.*]] = arith.cmpf olt, %arg0
// CHECK: %[[SIGNED:.*]] = arith.select %[[ISODD]]
// CHECK: %[[FORNEG:.*]] = arith.select %[[ISINT]], %[[SIGNED]], %{{.*}}
// CHECK: %[[R:.*]] = arith.select %[[NEG]], %[[FORNEG]]
// CHECK: %[[ZERO:.*]] = arith.cmpf oeq, %arg1
// CHECK: arith.select %[[ZERO]], %{{.*}}, %[[R]]
// CHECK-NOT: math.
// CHECK: return
func.func @dynamic_pow(%a: vector<4xf32>, %b: vector<4xf32>) -> vector<4xf32> {
  %0 = math.powf %a, %b : vector<4xf32>
  return %0 : vector<4xf32>
}

// A constant exponent keeps upstream's exact form: x * x for 2.0.
// CHECK-LABEL: func @square
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %arg0, %arg0
// CHECK-NEXT: return %[[SQ]]
func.func @square(%a: f32) -> f32 {
  %c2 = arith.constant 2.0 : f32
  %0 = math.powf %a, %c2 : f32
  return %0 : f32
}
