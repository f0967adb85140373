// A square (ONNX Pow with a constant exponent 2) and a scale by 0.5.
func.func @forward(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %c = dr1.constant dense<2.0> : tensor<f32>
  %h = dr1.constant dense<0.5> : tensor<f32>
  %p = dr1.pow %x, %c : (tensor<64x256xf32>, tensor<f32>) -> tensor<64x256xf32>
  %m = dr1.mul %p, %h : (tensor<64x256xf32>, tensor<f32>) -> tensor<64x256xf32>
  return %m : tensor<64x256xf32>
}
