//===- OnnxImport.h - ONNX models to the dr1 dialect ------------*- C++ -*-===//
//
// Reads an ONNX model (protobuf, with external data beside it) and builds a
// dr1-dialect module with one function, @forward. Shape sub-graphs fold to
// constants (static shapes); unsupported operators are reported together,
// before any code generation. Errors go to the context's diagnostic
// handler, located at "model.onnx" with the node's name.
//
//===----------------------------------------------------------------------===//
#ifndef DR1_COMPILER_ONNXIMPORT_H
#define DR1_COMPILER_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include <map>
#include <string>
#include <vector>

namespace dr1 {

struct OnnxImportOptions {
  /// Static shapes for inputs whose shape has symbolic dimensions.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Inputs to specialise on: their values become compile-time constants
  /// (shapes, axes, pads or scales that a graph takes as inputs).
  struct Constant {
    std::vector<int64_t> shape;
    std::vector<double> values;
  };
  std::map<std::string, Constant> constantInputs;
};

mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(mlir::MLIRContext &context, const std::string &path,
               const OnnxImportOptions &options = {});

/// The ONNX operator types the importer handles.
std::vector<std::string> supportedOnnxOps();

} // namespace dr1

#endif // DR1_COMPILER_ONNXIMPORT_H
