//===- GPUHostWeights.cpp - the dr1-gpu-host-weights pass -----------------===//
//
// Initialized globals in the device module become PTX text, about four
// bytes of text per byte of weight, for ptxas and the driver's JIT to parse:
// a ResNet-50 would carry 400 MB of PTX. Instead the device module declares
// each weight uninitialized (visible, so the driver finds it by name), the
// host module keeps the bytes as read-only data, and libdr1rt copies them
// in when it loads the module.
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_GPUHOSTWEIGHTS
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
struct GPUHostWeightsPass
    : mlir::dr1::impl::GPUHostWeightsBase<GPUHostWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SymbolTable hostSymbols(module);
    SmallVector<NamedAttribute> perModule;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
      SmallVector<Attribute> weights;
      for (auto global : gpuModule.getOps<memref::GlobalOp>()) {
        auto init =
            dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
        if (!init || !global.getConstant())
          continue;
        // The bytes stay on the host, under a name of their own.
        OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
        auto host = cast<memref::GlobalOp>(b.clone(*global));
        host.setSymVisibility("private");
        host.setSymName((global.getSymName() + "__host").str());
        StringAttr hostName = hostSymbols.insert(host);
        // The device copy: uninitialized, writable by the loader, visible
        // so that cuModuleGetGlobal finds it.
        global.setInitialValueAttr(UnitAttr::get(ctx));
        global.setConstant(false);
        global->removeAttr(SymbolTable::getVisibilityAttrName());
        int64_t bytes =
            init.getNumElements() *
            ((init.getElementType().getIntOrFloatBitWidth() + 7) / 8);
        weights.push_back(ArrayAttr::get(
            ctx, {global.getSymNameAttr(), FlatSymbolRefAttr::get(hostName),
                  IntegerAttr::get(IntegerType::get(ctx, 64), bytes)}));
      }
      if (!weights.empty())
        perModule.push_back(NamedAttribute(gpuModule.getSymNameAttr(),
                                           ArrayAttr::get(ctx, weights)));
    }
    // Read by the object emitter, which registers each table with
    // libdr1rt next to the module's PTX.
    if (!perModule.empty())
      module->setAttr("dr1.gpu_weights", DictionaryAttr::get(ctx, perModule));
  }
};
} // namespace
