// RUN: dr1-opt %s --convert-dr1-to-linalg -split-input-file -verify-diagnostics | FileCheck %s
// Elementwise family: one linalg.generic per op, operands broadcast by maps.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK:   arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[COL]], #[[ID]], #[[ID]]]
// CHECK:   arith.subf
func.func @add_broadcast(%a: tensor<4x8xf32>, %b: tensor<8xf32>, %c: tensor<4x1xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = dr1.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = dr1.sub %c, %a : (tensor<4x1xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Integer operands pick integer arith ops.
// CHECK-LABEL: func @integer_ops
// CHECK: arith.muli
// CHECK: arith.divsi
// CHECK: arith.maxsi
func.func @integer_ops(%a: tensor<4xi32>, %b: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  %0 = dr1.mul %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = dr1.div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %2 = dr1.relu %a : tensor<4xi32>
  return %0, %1, %2 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func @activations
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: math.erf
// CHECK: math.tanh
// CHECK: arith.select
func.func @activations(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %0 = dr1.clip %x {min = 0.0 : f32, max = 6.0 : f32} : tensor<8xf32>
  %1 = dr1.sigmoid %x : tensor<8xf32>
  %2 = dr1.gelu %x : tensor<8xf32>
  %3 = dr1.gelu %x {approximate = "tanh"} : tensor<8xf32>
  %4 = dr1.leaky_relu %x : tensor<8xf32>
  return %0, %1, %2, %3, %4 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// CHECK-LABEL: func @math_ops
// CHECK: math.sqrt
// CHECK: math.rsqrt
// CHECK: math.log
// CHECK: math.absf
// CHECK: arith.negf
// CHECK: math.powf
// CHECK: math.roundeven
func.func @math_ops(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %0 = dr1.sqrt %x : tensor<8xf32>
  %1 = dr1.rsqrt %x : tensor<8xf32>
  %2 = dr1.log %x : tensor<8xf32>
  %3 = dr1.abs %x : tensor<8xf32>
  %4 = dr1.neg %x : tensor<8xf32>
  %5 = dr1.pow %x, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %6 = dr1.round %x : tensor<8xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// CHECK-LABEL: func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @casts(%x: tensor<4xf32>, %i: tensor<4xi64>) -> (tensor<4xi32>, tensor<4xf32>, tensor<4xf16>) {
  %0 = dr1.cast %x : tensor<4xf32> to tensor<4xi32>
  %1 = dr1.cast %i : tensor<4xi64> to tensor<4xf32>
  %2 = dr1.cast %x : tensor<4xf32> to tensor<4xf16>
  return %0, %1, %2 : tensor<4xi32>, tensor<4xf32>, tensor<4xf16>
}

// -----

// CHECK-LABEL: func @compare_select
// CHECK: arith.cmpf olt, %{{.*}}, %{{.*}} : f32
// CHECK: arith.cmpi eq, %{{.*}}, %{{.*}} : i64
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
func.func @compare_select(%x: tensor<4xf32>, %y: tensor<4xf32>, %i: tensor<4xi64>) -> (tensor<4xi1>, tensor<4xf32>) {
  %0 = dr1.less %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %1 = dr1.equal %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  %2 = dr1.where %0, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1, %2 : tensor<4xi1>, tensor<4xf32>
}

// -----

// A broadcast is a copy through a broadcasting map (dims of size 1 and
// missing leading dims read index 0).
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func @broadcast
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0 : tensor<4x1xf32>) outs(%{{.*}} : tensor<2x4x3xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[A]] : f32
func.func @broadcast(%x: tensor<4x1xf32>) -> tensor<2x4x3xf32> {
  %0 = dr1.broadcast %x : tensor<4x1xf32> -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

// Dynamic shapes are reported at the op, not crashed on.
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{dynamic shapes are not supported yet}}
  // expected-error @+1 {{failed to legalize operation 'dr1.relu'}}
  %0 = dr1.relu %x : tensor<?xf32>
  return %0 : tensor<?xf32>
}
