// Attention over 256 keys: its query blocks run in a host loop, each
// block's products and softmax as kernels.
func.func @forward(%q: tensor<256x64xf32>, %kt: tensor<64x256xf32>,
                   %v: tensor<256x64xf32>) -> tensor<256x64xf32> {
  %c = dr1.constant dense<0.125> : tensor<f32>
  %s = dr1.matmul %q, %kt : (tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<256x256xf32>
  %t = dr1.mul %s, %c : (tensor<256x256xf32>, tensor<f32>) -> tensor<256x256xf32>
  %p = dr1.softmax %t {axis = 1 : i64} : tensor<256x256xf32>
  %o = dr1.matmul %p, %v : (tensor<256x256xf32>, tensor<256x64xf32>) -> tensor<256x64xf32>
  return %o : tensor<256x64xf32>
}
