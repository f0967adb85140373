//===- Registration.cpp - dialects and passes dr1 uses --------------------===//
#include "dr1/Compiler/Registration.h"
#include "Codegen/Passes.h"
#include "Compiler/Pipeline.h"
#include "Conversion/Passes.h"
#include "dr1/Dr1Dialect.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include <mutex>

void dr1::registerDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::dr1::Dr1Dialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void dr1::registerDialects(mlir::MLIRContext &context) {
  mlir::DialectRegistry registry;
  registerDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadDialect<mlir::dr1::Dr1Dialect>();
}

void dr1::registerAllPasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    mlir::dr1::registerDr1Passes();
    mlir::dr1::registerDr1ConversionPasses();
    mlir::dr1::registerDr1CodegenPasses();
    registerPipelines();
  });
}
