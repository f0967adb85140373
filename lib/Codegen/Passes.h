//===- Passes.h - dr1 code-generation passes --------------------*- C++ -*-===//
#ifndef DR1_CODEGEN_PASSES_H
#define DR1_CODEGEN_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::dr1 {
#define GEN_PASS_DECL
#include "Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

#endif // DR1_CODEGEN_PASSES_H
