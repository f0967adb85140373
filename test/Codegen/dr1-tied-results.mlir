// RUN: dr1-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(dr1-materialize-tied-results))" | FileCheck %s --check-prefix=TENSOR
// RUN: dr1-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(dr1-materialize-tied-results),eliminate-empty-tensors,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},canonicalize,dr1-drop-tied-results)" | FileCheck %s

// The update's destination becomes the parameter: it is written in place,
// and the tied result leaves the signature.
// TENSOR-LABEL: func.func @sgd(
// TENSOR-SAME: %[[W:[a-z0-9]+]]: tensor<4xf32> {bufferization.writable = true}
// TENSOR: linalg.sub ins(%[[W]], %{{.*}} : tensor<4xf32>, tensor<4xf32>) outs(%[[W]] : tensor<4xf32>)
// CHECK-LABEL: func.func @sgd(
// CHECK-SAME: %[[W:[a-z0-9]+]]: memref<4xf32>, %[[G:[a-z0-9]+]]: memref<4xf32>) -> memref<f32> {
// CHECK-NOT: memref.alloc() {{.*}} : memref<4xf32>
// CHECK: linalg.sub ins(%[[W]], %[[G]] : memref<4xf32>, memref<4xf32>) outs(%[[W]] : memref<4xf32>)
// CHECK-NOT: memref.copy
// CHECK: return %{{.*}} : memref<f32>
func.func @sgd(%w: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32> {dr1.tied = 0 : i64}) {
  %c = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %z = linalg.fill ins(%c : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %l = linalg.reduce ins(%w : tensor<4xf32>) outs(%z : tensor<f32>) dimensions = [0]
    (%a: f32, %b: f32) {
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    }
  %e = tensor.empty() : tensor<4xf32>
  %n = linalg.sub ins(%w, %g : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %l, %n : tensor<f32>, tensor<4xf32>
}

// -----

// The old value is read after the update: one-shot analysis computes the
// update out of place, and it is copied into the parameter after the read.
// CHECK-LABEL: func.func @read_after(
// CHECK-SAME: %[[W:[a-z0-9]+]]: memref<4xf32>, %[[G:[a-z0-9]+]]: memref<4xf32>) -> memref<f32> {
// CHECK: %[[NEW:.*]] = memref.alloc() {{.*}} : memref<4xf32>
// CHECK: linalg.sub ins(%[[W]], %[[G]] : {{.*}}) outs(%[[NEW]] : memref<4xf32>)
// CHECK: linalg.reduce ins(%[[W]] : memref<4xf32>)
// CHECK: memref.copy %[[NEW]], %[[W]]
// CHECK-NEXT: return
func.func @read_after(%w: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32> {dr1.tied = 0 : i64}) {
  %e = tensor.empty() : tensor<4xf32>
  %n = linalg.sub ins(%w, %g : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %c = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %z = linalg.fill ins(%c : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %l = linalg.reduce ins(%w : tensor<4xf32>) outs(%z : tensor<f32>) dimensions = [0]
    (%a: f32, %b: f32) {
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    }
  return %l, %n : tensor<f32>, tensor<4xf32>
}

// -----

// A result with no destination of its own (the gradient itself, an
// argument) is copied into the tied argument as the last write.
// CHECK-LABEL: func.func @copied(
// CHECK-SAME: %[[W:[a-z0-9]+]]: memref<4xf32>, %[[G:[a-z0-9]+]]: memref<4xf32>) {
// CHECK: memref.copy %[[G]], %[[W]]
// CHECK-NEXT: return
func.func @copied(%w: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32> {dr1.tied = 0 : i64}) {
  return %g : tensor<4xf32>
}

