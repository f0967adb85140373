//===- bindings.cpp - Python bindings of the dr1 compiler -----------------===//
//
// A Graph builds a dr1-dialect function op by op: Python names an op and
// passes operands and plain attribute values; result types come from the
// op's own type inference (no shape logic in Python). Constants arrive as
// numpy buffers and become dense_resource blobs: weights are never printed
// as decimals. compile() runs ::dr1::compile, the one pipeline.
//
//===----------------------------------------------------------------------===//
#include "dr1/Compiler/Compiler.h"
#include "dr1/Compiler/OnnxImport.h"
#include "dr1/Compiler/Registration.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;
using namespace mlir;

::dr1::EmitKind emitKind(const std::string &emit);

/// The options both compile entry points take from Python.
static ::dr1::CompileOptions
compileOptions(const std::string &target, const std::string &cpu,
               const std::string &features, unsigned optLevel,
               const std::string &name, const std::string &emit,
               unsigned threads, const std::vector<std::string> &disabled,
               const std::string &quantize = "",
               const std::string &calibration = "",
               const std::vector<std::string> &layerPrecisions = {},
               const std::string &calibrationMethod = "minmax",
               const std::string &calibrationSave = "") {
  ::dr1::CompileOptions options;
  options.calibrationMethod = calibrationMethod;
  options.calibrationSave = calibrationSave;
  options.quantize = quantize;
  options.calibrationData = calibration;
  options.layerPrecisions = layerPrecisions;
  options.target = target;
  options.cpu = cpu;
  options.features = features;
  options.optLevel = optLevel;
  options.threads = threads;
  options.disabledPasses = disabled;
  options.name = name;
  options.emit = emitKind(emit);
  return options;
}

/// (output bytes, header, workspace size, calibrated layers as dicts).
py::tuple artifactTuple(const ::dr1::Artifact &art) {
  py::list layers;
  for (const ::dr1::QuantizedLayer &l : art.layers) {
    py::dict d;
    d["name"] = l.name;
    d["op"] = l.op;
    d["weight_elements"] = l.weightElements;
    d["channels"] = l.channels;
    d["min"] = l.min;
    d["max"] = l.max;
    d["precision"] = l.precision;
    layers.append(d);
  }
  return py::make_tuple(py::bytes(art.output), art.header, art.workspaceSize,
                        layers);
}

namespace {

/// Raised for compile errors; Python maps it to dr1.CompileError.
struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Collects error diagnostics into one message.
struct DiagnosticCollector {
  DiagnosticCollector(MLIRContext &ctx)
      : handler(&ctx, [this](Diagnostic &d) {
          if (d.getSeverity() == DiagnosticSeverity::Error) {
            if (!messages.empty())
              messages += "\n";
            std::string loc;
            llvm::raw_string_ostream os(loc);
            Location l = d.getLocation();
            while (auto nl = dyn_cast<NameLoc>(l))
              l = nl.getChildLoc();
            if (auto fl = dyn_cast<FileLineColLoc>(l))
              os << fl.getFilename().str()
                 << (fl.getLine() ? ":" + std::to_string(fl.getLine()) : "");
            else
              os << l;
            messages += loc + ": " + d.str();
          }
          return success();
        }) {}
  std::string take() {
    std::string m = messages.empty() ? "unknown error" : messages;
    messages.clear();
    return m;
  }
  std::string messages;
  ScopedDiagnosticHandler handler;
};

Type elementTypeFor(MLIRContext *ctx, const std::string &dtype) {
  Builder b(ctx);
  if (dtype == "float32")
    return b.getF32Type();
  if (dtype == "float64")
    return b.getF64Type();
  if (dtype == "float16")
    return b.getF16Type();
  if (dtype == "bfloat16")
    return b.getBF16Type();
  if (dtype == "int64")
    return b.getI64Type();
  if (dtype == "int32")
    return b.getI32Type();
  if (dtype == "int8")
    return b.getI8Type();
  if (dtype == "bool")
    return b.getI1Type();
  throw py::value_error("dtype " + dtype + " is not supported by dr1");
}

class Graph {
public:
  explicit Graph(const std::string &name)
      : context(
            std::make_unique<MLIRContext>(MLIRContext::Threading::DISABLED)) {
    ::dr1::registerDialects(*context);
    context->loadAllAvailableDialects();
    OpBuilder b(context.get());
    module = ModuleOp::create(b.getUnknownLoc());
    auto fn = func::FuncOp::create(b, b.getUnknownLoc(), name,
                                   b.getFunctionType({}, {}));
    module->push_back(fn);
    func = fn;
    body = fn.addEntryBlock();
  }

  /// A new function argument; returns its value id.
  int addInput(const std::vector<int64_t> &shape, const std::string &dtype,
               const std::string &name, bool trainable) {
    auto type =
        RankedTensorType::get(shape, elementTypeFor(context.get(), dtype));
    BlockArgument arg = body->addArgument(type, loc(name));
    SmallVector<Type> inputs(func.getArgumentTypes());
    inputs.push_back(type);
    func.setType(
        FunctionType::get(context.get(), inputs, func.getResultTypes()));
    if (!name.empty())
      func.setArgAttr(arg.getArgNumber(), "dr1.name",
                      StringAttr::get(context.get(), name));
    if (trainable)
      func.setArgAttr(arg.getArgNumber(), "dr1.trainable",
                      UnitAttr::get(context.get()));
    return push(arg);
  }

  /// A constant from a numpy array, as a dense_resource blob.
  int addConstant(py::array array, const std::string &dtype,
                  const std::string &name) {
    array = py::array::ensure(array, py::array::c_style);
    std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
    auto type =
        RankedTensorType::get(shape, elementTypeFor(context.get(), dtype));
    size_t itemsize = array.itemsize();
    ArrayRef<char> data(static_cast<const char *>(array.data()),
                        array.size() * itemsize);
    auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        data, std::max<size_t>(itemsize, 1));
    auto attr = DenseResourceElementsAttr::get(
        type, name.empty() ? "weight" : name, std::move(blob));
    OpBuilder b = builder();
    OperationState state(loc(name), "dr1.constant");
    state.addAttribute("value", attr);
    state.addTypes(type);
    Operation *op = b.create(state);
    return push(op->getResult(0));
  }

  /// dr1.<opName>(operands) with attributes; None operands are absent
  /// optional operands. `resultShape`/`resultDtype` only for ops whose
  /// result type is not inferred (reshape, cast).
  int addOp(const std::string &opName, const std::vector<py::object> &operands,
            const py::dict &attrs, const std::string &name,
            std::optional<std::vector<int64_t>> resultShape,
            std::optional<std::string> resultDtype) {
    DiagnosticCollector diags(*context);
    SmallVector<Value> values;
    for (const py::object &o : operands)
      values.push_back(o.is_none() ? Value() : value(o.cast<int>()));
    SmallVector<NamedAttribute> attributes;
    for (auto item : attrs)
      attributes.push_back(NamedAttribute(
          StringAttr::get(context.get(), item.first.cast<std::string>()),
          toAttribute(item.second)));
    Type resultType;
    if (resultShape && resultDtype)
      resultType = RankedTensorType::get(
          *resultShape, elementTypeFor(context.get(), *resultDtype));
    OpBuilder b = builder();
    FailureOr<Value> result = mlir::dr1::buildOp(b, loc(name), opName, values,
                                                 attributes, resultType);
    if (failed(result))
      throw CompileError(diags.take());
    return push(*result);
  }

  std::vector<int64_t> shape(int id) {
    auto t = cast<RankedTensorType>(value(id).getType());
    return std::vector<int64_t>(t.getShape().begin(), t.getShape().end());
  }

  void setOutputs(const std::vector<int> &ids,
                  const std::vector<std::string> &names) {
    if (!body->empty() && body->back().hasTrait<OpTrait::IsTerminator>())
      throw py::value_error("outputs are already set");
    SmallVector<Value> results;
    for (int id : ids)
      results.push_back(value(id));
    OpBuilder b = builder();
    func::ReturnOp::create(b, b.getUnknownLoc(), results);
    func.setType(FunctionType::get(context.get(), func.getArgumentTypes(),
                                   ValueRange(results).getTypes()));
    for (auto [i, n] : llvm::enumerate(names))
      if (!n.empty())
        func.setResultAttr(i, "dr1.name", StringAttr::get(context.get(), n));
  }

  std::string text() {
    std::string s;
    llvm::raw_string_ostream os(s);
    OpPrintingFlags flags;
    flags.elideLargeResourceString(64);
    module->print(os, flags);
    return s;
  }

  /// Compiles a copy of the module; returns (output bytes, header, workspace).
  py::tuple compile(const std::string &target, const std::string &cpu,
                    const std::string &features, unsigned optLevel,
                    const std::string &name, const std::string &emit,
                    unsigned threads,
                    const std::vector<std::string> &disabledPasses,
                    const std::string &quantize, const std::string &calibration,
                    const std::vector<std::string> &layerPrecisions,
                    const std::string &calibrationMethod,
                    const std::string &calibrationSave,
                    const std::string &train, double momentum,
                    double weightDecay, int64_t rematerialize,
                    int64_t rematerializeBudget) {
    DiagnosticCollector diags(*context);
    ::dr1::CompileOptions options =
        compileOptions(target, cpu, features, optLevel, name, emit, threads,
                       disabledPasses, quantize, calibration, layerPrecisions,
                       calibrationMethod, calibrationSave);
    options.train = train;
    options.momentum = momentum;
    options.weightDecay = weightDecay;
    options.rematerialize = rematerialize;
    options.rematerializeBudget = rematerializeBudget;
    OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
    FailureOr<::dr1::Artifact> art;
    {
      py::gil_scoped_release release;
      art = ::dr1::compile(*copy, options);
    }
    if (failed(art))
      throw CompileError(diags.take());
    return artifactTuple(*art);
  }

private:
  OpBuilder builder() {
    OpBuilder b(context.get());
    b.setInsertionPointToEnd(body);
    return b;
  }
  Location loc(const std::string &name) {
    if (name.empty())
      return UnknownLoc::get(context.get());
    return NameLoc::get(StringAttr::get(context.get(), name));
  }
  int push(Value v) {
    values.push_back(v);
    return static_cast<int>(values.size()) - 1;
  }
  Value value(int id) {
    if (id < 0 || id >= static_cast<int>(values.size()))
      throw py::value_error("unknown value id " + std::to_string(id));
    return values[id];
  }
  Attribute toAttribute(const py::handle &h) {
    MLIRContext *ctx = context.get();
    Builder b(ctx);
    if (py::isinstance<py::bool_>(h))
      return b.getBoolAttr(h.cast<bool>());
    if (py::isinstance<py::int_>(h))
      return b.getI64IntegerAttr(h.cast<int64_t>());
    if (py::isinstance<py::float_>(h))
      return b.getF32FloatAttr(h.cast<float>());
    if (py::isinstance<py::str>(h))
      return b.getStringAttr(h.cast<std::string>());
    if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h))
      return b.getDenseI64ArrayAttr(h.cast<std::vector<int64_t>>());
    throw py::type_error("unsupported attribute value " +
                         py::str(h).cast<std::string>());
  }

  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  Block *body;
  std::vector<Value> values;
};

} // namespace

::dr1::EmitKind emitKind(const std::string &emit) {
  if (emit == "obj")
    return ::dr1::EmitKind::Object;
  if (emit == "asm")
    return ::dr1::EmitKind::Asm;
  if (emit == "llvm")
    return ::dr1::EmitKind::LLVMIR;
  if (emit == "linalg")
    return ::dr1::EmitKind::Linalg;
  if (emit == "mlir")
    return ::dr1::EmitKind::MLIR;
  throw py::value_error("unknown emit kind '" + emit + "'");
}

/// Imports an ONNX file and compiles it: (output bytes, header, workspace,
/// calibrated layers).
py::tuple
compileOnnx(const std::string &path, const std::string &target,
            const std::string &cpu, const std::string &features,
            unsigned optLevel, const std::string &name, const std::string &emit,
            const std::map<std::string, std::vector<int64_t>> &shapes,
            const std::map<std::string, py::array> &constants, unsigned threads,
            const std::vector<std::string> &disabledPasses,
            const std::string &quantize, const std::string &calibration,
            const std::vector<std::string> &layerPrecisions,
            const std::string &calibrationMethod,
            const std::string &calibrationSave) {
  MLIRContext context(MLIRContext::Threading::DISABLED);
  ::dr1::registerDialects(context);
  DiagnosticCollector diags(context);
  ::dr1::CompileOptions options =
      compileOptions(target, cpu, features, optLevel, name, emit, threads,
                     disabledPasses, quantize, calibration, layerPrecisions,
                     calibrationMethod, calibrationSave);
  ::dr1::OnnxImportOptions importOptions;
  importOptions.inputShapes = shapes;
  for (const auto &[name, array] : constants) {
    py::array_t<double> a = py::array_t<double>::ensure(array);
    if (!a)
      throw py::value_error("constant input '" + name + "' is not numeric");
    ::dr1::OnnxImportOptions::Constant c;
    c.shape.assign(a.shape(), a.shape() + a.ndim());
    c.values.assign(a.data(), a.data() + a.size());
    importOptions.constantInputs[name] = c;
  }
  FailureOr<::dr1::Artifact> art;
  {
    py::gil_scoped_release release;
    OwningOpRef<ModuleOp> module =
        ::dr1::importOnnxFile(context, path, importOptions);
    if (module)
      art = ::dr1::compile(*module, options);
    else
      art = failure();
  }
  if (failed(art))
    throw CompileError(diags.take());
  return artifactTuple(*art);
}

/// Calls a compiled model's NAME_run_packed: the per-call path of
/// dr1.optimize, kept in C++ so that small models are not dominated by
/// Python overhead. Arrays must be C-contiguous with the compiled shapes
/// (checked by the caller).
void callPacked(uintptr_t fn, const py::list &inputs, const py::list &outputs,
                uintptr_t workspace) {
  constexpr size_t kMax = 256;
  if (inputs.size() > kMax || outputs.size() > kMax)
    throw py::value_error("too many model inputs or outputs");
  const void *in[kMax];
  void *out[kMax];
  for (size_t i = 0; i < inputs.size(); ++i)
    in[i] = inputs[i].cast<py::array>().data();
  for (size_t i = 0; i < outputs.size(); ++i)
    out[i] = outputs[i].cast<py::array>().mutable_data();
  auto run =
      reinterpret_cast<void (*)(const void *const *, void *const *, void *)>(
          fn);
  py::gil_scoped_release release;
  run(in, out, reinterpret_cast<void *>(workspace));
}

PYBIND11_MODULE(_dr1, m) {
  m.doc() = "dr1 compiler bindings";
  m.def("compile_onnx", &compileOnnx, py::arg("path"),
        py::arg("target") = "host", py::arg("cpu") = "",
        py::arg("features") = "", py::arg("opt_level") = 3,
        py::arg("name") = "model", py::arg("emit") = "obj",
        py::arg("input_shapes") = std::map<std::string, std::vector<int64_t>>(),
        py::arg("constant_inputs") = std::map<std::string, py::array>(),
        py::arg("threads") = 1,
        py::arg("disabled_passes") = std::vector<std::string>(),
        py::arg("quantize") = "", py::arg("calibration") = "",
        py::arg("layer_precisions") = std::vector<std::string>(),
        py::arg("calibration_method") = "minmax",
        py::arg("calibration_save") = "");
  m.def("supported_onnx_ops", &::dr1::supportedOnnxOps);
  m.def("call_packed", &callPacked, py::arg("fn"), py::arg("inputs"),
        py::arg("outputs"), py::arg("workspace"));
  py::register_exception<CompileError>(m, "CompileError");
  py::class_<Graph>(m, "Graph")
      .def(py::init<const std::string &>(), py::arg("name") = "forward")
      .def("add_input", &Graph::addInput, py::arg("shape"), py::arg("dtype"),
           py::arg("name") = "", py::arg("trainable") = false)
      .def("add_constant", &Graph::addConstant, py::arg("array"),
           py::arg("dtype"), py::arg("name") = "")
      .def("add_op", &Graph::addOp, py::arg("op"), py::arg("operands"),
           py::arg("attrs") = py::dict(), py::arg("name") = "",
           py::arg("result_shape") = py::none(),
           py::arg("result_dtype") = py::none())
      .def("shape", &Graph::shape)
      .def("set_outputs", &Graph::setOutputs, py::arg("ids"),
           py::arg("names") = std::vector<std::string>())
      .def("text", &Graph::text)
      .def("compile", &Graph::compile, py::arg("target") = "host",
           py::arg("cpu") = "", py::arg("features") = "",
           py::arg("opt_level") = 3, py::arg("name") = "model",
           py::arg("emit") = "obj", py::arg("threads") = 1,
           py::arg("disabled_passes") = std::vector<std::string>(),
           py::arg("quantize") = "", py::arg("calibration") = "",
           py::arg("layer_precisions") = std::vector<std::string>(),
           py::arg("calibration_method") = "minmax",
           py::arg("calibration_save") = "", py::arg("train") = "",
           py::arg("momentum") = 0.0, py::arg("weight_decay") = 0.0,
           py::arg("rematerialize") = -1, py::arg("rematerialize_budget") = 0);
}
