//===- Patterns.h - dr1 to linalg patterns, by op family --------*- C++ -*-===//
#ifndef DR1_CONVERSION_DR1TOLINALG_PATTERNS_H
#define DR1_CONVERSION_DR1TOLINALG_PATTERNS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dr1 {

void populateElementwisePatterns(RewritePatternSet &patterns);
void populateMatrixProductPatterns(RewritePatternSet &patterns);
void populateAttentionPatterns(RewritePatternSet &patterns);
void populateConvPoolPatterns(RewritePatternSet &patterns);
void populateNormalizationPatterns(RewritePatternSet &patterns);
void populateReductionPatterns(RewritePatternSet &patterns);
void populateDataMovementPatterns(RewritePatternSet &patterns);
void populateQuantizePatterns(RewritePatternSet &patterns);

//===----------------------------------------------------------------------===//
// Helpers shared by the pattern files.
//===----------------------------------------------------------------------===//

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

inline RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// A scalar constant of a float or integer type.
Value scalarConstant(OpBuilder &b, Location loc, Type elt, double value);
/// The identity of max: -inf for floats, the smallest signed integer.
Value lowestValue(OpBuilder &b, Location loc, Type elt);
/// tensor.empty + linalg.fill.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Value scalar);
/// Map from the output's dims to an operand broadcast to it numpy-style.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> inShape,
                       ArrayRef<int64_t> outShape);
/// linalg.generic computing `body(inputs...)` elementwise, each input
/// broadcast to `resultType`.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       RankedTensorType resultType, BodyFn body);
/// linalg.transpose; a constant operand is transposed at compile time.
Value transposeValue(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> perm);
/// Row-major reshape through collapse/expand_shape (static shapes); a
/// constant operand is reshaped at compile time.
Value reshapeValue(OpBuilder &b, Location loc, Value v,
                   ArrayRef<int64_t> shape);
/// Fails with a message when `t` is not statically shaped.
LogicalResult requireStatic(PatternRewriter &rewriter, Operation *op);

/// Reduces `x` over the sorted, unique `dims` with `combine(element, acc)`,
/// starting from `init`; the reduced dims are dropped from the result.
Value reduceDims(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> dims,
                 Value init,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> combine);
/// Elementwise over `x`'s shape; each of `reduced` has `dims` removed and is
/// broadcast back along them. `body` gets x's element, then theirs.
Value mapWithReduced(OpBuilder &b, Location loc, Value x, ValueRange reduced,
                     ArrayRef<int64_t> dims, Type resultElt, BodyFn body);

// Scalar arithmetic that picks the float or integer arith op.
Value addS(OpBuilder &b, Location loc, Value x, Value y);
Value subS(OpBuilder &b, Location loc, Value x, Value y);
Value mulS(OpBuilder &b, Location loc, Value x, Value y);
Value divS(OpBuilder &b, Location loc, Value x, Value y);
Value maxS(OpBuilder &b, Location loc, Value x, Value y);
Value minS(OpBuilder &b, Location loc, Value x, Value y);
/// Element type conversion with C semantics (float->int truncates).
Value convertScalar(OpBuilder &b, Location loc, Value x, Type to);

} // namespace mlir::dr1

#endif // DR1_CONVERSION_DR1TOLINALG_PATTERNS_H
