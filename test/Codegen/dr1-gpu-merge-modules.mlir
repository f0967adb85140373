// RUN: %dr1-opt %s -dr1-gpu-merge-modules | FileCheck %s

// Two outlined kernels with the same name, both reading the same weight:
// one module, the second kernel renamed after its old module, the weight
// once, launches updated.
module attributes {gpu.container_module} {
  memref.global "private" constant @w : memref<4xf32> = dense<1.0>
  // CHECK-LABEL: func.func @f
  func.func @f(%o: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    // CHECK: gpu.launch_func @f_kernel::@f_kernel blocks
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%o : memref<4xf32>)
    // CHECK: gpu.launch_func @f_kernel::@f_kernel_0 blocks
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%o : memref<4xf32>)
    return
  }
  // CHECK: gpu.module @f_kernel {
  // CHECK-DAG: gpu.func @f_kernel(
  // CHECK-DAG: gpu.func @f_kernel_0(
  // CHECK-DAG: memref.global "private" constant @w
  // CHECK-NOT: memref.global "private" constant @w
  // CHECK: }
  // CHECK-NOT: gpu.module
  gpu.module @f_kernel {
    gpu.func @f_kernel(%o: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %g = memref.get_global @w : memref<4xf32>
      %v = memref.load %g[%c0] : memref<4xf32>
      memref.store %v, %o[%c0] : memref<4xf32>
      gpu.return
    }
    memref.global "private" constant @w : memref<4xf32> = dense<1.0>
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%o: memref<4xf32>) kernel {
      %c1 = arith.constant 1 : index
      %g = memref.get_global @w : memref<4xf32>
      %v = memref.load %g[%c1] : memref<4xf32>
      memref.store %v, %o[%c1] : memref<4xf32>
      gpu.return
    }
    memref.global "private" constant @w : memref<4xf32> = dense<1.0>
  }
}
