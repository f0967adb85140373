func.func @forward(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = math.sin %x : tensor<8xf32>
  return %0 : tensor<8xf32>
}
