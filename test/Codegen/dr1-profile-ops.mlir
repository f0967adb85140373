// RUN: %dr1-opt %s -dr1-profile-ops | FileCheck %s

// Each top-level piece of work is timed under the names of the locations it
// came from; consecutive work with one label is one region; views and
// constants are not work; private functions are left alone.
// CHECK-LABEL: func.func @forward
func.func @forward(%a: memref<8xf32>, %b: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %v = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  // CHECK: %[[T0:.*]] = call @dr1rt_profile_now()
  // CHECK-NEXT: scf.for
  // CHECK: memref.copy
  // CHECK-NEXT: %[[L0:.*]] = llvm.mlir.addressof @__dr1_profile_0
  // CHECK-NEXT: call @dr1rt_profile_record(%[[L0]], %[[T0]])
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    memref.store %x, %b[%i] : memref<8xf32>
  } loc(#conv)
  memref.copy %a, %b : memref<8xf32> to memref<8xf32> loc(#conv)
  // CHECK: %[[T1:.*]] = call @dr1rt_profile_now()
  // CHECK-NEXT: linalg.fill
  // CHECK-NEXT: %[[L1:.*]] = llvm.mlir.addressof @__dr1_profile_1
  // CHECK-NEXT: call @dr1rt_profile_record(%[[L1]], %[[T1]])
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%b : memref<8xf32>) loc(#fused)
  // CHECK-NEXT: return
  return
}

// CHECK-LABEL: func.func private @helper
// CHECK-NOT: dr1rt_profile
// CHECK: return
// CHECK-DAG: func.func private @dr1rt_profile_now() -> i64
// CHECK-DAG: func.func private @dr1rt_profile_record(!llvm.ptr, i64)
// CHECK-DAG: llvm.mlir.global internal constant @__dr1_profile_0("conv1\00")
// CHECK-DAG: llvm.mlir.global internal constant @__dr1_profile_1("relu1, add1\00")
func.func private @helper(%a: memref<8xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%a : memref<8xf32>)
  return
}

#conv = loc("conv1")
#fused = loc(fused["relu1", "add1"])
