// RUN: %dr1-opt %s -split-input-file -verify-diagnostics -pass-pipeline="builtin.module(func.func(dr1-gpu-map-loops))" | FileCheck %s

// Threads fill the innermost dimension first: 100 columns -> 128 threads
// in x, the rest of the 256 in y; the weight is re-created in the kernel.
memref.global "private" constant @w : memref<100xf32> = dense<1.0>
// CHECK-LABEL: func.func @rows
func.func @rows(%out: memref<64x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c100 = arith.constant 100 : index
  %g = memref.get_global @w : memref<100xf32>
  // CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
  // CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
  // CHECK: scf.parallel {{.*}} step (%[[S0:.*]], %[[S1:.*]]) {
  // CHECK:   scf.parallel {{.*}} to (%[[S0]], %[[S1]])
  // CHECK:     scf.if
  // CHECK:       %[[G:.*]] = memref.get_global @w
  // CHECK:       memref.load %[[G]]
  // CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
  // CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c100) step (%c1, %c1) {
    %v = memref.load %g[%j] : memref<100xf32>
    memref.store %v, %out[%i, %j] : memref<64x100xf32>
    scf.reduce
  }
  return
}

// -----

// Four dimensions: the innermost three go to x, y and z; the outermost
// runs in order (in each block and in each thread).
// CHECK-LABEL: func.func @nhwc
func.func @nhwc(%out: memref<2x7x7x32xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c7 = arith.constant 7 : index
  %c32 = arith.constant 32 : index
  // CHECK: scf.parallel
  // CHECK:   scf.parallel
  // CHECK:   } {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_z, {{.*}}>, #gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
  // CHECK: } {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = block_z, {{.*}}>, #gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
  scf.parallel (%n, %h, %w, %c) = (%c0, %c0, %c0, %c0) to (%c2, %c7, %c7, %c32) step (%c1, %c1, %c1, %c1) {
    memref.store %v, %out[%n, %h, %w, %c] : memref<2x7x7x32xf32>
    scf.reduce
  }
  return
}

// -----

// Unit inner extents (a squeeze-excitation gate, 1x1x1x480): x and y get
// one thread each and z at most 64, CUDA's limit for blockDim.z; a block of
// 1x1x256 threads would not launch.
// CHECK-LABEL: func.func @unit_inner
func.func @unit_inner(%out: memref<480x1x1xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c480 = arith.constant 480 : index
  // CHECK: %[[C64:.*]] = arith.constant 64 : index
  // CHECK: %[[S:.*]] = arith.muli %{{.*}}, %[[C64]] : index
  // CHECK: scf.parallel {{.*}} step (%[[S]],
  // CHECK:   scf.parallel {{.*}} to (%[[S]],
  // CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_z
  scf.parallel (%c, %h, %w) = (%c0, %c0, %c0) to (%c480, %c1, %c1) step (%c1, %c1, %c1) {
    memref.store %v, %out[%c, %h, %w] : memref<480x1x1xf32>
    scf.reduce
  }
  return
}

// -----

// A parallel loop under a serial one inside a mapped nest runs in order in
// the thread.
// CHECK-LABEL: func.func @nested
func.func @nested(%a: memref<8x4x16xf32>, %out: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  // CHECK: scf.parallel
  // CHECK:   scf.parallel
  // CHECK:     scf.for
  // CHECK:       scf.for
  // CHECK-NOT:   scf.parallel
  // CHECK:         memref.load
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %k = %c0 to %c4 step %c1 {
      scf.parallel (%j) = (%c0) to (%c16) step (%c1) {
        %x = memref.load %a[%i, %k, %j] : memref<8x4x16xf32>
        memref.store %x, %out[%i, %j] : memref<8x16xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// Parallel loops nested two deep inside a mapped nest: both run in order.
// CHECK-LABEL: func.func @nested_twice
func.func @nested_twice(%a: memref<4x4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0.0 : f32
  // CHECK: scf.parallel
  // CHECK:   scf.parallel
  // CHECK:     scf.for
  // CHECK-NEXT:  scf.for
  // CHECK-NOT:   scf.parallel
  // CHECK:         memref.store
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c4) step (%c1) {
      scf.parallel (%k) = (%c0) to (%c4) step (%c1) {
        memref.store %z, %a[%i, %j, %k] : memref<4x4x4xf32>
        scf.reduce
      }
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Accesses outside any parallel loop (a 1x1 product whose loops folded
// away, a reduction to a scalar) become one kernel of one thread, with the
// arithmetic between them.
// CHECK-LABEL: func.func @serial
func.func @serial(%a: memref<1x1xf32>, %b: memref<1x1xf32>, %o: memref<1x1xf32>, %s: memref<f32>, %v: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %x = memref.load %a[%c0, %c0] : memref<1x1xf32>
  %y = memref.load %b[%c0, %c0] : memref<1x1xf32>
  %p = arith.mulf %x, %y : f32
  memref.store %p, %o[%c0, %c0] : memref<1x1xf32>
  scf.for %i = %c0 to %c16 step %c1 {
    %e = memref.load %v[%i] : memref<16xf32>
    %t = memref.load %s[] : memref<f32>
    %u = arith.addf %t, %e : f32
    memref.store %u, %s[] : memref<f32>
  }
  // CHECK: scf.parallel
  // CHECK:   scf.parallel
  // CHECK:     memref.load
  // CHECK:     memref.load
  // CHECK:     arith.mulf
  // CHECK:     memref.store
  // CHECK:     scf.for
  // CHECK:   {mapping = [#gpu.loop_dim_map<processor = thread_x
  // CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x
  // CHECK-NEXT: return
  return
}

// -----

// A host loop around a kernel formed earlier (dr1-gpu-tile-matmul) stays a
// host loop: it is not wrapped as a one-thread kernel, and the kernel's own
// accesses are left alone.
// CHECK-LABEL: func.func @host_loop_around_kernel
func.func @host_loop_around_kernel(%a: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  // CHECK-NOT: scf.parallel
  // CHECK: scf.for
  // CHECK-NEXT: memref.subview
  // CHECK-NEXT: gpu.launch
  // CHECK-NOT: scf.parallel
  scf.for %i = %c0 to %c4 step %c1 {
    %row = memref.subview %a[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
      %v = memref.load %row[%tx] : memref<8xf32, strided<[1], offset: ?>>
      %w = arith.addf %v, %v : f32
      memref.store %w, %row[%tx] : memref<8xf32, strided<[1], offset: ?>>
      gpu.terminator
    }
  }
  return
}

// -----

// A value loaded from device memory cannot steer host code.
func.func @host_use(%a: memref<4xf32>, %n: memref<index>, %o: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{a value computed from device memory is used by host code; not supported on the GPU target}}
  %ub = memref.load %n[] : memref<index>
  scf.parallel (%i) = (%c0) to (%ub) step (%c1) {
    %x = memref.load %a[%i] : memref<4xf32>
    memref.store %x, %o[%i] : memref<4xf32>
    scf.reduce
  }
  return
}
