//===- Pipeline.h - the one dr1 compilation pipeline, by stage --*- C++ -*-===//
#ifndef DR1_COMPILER_PIPELINE_H
#define DR1_COMPILER_PIPELINE_H

#include "Codegen/TargetInfo.h"
#include "mlir/Pass/PassManager.h"

namespace dr1 {

/// Inlines, differentiates the loss (dr1-autodiff), checkpoints it
/// (dr1-rematerialize with `rematerialize` runs; -1: off, 0: sqrt) and
/// builds `@<loss>_train_step` with `optimizer` (dr1-train-step).
void buildTrainStepPipeline(mlir::OpPassManager &pm, llvm::StringRef optimizer,
                            double momentum, double weightDecay,
                            int64_t rematerialize = -1,
                            int64_t rematerializeBudget = 0);

/// dr1 level: inlining, canonicalization (folds, shape-level rewrites), CSE,
/// and the graph optimizations not listed in `disabled`.
void buildGraphPipeline(mlir::OpPassManager &pm,
                        llvm::ArrayRef<std::string> disabled = {});
/// The graph pipeline's two halves: calibration runs the model between them,
/// as the prologue left it (batch norms folded), and the epilogue starts
/// with dr1-quantize.
void buildGraphPrologue(mlir::OpPassManager &pm,
                        llvm::ArrayRef<std::string> disabled = {});
void buildGraphEpilogue(mlir::OpPassManager &pm,
                        llvm::ArrayRef<std::string> disabled = {});
/// The optional passes that --disable-pass accepts (graph and linalg level).
llvm::ArrayRef<llvm::StringRef> optionalPasses();
/// dr1 -> linalg on tensors, with layout propagation and elementwise fusion
/// (those not listed in `disabled`).
void buildLinalgPipeline(mlir::OpPassManager &pm,
                         llvm::ArrayRef<std::string> disabled = {});
/// Target strategies on tensors, bufferization, workspace planning.
void buildCPUCodegenPipeline(mlir::OpPassManager &pm, const TargetInfo &target,
                             llvm::ArrayRef<std::string> disabled = {});
/// Buffers, loops and vectors to the LLVM dialect (bare-pointer ABI).
/// With `profile`, top-level work is timed through libdr1rt (dr1c --profile).
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm, const TargetInfo &target,
                              bool profile = false);

/// GPU targets: bufferization and workspace planning as for CPUs, then
/// every loop nest over buffers mapped to a kernel (gpu.launch_func into
/// outlined gpu.modules).
/// With `mapOnly`, stops at loops mapped to blocks and threads (which CPU
/// lowering runs in order: dr1c --gpu-emulate).
void buildGPUCodegenPipeline(mlir::OpPassManager &pm, const TargetInfo &target,
                             bool mapOnly = false,
                             llvm::ArrayRef<std::string> disabled = {});
/// GPU targets: kernels to NVVM and PTX (gpu.binary), host code to the
/// LLVM dialect with kernel launches through libdr1rt's mgpu* entry points.
void buildGPULowerToLLVMPipeline(mlir::OpPassManager &pm,
                                 const TargetInfo &target);

/// Registers the stages as dr1-opt pipelines (dr1-graph, dr1-to-linalg,
/// dr1-cpu-codegen, dr1-lower-to-llvm, dr1-gpu-codegen,
/// dr1-gpu-lower-to-llvm, dr1-full).
void registerPipelines();

} // namespace dr1

#endif // DR1_COMPILER_PIPELINE_H
