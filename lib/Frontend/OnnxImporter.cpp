//===- OnnxImporter.cpp - ONNX model to dr1 module ------------------------===//
#include "Frontend/Importer.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cmath>
#include <set>
#include "llvm/ADT/StringExtras.h"
#include <cstring>
#include <fstream>

using namespace mlir;

using namespace ::dr1::onnx_import;

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<double> HostTensor::values() const {
  int64_t n = numel();
  std::vector<double> out(n);
  const char *p = raw.data();
  for (int64_t i = 0; i < n; ++i) {
    if (elt.isF32()) {
      float v;
      std::memcpy(&v, p + 4 * i, 4);
      out[i] = v;
    } else if (elt.isF64()) {
      std::memcpy(&out[i], p + 8 * i, 8);
    } else if (elt.isInteger(64)) {
      int64_t v;
      std::memcpy(&v, p + 8 * i, 8);
      out[i] = static_cast<double>(v);
    } else if (elt.isInteger(32)) {
      int32_t v;
      std::memcpy(&v, p + 4 * i, 4);
      out[i] = v;
    } else if (elt.isUnsignedInteger(8)) {
      out[i] = static_cast<uint8_t>(p[i]);
    } else if (elt.isInteger(8)) {
      out[i] = static_cast<int8_t>(p[i]);
    } else if (elt.isInteger(1)) {
      out[i] = p[i] ? 1 : 0;
    } else if (elt.isF16()) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      bool ignored;
      llvm::APFloat f(llvm::APFloat::IEEEhalf(), llvm::APInt(16, h));
      f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
                &ignored);
      out[i] = f.convertToDouble();
    } else {
      out[i] = 0;
    }
  }
  return out;
}

std::vector<int64_t> HostTensor::ints() const {
  std::vector<int64_t> out;
  for (double v : values())
    out.push_back(static_cast<int64_t>(v));
  return out;
}

HostTensor HostTensor::fromValues(Type elt, ArrayRef<int64_t> shape,
                                  ArrayRef<double> values) {
  HostTensor t;
  t.elt = elt;
  t.shape.assign(shape.begin(), shape.end());
  unsigned bytes = elt.isInteger(1) ? 1 : elt.getIntOrFloatBitWidth() / 8;
  t.raw.resize(values.size() * bytes);
  char *p = t.raw.data();
  for (size_t i = 0; i < values.size(); ++i) {
    double v = values[i];
    if (elt.isF32()) {
      float f = static_cast<float>(v);
      std::memcpy(p + 4 * i, &f, 4);
    } else if (elt.isF64()) {
      std::memcpy(p + 8 * i, &v, 8);
    } else if (elt.isInteger(64)) {
      int64_t x = static_cast<int64_t>(v);
      std::memcpy(p + 8 * i, &x, 8);
    } else if (elt.isInteger(32)) {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(p + 4 * i, &x, 4);
    } else if (elt.isUnsignedInteger(8)) {
      p[i] = static_cast<char>(static_cast<uint8_t>(v));
    } else if (elt.isInteger(8)) {
      p[i] = static_cast<char>(static_cast<int8_t>(v));
    } else if (elt.isInteger(1)) {
      p[i] = v != 0;
    } else if (elt.isF16()) {
      bool ignored;
      llvm::APFloat f(v);
      f.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
                &ignored);
      uint16_t h = static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
      std::memcpy(p + 2 * i, &h, 2);
    }
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Importer
//===----------------------------------------------------------------------===//

Importer::Importer(MLIRContext &ctx, const std::string &path,
                   const OnnxImportOptions &options)
    : ctx(ctx), b(&ctx), path(path), options(options) {
  dir = llvm::sys::path::parent_path(path).str();
}

/// The node's name around its op type around the file: what dr1c --profile
/// labels a layer's time with ("conv1 (Conv)").
Location Importer::loc(const Node &n) {
  Location file = FileLineColLoc::get(&ctx, path, 0, 0);
  Location type = NameLoc::get(b.getStringAttr(n.op_type()), file);
  if (n.name().empty() || n.name() == n.op_type())
    return type;
  return NameLoc::get(b.getStringAttr(n.name()), type);
}

LogicalResult Importer::error(const Node &n, const Twine &msg) {
  return emitError(loc(n)) << "node '" << (n.name().empty() ? "<unnamed>" : n.name())
                           << "' (" << n.op_type() << "): " << msg;
}

bool Importer::has(const Node &n, int i) {
  return i < n.input_size() && !n.input(i).empty();
}

Val *Importer::input(const Node &n, int i) {
  if (!has(n, i))
    return nullptr;
  auto it = values.find(n.input(i));
  return it == values.end() ? nullptr : &it->second;
}

Type Importer::elementType(int32_t t) {
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT8:
    return b.getI8Type();
  case onnx::TensorProto::UINT8:
    // Quantized constants (zero points, weights); dr1 ops take signless.
    return IntegerType::get(&ctx, 8, IntegerType::Unsigned);
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return {};
  }
}

FailureOr<HostTensor> Importer::tensorFromProto(const onnx::TensorProto &t,
                                                const Node *n) {
  auto fail = [&](const Twine &msg) -> FailureOr<HostTensor> {
    if (n)
      return error(*n, msg);
    return emitError(FileLineColLoc::get(&ctx, path, 0, 0))
           << "tensor '" << t.name() << "': " << msg;
  };
  HostTensor h;
  h.elt = elementType(t.data_type());
  if (!h.elt)
    return fail("element type " + Twine(t.data_type()) + " is not supported");
  for (int64_t d : t.dims()) {
    if (d < 0)
      return fail("negative dimension");
    h.shape.push_back(d);
  }
  int64_t n_ = h.numel();
  unsigned bytes = h.elt.isInteger(1) ? 1 : h.elt.getIntOrFloatBitWidth() / 8;
  size_t want = static_cast<size_t>(n_) * bytes;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &kv : t.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = std::stoll(kv.value());
      else if (kv.key() == "length")
        length = std::stoll(kv.value());
    }
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        llvm::StringRef(location).contains(".."))
      return fail("external data location '" + location + "' is not a file beside the model");
    llvm::SmallString<256> file(dir);
    llvm::sys::path::append(file, location);
    std::ifstream in(std::string(file), std::ios::binary);
    if (!in)
      return fail("cannot open external data file '" + std::string(file) + "'");
    if (length >= 0 && static_cast<size_t>(length) != want)
      return fail("external data length " + Twine(length) + " does not match the shape");
    h.raw.resize(want);
    in.seekg(offset);
    in.read(h.raw.data(), want);
    if (static_cast<size_t>(in.gcount()) != want)
      return fail("external data file '" + std::string(file) + "' is truncated");
    return h;
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != want)
      return fail("raw data holds " + Twine(t.raw_data().size()) + " bytes, the shape needs " +
                  Twine(want));
    h.raw.assign(t.raw_data().begin(), t.raw_data().end());
    return h;
  }
  std::vector<double> vals;
  if (h.elt.isF32())
    vals.assign(t.float_data().begin(), t.float_data().end());
  else if (h.elt.isF64())
    vals.assign(t.double_data().begin(), t.double_data().end());
  else if (h.elt.isInteger(64))
    vals.assign(t.int64_data().begin(), t.int64_data().end());
  else if (h.elt.isInteger(32) || h.elt.isInteger(8) || h.elt.isInteger(1))
    vals.assign(t.int32_data().begin(), t.int32_data().end());
  else if (h.elt.isF16()) {
    // f16 values are stored as their bit patterns in int32_data.
    h.raw.resize(want);
    if (t.int32_data_size() != n_)
      return fail("holds " + Twine(t.int32_data_size()) + " values, the shape needs " + Twine(n_));
    for (int64_t i = 0; i < n_; ++i) {
      uint16_t bits = static_cast<uint16_t>(t.int32_data(i));
      std::memcpy(h.raw.data() + 2 * i, &bits, 2);
    }
    return h;
  } else
    return fail("typed data of this element type is not supported");
  if (static_cast<int64_t>(vals.size()) != n_)
    return fail("holds " + Twine(vals.size()) + " values, the shape needs " + Twine(n_));
  return HostTensor::fromValues(h.elt, h.shape, vals);
}

Value Importer::materialize(const Node &n, Val &v) {
  if (v.value)
    return v.value;
  HostTensor &h = *v.host;
  auto type = RankedTensorType::get(h.shape, h.elt);
  ElementsAttr attr;
  if (h.elt.isInteger(1)) {
    // MLIR packs i1 elements as bits; ours are bytes.
    SmallVector<bool> bits;
    for (char c : h.raw)
      bits.push_back(c != 0);
    attr = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  } else if (h.numel() <= 16) {
    attr = DenseElementsAttr::getFromRawBuffer(type, h.raw);
  } else {
    unsigned align = std::max(1u, h.elt.getIntOrFloatBitWidth() / 8);
    auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(h.raw, align);
    attr = DenseResourceElementsAttr::get(type, "onnx_const", std::move(blob));
  }
  v.value = mlir::dr1::ConstantOp::create(b, loc(n), attr);
  return v.value;
}

FailureOr<Value> Importer::value(const Node &n, int i) {
  Val *v = input(n, i);
  if (!v)
    return error(n, "input " + Twine(i) + (has(n, i) ? " ('" + n.input(i) + "') is not defined" : " is missing"));
  return materialize(n, *v);
}

FailureOr<HostTensor> Importer::constant(const Node &n, int i, StringRef what) {
  Val *v = input(n, i);
  if (!v)
    return error(n, Twine(what) + " (input " + Twine(i) + ") is missing");
  if (!v->host)
    return error(n, Twine(what) + " must be known at compile time (a constant or computed from shapes)");
  return *v->host;
}

void Importer::setOutput(const Node &n, int i, Val v) {
  if (i < n.output_size() && !n.output(i).empty())
    values[n.output(i)] = std::move(v);
}

FailureOr<Value> Importer::op(const Node &n, StringRef name, ArrayRef<Value> operands,
                              ArrayRef<NamedAttribute> attrs, Type resultType) {
  return mlir::dr1::buildOp(b, loc(n), name, operands, attrs, resultType);
}

FailureOr<Value> Importer::reshape(const Node &n, Value v, ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  return op(n, "reshape", {v}, {}, RankedTensorType::get(shape, t.getElementType()));
}

FailureOr<Value> Importer::splat(const Node &n, ArrayRef<int64_t> shape, Type elt,
                                 double value) {
  Attribute fill = isa<FloatType>(elt)
                       ? (Attribute)b.getFloatAttr(elt, value)
                       : (Attribute)b.getIntegerAttr(elt, static_cast<int64_t>(value));
  auto attr = DenseElementsAttr::get(RankedTensorType::get(shape, elt), fill);
  return op(n, "constant", {}, {named("value", attr)});
}

const onnx::AttributeProto *Importer::attr(const Node &n, StringRef name) {
  for (const auto &a : n.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Importer::getInt(const Node &n, StringRef name, int64_t dflt) {
  const auto *a = attr(n, name);
  return a ? a->i() : dflt;
}

float Importer::getFloat(const Node &n, StringRef name, float dflt) {
  const auto *a = attr(n, name);
  return a ? a->f() : dflt;
}

std::string Importer::getString(const Node &n, StringRef name, const std::string &dflt) {
  const auto *a = attr(n, name);
  return a ? a->s() : dflt;
}

std::optional<std::vector<int64_t>> Importer::getInts(const Node &n, StringRef name) {
  const auto *a = attr(n, name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

LogicalResult Importer::checkAttributes(const Node &n, ArrayRef<StringRef> known) {
  for (const auto &a : n.attribute())
    if (!llvm::is_contained(known, StringRef(a.name())))
      return error(n, "attribute '" + a.name() + "' is not supported");
  return success();
}

OwningOpRef<ModuleOp> Importer::run() {
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  // Read and parse, with protobuf's size limit raised for large models.
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(fileLoc) << "cannot read '" << path << "': " << buffer.getError().message();
    return nullptr;
  }
  google::protobuf::io::ArrayInputStream raw((*buffer)->getBufferStart(),
                                             (*buffer)->getBufferSize());
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT_MAX);
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    emitError(fileLoc) << "'" << path << "' is not a valid ONNX model (malformed or truncated protobuf)";
    return nullptr;
  }
  if (!model.has_graph()) {
    emitError(fileLoc) << "'" << path << "' has no graph";
    return nullptr;
  }
  opset = 0;
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset == 0)
    opset = 13;
  const onnx::GraphProto &graph = model.graph();

  // Every unsupported operator, before anything is built.
  std::vector<std::string> unsupported;
  std::set<std::string> seen;
  const auto &table = handlers();
  for (const auto &node : graph.node()) {
    bool known = (node.domain().empty() || node.domain() == "ai.onnx") &&
                 table.count(node.op_type());
    std::string type = node.domain().empty() ? node.op_type()
                                             : node.domain() + "." + node.op_type();
    if (!known && seen.insert(type).second)
      unsupported.push_back(type + " (node '" + node.name() + "')");
  }
  if (!unsupported.empty()) {
    emitError(fileLoc) << "unsupported ONNX operators: " << llvm::join(unsupported.begin(), unsupported.end(), ", ");
    return nullptr;
  }
  if (opset < 11 || opset > 21)
    emitWarning(fileLoc) << "opset " << opset << " is outside the tested range 11-21";

  module = ModuleOp::create(fileLoc);
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, fileLoc, "forward", b.getFunctionType({}, {}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToEnd(body);

  for (const auto &init : graph.initializer()) {
    FailureOr<HostTensor> t = tensorFromProto(init, nullptr);
    if (failed(t))
      return nullptr;
    values[init.name()] = Val{Value(), std::move(*t)};
  }
  SmallVector<Type> inputTypes;
  for (const auto &in : graph.input()) {
    if (values.count(in.name()))
      continue; // an initializer listed as an input (old exporters)
    const auto &tt = in.type().tensor_type();
    Type elt = elementType(tt.elem_type());
    if (!in.type().has_tensor_type() || !elt) {
      emitError(fileLoc) << "input '" << in.name() << "' is not a tensor of a supported type";
      return nullptr;
    }
    auto frozen = options.constantInputs.find(in.name());
    if (frozen != options.constantInputs.end()) {
      int64_t count = 1;
      for (int64_t d : frozen->second.shape)
        count *= d;
      if (count != static_cast<int64_t>(frozen->second.values.size())) {
        emitError(fileLoc) << "constant for input '" << in.name() << "' has "
                           << frozen->second.values.size() << " values for its shape";
        return nullptr;
      }
      values[in.name()] = Val{Value(), HostTensor::fromValues(elt, frozen->second.shape,
                                                              frozen->second.values)};
      continue;
    }
    // uint8 exists for quantized constants only: dr1's integers are signed.
    if (elt.isUnsignedInteger()) {
      emitError(fileLoc) << "input '" << in.name()
                         << "' is uint8: dr1's integers are signed (uint8 only as "
                            "quantized constants)";
      return nullptr;
    }
    SmallVector<int64_t> shape;
    auto fixed = options.inputShapes.find(in.name());
    if (fixed != options.inputShapes.end()) {
      shape.assign(fixed->second.begin(), fixed->second.end());
    } else {
      for (const auto &d : tt.shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() < 0) {
          emitError(fileLoc) << "input '" << in.name() << "' has a dynamic dimension"
                             << (d.dim_param().empty() ? "" : " '" + d.dim_param() + "'")
                             << "; dr1 compiles static shapes (set one with --input-shape="
                             << in.name() << ":1x...)";
          return nullptr;
        }
        shape.push_back(d.dim_value());
      }
    }
    auto type = RankedTensorType::get(shape, elt);
    BlockArgument arg = body->addArgument(type, fileLoc);
    inputTypes.push_back(type);
    values[in.name()] = Val{arg, {}};
  }

  for (const auto &node : graph.node()) {
    if (failed(table.lookup(node.op_type())(*this, node)))
      return nullptr;
  }

  SmallVector<Value> results;
  onnx::NodeProto outNode;
  outNode.set_name("<graph outputs>");
  for (const auto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end()) {
      emitError(fileLoc) << "graph output '" << out.name() << "' is never computed";
      return nullptr;
    }
    // Quantized uint8 tensors are carried as int8 (q - 128) inside.
    if (out.type().tensor_type().elem_type() == onnx::TensorProto::UINT8) {
      emitError(fileLoc) << "graph output '" << out.name()
                         << "' is uint8: dr1's integers are signed (quantized outputs "
                            "as int8 only)";
      return nullptr;
    }
    results.push_back(materialize(outNode, it->second));
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(inputTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "dr1.name", b.getStringAttr(out.name()));
  for (auto [i, arg] : llvm::enumerate(body->getArguments()))
    for (const auto &in : graph.input()) {
      auto it = values.find(in.name());
      if (it != values.end() && it->second.value == arg)
        func.setArgAttr(i, "dr1.name", b.getStringAttr(in.name()));
    }
  return std::move(module);
}

namespace dr1 {
OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &context, const std::string &path,
                                     const OnnxImportOptions &options) {
  context.loadDialect<mlir::func::FuncDialect, mlir::dr1::Dr1Dialect>();
  Importer importer(context, path, options);
  return importer.run();
}

std::vector<std::string> supportedOnnxOps() {
  std::vector<std::string> out;
  for (const auto &e : handlers())
    out.push_back(e.getKey().str());
  llvm::sort(out);
  return out;
}
} // namespace dr1
