// RUN: dr1-opt %s --dr1-plan-workspace -split-input-file -verify-diagnostics | FileCheck %s

// Buffers go one after another at 64-byte aligned offsets of a trailing
// workspace argument; deallocations disappear.
// CHECK-LABEL: func @two_buffers
// CHECK-SAME: (%[[A:.*]]: memref<4xf32>, %[[WS:.*]]: memref<192xi8> {dr1.workspace})
// CHECK-SAME: attributes {dr1.workspace_size = 192 : i64}
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[V0:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<192xi8> to memref<4xf32>
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[V1:.*]] = memref.view %[[WS]][%[[C64]]][] : memref<192xi8> to memref<100xi8>
// CHECK: memref.copy %[[A]], %[[V0]]
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
func.func @two_buffers(%a: memref<4xf32>) {
  %0 = memref.alloc() : memref<4xf32>
  %1 = memref.alloc() {alignment = 64 : i64} : memref<100xi8>
  memref.copy %a, %0 : memref<4xf32> to memref<4xf32>
  memref.dealloc %0 : memref<4xf32>
  memref.dealloc %1 : memref<100xi8>
  return
}

// -----

// No buffers: the workspace argument is still there, of size 0, so the ABI
// does not depend on the model.
// CHECK-LABEL: func @none
// CHECK-SAME: memref<0xi8> {dr1.workspace}
// CHECK-SAME: dr1.workspace_size = 0
func.func @none(%a: memref<4xf32>) {
  return
}

// -----

// Private functions are not entry points and keep their signature.
// CHECK-LABEL: func private @helper(%{{.*}}: memref<4xf32>)
func.func private @helper(%a: memref<4xf32>) {
  return
}

// -----

func.func @dynamic(%n: index) {
  // expected-error @+1 {{cannot place a buffer of type 'memref<?xf32>' in the workspace (dynamic or strided)}}
  %0 = memref.alloc(%n) : memref<?xf32>
  return
}
