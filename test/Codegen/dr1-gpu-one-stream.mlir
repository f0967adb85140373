// RUN: %dr1-opt %s -split-input-file -verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(func.func(dr1-gpu-one-stream))" | FileCheck %s
// RUN: %dr1-opt %s -split-input-file -verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(func.func(dr1-gpu-one-stream),gpu-to-llvm)" | FileCheck %s --check-prefix=LLVM

// A loop of launches (branches, as after convert-scf-to-cf) and a launch
// after it: one stream made at entry, every launch on it, one wait before
// the return. Lowered: one stream created outside the loop, synchronized
// and destroyed once.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @k() kernel { gpu.return }
  }
  // CHECK-LABEL: func.func @loop
  // CHECK-NEXT: %[[S:.*]] = gpu.wait async
  // CHECK-NEXT: arith.constant
  // CHECK: ^bb1(%{{.*}}: index):
  // CHECK-NEXT: %{{.*}} = gpu.launch_func async [%[[S]]] @k::@k
  // CHECK-NOT: gpu.wait
  // CHECK: ^bb2:
  // CHECK-NEXT: %{{.*}} = gpu.launch_func async [%[[S]]] @k::@k
  // CHECK-NEXT: gpu.wait [%[[S]]]
  // CHECK-NEXT: return
  // LLVM-LABEL: llvm.func @loop
  // LLVM: %[[S:.*]] = llvm.call @mgpuStreamCreate()
  // LLVM: ^bb1(%{{.*}}: i64):
  // LLVM-NOT: mgpuStream
  // LLVM: gpu.launch_func <%[[S]] : !llvm.ptr> @k::@k
  // LLVM-NOT: mgpuStream
  // LLVM: ^bb2:
  // LLVM-NEXT: gpu.launch_func <%[[S]] : !llvm.ptr> @k::@k
  // LLVM-NEXT: llvm.call @mgpuStreamSynchronize(%[[S]])
  // LLVM-NEXT: llvm.call @mgpuStreamDestroy(%[[S]])
  // LLVM-NEXT: llvm.return
  func.func @loop(%n: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    cf.br ^bb1(%c0 : index)
  ^bb1(%i: index):
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    %next = arith.addi %i, %c1 : index
    %more = arith.cmpi slt, %next, %n : index
    cf.cond_br %more, ^bb1(%next : index), ^bb2
  ^bb2:
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }

  // Two returns: a wait before each.
  // CHECK-LABEL: func.func @returns
  // CHECK: %[[S:.*]] = gpu.wait async
  // CHECK: gpu.launch_func async [%[[S]]]
  // CHECK: gpu.wait [%[[S]]]
  // CHECK-NEXT: return
  // CHECK: gpu.wait [%[[S]]]
  // CHECK-NEXT: return
  func.func @returns(%c: i1) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    cf.cond_br %c, ^a, ^b
  ^a:
    return
  ^b:
    return
  }

  // No launches: left alone.
  // CHECK-LABEL: func.func @none
  // CHECK-NOT: gpu.wait
  // CHECK: return
  func.func @none() {
    return
  }
}

// -----

// The host calls a function between launches (it may read what the first
// wrote): each launch on a stream of its own, waited for right after it.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @k() kernel { gpu.return }
  }
  func.func private @host(memref<4xf32>)
  // CHECK-LABEL: func.func @host_effects
  // CHECK: %[[S0:.*]] = gpu.wait async
  // CHECK-NEXT: %[[T0:.*]] = gpu.launch_func async [%[[S0]]]
  // CHECK-NEXT: gpu.wait [%[[T0]]]
  // CHECK-NEXT: call @host
  // CHECK-NEXT: %[[S1:.*]] = gpu.wait async
  // CHECK-NEXT: %[[T1:.*]] = gpu.launch_func async [%[[S1]]]
  // CHECK-NEXT: gpu.wait [%[[T1]]]
  // CHECK-NEXT: return
  func.func @host_effects(%o: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    call @host(%o) : (memref<4xf32>) -> ()
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}

// -----

// Operations already asynchronous, and GPU operations other than launches
// (dr1's code generation makes neither), are errors.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @k() kernel { gpu.return }
  }
  func.func @already_async() {
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{'gpu.wait' op is already asynchronous}}
    %t = gpu.wait async
    %u = gpu.launch_func async [%t] @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.wait [%u]
    return
  }
}

// -----

module attributes {gpu.container_module} {
  func.func @memcpy(%a: memref<4xf32>, %b: memref<4xf32>) {
    // expected-error @+1 {{is not supported by dr1-gpu-one-stream (only gpu.launch_func is)}}
    gpu.memcpy %a, %b : memref<4xf32>, memref<4xf32>
    return
  }
}
