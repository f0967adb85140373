//===- Passes.td - dr1 graph and memory passes -------------*- tablegen -*-===//
#ifndef DR1_PASSES_TD
#define DR1_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldBatchNorm : Pass<"dr1-fold-batch-norm", "func::FuncOp"> {
  let summary = "Fold inference batch norm into the preceding conv2d or linear";
  let description = [{
    When a `dr1.batch_norm` with constant parameters consumes the only use of
    a `dr1.conv2d` or `dr1.linear` (on [N, C]) with constant weights, the
    normalization becomes new weights and bias:
    `W' = W * a`, `b' = (b - mean) * a + beta`, `a = gamma / sqrt(var + eps)`,
    per output channel. One pass over the activations disappears.

    Before:
    ```mlir
    %c = dr1.conv2d %x, %w, %b : ...
    %y = dr1.batch_norm %c, %gamma, %beta, %mean, %var : ...
    ```
    After:
    ```mlir
    %y = dr1.conv2d %x, %w_folded, %b_folded : ...
    ```
  }];
  let dependentDialects = ["mlir::dr1::Dr1Dialect"];
}

def FuseAttention : Pass<"dr1-fuse-attention", "func::FuncOp"> {
  let summary = "Recognise scaled dot-product attention as one dr1.attention";
  let description = [{
    Rewrites `matmul(softmax(matmul(q, kt) * c + mask, axis = -1), v)`
    (the scale by `* c` or `/ c` with a constant `c`, and the additive mask,
    both optional) into one `dr1.attention`, which lowers to a loop over key
    blocks with an online softmax (as FlashAttention does): the scores exist
    one `[Bq, Bk]` block at a time instead of `[..., Sq, Sk]` at once. Every
    intermediate must have a single use, and q, kt and v the same batch
    dimensions.

    Before:
    ```mlir
    %s = dr1.matmul %q, %kt : (tensor<1x2x128x64xf32>, tensor<1x2x64x128xf32>) -> tensor<1x2x128x128xf32>
    %t = dr1.div %s, %c8 : (tensor<1x2x128x128xf32>, tensor<f32>) -> tensor<1x2x128x128xf32>
    %u = dr1.add %t, %mask : (tensor<1x2x128x128xf32>, tensor<1x1x1x128xf32>) -> tensor<1x2x128x128xf32>
    %p = dr1.softmax %u {axis = -1 : i64} : tensor<1x2x128x128xf32>
    %o = dr1.matmul %p, %v : (tensor<1x2x128x128xf32>, tensor<1x2x128x64xf32>) -> tensor<1x2x128x64xf32>
    ```
    After:
    ```mlir
    %o = dr1.attention %q, %kt, %v mask %mask {scale = 1.250000e-01 : f32}
        : (tensor<1x2x128x64xf32>, tensor<1x2x64x128xf32>, tensor<1x2x128x64xf32>,
           tensor<1x1x1x128xf32>) -> tensor<1x2x128x64xf32>
    ```
  }];
  let dependentDialects = ["mlir::dr1::Dr1Dialect"];
}

def FuseSqueezeExcitation : Pass<"dr1-fuse-squeeze-excitation", "func::FuncOp"> {
  let summary = "Apply a squeeze-excitation gate to the following 1x1 convolution's weights";
  let description = [{
    Recognises squeeze-excitation: `x * s` where the per-channel gate `s`
    (`[1, C, 1, 1]`) is computed from `global_avg_pool(x)` (through the
    block's small convolutions / linears and activations). When the scaled
    tensor's only user is a 1x1, stride-1, unpadded, ungrouped convolution
    (the block's projection) and the batch is 1, the gate scales the
    projection's weights instead: `conv(x * s, W) = conv(x, W * s)`. The
    full-size scaled activation tensor, and the pass over memory that
    writes it, disappear; the gate costs `C x F` multiplies. Only where
    that is the cheaper side (`2 F <= H W`): on late 7x7 maps with 320
    filters the weights are larger than the activations.

    Before:
    ```mlir
    %p = dr1.global_avg_pool %x : (tensor<1x96x56x56xf32>) -> tensor<1x96x1x1xf32>
    ...                                   // squeeze / excite convolutions
    %s = dr1.sigmoid %e : tensor<1x96x1x1xf32>
    %y = dr1.mul %x, %s : (tensor<1x96x56x56xf32>, tensor<1x96x1x1xf32>) -> tensor<1x96x56x56xf32>
    %o = dr1.conv2d %y, %w : (tensor<1x96x56x56xf32>, tensor<24x96x1x1xf32>) -> tensor<1x24x56x56xf32>
    ```
    After:
    ```mlir
    %ws = dr1.mul %w, %s : (tensor<24x96x1x1xf32>, tensor<1x96x1x1xf32>) -> tensor<24x96x1x1xf32>
    %o = dr1.conv2d %x, %ws : (tensor<1x96x56x56xf32>, tensor<24x96x1x1xf32>) -> tensor<1x24x56x56xf32>
    ```
  }];
  let dependentDialects = ["mlir::dr1::Dr1Dialect"];
}

def Quantize : Pass<"dr1-quantize", "func::FuncOp"> {
  let summary = "Run calibrated matmuls, linears and convolutions on int8";
  let description = [{
    Every op of `QuantizableOpInterface` with a constant f32 weight and a
    recorded activation range (`dr1.input_range = array<f32: min, max>`,
    written by calibration) becomes an integer product: the activation is
    quantized per tensor to int8 with a zero point (the range widened to
    include 0), the weight per output channel, symmetrically, at compile
    time; products accumulate in i32; one `dr1.dequantize` per output
    channel multiplies by `scale_x * scale_w[c]` and subtracts
    `zero_point_x * sum(w_q[c])`, the zero point's share of every sum (for
    convolutions, padding holds the zero point, so the share is the same
    at the borders). A float bias is added after, unquantized.

    `dr1.precision = "f32"` on an op keeps it in float; `"int8"` asks for
    int8 and is an error without a range. Ops with a range and no
    `dr1.precision` get `default-precision`. An activation the model
    quantized itself, `dr1.dequantize` (per tensor) of an i8 tensor (ONNX
    QuantizeLinear / DequantizeLinear pairs, QLinear* ops), needs no
    range: the product takes the i8 tensor and its scale and zero point
    as they are.

    Before:
    ```mlir
    %y = dr1.linear %x, %w, %b {dr1.input_range = array<f32: -1.0, 3.0>}
        : (tensor<4x64xf32>, tensor<16x64xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    ```
    After:
    ```mlir
    %xq = dr1.quantize %x {scale = array<f32: 0.0156863>, zero_point = array<i64: -64>}
        : tensor<4x64xf32> to tensor<4x64xi8>
    %wq = dr1.constant dense<...> : tensor<16x64xi8>
    %acc = dr1.linear %xq, %wq : (tensor<4x64xi8>, tensor<16x64xi8>) -> tensor<4x16xi32>
    %d = dr1.dequantize %acc {axis = 1 : i64, scale = array<f32: ...>, zero_point = array<i64: ...>}
        : tensor<4x16xi32> to tensor<4x16xf32>
    %y = dr1.add %d, %b : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    ```
  }];
  let options = [
    Option<"defaultPrecision", "default-precision", "std::string", "\"int8\"",
           "Precision of ops that have a range but no dr1.precision">,
  ];
  let statistics = [
    Statistic<"numQuantized", "num-quantized", "Ops rewritten to int8">,
  ];
  let dependentDialects = ["mlir::dr1::Dr1Dialect"];
}

def Autodiff : Pass<"dr1-autodiff", "ModuleOp"> {
  let summary = "Reverse-mode differentiation: add the gradient function of a loss";
  let description = [{
    For every function with arguments marked `dr1.trainable` whose first
    result is a 0-d float tensor (the loss), adds `@<name>_grad`: the same
    computation, then the backward pass, returning the function's own
    results followed by the gradient of the loss with respect to each
    trainable argument, in argument order (named `grad_<argument name>`).
    The original function stays (the inference entry point).

    Each op's gradient comes from its `DifferentiableOpInterface` rule (in
    dr1 ops, so the backward pass is fused, tiled and planned like the
    forward pass); gradients of values used more than once are summed, and
    ops that do not depend on a trainable argument get none. An op on the
    path from a trainable argument to the loss without a rule is an error
    that names it. The body must be one block of dr1 ops (the graph
    pipeline inlines calls first).

    Before:
    ```mlir
    func.func @loss(%w: tensor<3x4xf32> {dr1.trainable}, %x: tensor<2x4xf32>) -> tensor<f32> {
      %y = dr1.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
      %l = dr1.reduce_sum %y : (tensor<2x3xf32>) -> tensor<f32>
      return %l : tensor<f32>
    }
    ```
    After (besides `@loss`):
    ```mlir
    func.func @loss_grad(%w: tensor<3x4xf32> {dr1.trainable}, %x: tensor<2x4xf32>)
        -> (tensor<f32>, tensor<3x4xf32> {dr1.name = "grad_input0"}) {
      %y = dr1.linear %x, %w : ...
      %l = dr1.reduce_sum %y : (tensor<2x3xf32>) -> tensor<f32>
      %one = dr1.constant dense<1.0> : tensor<f32>
      %g = dr1.broadcast %one_kept : tensor<1x1xf32> -> tensor<2x3xf32>
      %gt = dr1.transpose %g {perm = array<i64: 1, 0>} : ...
      %dw = dr1.matmul %gt, %x : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
      return %l, %dw : tensor<f32>, tensor<3x4xf32>
    }
    ```
  }];
  let dependentDialects = ["mlir::dr1::Dr1Dialect"];
}

def Rematerialize : Pass<"dr1-rematerialize", "ModuleOp"> {
  let summary = "Gradient checkpointing: recompute forward values in the backward pass";
  let description = [{
    On every gradient function (`dr1.gradient_of`, from `dr1-autodiff`):
    the forward ops (those the loss function's own results depend on) are
    cut into `segments` runs of consecutive ops, each with about as many of
    the m ops whose values the backward pass reads (0: ceil(sqrt(m))
    runs). The backward pass keeps only each run's last such value, values
    used across runs, and the whole last run; every other forward value it
    reads is recomputed from those, once per run, right before the backward
    pass first needs a value of that run. Memory planning then reuses a
    run's activations as soon as its backward part is done: about 2 sqrt(m)
    saved activations alive instead of m, for about one more forward
    pass. With `budget` instead, the number of runs is the fewest whose
    estimated activation bytes (kept values plus the largest run's
    recomputed ones, from their shapes) fit. Recomputed ops read kept
    values and parameters through
    `dr1.barrier` (a short-lived copy per run), so CSE merges neither them
    nor what they lower to (a linear's transposed weights) with the
    forward pass's.

    Before (forward ops %a, %b, %c, %d in two runs; the backward pass
    reads %a):
    ```mlir
    %a = dr1.linear %x, %w1 : ...
    %b = dr1.relu %a : ...          // last of run 0: kept
    %c = dr1.linear %b, %w2 : ...
    %d = dr1.reduce_sum %c : ...    // run 1 (the last): kept
    ...
    %g = dr1.greater %a, %zero : ...
    ```
    After:
    ```mlir
    ...
    %x2 = dr1.barrier %x : ...
    %w12 = dr1.barrier %w1 : ...
    %a2 = dr1.linear %x2, %w12 : ...     // %a recomputed
    %g = dr1.greater %a2, %zero : ...
    ```
  }];
  let options = [
    Option<"segments", "segments", "int64_t", "0",
           "runs of forward ops (0: ceil(sqrt(m)), or as the budget says)">,
    Option<"budget", "budget", "int64_t", "0",
           "bytes of saved activations the backward pass may hold at once "
           "(estimated from their shapes); with segments = 0: none if they "
           "all fit, else the fewest runs that fit, else the fewest bytes">,
  ];
  let statistics = [
    Statistic<"numRecomputedOps", "recomputed-ops",
              "forward ops cloned into the backward pass">,
  ];
  let dependentDialects = ["mlir::dr1::Dr1Dialect"];
}

def TrainStep : Pass<"dr1-train-step", "ModuleOp"> {
  let summary = "Build one training step (forward, backward, optimizer update) from a gradient function";
  let description = [{
    For every gradient function `@<f>_grad` (from `dr1-autodiff`), adds
    `@<f>_train_step`: it takes `@<f>`'s arguments, then the optimizer
    state (SGD with momentum: one velocity per trainable argument; Adam and
    AdamW: first and second moments per trainable argument, then a step
    counter), then the learning rate as a 0-d f32 tensor (a run-time value:
    schedules need no recompilation). It returns `@<f>`'s results (the loss
    first), then every updated trainable argument, then the updated state.
    Each updated value carries `dr1.tied = <argument index>`: the compiler
    writes it into that argument's buffer, so a step updates parameters and
    optimizer state in place. The update rules are PyTorch's (SGD with
    dampening 0; Adam with bias correction and L2 weight decay; AdamW with
    decoupled weight decay), built from dr1 ops so they fuse with the
    backward pass.

    Before (after `dr1-autodiff`):
    ```mlir
    func.func @loss(%w: tensor<3x4xf32> {dr1.trainable, dr1.name = "w"}, %x: tensor<2x4xf32>) -> tensor<f32>
    func.func @loss_grad(%w: ..., %x: ...) -> (tensor<f32>, tensor<3x4xf32>)
        attributes {dr1.gradient_of = @loss}
    ```
    After `--dr1-train-step=optimizer=sgd` (besides both): the gradient
    function's body, with each update placed as soon as its gradient is
    complete and nothing reads the parameter any more (gradients die at
    once instead of piling up until the end of the backward pass):
    ```mlir
    func.func @loss_train_step(%w: tensor<3x4xf32> {dr1.trainable, dr1.name = "w"},
                               %x: tensor<2x4xf32>, %lr: tensor<f32> {dr1.name = "lr"})
        -> (tensor<f32>, tensor<3x4xf32> {dr1.name = "w", dr1.tied = 0 : i64})
        attributes {dr1.optimizer = "sgd", dr1.train_step_of = @loss} {
      %y = dr1.linear %x, %w : ...
      %l = dr1.reduce_sum %y : (tensor<2x3xf32>) -> tensor<f32>
      ...
      %dw = dr1.matmul %gt, %x : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
      %u = dr1.mul %lr, %dw : (tensor<f32>, tensor<3x4xf32>) -> tensor<3x4xf32>
      %nw = dr1.sub %w, %u : ...
      return %l, %nw : tensor<f32>, tensor<3x4xf32>
    }
    ```
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", "\"sgd\"",
           "sgd, adam or adamw">,
    Option<"momentum", "momentum", "double", "0.0", "SGD momentum">,
    Option<"weightDecay", "weight-decay", "double", "0.0",
           "L2 penalty (SGD, Adam) or decoupled decay (AdamW)">,
    Option<"beta1", "beta1", "double", "0.9", "Adam's first-moment decay">,
    Option<"beta2", "beta2", "double", "0.999", "Adam's second-moment decay">,
    Option<"epsilon", "epsilon", "double", "1e-8", "Adam's denominator term">,
  ];
  let dependentDialects = ["mlir::dr1::Dr1Dialect", "mlir::func::FuncDialect"];
}

def PlanWorkspace : Pass<"dr1-plan-workspace", "ModuleOp"> {
  let summary = "Place every intermediate buffer in one caller-owned workspace";
  let description = [{
    After bufferization, each static `memref.alloc` in a public function
    becomes a `memref.view` into a new trailing `memref<Nxi8>` argument, the
    workspace the caller passes, at a 64-byte aligned offset; deallocations
    go away. The function gets `dr1.workspace_size = N`. Compiled models thus
    need no heap: the header exports N and the caller owns the memory.

    Buffers whose lifetimes do not overlap share memory: lifetimes are
    measured in positions of the function's top-level ops, from a buffer's
    first use to its last (a buffer used in a loop lives for the whole loop;
    views and loop results extend it), and
    offsets are assigned greedily, largest buffer first, at the lowest
    offset free during its lifetime. The most bytes simultaneously live is
    recorded as `dr1.workspace_lower_bound`. Scratch buffers inside parallel
    loops (`scf.forall`, `scf.parallel`) belong to one thread each and become
    stack allocations (`memref.alloca`) instead.

    Before:
    ```mlir
    func.func @f(%a: memref<4xf32>, %out: memref<4xf32>) {
      %t = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
      ...
    }
    ```
    After:
    ```mlir
    func.func @f(%a: memref<4xf32>, %out: memref<4xf32>, %ws: memref<16xi8>)
        attributes {dr1.workspace_size = 16 : i64} {
      %c0 = arith.constant 0 : index
      %t = memref.view %ws[%c0][] : memref<16xi8> to memref<4xf32>
      ...
    }
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "64",
           "Alignment in bytes of every buffer in the workspace">,
    Option<"reuse", "reuse", "bool", "true",
           "Let buffers with disjoint lifetimes share memory">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

#endif // DR1_PASSES_TD
