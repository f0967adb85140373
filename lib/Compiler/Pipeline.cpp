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
  static const llvm::StringRef passes[] = {
      "dr1-fold-batch-norm",         "dr1-fuse-attention",
      "dr1-fuse-squeeze-excitation", "dr1-propagate-transposes",
      "dr1-fuse-elementwise",        "dr1-fuse-epilogue",
      "dr1-row-padded-products",     "dr1-fuse-rows",
      "dr1-vectorize-elementwise",   "dr1-gpu-tile-matmul"};
  return passes;
}

void dr1::buildGraphPipeline(OpPassManager &pm,
                             llvm::ArrayRef<std::string> disabled) {
  buildGraphPrologue(pm, disabled);
  buildGraphEpilogue(pm, disabled);
}

void dr1::buildTrainStepPipeline(OpPassManager &pm, llvm::StringRef optimizer,
                                 double momentum, double weightDecay,
                                 int64_t rematerialize,
                                 int64_t rematerializeBudget) {
  addPipeline(pm, "inline,canonicalize,cse");
  pm.addPass(mlir::dr1::createAutodiff());
  // Checkpointing needs the backward pass's final form: CSE first, so it
  // sees which forward values the backward pass really reads.
  if (rematerialize >= 0) {
    addPipeline(pm, "canonicalize,cse");
    mlir::dr1::RematerializeOptions rm;
    rm.segments = rematerialize;
    rm.budget = rematerializeBudget;
    pm.addPass(mlir::dr1::createRematerialize(rm));
  }
  mlir::dr1::TrainStepOptions ts;
  ts.optimizer = optimizer.str();
  ts.momentum = momentum;
  ts.weightDecay = weightDecay;
  pm.addPass(mlir::dr1::createTrainStep(ts));
}

void dr1::buildGraphPrologue(OpPassManager &pm,
                             llvm::ArrayRef<std::string> disabled) {
  addPipeline(pm, "inline,canonicalize,cse,symbol-dce");
  if (!llvm::is_contained(disabled, "dr1-fold-batch-norm"))
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createFoldBatchNorm());
}

void dr1::buildGraphEpilogue(OpPassManager &pm,
                             llvm::ArrayRef<std::string> disabled) {
  // Calibrated products become int8 with their weights as folded by
  // batch-norm folding, before fusions rebuild them.
  pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createQuantize());
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

/// Bufferization and workspace planning, shared by the CPU and GPU
/// strategies.
static void addBufferization(OpPassManager &pm) {
  // Accumulators leave the K loops (as vectors in registers) before
  // bufferization, on tensors.
  addPipeline(pm,
              "canonicalize,cse,loop-invariant-subset-hoisting,canonicalize,"
              "loop-invariant-code-motion,func.func(dr1-unshare-fills),"
              "eliminate-empty-tensors,"
              "one-shot-bufferize{bufferize-function-boundaries "
              "function-boundary-type-conversion=identity-layout-map},"
              "canonicalize,dr1-drop-tied-results,"
              // Self-copies of in-place slices only fold once CSE has
              // merged their subviews; then results can be hoisted into
              // the caller's output buffers.
              "canonicalize,cse,canonicalize,"
              "buffer-results-to-out-params{hoist-static-allocs "
              "modify-public-functions},"
              "canonicalize,cse");
  pm.addPass(mlir::dr1::createPlanWorkspace());
}

void dr1::buildCPUCodegenPipeline(OpPassManager &pm, const TargetInfo &target,
                                  llvm::ArrayRef<std::string> disabled) {
  // Before tiling and fusion: the loops they build then start from the
  // tied arguments' buffers.
  pm.addNestedPass<mlir::func::FuncOp>(
      mlir::dr1::createMaterializeTiedResults());
  // Without threads, parallel loops from the lowering (attention's query
  // blocks) run in order, and their scratch buffers join the workspace.
  if (target.threads <= 1)
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createSerializeForall());
  if (!llvm::is_contained(disabled, "dr1-row-padded-products")) {
    mlir::dr1::RowPaddedProductsOptions rows;
    rows.parallel = target.threads > 1;
    pm.addNestedPass<mlir::func::FuncOp>(
        mlir::dr1::createRowPaddedProducts(rows));
  }
  // Before the epilogue fusion tiles them: int8 and bf16 products get
  // their own kernels.
  if (target.hasVNNI || target.bf16Dot || target.hasDotProd) {
    mlir::dr1::VNNIMatmulOptions vnni;
    vnni.parallel = target.threads > 1;
    vnni.int8 = target.hasVNNI;
    vnni.bf16 = target.bf16Dot;
    vnni.sdot = target.hasDotProd;
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createVNNIMatmul(vnni));
  }
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
  addBufferization(pm);
  mlir::dr1::LowerMemrefCopyOptions copies;
  copies.vectorBits = target.vectorBits;
  pm.addPass(mlir::dr1::createLowerMemrefCopy(copies));
}

void dr1::buildGPUCodegenPipeline(OpPassManager &pm, const TargetInfo &target,
                                  bool mapOnly,
                                  llvm::ArrayRef<std::string> disabled) {
  pm.addNestedPass<mlir::func::FuncOp>(
      mlir::dr1::createMaterializeTiedResults());
  // Attention's query blocks run in order on the host, each block's
  // products as kernels.
  pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createSerializeForall());
  addBufferization(pm);
  mlir::dr1::LowerMemrefCopyOptions copies;
  copies.all = true;
  pm.addPass(mlir::dr1::createLowerMemrefCopy(copies));
  // Its kernels synchronize threads at barriers, which loops run in order
  // (--gpu-emulate) cannot.
  if (!mapOnly && !llvm::is_contained(disabled, "dr1-gpu-tile-matmul")) {
    mlir::dr1::GPUTileMatmulOptions tm;
    tm.multiprocessors = target.gpuMultiprocessors;
    tm.tile = target.gpuMatmulTile;
    pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createGPUTileMatmul(tm));
  }
  // Mapped before canonicalization, which would fold away single-iteration
  // loops and leave their accesses on the host.
  if (mapOnly) {
    addPipeline(pm, "convert-linalg-to-parallel-loops,"
                    "func.func(dr1-gpu-map-loops)");
    return;
  }
  // Constants are sunk into the kernels before outlining (as immediates,
  // not kernel parameters: a Pow's exponent 2.0 then folds to x * x in the
  // kernel, and launches pass fewer arguments); outlining itself sinks
  // index constants only.
  addPipeline(pm, "convert-linalg-to-parallel-loops,"
                  "func.func(dr1-gpu-map-loops,convert-parallel-loops-to-gpu),"
                  "canonicalize,cse,gpu-launch-sink-index-computations,"
                  "gpu-kernel-outlining,dr1-gpu-merge-modules,"
                  "canonicalize,cse,symbol-dce,dr1-gpu-host-weights");
}

void dr1::buildGPULowerToLLVMPipeline(OpPassManager &pm,
                                      const TargetInfo &target) {
  // Math becomes arithmetic, strided views become pointer arithmetic, loops
  // become branches: in kernels and host code.
  pm.addPass(mlir::dr1::createExpandMath());
  addPipeline(pm, "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
                  "canonicalize,cse");
  addPipeline(pm, "nvvm-attach-target{chip=" + target.gpuChip +
                      " features=" + target.gpuFeatures + " O=3}");
  // convert-gpu-to-nvvm calls libdevice for what math remains (fma,
  // floor); dr1-gpu-define-libdevice defines those calls, so the PTX never
  // depends on whether a CUDA toolkit happens to be found at compile time.
  addPipeline(pm,
              "gpu.module(convert-gpu-to-nvvm,dr1-gpu-define-libdevice),"
              "reconcile-unrealized-casts,gpu-module-to-binary{format=isa}");
  // Launches of one run share a stream, synchronized once per return
  // (after the last canonicalization: by the gpu dialect's own semantics
  // that wait is redundant; only gpu-to-llvm's streams make it the sync).
  pm.addNestedPass<mlir::func::FuncOp>(mlir::dr1::createGPUOneStream());
  addPipeline(pm, "finalize-memref-to-llvm,convert-arith-to-llvm,"
                  "convert-index-to-llvm,convert-ub-to-llvm,convert-cf-to-llvm,"
                  "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
                  "gpu-to-llvm,reconcile-unrealized-casts,canonicalize,cse");
}

void dr1::buildLowerToLLVMPipeline(OpPassManager &pm, const TargetInfo &target,
                                   bool profile) {
  if (profile)
    pm.addPass(mlir::dr1::createProfileOps());
  addPipeline(pm, "convert-linalg-to-loops");
  mlir::dr1::ExpandMathOptions math;
  math.bf16 = !target.hasBF16;
  pm.addPass(mlir::dr1::createExpandMath(math));
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
      "dr1-gpu-codegen", "bufferize, plan the workspace, map loops to kernels",
      [=](OpPassManager &pm, const TargetPipelineOptions &o) {
        buildGPUCodegenPipeline(pm, resolve(o));
      });
  PassPipelineRegistration<TargetPipelineOptions>(
      "dr1-gpu-lower-to-llvm", "kernels to PTX, host code to the LLVM dialect",
      [=](OpPassManager &pm, const TargetPipelineOptions &o) {
        buildGPULowerToLLVMPipeline(pm, resolve(o));
      });
  PassPipelineRegistration<TargetPipelineOptions>(
      "dr1-full", "every stage from dr1 to the LLVM dialect",
      [=](OpPassManager &pm, const TargetPipelineOptions &o) {
        TargetInfo t = resolve(o);
        buildGraphPipeline(pm);
        buildLinalgPipeline(pm);
        if (t.isGPU()) {
          buildGPUCodegenPipeline(pm, t);
          buildGPULowerToLLVMPipeline(pm, t);
          return;
        }
        buildCPUCodegenPipeline(pm, t);
        buildLowerToLLVMPipeline(pm, t);
      });
}
