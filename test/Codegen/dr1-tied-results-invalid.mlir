// RUN: dr1-opt %s --pass-pipeline="builtin.module(func.func(dr1-materialize-tied-results))" -verify-diagnostics

// expected-error @below {{result #0 is tied to argument #1, which does not exist or has another type}}
func.func @bad(%w: tensor<4xf32>, %g: tensor<3xf32>) -> (tensor<4xf32> {dr1.tied = 1 : i64}) {
  return %w : tensor<4xf32>
}
