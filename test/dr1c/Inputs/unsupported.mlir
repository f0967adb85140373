func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = dr1.relu %x : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
