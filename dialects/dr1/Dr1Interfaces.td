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

#endif // DR1_INTERFACES_TD
