//===- Passes.h - dr1 graph and memory passes -------------------*- C++ -*-===//
#ifndef DR1_PASSES_PASSES_H
#define DR1_PASSES_PASSES_H

#include "dr1/Dr1Dialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::dr1 {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

#endif // DR1_PASSES_PASSES_H
