// RUN: dr1-opt %s --dr1-plan-workspace -split-input-file -verify-diagnostics | FileCheck %s
// RUN: dr1-opt %s --dr1-plan-workspace=reuse=false -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=NOREUSE

// Buffers live at the same time get disjoint ranges of a trailing workspace
// argument, largest first, aligned to 64 bytes (or to their own size when
// smaller); deallocations disappear. A lifetime starts at the buffer's first
// use, not at its alloc.
// CHECK-LABEL: func @overlapping
// CHECK-SAME: (%[[A:.*]]: memref<4xf32>, %{{.*}}: index, %{{.*}}: i8, %[[WS:.*]]: memref<128xi8> {dr1.workspace})
// CHECK-SAME: attributes {dr1.workspace_lower_bound = 116 : i64, dr1.workspace_no_reuse = 164 : i64, dr1.workspace_size = 128 : i64}
// CHECK: %[[C112:.*]] = arith.constant 112 : index
// CHECK: %[[V0:.*]] = memref.view %[[WS]][%[[C112]]][] {dr1.buffer = {bytes = 16 : i64, first_use = 2 : i64, last_use = 4 : i64, offset = 112 : i64}} : memref<128xi8> to memref<4xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[V1:.*]] = memref.view %[[WS]][%[[C0]]][] {dr1.buffer = {bytes = 100 : i64, first_use = 3 : i64, last_use = 5 : i64, offset = 0 : i64}} : memref<128xi8> to memref<100xi8>
// CHECK: memref.copy %[[A]], %[[V0]]
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
func.func @overlapping(%a: memref<4xf32>, %i: index, %z: i8) {
  %0 = memref.alloc() : memref<4xf32>
  %1 = memref.alloc() {alignment = 64 : i64} : memref<100xi8>
  memref.copy %a, %0 : memref<4xf32> to memref<4xf32>
  memref.store %z, %1[%i] : memref<100xi8>
  memref.dealloc %0 : memref<4xf32>
  memref.dealloc %1 : memref<100xi8>
  return
}

// -----

// A buffer dead before another is born shares its memory; one still read
// through a view after the other is born does not.
// CHECK-LABEL: func @reuse
// CHECK-SAME: dr1.workspace_lower_bound = 128 : i64, dr1.workspace_no_reuse = 192 : i64, dr1.workspace_size = 128 : i64
// CHECK: %[[O0:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[O0]]][] {{.*}} : memref<128xi8> to memref<16xf32>
// CHECK: %[[O64:.*]] = arith.constant 64 : index
// CHECK: memref.view %{{.*}}[%[[O64]]][] {{.*}} : memref<128xi8> to memref<16xf32>
// CHECK: %[[O0B:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[O0B]]][] {{.*}} : memref<128xi8> to memref<16xf32>
// NOREUSE-LABEL: func @reuse
// NOREUSE-SAME: dr1.workspace_size = 192 : i64
func.func @reuse(%a: memref<16xf32>, %out: memref<16xf32>) {
  %0 = memref.alloc() : memref<16xf32>
  memref.copy %a, %0 : memref<16xf32> to memref<16xf32>
  %v = memref.subview %0[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  %1 = memref.alloc() : memref<16xf32>
  memref.copy %a, %1 : memref<16xf32> to memref<16xf32>
  %s = memref.subview %out[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  memref.copy %v, %s : memref<8xf32, strided<[1]>> to memref<8xf32, strided<[1]>>
  memref.copy %1, %out : memref<16xf32> to memref<16xf32>
  %2 = memref.alloc() : memref<16xf32>
  memref.copy %a, %2 : memref<16xf32> to memref<16xf32>
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

// -----

// Scratch buffers inside a parallel loop are per thread: stack allocations
// at the top of the loop body (not in the nested serial loop, where they
// would grow the stack every iteration), outside the shared workspace.
// CHECK-LABEL: func @thread_local
// CHECK-SAME: dr1.workspace_size = 0
// CHECK: scf.forall
// CHECK-NEXT: memref.alloca() {alignment = 64 : i64} : memref<8x32xf32>
// CHECK: scf.for
// CHECK-NOT: memref.alloc
// CHECK: linalg.copy
func.func @thread_local(%a: memref<4x8x32xf32>, %out: memref<4x8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.forall (%i) in (4) {
    scf.for %j = %c0 to %c2 step %c1 {
      %t = memref.alloc() {alignment = 64 : i64} : memref<8x32xf32>
      %src = memref.subview %a[%i, 0, 0] [1, 8, 32] [1, 1, 1] : memref<4x8x32xf32> to memref<8x32xf32, strided<[32, 1], offset: ?>>
      linalg.copy ins(%src : memref<8x32xf32, strided<[32, 1], offset: ?>>) outs(%t : memref<8x32xf32>)
      %dst = memref.subview %out[%i, 0, 0] [1, 8, 32] [1, 1, 1] : memref<4x8x32xf32> to memref<8x32xf32, strided<[32, 1], offset: ?>>
      linalg.copy ins(%t : memref<8x32xf32>) outs(%dst : memref<8x32xf32, strided<[32, 1], offset: ?>>)
    }
  }
  return
}
