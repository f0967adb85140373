//===- ModelABI.h - the C ABI of a compiled model ---------------*- C++ -*-===//
#ifndef DR1_TARGET_MODELABI_H
#define DR1_TARGET_MODELABI_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace dr1 {

struct TensorSignature {
  std::string name;
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
};

struct ModelSignature {
  std::string name;
  std::vector<TensorSignature> inputs, outputs;
  uint64_t workspaceSize = 0;
  uint64_t workspaceAlign = 64;
  /// DR1_MODEL_* bits of dr1_model_info.flags (1: CUDA device code,
  /// 2: a training step).
  uint32_t flags = 0;
  /// The first numInOut inputs are updated in place (results tied to them
  /// with dr1.tied are not outputs).
  unsigned numInOut = 0;
};

/// Reads names, element types and shapes of a tensor-level entry function.
/// Errors (at the function) for dynamic shapes or element types the ABI has
/// no code for, and for results tied (dr1.tied) to anything but the leading
/// arguments, one each.
mlir::LogicalResult collectSignature(mlir::func::FuncOp entry,
                                     ModelSignature &sig);

/// The C header for the model: the ABI block, macros, prototypes.
std::string emitHeader(const ModelSignature &sig);

/// Adds NAME_info and NAME_run_packed to `module`, which already defines
/// NAME_run(ptr inputs..., ptr outputs..., ptr workspace).
void addModelInfo(llvm::Module &module, const ModelSignature &sig);

/// For each device module listed in `weights` (dr1-gpu-host-weights'
/// dr1.gpu_weights attribute), a table of {device global name, host bytes,
/// size} and a constructor that registers it with libdr1rt
/// (dr1rt_cuda_register_weights) before the module's PTX is loaded. Returns
/// false, with `error` set, if a listed symbol is missing.
bool addGPUWeightTables(llvm::Module &module, mlir::DictionaryAttr weights,
                        std::string &error);

} // namespace dr1

#endif // DR1_TARGET_MODELABI_H
