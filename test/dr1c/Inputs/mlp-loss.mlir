func.func @loss(%w1: tensor<16x8xf32> {dr1.trainable, dr1.name = "fc1.weight"},
                %b1: tensor<16xf32> {dr1.trainable, dr1.name = "fc1.bias"},
                %w2: tensor<3x16xf32> {dr1.trainable, dr1.name = "fc2.weight"},
                %x: tensor<4x8xf32> {dr1.name = "x"}, %y: tensor<4xi64> {dr1.name = "y"})
    -> (tensor<f32>, tensor<4x3xf32>) {
  %h = dr1.linear %x, %w1, %b1 : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %r = dr1.relu %h : tensor<4x16xf32>
  %z = dr1.linear %r, %w2 : (tensor<4x16xf32>, tensor<3x16xf32>) -> tensor<4x3xf32>
  %lp = dr1.log_softmax %z {axis = -1 : i64} : tensor<4x3xf32>
  %yy = dr1.reshape %y : tensor<4xi64> -> tensor<4x1xi64>
  %iota = dr1.constant dense<[[0, 1, 2]]> : tensor<1x3xi64>
  %eq = dr1.equal %yy, %iota : (tensor<4x1xi64>, tensor<1x3xi64>) -> tensor<4x3xi1>
  %oh = dr1.cast %eq : tensor<4x3xi1> to tensor<4x3xf32>
  %p = dr1.mul %lp, %oh : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %s = dr1.reduce_sum %p {axes = array<i64: 1>} : (tensor<4x3xf32>) -> tensor<4xf32>
  %m = dr1.reduce_mean %s : (tensor<4xf32>) -> tensor<f32>
  %l = dr1.neg %m : tensor<f32>
  return %l, %z : tensor<f32>, tensor<4x3xf32>
}
