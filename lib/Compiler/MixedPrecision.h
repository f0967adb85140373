//===- MixedPrecision.h - per-layer precision from sensitivity --*- C++ -*-===//
#ifndef DR1_COMPILER_MIXEDPRECISION_H
#define DR1_COMPILER_MIXEDPRECISION_H

#include "dr1/Compiler/Compiler.h"
#include "mlir/IR/BuiltinOps.h"

namespace dr1 {

/// For --quantize=mixed: the precision of every quantizable layer of
/// `module` (the model as given, not yet compiled), chosen by running
/// variants on options.calibrationData (an .npz) and keeping the outputs'
/// agreement with f32 within options.accuracyBudget. The activation ranges
/// are written to `table` (a dr1-calibration-1 JSON file) on the way; the
/// final compile reads them from there.
mlir::FailureOr<std::vector<std::string>>
chooseMixedPrecision(mlir::ModuleOp module, const CompileOptions &options,
                     const std::string &table);

} // namespace dr1

#endif // DR1_COMPILER_MIXEDPRECISION_H
