//===- Registration.h - dialects and passes dr1 uses ------------*- C++ -*-===//
#ifndef DR1_COMPILER_REGISTRATION_H
#define DR1_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace dr1 {
/// The dialects a dr1 input may contain and the pipeline produces, with
/// their interface implementations (bufferization, tiling, LLVM IR
/// translation).
void registerDialects(mlir::DialectRegistry &registry);
void registerDialects(mlir::MLIRContext &context);
/// Upstream passes, dr1's own passes and named pipelines (idempotent).
void registerAllPasses();
} // namespace dr1

#endif // DR1_COMPILER_REGISTRATION_H
