//===- Dr1Interfaces.td - dr1 op interfaces ----------------*- tablegen -*-===//
//
// Properties passes read instead of switching over op names.
//
//===----------------------------------------------------------------------===//

#ifndef DR1_INTERFACES_TD
#define DR1_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Dr1_QuantizableOpInterface : OpInterface<"QuantizableOpInterface"> {
  let cppNamespace = "::mlir::dr1";
  let description = [{
    A product of an activation with a weight (matmul, linear, convolution)
    that can run on integers: the activation quantized per tensor, the
    weight per output channel, accumulated in i32 and dequantized per
    output channel. Operand 0 is the activation, operand 1 the weight and
    an optional operand 2 the bias, whose element type is the result's
    (i32 for integer operands). Read by `dr1-quantize` and by calibration,
    which records the activation's range on the op.
  }];
  let methods = [
    InterfaceMethod<"The weight dimension that indexes output channels.",
                    "int64_t", "getWeightChannelAxis">,
    InterfaceMethod<"The result dimension that indexes output channels.",
                    "int64_t", "getResultChannelAxis">,
    InterfaceMethod<[{The weight dimensions summed into one output channel
                      (all others but the channel axis, for weights that
                      are not batched).}],
                    "::llvm::SmallVector<int64_t>", "getWeightReductionDims">,
    InterfaceMethod<[{Records the activation's zero point on the integer
                      form of the op (convolutions pad with it).}],
                    "void", "setActivationZeroPoint", (ins "int64_t":$zp),
                    [{}], [{ (void)zp; }]>,
  ];
}

def Dr1_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::dr1";
  let description = [{
    The op's gradient rule, read by `dr1-autodiff`: given the gradient of a
    scalar loss with respect to the op's result, build (with dr1 ops, at the
    builder's insertion point) the gradients with respect to its operands.
    Every gradient has its operand's type; operands that take no gradient
    (integer indices, for instance) get a null value. The forward values the
    rule needs (operands, result) are used as they are: they are computed
    before the backward pass runs.
  }];
  let methods = [
    InterfaceMethod<[{Appends one gradient per operand to `operandGrads`
                      (null where none flows). Fails, with an error on the
                      op, where the op is not differentiable in this form.}],
                    "::llvm::LogicalResult", "buildGradients",
                    (ins "::mlir::OpBuilder &":$b,
                         "::mlir::Value":$outputGrad,
                         "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif // DR1_INTERFACES_TD
