// One convolution + relu, big enough (70M multiply-adds) to be shared out
// between threads.
func.func @forward(%x: tensor<1x32x64x64xf32>, %w: tensor<64x32x3x3xf32>) -> tensor<1x64x62x62xf32> {
  %0 = dr1.conv2d %x, %w : (tensor<1x32x64x64xf32>, tensor<64x32x3x3xf32>) -> tensor<1x64x62x62xf32>
  %1 = dr1.relu %0 : tensor<1x64x62x62xf32>
  return %1 : tensor<1x64x62x62xf32>
}
