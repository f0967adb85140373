// One convolution + relu: enough for a parallel loop over output rows.
func.func @forward(%x: tensor<1x8x16x16xf32>, %w: tensor<16x8x3x3xf32>) -> tensor<1x16x14x14xf32> {
  %0 = dr1.conv2d %x, %w : (tensor<1x8x16x16xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x14x14xf32>
  %1 = dr1.relu %0 : tensor<1x16x14x14xf32>
  return %1 : tensor<1x16x14x14xf32>
}
