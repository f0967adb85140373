// RUN: %dr1-opt %s -split-input-file -verify-diagnostics -pass-pipeline="builtin.module(gpu.module(dr1-gpu-define-libdevice))" | FileCheck %s

// What convert-gpu-to-nvvm leaves as libdevice calls gets a body of LLVM
// intrinsics, with internal linkage; other functions are left alone.
module attributes {gpu.container_module} {
  gpu.module @k {
    // CHECK-LABEL: llvm.func internal @__nv_fmaf(
    // CHECK: llvm.intr.fma
    llvm.func @__nv_fmaf(f32, f32, f32) -> f32
    // CHECK-LABEL: llvm.func internal @__nv_floorf(
    // CHECK: llvm.intr.floor
    llvm.func @__nv_floorf(f32) -> f32
    // CHECK-LABEL: llvm.func internal @__nv_sqrt(
    // CHECK: llvm.intr.sqrt({{.*}}) : (f64) -> f64
    llvm.func @__nv_sqrt(f64) -> f64
    // CHECK-LABEL: llvm.func internal @__nv_rsqrtf(
    // CHECK: %[[ONE:.*]] = llvm.mlir.constant(1.000000e+00 : f32)
    // CHECK: %[[S:.*]] = llvm.intr.sqrt
    // CHECK: llvm.fdiv %[[ONE]], %[[S]]
    llvm.func @__nv_rsqrtf(f32) -> f32
    // CHECK-LABEL: llvm.func internal @__nv_fmaxf(
    // CHECK: llvm.intr.maxnum
    llvm.func @__nv_fmaxf(f32, f32) -> f32
    // CHECK: llvm.func @other(f32) -> f32
    llvm.func @other(f32) -> f32
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @k {
    // expected-error @+1 {{kernel calls libdevice's __nv_sinf, which dr1 cannot define for NVPTX}}
    llvm.func @__nv_sinf(f32) -> f32
  }
}
