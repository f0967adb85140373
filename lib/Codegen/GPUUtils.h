//===- GPUUtils.h - shared by the GPU kernel-forming passes ---------------===//
#ifndef DR1_CODEGEN_GPUUTILS_H
#define DR1_CODEGEN_GPUUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::dr1 {

/// `v` can be recomputed inside a kernel: a weight, or a view of one.
inline bool gpuSinkable(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (isa<memref::GetGlobalOp, arith::ConstantOp>(def))
    return true;
  if (!isa<ViewLikeOpInterface>(def) || def->getNumRegions() != 0)
    return false;
  return llvm::all_of(def->getOperands(), gpuSinkable);
}

inline Value gpuSinkInto(OpBuilder &b, Value v, IRMapping &map) {
  if (Value done = map.lookupOrNull(v))
    return done;
  Operation *def = v.getDefiningOp();
  for (Value operand : def->getOperands())
    gpuSinkInto(b, operand, map);
  Operation *clone = b.clone(*def, map);
  return clone->getResult(cast<OpResult>(v).getResultNumber());
}

/// Weights (memref.get_global and views of them) used in `region` are
/// re-created at the start of its entry block: a host address means nothing
/// to a kernel, a global inside the device module does.
inline void gpuSinkWeights(Operation *kernel, Region &region) {
  SetVector<Value> outside;
  region.walk([&](Operation *op) {
    for (Value v : op->getOperands())
      if (auto *def = v.getDefiningOp(); def && !kernel->isAncestor(def) &&
                                         gpuSinkable(v) &&
                                         !isa<arith::ConstantOp>(def))
        outside.insert(v);
  });
  OpBuilder b = OpBuilder::atBlockBegin(&region.front());
  IRMapping map;
  for (Value v : outside) {
    Value inside = gpuSinkInto(b, v, map);
    v.replaceUsesWithIf(inside, [&](OpOperand &use) {
      return kernel->isAncestor(use.getOwner());
    });
  }
}

} // namespace mlir::dr1

#endif // DR1_CODEGEN_GPUUTILS_H
