//===- Dr1Ops.td - dr1 operations --------------------------*- tablegen -*-===//
//
// Op semantics live here: operands, attributes, type inference, folding.
// Later passes (lowering, fusion, quantization, autodiff) work over these
// definitions and their interfaces rather than over op names.
//
//===----------------------------------------------------------------------===//

#ifndef DR1_OPS_TD
#define DR1_OPS_TD

include "Dr1Dialect.td"
include "Dr1Interfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Dr1_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Dr1_NumericTensor : RankedTensorOf<[AnyFloat, AnySignlessInteger]>;
def Dr1_IndexTensor : RankedTensorOf<[AnySignlessInteger]>;
def Dr1_AnyTensor : RankedTensorOf<[AnyType]>;

/// Marks ops whose result element (i, j, ...) depends only on operand
/// elements at the same (broadcast) position: fusion and quantization read it.
def Dr1_Elementwise : NativeOpTrait<"dr1::Elementwise"> {
  let cppNamespace = "::mlir::OpTrait";
}

/// Ops with a gradient rule (Dr1Gradients.cpp), read by dr1-autodiff.
defvar Dr1_Differentiable =
    DeclareOpInterfaceMethods<Dr1_DifferentiableOpInterface>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Dr1_ConstantOp : Dr1_Op<"constant", [ConstantLike, Pure,
                                         InferTypeOpAdaptor]> {
  let summary = "A constant tensor (weights, biases, literals)";
  let description = [{
    Produces a tensor with the given elements. Weights normally arrive as
    `dense_resource` blobs (binary, never printed as decimals); small
    literals as `dense` attributes.

    ```mlir
    %w = dr1.constant dense_resource<fc1.weight> : tensor<256x784xf32>
    %c = dr1.constant dense<1.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

def Dr1_MatmulOp : Dr1_Op<"matmul", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Dr1_QuantizableOpInterface>]> {
  let summary = "Batched matrix product with numpy broadcasting of batch dims";
  let description = [{
    `lhs` is `[..., M, K]`, `rhs` is `[..., K, N]`; the leading (batch)
    dimensions broadcast as in numpy. Both operands have rank >= 2.
    Integer operands narrower than 32 bits (quantized values) give an i32
    result: products accumulate in i32. Float operands may differ in width
    (f16 / bf16 weights by f32 activations are computed in f32); an f16 or
    bf16 product may return f32, its sums kept in f32.

    ```mlir
    %y = dr1.matmul %a, %b : (tensor<8x64x32xf32>, tensor<32x16xf32>) -> tensor<8x64x16xf32>
    ```
  }];
  let arguments = (ins Dr1_NumericTensor:$lhs, Dr1_NumericTensor:$rhs);
  let results = (outs Dr1_NumericTensor:$output);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Dr1_LinearOp : Dr1_Op<"linear", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Dr1_QuantizableOpInterface>]> {
  let summary = "Fully connected layer: y = x * W^T + b";
  let description = [{
    `input` is `[..., K]`, `weight` is `[N, K]` (PyTorch's layout), the
    optional `bias` is `[N]`; the result is `[..., N]`. Integer input and
    weight narrower than 32 bits accumulate in, and return, i32; the bias
    is then i32 too. Float input and weight may differ in width (computed
    in the wider type); an f16 / bf16 product with an f32 bias, or declared
    f32, returns f32.

    ```mlir
    %y = dr1.linear %x, %w, %b : (tensor<4x784xf32>, tensor<256x784xf32>, tensor<256xf32>) -> tensor<4x256xf32>
    ```
  }];
  let arguments = (ins Dr1_NumericTensor:$input, Dr1_NumericTensor:$weight,
                   Optional<Dr1_NumericTensor>:$bias);
  let results = (outs Dr1_NumericTensor:$output);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Dr1_GemmOp : Dr1_Op<"gemm", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor]> {
  let summary = "General matrix multiply: y = alpha * op(A) * op(B) + beta * C";
  let description = [{
    ONNX's Gemm: `a` and `b` are 2-D, transposed first when `trans_a` /
    `trans_b` are set; the optional `c` broadcasts to `[M, N]`.

    ```mlir
    %y = dr1.gemm %a, %b, %c {trans_b = true} : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ```
  }];
  let arguments = (ins Dr1_NumericTensor:$a, Dr1_NumericTensor:$b,
                   Optional<Dr1_NumericTensor>:$c,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_b,
                   DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0f">:$beta);
  let results = (outs Dr1_NumericTensor:$output);
  let assemblyFormat = "$a `,` $b (`,` $c^)? attr-dict `:` "
                       "functional-type(operands, results)";
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Dr1_AttentionOp : Dr1_Op<"attention", [Pure, InferTypeOpAdaptor,
                                           Dr1_Differentiable]> {
  let summary = "Scaled dot-product attention: softmax(q * kt * scale + mask) * v";
  let description = [{
    `query` is `[..., Sq, D]`, `key_t` the keys already transposed,
    `[..., D, Sk]`, `value` is `[..., Sk, Dv]`; the batch dimensions `...`
    (batch, heads) are the same for all three. The optional additive `mask`
    broadcasts (numpy-style) to the scores, `[..., Sq, Sk]`. The result is
    `[..., Sq, Dv]`. Produced by `dr1-fuse-attention` from the matmul,
    scale, mask, softmax, matmul chain; it lowers to a loop over key blocks
    with an online softmax, so the `Sq x Sk` scores are never stored whole.
    Its gradient recomputes the probabilities (as FlashAttention's backward
    pass does).

    ```mlir
    %o = dr1.attention %q, %kt, %v mask %m {scale = 0.125 : f32}
        : (tensor<2x4x128x64xf32>, tensor<2x4x64x128xf32>, tensor<2x4x128x64xf32>,
           tensor<2x1x1x128xf32>) -> tensor<2x4x128x64xf32>
    ```
  }];
  let arguments = (ins Dr1_FloatTensor:$query, Dr1_FloatTensor:$key_t,
                   Dr1_FloatTensor:$value, Optional<Dr1_FloatTensor>:$mask,
                   DefaultValuedAttr<F32Attr, "1.0f">:$scale);
  let results = (outs Dr1_FloatTensor:$output);
  let assemblyFormat = "$query `,` $key_t `,` $value (`mask` $mask^)? attr-dict "
                       "`:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Convolution, normalization, pooling
//===----------------------------------------------------------------------===//

def Dr1_Conv2DOp : Dr1_Op<"conv2d", [Pure, Dr1_Differentiable, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Dr1_QuantizableOpInterface,
                              ["setActivationZeroPoint"]>]> {
  let summary = "2-D convolution, NCHW activations, FCHW filters, groups";
  let description = [{
    `input` is `[N, C, H, W]`, `weight` is `[F, C / groups, KH, KW]`, the
    optional `bias` is `[F]`. `padding` is `[top, left, bottom, right]`.
    `groups == C == F` is a depthwise convolution. Integer input and
    weight narrower than 32 bits accumulate in, and return, i32 (the bias
    too); padded positions then hold `pad_value`, the input's zero point,
    so that they stand for a real 0. Float convolutions pad with 0. Float
    input and weight may differ in width, and f16 / bf16 products may
    return f32, as for `dr1.linear`.

    ```mlir
    %y = dr1.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
        : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
    ```
  }];
  let arguments = (ins Dr1_NumericTensor:$input, Dr1_NumericTensor:$weight,
                   Optional<Dr1_NumericTensor>:$bias,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                   DefaultValuedAttr<I64Attr, "1">:$groups,
                   DefaultValuedAttr<I64Attr, "0">:$pad_value);
  let results = (outs Dr1_NumericTensor:$output);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Dr1_BatchNormOp : Dr1_Op<"batch_norm", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor]> {
  let summary = "Batch normalization (inference form) over dimension 1";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias`, with `scale`,
    `bias`, `mean` and `var` of shape `[C]` and `input` of shape
    `[N, C, ...]`.
  }];
  let arguments = (ins Dr1_FloatTensor:$input, Dr1_FloatTensor:$scale,
                   Dr1_FloatTensor:$bias, Dr1_FloatTensor:$mean,
                   Dr1_FloatTensor:$var,
                   DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs Dr1_FloatTensor:$output);
  let assemblyFormat = "$input `,` $scale `,` $bias `,` $mean `,` $var "
                       "attr-dict `:` functional-type(operands, results)";
}

class Dr1_Pool2DOp<string mnemonic>
    : Dr1_Op<mnemonic, [Pure, InferTypeOpAdaptor, Dr1_Differentiable]> {
  let results = (outs Dr1_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dr1_MaxPool2DOp : Dr1_Pool2DOp<"max_pool2d"> {
  let summary = "2-D max pooling over NCHW input";
  let description = [{
    Padding is `[top, left, bottom, right]` and never wins the max;
    `ceil_mode` rounds the output size up as ONNX and PyTorch do.

    ```mlir
    %y = dr1.max_pool2d %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}
        : (tensor<1x8x32x32xf32>) -> tensor<1x8x16x16xf32>
    ```
  }];
  let arguments = (ins Dr1_FloatTensor:$input,
                   DenseI64ArrayAttr:$kernel_shape,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode);
}

def Dr1_AvgPool2DOp : Dr1_Pool2DOp<"avg_pool2d"> {
  let summary = "2-D average pooling over NCHW input";
  let description = [{
    With `count_include_pad = false` (the default, as in ONNX) each window
    is divided by the number of input elements it covers.
  }];
  let arguments = (ins Dr1_FloatTensor:$input,
                   DenseI64ArrayAttr:$kernel_shape,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
}

def Dr1_GlobalAvgPoolOp : Dr1_Op<"global_avg_pool", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor]> {
  let summary = "Mean over all spatial dimensions, keeping them as size 1";
  let description = [{
    `[N, C, d1, ..., dk]` becomes `[N, C, 1, ..., 1]`.
  }];
  let arguments = (ins Dr1_FloatTensor:$input);
  let results = (outs Dr1_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dr1_LayerNormOp : Dr1_Op<"layer_norm", [Pure, Dr1_Differentiable,
    AttrSizedOperandSegments,
                                             InferTypeOpAdaptor]> {
  let summary = "Layer normalization over the dimensions from `axis` on";
  let description = [{
    Normalizes over dimensions `[axis, rank)`; the optional `scale` and
    `bias` have the shape of those dimensions (a bias needs a scale).

    ```mlir
    %y = dr1.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f32}
        : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Dr1_FloatTensor:$input,
                   Optional<Dr1_FloatTensor>:$scale,
                   Optional<Dr1_FloatTensor>:$bias,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs Dr1_FloatTensor:$output);
  let assemblyFormat = "$input (`,` $scale^)? (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Dr1_UnaryOp<string mnemonic, Type tensorType, list<Trait> traits = []>
    : Dr1_Op<mnemonic, !listconcat([Pure, Dr1_Elementwise,
                                    SameOperandsAndResultType,
                                    InferTypeOpInterface, Dr1_Differentiable],
                                   traits)> {
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Dr1_ReluOp : Dr1_UnaryOp<"relu", Dr1_NumericTensor> {
  let summary = "max(x, 0)";
}
def Dr1_LeakyReluOp : Dr1_UnaryOp<"leaky_relu", Dr1_FloatTensor> {
  let summary = "x if x >= 0 else alpha * x";
  let arguments = (ins Dr1_FloatTensor:$input,
                   DefaultValuedAttr<F32Attr, "0.01f">:$alpha);
}
def Dr1_ClipOp : Dr1_UnaryOp<"clip", Dr1_FloatTensor> {
  let summary = "min(max(x, min), max); relu6 is clip(x, 0, 6)";
  let arguments = (ins Dr1_FloatTensor:$input, F32Attr:$min, F32Attr:$max);
  let hasVerifier = 1;
}
def Dr1_SigmoidOp : Dr1_UnaryOp<"sigmoid", Dr1_FloatTensor> {
  let summary = "1 / (1 + exp(-x))";
}
def Dr1_HardSigmoidOp : Dr1_UnaryOp<"hard_sigmoid", Dr1_FloatTensor> {
  let summary = "max(0, min(1, alpha * x + beta))";
  let arguments = (ins Dr1_FloatTensor:$input,
                   DefaultValuedAttr<F32Attr, "0.2f">:$alpha,
                   DefaultValuedAttr<F32Attr, "0.5f">:$beta);
}
def Dr1_TanhOp : Dr1_UnaryOp<"tanh", Dr1_FloatTensor> {
  let summary = "Hyperbolic tangent";
}
def Dr1_GeluOp : Dr1_UnaryOp<"gelu", Dr1_FloatTensor> {
  let summary = "Gaussian error linear unit, exact (erf) or tanh form";
  let description = [{
    `approximate = "none"`: `0.5 x (1 + erf(x / sqrt(2)))`;
    `approximate = "tanh"`: `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.
  }];
  let arguments = (ins Dr1_FloatTensor:$input,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let hasVerifier = 1;
}
def Dr1_SiluOp : Dr1_UnaryOp<"silu", Dr1_FloatTensor> {
  let summary = "x * sigmoid(x)";
}
def Dr1_HardSwishOp : Dr1_UnaryOp<"hardswish", Dr1_FloatTensor> {
  let summary = "x * relu6(x + 3) / 6";
}
def Dr1_ExpOp : Dr1_UnaryOp<"exp", Dr1_FloatTensor> { let summary = "e^x"; }
def Dr1_LogOp : Dr1_UnaryOp<"log", Dr1_FloatTensor> {
  let summary = "Natural logarithm";
}
def Dr1_SqrtOp : Dr1_UnaryOp<"sqrt", Dr1_FloatTensor> {
  let summary = "Square root";
}
def Dr1_RsqrtOp : Dr1_UnaryOp<"rsqrt", Dr1_FloatTensor> {
  let summary = "1 / sqrt(x)";
}
def Dr1_ReciprocalOp : Dr1_UnaryOp<"reciprocal", Dr1_FloatTensor> {
  let summary = "1 / x";
}
def Dr1_ErfOp : Dr1_UnaryOp<"erf", Dr1_FloatTensor> {
  let summary = "Gauss error function";
}
def Dr1_RoundOp : Dr1_UnaryOp<"round", Dr1_FloatTensor> {
  let summary = "Round to the nearest integer, ties to even";
}
def Dr1_NegOp : Dr1_UnaryOp<"neg", Dr1_NumericTensor> {
  let summary = "-x";
  let hasFolder = 1;
}
def Dr1_AbsOp : Dr1_UnaryOp<"abs", Dr1_NumericTensor> {
  let summary = "|x|";
}

class Dr1_BinaryOp<string mnemonic, Type tensorType, list<Trait> traits = []>
    : Dr1_Op<mnemonic, !listconcat([Pure, Dr1_Elementwise, InferTypeOpAdaptor,
                                    Dr1_Differentiable], traits)> {
  let description = [{
    Elementwise with numpy broadcasting: shapes are aligned at the right
    and each pair of dimensions must be equal or one of them 1. Both
    operands have the same element type.
  }];
  let arguments = (ins tensorType:$lhs, tensorType:$rhs);
  let results = (outs tensorType:$output);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Dr1_AddOp : Dr1_BinaryOp<"add", Dr1_NumericTensor, [Commutative]> {
  let summary = "lhs + rhs";
  let hasFolder = 1;
}
def Dr1_SubOp : Dr1_BinaryOp<"sub", Dr1_NumericTensor> {
  let summary = "lhs - rhs";
  let hasFolder = 1;
}
def Dr1_MulOp : Dr1_BinaryOp<"mul", Dr1_NumericTensor, [Commutative]> {
  let summary = "lhs * rhs";
  let hasFolder = 1;
}
def Dr1_DivOp : Dr1_BinaryOp<"div", Dr1_NumericTensor> {
  let summary = "lhs / rhs (integers: truncating, as C)";
  let hasFolder = 1;
}
def Dr1_PowOp : Dr1_BinaryOp<"pow", Dr1_FloatTensor> {
  let summary = "lhs ^ rhs";
}
def Dr1_MaxOp : Dr1_BinaryOp<"max", Dr1_NumericTensor, [Commutative]> {
  let summary = "max(lhs, rhs)";
}
def Dr1_MinOp : Dr1_BinaryOp<"min", Dr1_NumericTensor, [Commutative]> {
  let summary = "min(lhs, rhs)";
}

class Dr1_CompareOp<string mnemonic> : Dr1_Op<mnemonic, [Pure, Dr1_Elementwise,
                                                         InferTypeOpAdaptor]> {
  let description = [{
    Elementwise comparison with numpy broadcasting; the result is `i1`.
  }];
  let arguments = (ins Dr1_NumericTensor:$lhs, Dr1_NumericTensor:$rhs);
  let results = (outs RankedTensorOf<[I1]>:$output);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Dr1_EqualOp : Dr1_CompareOp<"equal"> { let summary = "lhs == rhs"; }
def Dr1_LessOp : Dr1_CompareOp<"less"> { let summary = "lhs < rhs"; }
def Dr1_GreaterOp : Dr1_CompareOp<"greater"> { let summary = "lhs > rhs"; }

def Dr1_WhereOp : Dr1_Op<"where", [Pure, Dr1_Differentiable,
    Dr1_Elementwise, InferTypeOpAdaptor]> {
  let summary = "condition ? lhs : rhs, elementwise with numpy broadcasting";
  let arguments = (ins RankedTensorOf<[I1]>:$condition, Dr1_AnyTensor:$lhs,
                   Dr1_AnyTensor:$rhs);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$condition `,` $lhs `,` $rhs attr-dict `:` "
                       "functional-type(operands, results)";
}

def Dr1_BroadcastOp : Dr1_Op<"broadcast", [Pure, Dr1_Elementwise,
                                           Dr1_Differentiable]> {
  let summary = "Repeat a tensor along dimensions to a larger shape (numpy broadcast_to)";
  let description = [{
    The result's shape is the input's broadcast numpy-style: the input's
    dimensions align at the right, each equal to the result's or 1, and
    missing leading dimensions are added. Gradients of reductions use it;
    it fuses into its consumers like any elementwise op.

    ```mlir
    %y = dr1.broadcast %x : tensor<4x1xf32> -> tensor<2x4x8xf32>
    ```
  }];
  let arguments = (ins Dr1_AnyTensor:$input);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dr1_BarrierOp : Dr1_Op<"barrier", [Pure, SameOperandsAndResultType,
                                       Dr1_Differentiable]> {
  let summary = "The operand, as a value optimizations do not look through";
  let description = [{
    Returns its operand. Rematerialization (dr1-rematerialize) reads
    checkpoints through it, so that the recomputed ops it clones differ
    from the forward pass's and common-subexpression elimination cannot
    merge them back (which would keep every activation alive again). It
    lowers to a copy into a fresh tensor (bufferization.alloc_tensor), one
    pass over the checkpoint per recomputed segment.

    ```mlir
    %c2 = dr1.barrier %c : tensor<8x64xf32>
    ```
  }];
  let arguments = (ins Dr1_AnyTensor:$input);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Dr1_CastOp : Dr1_Op<"cast", [Pure, Dr1_Differentiable, Dr1_Elementwise]> {
  let summary = "Element type conversion";
  let description = [{
    Converts every element; floats to integers truncate toward zero,
    integers are signed. The shape does not change.

    ```mlir
    %y = dr1.cast %x : tensor<4xf32> to tensor<4xi32>
    ```
  }];
  let arguments = (ins Dr1_AnyTensor:$input);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def Dr1_QuantizeOp : Dr1_Op<"quantize", [Pure, Dr1_Elementwise]> {
  let summary = "Affine quantization: clamp(round(x / scale) + zero_point)";
  let description = [{
    Maps floats to integers of the result's element type: divides by
    `scale`, rounds half to even (as ONNX's QuantizeLinear), adds
    `zero_point` and saturates to the type's signed range. One scale and
    zero point quantize the whole tensor; with `axis`, there is one per
    index of that dimension (per output channel, for weights). A constant
    input folds to quantized constant data.

    ```mlir
    %q = dr1.quantize %x {scale = array<f32: 0.02>, zero_point = array<i64: -3>}
        : tensor<1x64xf32> to tensor<1x64xi8>
    %w = dr1.quantize %wf {scale = array<f32: 0.01, 0.03>, zero_point = array<i64: 0, 0>, axis = 0 : i64}
        : tensor<2x64xf32> to tensor<2x64xi8>
    ```
  }];
  let arguments = (ins Dr1_FloatTensor:$input, DenseF32ArrayAttr:$scale,
                   DenseI64ArrayAttr:$zero_point, OptionalAttr<I64Attr>:$axis);
  let results = (outs RankedTensorOf<[AnySignlessInteger]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dr1_DequantizeOp : Dr1_Op<"dequantize", [Pure, Dr1_Elementwise]> {
  let summary = "Integers back to floats: (q - zero_point) * scale";
  let description = [{
    The inverse of `dr1.quantize`, with the same `scale`, `zero_point` and
    `axis` conventions. Applied to an i32 accumulator of an integer product,
    `scale` is the product of the operands' scales (per output channel).

    ```mlir
    %y = dr1.dequantize %acc {scale = array<f32: 2.0e-4, 6.0e-4>, zero_point = array<i64: 0, 0>, axis = 1 : i64}
        : tensor<1x2xi32> to tensor<1x2xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnySignlessInteger]>:$input,
                   DenseF32ArrayAttr:$scale, DenseI64ArrayAttr:$zero_point,
                   OptionalAttr<I64Attr>:$axis);
  let results = (outs Dr1_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

def Dr1_SoftmaxOp : Dr1_Op<"softmax", [Pure, Dr1_Differentiable,
    SameOperandsAndResultType,
                                       InferTypeOpInterface]> {
  let summary = "exp(x - max) / sum(exp(x - max)) along `axis`";
  let arguments = (ins Dr1_FloatTensor:$input,
                   DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Dr1_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Dr1_LogSoftmaxOp : Dr1_Op<"log_softmax", [Pure, Dr1_Differentiable,
    SameOperandsAndResultType,
                                              InferTypeOpInterface]> {
  let summary = "x - max - log(sum(exp(x - max))) along `axis`";
  let arguments = (ins Dr1_FloatTensor:$input,
                   DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Dr1_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class Dr1_ReduceOp<string mnemonic, Type tensorType>
    : Dr1_Op<mnemonic, [Pure, InferTypeOpAdaptor, Dr1_Differentiable]> {
  let description = [{
    Reduces over `axes` (negative values count from the end; empty means
    all dimensions). With `keepdims` the reduced dimensions stay as size 1.

    ```mlir
    %s = dr1.reduce_sum %x {axes = array<i64: -1>, keepdims = true}
        : (tensor<2x8xf32>) -> tensor<2x1xf32>
    ```
  }];
  let arguments = (ins tensorType:$input,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes,
                   DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs tensorType:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dr1_ReduceSumOp : Dr1_ReduceOp<"reduce_sum", Dr1_NumericTensor> {
  let summary = "Sum over axes";
}
def Dr1_ReduceMeanOp : Dr1_ReduceOp<"reduce_mean", Dr1_FloatTensor> {
  let summary = "Arithmetic mean over axes";
}
def Dr1_ReduceMaxOp : Dr1_ReduceOp<"reduce_max", Dr1_NumericTensor> {
  let summary = "Maximum over axes";
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Dr1_ReshapeOp : Dr1_Op<"reshape", [Pure, Dr1_Differentiable]> {
  let summary = "Same elements in row-major order, new shape";
  let description = [{
    The result type gives the new shape; the element count must match.

    ```mlir
    %y = dr1.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
    ```
  }];
  let arguments = (ins Dr1_AnyTensor:$input);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dr1_FlattenOp : Dr1_Op<"flatten", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor]> {
  let summary = "Collapse to 2-D: dims before `axis` and dims from `axis` on";
  let arguments = (ins Dr1_AnyTensor:$input,
                   DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasCanonicalizer = 1;
}

def Dr1_TransposeOp : Dr1_Op<"transpose", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor]> {
  let summary = "Permute dimensions: result dim i is input dim perm[i]";
  let arguments = (ins Dr1_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Dr1_ConcatOp : Dr1_Op<"concat", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor]> {
  let summary = "Join tensors along `axis`";
  let arguments = (ins Variadic<Dr1_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Dr1_SliceOp : Dr1_Op<"slice", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor]> {
  let summary = "Strided slice: elements start, start + step, ... < end per dim";
  let description = [{
    One entry per dimension in each of `starts`, `ends`, `steps`, with
    `0 <= start <= end <= dim` and `step >= 1` (frontends normalize
    negative and out-of-range values first).

    ```mlir
    %y = dr1.slice %x {starts = array<i64: 0, 1>, ends = array<i64: 4, 8>, steps = array<i64: 1, 2>}
        : (tensor<4x8xf32>) -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins Dr1_AnyTensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Dr1_PadOp : Dr1_Op<"pad", [Pure, Dr1_Differentiable]> {
  let summary = "Place a tensor's elements at strided positions of a filled tensor";
  let description = [{
    The result (its type gives the shape) holds `value` everywhere except at
    `low[d] + i * strides[d]` in each dimension `d`, where it holds the
    input's element `i`. With unit strides this is padding; with larger
    strides it spreads the input out (the gradient of a strided `dr1.slice`,
    and of a strided convolution's input).

    ```mlir
    %y = dr1.pad %x {low = array<i64: 0, 1>, strides = array<i64: 1, 2>}
        : tensor<2x3xf32> -> tensor<2x7xf32>
    ```
  }];
  let arguments = (ins Dr1_AnyTensor:$input, DenseI64ArrayAttr:$low,
                   DenseI64ArrayAttr:$strides,
                   DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def Dr1_GatherOp : Dr1_Op<"gather", [Pure, Dr1_Differentiable,
    InferTypeOpAdaptor]> {
  let summary = "Take slices of `data` along `axis` at `indices` (embedding lookup)";
  let description = [{
    The result shape is `data.shape[:axis] + indices.shape +
    data.shape[axis+1:]`. Negative indices count from the end, as in
    numpy and ONNX; out-of-range indices are clamped.

    ```mlir
    %e = dr1.gather %table, %ids {axis = 0 : i64}
        : (tensor<1000x64xf32>, tensor<2x16xi64>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Dr1_AnyTensor:$data, Dr1_IndexTensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Dr1_AnyTensor:$output);
  let assemblyFormat = "$data `,` $indices attr-dict `:` "
                       "functional-type(operands, results)";
}

#endif // DR1_OPS_TD
