//===- Calibrate.h - activation ranges from running the model ---*- C++ -*-===//
#ifndef DR1_COMPILER_CALIBRATE_H
#define DR1_COMPILER_CALIBRATE_H

#include "dr1/Compiler/Compiler.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace dr1 {

/// Runs `entry` (after the graph prologue) on options.calibrationData and
/// records every quantizable op's activation range as dr1.input_range and
/// its precision (options.layerPrecisions) as dr1.precision; `layers`
/// lists them.
mlir::LogicalResult calibrate(mlir::ModuleOp module, mlir::func::FuncOp entry,
                              const CompileOptions &options,
                              std::vector<QuantizedLayer> &layers);

} // namespace dr1

#endif // DR1_COMPILER_CALIBRATE_H
