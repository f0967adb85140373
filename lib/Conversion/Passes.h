//===- Passes.h - dr1 conversion passes -------------------------*- C++ -*-===//
#ifndef DR1_CONVERSION_PASSES_H
#define DR1_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::dr1 {
#define GEN_PASS_DECL
#include "Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Conversion/Passes.h.inc"
} // namespace mlir::dr1

#endif // DR1_CONVERSION_PASSES_H
