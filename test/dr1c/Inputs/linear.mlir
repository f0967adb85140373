// A linear layer with constant weights: what --quantize=int8 calibrates.
func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = dr1.constant dense<[[0.5, -0.25, 1.0, 0.0, 0.75, -1.0, 0.125, 0.5], [1.0, 1.0, -1.0, -1.0, 0.5, 0.5, -0.5, -0.5], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [-0.8, 0.6, -0.4, 0.2, 0.0, -0.2, 0.4, -0.6]]> : tensor<4x8xf32>
  %b = dr1.constant dense<[0.1, -0.1, 0.2, -0.2]> : tensor<4xf32>
  %y = dr1.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
