//===- Dr1Ops.h - dr1 operations --------------------------------*- C++ -*-===//
#ifndef DR1_DIALECT_DR1OPS_H
#define DR1_DIALECT_DR1OPS_H

#include "dr1/Dr1Dialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::OpTrait::dr1 {
/// Result elements depend only on operand elements at the same (broadcast)
/// position. Read by fusion and quantization.
template <typename ConcreteType>
class Elementwise : public TraitBase<ConcreteType, Elementwise> {};
} // namespace mlir::OpTrait::dr1

namespace mlir::dr1 {
/// Numpy broadcast of two static shapes; failure if incompatible.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b);
/// Normalizes a possibly negative axis against `rank`; failure if out of range.
FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);
/// Output size of a sliding window along one dimension.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBefore, int64_t padAfter, int64_t dilation,
                         bool ceilMode);
/// Transposes a dense or resource constant; null if its data is not at hand.
ElementsAttr transposeElements(ElementsAttr attr, ArrayRef<int64_t> perm);
/// The raw little-endian bytes behind a dense (non-splat) or resource
/// constant of a byte-addressable element type; nullopt otherwise.
std::optional<ArrayRef<char>> getRawConstantData(ElementsAttr attr);
/// The values of an f32 dense or resource constant; nullopt otherwise.
std::optional<std::vector<float>> getF32Values(ElementsAttr attr);
/// The same elements under a new shape; null if the data is not at hand.
ElementsAttr reshapeElements(ElementsAttr attr, ArrayRef<int64_t> shape);

/// Creates `dr1.<name>` at the builder's insertion point. Null entries of
/// `operands` are absent optional operands. The result type is `resultType`
/// where given (ops without type inference, such as reshape and cast, need
/// it; ops with it must accept it), else the inferred one. Unlike the ODS
/// builders, invalid operands are not fatal: the error goes to the diagnostic
/// handler and nothing is created. For frontends (ONNX importer, Python tracer)
/// that build ops from untrusted input.
FailureOr<Value> buildOp(OpBuilder &b, Location loc, StringRef name,
                         ArrayRef<Value> operands,
                         ArrayRef<NamedAttribute> attributes,
                         Type resultType = {});
} // namespace mlir::dr1

#include "dr1/Dr1Interfaces.h.inc"

#define GET_OP_CLASSES
#include "dr1/Dr1Ops.h.inc"

namespace mlir::dr1 {
/// 1 / (elements averaged) for each output position [oh, ow] of an average
/// pool, row-major: windows clipped to input + explicit padding, and to the
/// input alone without count_include_pad (PyTorch / ONNX semantics).
std::vector<float> avgPoolReciprocalCounts(AvgPool2DOp op);
} // namespace mlir::dr1

#endif // DR1_DIALECT_DR1OPS_H
