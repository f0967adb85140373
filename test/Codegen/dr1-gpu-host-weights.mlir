// RUN: %dr1-opt %s -dr1-gpu-host-weights | FileCheck %s

// A constant weight of a device module: its bytes move to a host copy, the
// device global stays declared (public, writable, uninitialized) and the
// pair is listed for the object emitter. Uninitialized globals stay as
// they are.
// CHECK: module attributes {dr1.gpu_weights = {k = {{\[\[}}"w", @w__host, 8]]}, gpu.container_module}
module attributes {gpu.container_module} {
  // CHECK: gpu.module @k
  gpu.module @k {
    // CHECK: memref.global @w : memref<2xf32> = uninitialized
    memref.global "private" constant @w : memref<2xf32> = dense<[1.0, 2.0]>
    // CHECK: memref.global "private" @scratch : memref<4xf32> = uninitialized
    memref.global "private" @scratch : memref<4xf32> = uninitialized
  }
  // CHECK: memref.global "private" constant @w__host : memref<2xf32> = dense<[1.000000e+00, 2.000000e+00]>
}
