//===- Dr1Dialect.td - the dr1 dialect ---------------------*- tablegen -*-===//
//
// The tensor-level dialect every dr1 frontend (Python tracer, ONNX importer,
// hand-written MLIR) produces and every dr1 graph pass consumes.
//
//===----------------------------------------------------------------------===//

#ifndef DR1_DIALECT_TD
#define DR1_DIALECT_TD

include "mlir/IR/OpBase.td"

def Dr1_Dialect : Dialect {
  let name = "dr1";
  let cppNamespace = "::mlir::dr1";
  let summary = "Tensor-level neural-network operations for the dr1 compiler";
  let description = [{
    The `dr1` dialect describes a neural network as a function over ranked,
    statically shaped tensors. Ops are generic over the element type where
    the math allows it (floating point for transcendental functions, any
    integer or float for arithmetic and data movement), so that later
    passes can change precision per op without a parallel set of ops.

    Every op infers its result type from its operands and attributes (except
    `reshape` and `cast`, whose result type is the point of the op) and
    verifies its operands with a message that names the offending operand
    and dimension. Layout conventions follow ONNX and PyTorch: activations
    of convolutions and pools are NCHW, filters are FCHW (F output
    channels, C input channels per group).

    A small model:

    ```mlir
    func.func @forward(%x: tensor<1x784xf32>) -> tensor<1x10xf32> {
      %w = dr1.constant dense_resource<w0> : tensor<10x784xf32>
      %b = dr1.constant dense<0.0> : tensor<10xf32>
      %y = dr1.linear %x, %w, %b : (tensor<1x784xf32>, tensor<10x784xf32>, tensor<10xf32>) -> tensor<1x10xf32>
      %z = dr1.softmax %y {axis = -1 : i64} : tensor<1x10xf32>
      return %z : tensor<1x10xf32>
    }
    ```
  }];
  let hasConstantMaterializer = 1;
}

class Dr1_Op<string mnemonic, list<Trait> traits = []>
    : Op<Dr1_Dialect, mnemonic, traits>;

#endif // DR1_DIALECT_TD
