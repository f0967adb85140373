// RUN: dr1-opt %s --dr1-serialize-forall -split-input-file | FileCheck %s

// A 2-D forall with one shared output: two nested loops carrying it, the
// parallel insert a plain insert into the carried tensor.
// CHECK-LABEL: func @rows
// CHECK-NOT: scf.forall
// CHECK: %[[R:.*]] = scf.for %[[I:.*]] = %c0 to %c2 step %c1 iter_args(%[[O:.*]] = %{{.*}}) -> (tensor<2x4x8xf32>)
// CHECK:   %[[R2:.*]] = scf.for %[[J:.*]] = %c0{{.*}} to %c4 step %c1{{.*}} iter_args(%[[O2:.*]] = %[[O]]) -> (tensor<2x4x8xf32>)
// CHECK:     %[[S:.*]] = tensor.extract_slice %{{.*}}[%[[I]], %[[J]], 0] [1, 1, 8]
// CHECK:     %[[N:.*]] = linalg.generic {{.*}} ins(%[[S]]
// CHECK:     %[[U:.*]] = tensor.insert_slice %[[N]] into %[[O2]][%[[I]], %[[J]], 0] [1, 1, 8] [1, 1, 1]
// CHECK:     scf.yield %[[U]]
// CHECK:   scf.yield %[[R2]]
// CHECK: return %[[R]]
#id = affine_map<(d0) -> (d0)>
func.func @rows(%a: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %e = tensor.empty() : tensor<2x4x8xf32>
  %r = scf.forall (%i, %j) in (2, 4) shared_outs(%o = %e) -> tensor<2x4x8xf32> {
    %s = tensor.extract_slice %a[%i, %j, 0] [1, 1, 8] [1, 1, 1] : tensor<2x4x8xf32> to tensor<8xf32>
    %t = tensor.empty() : tensor<8xf32>
    %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%s : tensor<8xf32>) outs(%t : tensor<8xf32>) {
    ^bb0(%x: f32, %y: f32):
      %z = arith.negf %x : f32
      linalg.yield %z : f32
    } -> tensor<8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %n into %o[%i, %j, 0] [1, 1, 8] [1, 1, 1] : tensor<8xf32> into tensor<2x4x8xf32>
    }
  }
  return %r : tensor<2x4x8xf32>
}

// -----

// Bounds and steps other than 0 and 1, two shared outputs.
// CHECK-LABEL: func @two_outputs
// CHECK: %[[R:.*]]:2 = scf.for %[[I:.*]] = %c2 to %c8 step %c3 iter_args(%[[A:.*]] = %{{.*}}, %[[B:.*]] = %{{.*}})
// CHECK-DAG: tensor.insert_slice %{{.*}} into %[[A]][%[[I]]] [1] [1]
// CHECK-DAG: tensor.insert_slice %{{.*}} into %[[B]][%[[I]]] [1] [1]
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @two_outputs(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %r:2 = scf.forall (%i) = (2) to (8) step (3) shared_outs(%a = %e, %b = %x) -> (tensor<8xf32>, tensor<8xf32>) {
    %s = tensor.extract_slice %x[%i] [1] [1] : tensor<8xf32> to tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %a[%i] [1] [1] : tensor<1xf32> into tensor<8xf32>
      tensor.parallel_insert_slice %s into %b[%i] [1] [1] : tensor<1xf32> into tensor<8xf32>
    }
  }
  return %r#0, %r#1 : tensor<8xf32>, tensor<8xf32>
}
