// RUN: dr1-opt %s --dr1-expand-math="bf16=true" | FileCheck %s
// RUN: dr1-opt %s --dr1-expand-math | FileCheck %s --check-prefix=KEEP

// With bf16 (CPUs without a bf16 conversion instruction), f32 -> bf16
// truncation becomes integer round-to-nearest-even on the bits, so LLVM
// never calls __truncsfbf2; bf16 -> f32 becomes a shift.
// CHECK-LABEL: func @round
// CHECK-NOT: arith.truncf
// CHECK: arith.bitcast %{{.*}} : vector<8xf32> to vector<8xi32>
// CHECK: arith.shrui
// CHECK: arith.bitcast %{{.*}} : vector<8xi16> to vector<8xbf16>
// CHECK-NOT: arith.extf
// CHECK: return
// KEEP-LABEL: func @round
// KEEP: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// KEEP: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
func.func @round(%x: vector<8xf32>) -> vector<8xf32> {
  %b = arith.truncf %x : vector<8xf32> to vector<8xbf16>
  %y = arith.extf %b : vector<8xbf16> to vector<8xf32>
  return %y : vector<8xf32>
}
