// The digits classifier the C example trains: 64 pixels -> 64 -> ReLU -> 10,
// mean cross-entropy against integer labels. Returns (loss, logits).
//   dr1c loss.mlir --train=sgd --momentum=0.9 --name=digits -o digits.o
// digits_train_step_run is one SGD step; digits_run this function, for
// evaluation with the trained parameters.
func.func @loss(%w1: tensor<64x64xf32> {dr1.trainable, dr1.name = "fc1.weight"},
                %b1: tensor<64xf32> {dr1.trainable, dr1.name = "fc1.bias"},
                %w2: tensor<10x64xf32> {dr1.trainable, dr1.name = "fc2.weight"},
                %b2: tensor<10xf32> {dr1.trainable, dr1.name = "fc2.bias"},
                %x: tensor<32x64xf32> {dr1.name = "pixels"},
                %y: tensor<32xi64> {dr1.name = "labels"})
    -> (tensor<f32> {dr1.name = "loss"}, tensor<32x10xf32> {dr1.name = "logits"}) {
  %h = dr1.linear %x, %w1, %b1 : (tensor<32x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<32x64xf32>
  %r = dr1.relu %h : tensor<32x64xf32>
  %z = dr1.linear %r, %w2, %b2 : (tensor<32x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<32x10xf32>
  %lp = dr1.log_softmax %z {axis = -1 : i64} : tensor<32x10xf32>
  %yy = dr1.reshape %y : tensor<32xi64> -> tensor<32x1xi64>
  %classes = dr1.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]> : tensor<1x10xi64>
  %eq = dr1.equal %yy, %classes : (tensor<32x1xi64>, tensor<1x10xi64>) -> tensor<32x10xi1>
  %onehot = dr1.cast %eq : tensor<32x10xi1> to tensor<32x10xf32>
  %picked = dr1.mul %lp, %onehot : (tensor<32x10xf32>, tensor<32x10xf32>) -> tensor<32x10xf32>
  %s = dr1.reduce_sum %picked {axes = array<i64: 1>} : (tensor<32x10xf32>) -> tensor<32xf32>
  %m = dr1.reduce_mean %s : (tensor<32xf32>) -> tensor<f32>
  %loss = dr1.neg %m : tensor<f32>
  return %loss, %z : tensor<f32>, tensor<32x10xf32>
}
