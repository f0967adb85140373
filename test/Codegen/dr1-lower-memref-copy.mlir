// RUN: dr1-opt %s --dr1-lower-memref-copy | FileCheck %s
// RUN: dr1-opt %s --dr1-lower-memref-copy="vector-bits=256" | FileCheck %s --check-prefix=VEC
// Strided copies become linalg.copy (no call into MLIR's runtime library);
// contiguous ones stay memref.copy (they become llvm.memcpy). With a
// vector width, strided copies and linalg.copy on buffers move their rows
// in vectors of up to four registers (32 floats, then the 8 left), except
// rows too short for that (2 floats), which stay linalg.copy.

// CHECK-LABEL: func @copies
// CHECK: linalg.copy ins(%arg0 : memref<4x40xf32, strided<[64, 1]>>) outs(%arg1 : memref<4x40xf32>)
// CHECK: memref.copy %arg1, %arg2 : memref<4x40xf32> to memref<4x40xf32>
// CHECK: linalg.copy ins(%arg3 : memref<3x2xf32, strided<[8, 1]>>) outs(%arg4 : memref<3x2xf32>)
// CHECK: linalg.copy ins(%arg0 : memref<4x40xf32, strided<[64, 1]>>) outs(%arg2 : memref<4x40xf32>)

// VEC-LABEL: func @copies
// VEC: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// VEC:   %[[V:.*]] = vector.load %arg0[%[[I]], %{{.*}}] : memref<4x40xf32, strided<[64, 1]>>, vector<32xf32>
// VEC:   vector.store %[[V]], %arg1[%[[I]], %{{.*}}] : memref<4x40xf32>, vector<32xf32>
// VEC:   %[[R:.*]] = vector.load %arg0[%[[I]], %c32] : memref<4x40xf32, strided<[64, 1]>>, vector<8xf32>
// VEC:   vector.store %[[R]], %arg1[%[[I]], %c32] : memref<4x40xf32>, vector<8xf32>
// VEC: }
// VEC: memref.copy %arg1, %arg2 : memref<4x40xf32> to memref<4x40xf32>
// VEC: linalg.copy ins(%arg3 : memref<3x2xf32, strided<[8, 1]>>) outs(%arg4 : memref<3x2xf32>)
// VEC: scf.for
// VEC:   vector.load %arg0{{.*}} vector<32xf32>
// VEC:   vector.store {{.*}} %arg2{{.*}} vector<32xf32>
// VEC-NOT: linalg.copy
func.func @copies(%a: memref<4x40xf32, strided<[64, 1]>>, %b: memref<4x40xf32>, %c: memref<4x40xf32>, %d: memref<3x2xf32, strided<[8, 1]>>, %e: memref<3x2xf32>) {
  memref.copy %a, %b : memref<4x40xf32, strided<[64, 1]>> to memref<4x40xf32>
  memref.copy %b, %c : memref<4x40xf32> to memref<4x40xf32>
  memref.copy %d, %e : memref<3x2xf32, strided<[8, 1]>> to memref<3x2xf32>
  linalg.copy ins(%a : memref<4x40xf32, strided<[64, 1]>>) outs(%c : memref<4x40xf32>)
  return
}
