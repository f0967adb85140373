//===- GPUMergeModules.cpp - the dr1-gpu-merge-modules pass ---------------===//
//
// Kernel outlining makes one gpu.module per kernel; a model is loaded,
// JIT-compiled and validated as one PTX module instead, with each weight
// it carries once.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_GPUMERGEMODULES
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
struct GPUMergeModulesPass
    : mlir::dr1::impl::GPUMergeModulesBase<GPUMergeModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.size() < 2)
      return;
    gpu::GPUModuleOp target = modules.front();
    SymbolTable targetSymbols(target);
    // Launches name their kernel @module::@kernel.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp source : llvm::drop_begin(modules)) {
      for (Operation &op :
           llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto sym = dyn_cast<SymbolOpInterface>(op);
        if (!sym)
          continue;
        StringAttr name = sym.getNameAttr();
        if (auto fn = dyn_cast<gpu::GPUFuncOp>(op)) {
          op.remove();
          // Kernel names repeat across outlined modules; the module's
          // name does not.
          if (targetSymbols.lookup(name))
            fn.setName(source.getSymName());
          targetSymbols.insert(fn);
          renamed[{source.getSymNameAttr(), name}] = fn.getNameAttr();
          continue;
        }
        // Globals come from the host module's symbols: the same name is the
        // same weight.
        if (targetSymbols.lookup(name))
          continue;
        op.remove();
        targetSymbols.insert(&op);
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr ref = launch.getKernel();
      auto it = renamed.find({ref.getRootReference(), ref.getLeafReference()});
      if (it != renamed.end())
        launch.setKernelAttr(SymbolRefAttr::get(
            target.getSymNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp source : llvm::drop_begin(modules))
      source.erase();
  }
};
} // namespace
