func.func @forward(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %0 = dr1.relu %x : tensor<4x64xf32>
  %c = dr1.constant dense<2.0> : tensor<64xf32>
  %1 = dr1.mul %0, %c : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %1 : tensor<4x64xf32>
}
