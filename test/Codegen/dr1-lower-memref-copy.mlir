// RUN: dr1-opt %s --dr1-lower-memref-copy | FileCheck %s
// Strided copies become linalg.copy (no call into MLIR's runtime library);
// contiguous ones stay memref.copy (they become llvm.memcpy).

// CHECK-LABEL: func @copies
// CHECK: linalg.copy ins(%arg0 : memref<4x4xf32, strided<[8, 1]>>) outs(%arg1 : memref<4x4xf32>)
// CHECK: memref.copy %arg1, %arg2 : memref<4x4xf32> to memref<4x4xf32>
func.func @copies(%a: memref<4x4xf32, strided<[8, 1]>>, %b: memref<4x4xf32>, %c: memref<4x4xf32>) {
  memref.copy %a, %b : memref<4x4xf32, strided<[8, 1]>> to memref<4x4xf32>
  memref.copy %b, %c : memref<4x4xf32> to memref<4x4xf32>
  return
}
