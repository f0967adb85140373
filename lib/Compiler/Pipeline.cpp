//===- Pipeline.cpp - the one dr1 compilation pipeline, by stage ----------===//
#include "Compiler/Pipeline.h"
#include "Codegen/Passes.h"
#include "Conversion/Passes.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

using dr1::TargetInfo;
using mlir::OpPassManager;
using mlir::PassPipelineOptions;
using mlir::PassPipelineRegistration;
using mlir::StringRef;

namespace {
/// Upstream passes are added by their textual names: one spelling shared
/// with dr1-opt and the lit tests.
void addPipeline(OpPassManager &pm, StringRef text) {
  std::string err;
  llvm::raw_string_ostream os(err);
  if (mlir::failed(mlir::parsePassPipeline(text, pm, os)))
    llvm::report_fatal_error(llvm::Twine("dr1: bad internal pipeline '") +
                             text + "': " + err);
}
} // namespace

llvm::ArrayRef<llvm::StringRef> dr1::optionalPasses() {
  static const llvm::StringRef passes[] = {"dr1-fold-batch-norm",
                                           "dr1-fuse-attention",
                                           "dr1-fuse-squeeze-excitation",
                                           "dr1-propagate-transposes",
                                           "dr1-fuse-elementwise",
                                           "dr1-fuse-epilogue",
                                           "dr1-fuse-rows",
                                           "dr1-vectorize-elementwise"};
  return passes;
}

void dr1::buildGraphPipeline(OpPassManager &pm,
                             llvm::ArrayRef<std::string> disabled) {
  addPipeline(pm, "inline,canonicalize,cse,symbol-dce");
  if (!llvm::is_contained(disabled, "dr1-fold-batch-norm"))
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createFoldBatchNorm());
  if (!llvm::is_contained(disabled, "dr1-fuse-attention"))
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createFuseAttention());
  // After batch-norm folding: a projection's BN must be in its weights
  // before the gate can be.
  if (!llvm::is_contained(disabled, "dr1-fuse-squeeze-excitation"))
    pm.addNestedPass<mlir::func::FuncOp>(
        mlir::dr1::createFuseSqueezeExcitation());
  addPipeline(pm, "canonicalize,cse");
}

void dr1::buildLinalgPipeline(OpPassManager &pm,
                              llvm::ArrayRef<std::string> disabled) {
  pm.addPass(mlir::dr1::createConvertDr1ToLinalg());
  addPipeline(pm, "canonicalize,cse");
  if (!llvm::is_contained(disabled, "dr1-propagate-transposes")) {
    pm.addNestedPass<mlir::func::FuncOp>(
        mlir::dr1::createPropagateTransposes());
    addPipeline(pm, "canonicalize,cse");
  }
  if (!llvm::is_contained(disabled, "dr1-fuse-elementwise"))
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createFuseElementwise());
  addPipeline(pm, "canonicalize,cse");
}

void dr1::buildCPUCodegenPipeline(OpPassManager &pm, const TargetInfo &target,
                                  llvm::ArrayRef<std::string> disabled) {
  // Without threads, parallel loops from the lowering (attention's query
  // blocks) run in order, and their scratch buffers join the workspace.
  if (target.threads <= 1)
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createSerializeForall());
  if (!llvm::is_contained(disabled, "dr1-fuse-epilogue")) {
    mlir::dr1::FuseEpilogueOptions fe;
    fe.parallel = target.threads > 1;
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createFuseEpilogue(fe));
  }
  if (!llvm::is_contained(disabled, "dr1-fuse-rows")) {
    mlir::dr1::FuseRowsOptions fr;
    fr.parallel = target.threads > 1;
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createFuseRows(fr));
  }
  mlir::dr1::CPUTileAndVectorizeOptions tv;
  tv.vectorBits = target.vectorBits;
  tv.numVectorRegisters = target.numVectorRegisters;
  tv.parallel = target.threads > 1;
  pm.addNestedPass<mlir::func::FuncOp>(
      mlir::dr1::createCPUTileAndVectorize(tv));
  if (!llvm::is_contained(disabled, "dr1-vectorize-elementwise")) {
    mlir::dr1::VectorizeElementwiseOptions ve;
    ve.vectorBits = target.vectorBits;
    pm.addNestedPass<mlir::func::FuncOp>(
        mlir::dr1::createVectorizeElementwise(ve));
  }
  // Accumulators leave the K loops (as vectors in registers) before
  // bufferization, on tensors.
  addPipeline(pm,
              "canonicalize,cse,loop-invariant-subset-hoisting,canonicalize,"
              "loop-invariant-code-motion,func.func(dr1-unshare-fills),"
              "eliminate-empty-tensors,"
              "one-shot-bufferize{bufferize-function-boundaries "
              "function-boundary-type-conversion=identity-layout-map},"
              // Self-copies of in-place slices only fold once CSE has
              // merged their subviews; then results can be hoisted into
              // the caller's output buffers.
              "canonicalize,cse,canonicalize,"
              "buffer-results-to-out-params{hoist-static-allocs "
              "modify-public-functions},"
              "canonicalize,cse");
  pm.addPass(mlir::dr1::createPlanWorkspace());
  pm.addPass(mlir::dr1::createLowerMemrefCopy());
}

void dr1::buildLowerToLLVMPipeline(OpPassManager &pm,
                                   const TargetInfo &target) {
  addPipeline(pm, "convert-linalg-to-loops");
  pm.addPass(mlir::dr1::createExpandMath());
  // Parallel loops become OpenMP worksharing loops (libomp's __kmpc_* entry
  // points); the team size is decided at run time.
  if (target.threads > 1)
    addPipeline(pm, "func.func(scf-forall-to-parallel),convert-scf-to-openmp");
  // expand-strided-metadata creates affine.apply: lower-affine comes after.
  // finalize-memref-to-llvm runs before convert-scf-to-cf: OpenMP regions
  // wrap their bodies in memref.alloca_scope, which must stay one block.
  addPipeline(pm,
              "convert-vector-to-scf{full-unroll},"
              "canonicalize,cse,expand-strided-metadata,lower-affine,"
              "finalize-memref-to-llvm,convert-scf-to-cf,"
              "convert-vector-to-llvm{vector-contract-lowering=outerproduct "
              "reassociate-fp-reductions},"
              "convert-math-to-llvm,convert-arith-to-llvm,"
              "convert-index-to-llvm,convert-ub-to-llvm,convert-cf-to-llvm,"
              "convert-func-to-llvm{use-bare-ptr-memref-call-conv}");
  // After func-to-llvm: it would otherwise convert the entry point with the
  // memref-descriptor calling convention.
  if (target.threads > 1)
    addPipeline(pm, "convert-openmp-to-llvm");
  addPipeline(pm, "reconcile-unrealized-casts,canonicalize,cse");
}

void dr1::registerPipelines() {
  PassPipelineRegistration<>("dr1-graph", "dr1-level simplification",
                             [](OpPassManager &pm) { buildGraphPipeline(pm); });
  PassPipelineRegistration<>(
      "dr1-to-linalg", "dr1 to linalg on tensors",
      [](OpPassManager &pm) { buildLinalgPipeline(pm); });
  struct TargetPipelineOptions : PassPipelineOptions<TargetPipelineOptions> {
    Option<std::string> target{*this, "target", llvm::cl::init("x86-64")};
    Option<std::string> cpu{*this, "cpu", llvm::cl::init("")};
    Option<std::string> features{*this, "features", llvm::cl::init("")};
    Option<int64_t> threads{*this, "threads", llvm::cl::init(1)};
  };
  auto resolve = [](const TargetPipelineOptions &o) {
    std::string err;
    auto t = TargetInfo::resolve(o.target, o.cpu, o.features, err);
    if (mlir::failed(t))
      llvm::report_fatal_error(llvm::Twine("dr1-opt: ") + err);
    t->threads = o.threads;
    return *t;
  };
  PassPipelineRegistration<TargetPipelineOptions>(
      "dr1-cpu-codegen", "tile, vectorize, bufferize, plan the workspace",
      [=](OpPassManager &pm, const TargetPipelineOptions &o) {
        buildCPUCodegenPipeline(pm, resolve(o));
      });
  PassPipelineRegistration<TargetPipelineOptions>(
      "dr1-lower-to-llvm", "buffers, loops and vectors to the LLVM dialect",
      [=](OpPassManager &pm, const TargetPipelineOptions &o) {
        buildLowerToLLVMPipeline(pm, resolve(o));
      });
  PassPipelineRegistration<TargetPipelineOptions>(
      "dr1-full", "every stage from dr1 to the LLVM dialect",
      [=](OpPassManager &pm, const TargetPipelineOptions &o) {
        TargetInfo t = resolve(o);
        buildGraphPipeline(pm);
        buildLinalgPipeline(pm);
        buildCPUCodegenPipeline(pm, t);
        buildLowerToLLVMPipeline(pm, t);
      });
}
