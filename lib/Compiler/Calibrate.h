//===- Calibrate.h - activation ranges from running the model ---*- C++ -*-===//
#ifndef DR1_COMPILER_CALIBRATE_H
#define DR1_COMPILER_CALIBRATE_H

#include "Compiler/Npz.h"
#include "dr1/Compiler/Compiler.h"
#include "dr1/model_abi.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdlib>
#include <memory>

namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace dr1 {

/// A model compiled for this machine and loaded into the process with
/// LLVM's ORC JIT, run on calibration samples: what calibration measures
/// and what the mixed-precision search compares.
class HostModel {
public:
  /// Compiles a copy of `module` with `options`, for the host, and loads
  /// it; `options.name` names its symbols.
  static mlir::FailureOr<std::unique_ptr<HostModel>>
  create(mlir::ModuleOp module, CompileOptions options, mlir::Location loc);
  ~HostModel();
  /// Takes the samples of `arrays` (one per input, by name or position).
  mlir::LogicalResult bind(const std::vector<NpyArray> &arrays,
                           llvm::StringRef path, mlir::Location loc);
  int64_t sampleCount() const { return count; }
  /// Runs sample `n`; output(r) then holds output r.
  void run(int64_t n);
  const void *output(unsigned r) const { return outPtrs[r]; }
  const dr1_model_info &info() const { return *info_; }
  /// The layers the compile quantized (Artifact::layers).
  std::vector<QuantizedLayer> layers;

private:
  HostModel() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  const dr1_model_info *info_ = nullptr;
  std::vector<std::unique_ptr<char[]>> outputs;
  std::vector<void *> outPtrs;
  std::unique_ptr<void, decltype(&std::free)> workspace{nullptr, &std::free};
  std::vector<const char *> base;
  std::vector<size_t> stride;
  int64_t count = 0;
};

/// Runs `entry` (after the graph prologue) on options.calibrationData and
/// records every quantizable op's activation range as dr1.input_range and
/// its precision (options.layerPrecisions) as dr1.precision; `layers`
/// lists them.
mlir::LogicalResult calibrate(mlir::ModuleOp module, mlir::func::FuncOp entry,
                              const CompileOptions &options,
                              std::vector<QuantizedLayer> &layers);

} // namespace dr1

#endif // DR1_COMPILER_CALIBRATE_H
