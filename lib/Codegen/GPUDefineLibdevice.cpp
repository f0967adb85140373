//===- GPUDefineLibdevice.cpp - the dr1-gpu-define-libdevice pass ---------===//
//
// convert-gpu-to-nvvm turns math ops into calls of libdevice (__nv_fmaf,
// __nv_floorf, ...), whose bitcode MLIR links only when it finds a CUDA
// toolkit at compile time: the same compile would give self-contained PTX
// on one machine and PTX with unresolved externs on another. The functions
// dr1's kernels call have exact LLVM intrinsics that NVPTX selects itself
// (fma.rn, cvt.rmi, abs, sqrt.rn, min/max), so they are defined here.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_GPUDEFINELIBDEVICE
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// The body of `name` from its arguments, or null if it has no intrinsic.
Value defineBody(OpBuilder &b, Location loc, StringRef name, ValueRange args) {
  // f32 (suffix f) and f64 (no suffix) variants share one rule.
  name.consume_front("__nv_");
  StringRef base = name.ends_with("f") ? name.drop_back() : name;
  if (base == "fma" && args.size() == 3)
    return LLVM::FMAOp::create(b, loc, args[0], args[1], args[2]);
  if (args.size() == 1) {
    if (base == "floor")
      return LLVM::FFloorOp::create(b, loc, args[0]);
    if (base == "ceil")
      return LLVM::FCeilOp::create(b, loc, args[0]);
    if (base == "trunc")
      return LLVM::FTruncOp::create(b, loc, args[0]);
    if (base == "fabs")
      return LLVM::FAbsOp::create(b, loc, args[0]);
    if (base == "sqrt")
      return LLVM::SqrtOp::create(b, loc, args[0]);
    if (base == "rsqrt") {
      Type t = args[0].getType();
      Value one = LLVM::ConstantOp::create(b, loc, t, b.getFloatAttr(t, 1.0));
      return LLVM::FDivOp::create(b, loc, one,
                                  LLVM::SqrtOp::create(b, loc, args[0]));
    }
    if (base == "rint" || base == "nearbyint")
      return LLVM::RintOp::create(b, loc, args[0]);
    if (base == "round")
      return LLVM::RoundOp::create(b, loc, args[0]);
  }
  if (args.size() == 2) {
    if (base == "fmin")
      return LLVM::MinNumOp::create(b, loc, args[0], args[1]);
    if (base == "fmax")
      return LLVM::MaxNumOp::create(b, loc, args[0], args[1]);
    if (base == "copysign")
      return LLVM::CopySignOp::create(b, loc, args[0], args[1]);
  }
  return nullptr;
}

struct GPUDefineLibdevicePass
    : mlir::dr1::impl::GPUDefineLibdeviceBase<GPUDefineLibdevicePass> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    OpBuilder b(&getContext());
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>()) {
      if (!fn.isExternal() || !fn.getName().starts_with("__nv_"))
        continue;
      Block *entry = fn.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      Value result =
          defineBody(b, fn.getLoc(), fn.getName(), entry->getArguments());
      if (!result) {
        fn.emitError("kernel calls libdevice's ")
            << fn.getName() << ", which dr1 cannot define for NVPTX";
        return signalPassFailure();
      }
      LLVM::ReturnOp::create(b, fn.getLoc(), result);
      // Inlined into each caller by LLVM, then dropped.
      fn.setLinkage(LLVM::Linkage::Internal);
    }
  }
};
} // namespace
