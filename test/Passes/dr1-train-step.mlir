// RUN: dr1-opt %s --dr1-autodiff --dr1-train-step="optimizer=sgd momentum=0.9 weight-decay=0.01" | FileCheck %s --check-prefix=SGD
// RUN: dr1-opt %s --dr1-autodiff --dr1-train-step="optimizer=adamw weight-decay=0.01" | FileCheck %s --check-prefix=ADAMW
// RUN: dr1-opt %s --dr1-autodiff --dr1-train-step="optimizer=adam" | FileCheck %s --check-prefix=ADAM
// RUN: not dr1-opt %s --dr1-autodiff --dr1-train-step="optimizer=lbfgs" 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: not dr1-opt %s --dr1-train-step 2>&1 | FileCheck %s --check-prefix=NOGRAD

// In-place tensors lead: parameters (in argument order), then optimizer
// state; then the loss's other arguments; the learning rate last. Every
// updated tensor is a result tied to its argument.
// SGD-LABEL: func.func @loss_train_step(
// SGD-SAME: %[[W:[a-z0-9]+]]: tensor<3x4xf32> {dr1.name = "w", dr1.trainable}
// SGD-SAME: %[[B:[a-z0-9]+]]: tensor<3xf32> {dr1.name = "b", dr1.trainable}
// SGD-SAME: %[[VW:[a-z0-9]+]]: tensor<3x4xf32> {dr1.name = "momentum.w"}
// SGD-SAME: %[[VB:[a-z0-9]+]]: tensor<3xf32> {dr1.name = "momentum.b"}
// SGD-SAME: %[[X:[a-z0-9]+]]: tensor<2x4xf32> {dr1.name = "input1"}
// SGD-SAME: %[[LR:[a-z0-9]+]]: tensor<f32> {dr1.name = "lr"}
// SGD-SAME: -> (tensor<f32>, tensor<2x3xf32>, tensor<3x4xf32> {dr1.name = "w", dr1.tied = 0 : i64}, tensor<3xf32> {dr1.name = "b", dr1.tied = 1 : i64}, tensor<3x4xf32> {dr1.name = "momentum.w", dr1.tied = 2 : i64}, tensor<3xf32> {dr1.name = "momentum.b", dr1.tied = 3 : i64})
// SGD-SAME: attributes {dr1.optimizer = "sgd", dr1.train_step_of = @loss}
// The gradient function's body is inlined and each update placed as soon
// as its gradient is complete and the parameter is no longer read.
// SGD: %[[Y:.*]] = dr1.linear %[[X]], %[[W]], %[[B]]
// SGD: %[[L:.*]] = dr1.reduce_sum %[[Y]]
// SGD: %[[GW:.*]] = dr1.matmul %{{.*}}, %[[X]] : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
// As PyTorch's SGD does: g += wd p; v = mu v + g; p -= lr v.
// SGD: %[[WD:.*]] = dr1.constant dense<0.00999999977> : tensor<f32>
// SGD: %[[DP:.*]] = dr1.mul %[[WD]], %[[W]]
// SGD: %[[GWD:.*]] = dr1.add %[[GW]], %[[DP]]
// SGD: %[[MU:.*]] = dr1.constant dense<0.899999976> : tensor<f32>
// SGD: %[[MV:.*]] = dr1.mul %[[MU]], %[[VW]]
// SGD: %[[NVW:.*]] = dr1.add %[[MV]], %[[GWD]]
// SGD: %[[STEP:.*]] = dr1.mul %[[LR]], %[[NVW]]
// SGD: %[[NW:.*]] = dr1.sub %[[W]], %[[STEP]]
// The bias's gradient comes after the weight's update.
// SGD: %[[GB:.*]] = dr1.reduce_sum %{{.*}} {axes = array<i64: 0>}
// SGD: return %[[L]], %[[Y]], %[[NW]], %{{.*}}, %[[NVW]], %{{.*}} :

// Adam keeps two moments per parameter and a step counter; bias
// correction 1 / (1 - beta^t) from the incremented step.
// ADAM-LABEL: func.func @loss_train_step(
// ADAM-SAME: {dr1.name = "exp_avg.w"}
// ADAM-SAME: {dr1.name = "exp_avg_sq.b"}
// ADAM-SAME: %[[T:[a-z0-9]+]]: tensor<f32> {dr1.name = "step"}
// ADAM-SAME: tensor<f32> {dr1.name = "step", dr1.tied = 6 : i64})
// ADAM: %[[T1:.*]] = dr1.add %[[T]], %{{.*}} : (tensor<f32>, tensor<f32>) -> tensor<f32>
// ADAM: dr1.pow %{{.*}}, %[[T1]]
// ADAM: dr1.sqrt
// ADAM-NOT: dense<0.00999999977>
// ADAM: return

// AdamW decays the weights themselves: p -= lr (m^ / (sqrt(v^) + eps) + wd p).
// ADAMW-LABEL: func.func @loss_train_step(
// ADAMW: dr1.sqrt
// ADAMW: %[[Q:.*]] = dr1.div
// ADAMW: %[[WD:.*]] = dr1.constant dense<0.00999999977> : tensor<f32>
// ADAMW: %[[DP:.*]] = dr1.mul %[[WD]], %arg0
// ADAMW: %[[U:.*]] = dr1.add %[[Q]], %[[DP]]
// ADAMW: %[[S:.*]] = dr1.mul %arg8, %[[U]]
// ADAMW: dr1.sub %arg0, %[[S]]

// BADOPT: error: dr1-train-step: unknown optimizer 'lbfgs' (expected sgd, adam or adamw)
// NOGRAD: error: dr1-train-step: no gradient function (run dr1-autodiff on a loss with dr1.trainable arguments first)
func.func @loss(%w: tensor<3x4xf32> {dr1.trainable, dr1.name = "w"}, %x: tensor<2x4xf32>,
                %b: tensor<3xf32> {dr1.trainable, dr1.name = "b"}) -> (tensor<f32>, tensor<2x3xf32>) {
  %y = dr1.linear %x, %w, %b : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %l = dr1.reduce_sum %y : (tensor<2x3xf32>) -> tensor<f32>
  return %l, %y : tensor<f32>, tensor<2x3xf32>
}
