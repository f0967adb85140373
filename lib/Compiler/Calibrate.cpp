//===- Calibrate.cpp - activation ranges from running the model -----------===//
//
// Calibration compiles the model as the graph prologue left it, with the
// activation of every quantizable op as an extra output, for this machine,
// loads the object into the process with LLVM's ORC JIT and runs it on the
// calibration samples. The observed ranges are recorded on the ops as
// dr1.input_range, where dr1-quantize reads them. The float code that is
// measured is the code dr1 itself generates, not another framework's.
//
//===----------------------------------------------------------------------===//
#include "Compiler/Calibrate.h"
#include "Compiler/Npz.h"
#include "dr1/Dr1Ops.h"
#include "dr1/model_abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

using namespace mlir;

namespace {

/// Ops calibration measures: the ones dr1-quantize can rewrite.
SmallVector<Operation *> quantizableOps(func::FuncOp fn) {
  SmallVector<Operation *> ops;
  fn.walk([&](mlir::dr1::QuantizableOpInterface op) {
    auto xt = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    if (xt && xt.getElementType().isF32() &&
        matchPattern(op->getOperand(1), m_Constant()))
      ops.push_back(op);
  });
  return ops;
}

/// A layer's name for reports: the ONNX node (or Python layer) name, else
/// file:line.
std::string layerName(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc))
    return fused.getLocations().empty() ? "?"
                                        : layerName(fused.getLocations()[0]);
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (llvm::sys::path::filename(file.getFilename().getValue()) + ":" +
            llvm::Twine(file.getLine()))
        .str();
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return layerName(call.getCallee());
  return "?";
}

/// numpy's name of an ABI dtype.
const char *npyName(int32_t dtype) {
  static const char *names[] = {"f4", "f8", "f2", "bf16", "i8",
                                "i4", "i2", "i1", "u1",   "b1"};
  return dtype >= 0 && dtype < 10 ? names[dtype] : "?";
}

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// The calibration arrays, one per model input, each holding `samples`
/// samples of that input, contiguous.
struct Samples {
  std::vector<const char *> base;
  std::vector<size_t> stride;
  int64_t count = 0;
};

FailureOr<Samples> matchInputs(Location loc, const dr1_model_info &info,
                               const std::vector<::dr1::NpyArray> &arrays,
                               StringRef path) {
  Samples s;
  for (int32_t i = 0; i < info.num_inputs; ++i) {
    const dr1_tensor_info &in = info.inputs[i];
    const ::dr1::NpyArray *a = nullptr;
    for (const ::dr1::NpyArray &c : arrays)
      if (c.name == in.name)
        a = &c;
    // np.savez(path, x0, x1, ...) names arrays arr_0, arr_1, ...
    std::string positional = "arr_" + std::to_string(i);
    for (const ::dr1::NpyArray &c : arrays)
      if (!a && c.name == positional)
        a = &c;
    if (!a)
      return emitError(loc, "calibration data ")
             << path << " has no array for input '" << in.name
             << "' (name it so, or arr_" << i << ")";
    if (a->dtype != npyName(in.dtype))
      return emitError(loc, "calibration array '")
             << a->name << "' has dtype " << a->dtype << ", input '" << in.name
             << "' is " << npyName(in.dtype);
    llvm::ArrayRef<int64_t> shape(in.shape, in.rank);
    llvm::ArrayRef<int64_t> got(a->shape);
    int64_t n = -1;
    if (got == shape)
      n = 1;
    else if (got.size() == shape.size() + 1 && got.drop_front() == shape)
      n = got[0];
    else if (!shape.empty() && shape[0] == 1 && got.size() == shape.size() &&
             got.drop_front() == shape.drop_front())
      n = got[0]; // samples along the batch dimension of a batch-1 model
    if (n < 0)
      return emitError(loc, "calibration array '")
             << a->name << "' has shape " << shapeString(got) << "; input '"
             << in.name << "' needs " << shapeString(shape)
             << ", with a leading sample dimension for several samples";
    if (i > 0 && n != s.count)
      return emitError(loc, "calibration arrays hold different sample "
                            "counts: ")
             << s.count << " and " << n << " ('" << a->name << "')";
    s.count = n;
    s.base.push_back(a->data.data());
    s.stride.push_back(in.size_bytes);
  }
  if (s.count == 0)
    return emitError(loc, "calibration data ") << path << " holds no samples";
  return s;
}

} // namespace

auto ::dr1::calibrate(ModuleOp module, func::FuncOp entry,
                      const CompileOptions &options,
                      std::vector<QuantizedLayer> &layers) -> LogicalResult {
  Location loc = entry.getLoc();
  SmallVector<Operation *> ops = quantizableOps(entry);
  if (ops.empty())
    return success();

  // The probe model: the same function, every measured activation returned
  // after the model's own outputs (each value once).
  OwningOpRef<ModuleOp> probe = module.clone();
  auto probeFn = probe->lookupSymbol<func::FuncOp>(entry.getSymName());
  SmallVector<Operation *> probeOps = quantizableOps(probeFn);
  assert(probeOps.size() == ops.size() && "clone walks in the same order");
  probe->walk([](Operation *op) {
    op->removeAttr("dr1.input_range");
    op->removeAttr("dr1.precision");
  });
  auto ret = cast<func::ReturnOp>(probeFn.getBody().back().getTerminator());
  unsigned numOutputs = ret.getNumOperands();
  SmallVector<Value> results(ret.getOperands());
  SmallVector<unsigned> probeIndex;
  llvm::DenseMap<Value, unsigned> seen;
  for (Operation *op : probeOps) {
    Value x = op->getOperand(0);
    auto [it, inserted] = seen.try_emplace(x, results.size());
    if (inserted)
      results.push_back(x);
    probeIndex.push_back(it->second);
  }
  ret->setOperands(results);
  probeFn.setFunctionType(FunctionType::get(module.getContext(),
                                            probeFn.getArgumentTypes(),
                                            ValueRange(results).getTypes()));
  if (ArrayAttr attrs = probeFn.getAllResultAttrs()) {
    SmallVector<Attribute> all(attrs.begin(), attrs.end());
    all.resize(results.size(), DictionaryAttr::get(module.getContext()));
    probeFn.setAllResultAttrs(all);
  }

  CompileOptions probeOptions;
  probeOptions.target = "host";
  probeOptions.name = "dr1_calibration";
  probeOptions.disabledPasses = options.disabledPasses;
  FailureOr<Artifact> object = compile(*probe, probeOptions);
  if (failed(object))
    return emitError(loc, "cannot compile the model for calibration");

  std::string error;
  std::optional<std::vector<NpyArray>> arrays =
      readNpz(options.calibrationData, error);
  if (!arrays)
    return emitError(loc, error);

  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return emitError(loc, "calibration: cannot start the JIT: ")
           << llvm::toString(jit.takeError());
  auto generator =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
          (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator)
    return emitError(loc, "calibration: ")
           << llvm::toString(generator.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  if (llvm::Error e =
          (*jit)->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(
              object->output, "dr1_calibration.o")))
    return emitError(loc, "calibration: cannot load the model: ")
           << llvm::toString(std::move(e));
  auto sym = (*jit)->lookup("dr1_calibration_info");
  if (!sym)
    return emitError(loc, "calibration: ") << llvm::toString(sym.takeError());
  const auto *info = sym->toPtr<const dr1_model_info *>();

  FailureOr<Samples> samples =
      matchInputs(loc, *info, *arrays, options.calibrationData);
  if (failed(samples))
    return failure();

  std::vector<std::unique_ptr<char[]>> outputs;
  std::vector<void *> outPtrs;
  for (int32_t i = 0; i < info->num_outputs; ++i) {
    outputs.emplace_back(new char[info->outputs[i].size_bytes + 1]);
    outPtrs.push_back(outputs.back().get());
  }
  size_t align = std::max<size_t>(info->workspace_align, 64);
  size_t wsBytes =
      llvm::alignTo(std::max<uint64_t>(info->workspace_size, 1), align);
  std::unique_ptr<void, decltype(&std::free)> workspace(
      std::aligned_alloc(align, wsBytes), &std::free);
  if (!workspace)
    return emitError(loc, "calibration: cannot allocate the workspace");

  std::vector<float> lo(results.size(), std::numeric_limits<float>::infinity());
  std::vector<float> hi(results.size(),
                        -std::numeric_limits<float>::infinity());
  std::vector<const void *> inPtrs(info->num_inputs);
  for (int64_t n = 0; n < samples->count; ++n) {
    for (int32_t i = 0; i < info->num_inputs; ++i)
      inPtrs[i] = samples->base[i] + n * samples->stride[i];
    info->run(inPtrs.data(), outPtrs.data(), workspace.get());
    for (unsigned r = numOutputs; r < results.size(); ++r) {
      const float *v = reinterpret_cast<const float *>(outPtrs[r]);
      size_t count = info->outputs[r].size_bytes / sizeof(float);
      for (size_t k = 0; k < count; ++k)
        if (std::isfinite(v[k])) {
          lo[r] = std::min(lo[r], v[k]);
          hi[r] = std::max(hi[r], v[k]);
        }
    }
    if (options.calibrationProgress)
      options.calibrationProgress(n + 1, samples->count);
  }
  for (auto [i, op] : llvm::enumerate(ops)) {
    unsigned r = probeIndex[i];
    std::string precision = i < options.layerPrecisions.size()
                                ? options.layerPrecisions[i]
                                : std::string("int8");
    if (precision != "int8" && precision != "f32")
      return emitError(op->getLoc(), "layer ")
             << i << ": unknown precision '" << precision
             << "' (expected int8 or f32)";
    if (!(lo[r] <= hi[r])) // nothing finite was seen: leave it in float
      precision = "f32";
    else
      op->setAttr("dr1.input_range",
                  DenseF32ArrayAttr::get(module.getContext(), {lo[r], hi[r]}));
    op->setAttr("dr1.precision", StringAttr::get(op->getContext(), precision));
    QuantizedLayer layer;
    layer.name = layerName(op->getLoc());
    // Traced models name their parameters, not their ops.
    if (layer.name == "?")
      if (Operation *w = op->getOperand(1).getDefiningOp()) {
        layer.name = layerName(w->getLoc());
        if (StringRef(layer.name).ends_with(".weight"))
          layer.name.resize(layer.name.size() - 7);
      }
    layer.op = op->getName().getStringRef().str();
    layer.weightElements =
        cast<ShapedType>(op->getOperand(1).getType()).getNumElements();
    auto qop = cast<mlir::dr1::QuantizableOpInterface>(op);
    layer.channels = cast<ShapedType>(op->getOperand(1).getType())
                         .getDimSize(qop.getWeightChannelAxis());
    layer.min = lo[r];
    layer.max = hi[r];
    layer.precision = precision;
    layers.push_back(layer);
  }
  if (options.layerPrecisions.size() > ops.size())
    return emitError(loc, "") << options.layerPrecisions.size()
                              << " layer precisions given, the model has "
                              << ops.size() << " quantizable layers";
  return success();
}
