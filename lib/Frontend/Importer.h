//===- Importer.h - ONNX importer internals ---------------------*- C++ -*-===//
#ifndef DR1_FRONTEND_IMPORTER_H
#define DR1_FRONTEND_IMPORTER_H

#include "dr1/Compiler/OnnxImport.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <optional>

namespace dr1::onnx_import {

/// A tensor whose value is known at compile time (initializers, Constant,
/// and everything computed from them and from static shapes). Values are
/// kept as doubles (exact for shapes and indices) or raw bytes (weights).
struct HostTensor {
  mlir::Type elt;
  llvm::SmallVector<int64_t> shape;
  std::vector<char> raw; // little-endian, dense, elt-typed
  int64_t numel() const;
  std::vector<double> values() const;
  std::vector<int64_t> ints() const;
  static HostTensor fromValues(mlir::Type elt, llvm::ArrayRef<int64_t> shape,
                               llvm::ArrayRef<double> values);
};

struct Val {
  mlir::Value value;               // materialized dr1 value, if any
  std::optional<HostTensor> host;  // compile-time value, if known
};

class Importer {
public:
  Importer(mlir::MLIRContext &ctx, const std::string &path,
           const OnnxImportOptions &options);
  mlir::OwningOpRef<mlir::ModuleOp> run();

  // -- used by the op handlers ---------------------------------------------
  using Node = onnx::NodeProto;
  mlir::MLIRContext &ctx;
  mlir::OpBuilder b;
  int64_t opset = 13;

  mlir::Location loc(const Node &n);
  mlir::LogicalResult error(const Node &n, const llvm::Twine &msg);
  /// Input `i` of the node (empty names are absent optional inputs).
  bool has(const Node &n, int i);
  Val *input(const Node &n, int i);
  /// The dr1 value of input `i`, materializing constants.
  mlir::FailureOr<mlir::Value> value(const Node &n, int i);
  mlir::Value materialize(const Node &n, Val &v);
  /// The compile-time value of input `i`, or an error naming what is needed.
  mlir::FailureOr<HostTensor> constant(const Node &n, int i,
                                       llvm::StringRef what);
  void setOutput(const Node &n, int i, Val v);
  void setOutput(const Node &n, int i, mlir::Value v) { setOutput(n, i, Val{v, {}}); }
  mlir::FailureOr<mlir::Value> op(const Node &n, llvm::StringRef name,
                                  llvm::ArrayRef<mlir::Value> operands,
                                  llvm::ArrayRef<mlir::NamedAttribute> attrs = {},
                                  mlir::Type resultType = {});
  mlir::FailureOr<mlir::Value> reshape(const Node &n, mlir::Value v,
                                       llvm::ArrayRef<int64_t> shape);
  /// A dr1.constant of `shape` filled with `value` (float or integer `elt`).
  mlir::FailureOr<mlir::Value> splat(const Node &n, llvm::ArrayRef<int64_t> shape,
                                     mlir::Type elt, double value);

  // Attributes.
  const onnx::AttributeProto *attr(const Node &n, llvm::StringRef name);
  int64_t getInt(const Node &n, llvm::StringRef name, int64_t dflt);
  float getFloat(const Node &n, llvm::StringRef name, float dflt);
  std::string getString(const Node &n, llvm::StringRef name,
                        const std::string &dflt);
  std::optional<std::vector<int64_t>> getInts(const Node &n, llvm::StringRef name);
  mlir::FailureOr<HostTensor> tensorFromProto(const onnx::TensorProto &t,
                                              const Node *n);
  /// Attributes the handler did not read are errors, not silently ignored.
  mlir::LogicalResult checkAttributes(const Node &n,
                                      llvm::ArrayRef<llvm::StringRef> known);

  mlir::NamedAttribute named(llvm::StringRef name, mlir::Attribute a) {
    return mlir::NamedAttribute(b.getStringAttr(name), a);
  }
  mlir::Type elementType(int32_t onnxType);

  /// Computed int8 values that stand for uint8 (q - 128): what QuantizeLinear
  /// and DynamicQuantizeLinear produce for uint8 outputs. Integer operators
  /// read their zero points' signedness from here.
  void markUnsigned(const std::string &name) { unsignedValues.insert(name); }
  bool isUnsigned(const std::string &name) const {
    return unsignedValues.contains(name);
  }

private:
  llvm::StringSet<> unsignedValues;
  std::string path, dir;
  OnnxImportOptions options;
  onnx::ModelProto model;
  llvm::StringMap<Val> values;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

inline mlir::RankedTensorType typeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}
/// The shape of input `i` (compile-time or not); empty if it is absent.
llvm::SmallVector<int64_t> shapeOf(Importer &I, const onnx::NodeProto &n, int i);

using Handler = std::function<mlir::LogicalResult(Importer &, const onnx::NodeProto &)>;
const llvm::StringMap<Handler> &handlers();

} // namespace dr1::onnx_import

#endif // DR1_FRONTEND_IMPORTER_H
