// A product with a weight, a bias and a reduction to one value: weights go
// into the device module, the scalar reduction runs as a one-thread kernel.
func.func @forward(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<f32>) {
  %w = dr1.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %b = dr1.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = dr1.matmul %x, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %1 = dr1.add %0, %b : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %2 = dr1.reduce_sum %1 : (tensor<3x2xf32>) -> tensor<f32>
  return %1, %2 : tensor<3x2xf32>, tensor<f32>
}
