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
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
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

/// The op's name in reports and calibration tables.
std::string reportName(Operation *op) {
  std::string name = layerName(op->getLoc());
  // Traced models name their parameters, not their ops.
  if (name == "?")
    if (Operation *w = op->getOperand(1).getDefiningOp()) {
      name = layerName(w->getLoc());
      if (StringRef(name).ends_with(".weight"))
        name.resize(name.size() - 7);
    }
  return name;
}

/// Share of the values each tail the percentile method leaves out.
constexpr double kPercentile = 1e-4;

/// Counts of activation values in equal bins over their [lo, hi].
struct Histogram {
  static constexpr int kBins = 2048;
  float lo = 0, hi = 0;
  std::vector<double> counts;

  Histogram() = default;
  Histogram(float lo, float hi) : lo(lo), hi(hi), counts(kBins, 0.0) {}
  double width() const { return (double(hi) - lo) / kBins; }
  double center(int b) const { return lo + (b + 0.5) * width(); }
  void add(float v) {
    int b = width() > 0 ? int((double(v) - lo) / width()) : 0;
    counts[std::clamp(b, 0, kBins - 1)] += 1;
  }

  /// The values at quantiles p and 1 - p (bin edges).
  std::pair<float, float> percentileRange(double p) const {
    double total = 0;
    for (double c : counts)
      total += c;
    double cut = p * total, seen = 0;
    int first = 0, last = kBins - 1;
    for (; first < kBins - 1 && seen + counts[first] <= cut; ++first)
      seen += counts[first];
    seen = 0;
    for (; last > first && seen + counts[last] <= cut; --last)
      seen += counts[last];
    return {float(lo + first * width()), float(lo + (last + 1) * width())};
  }

  /// The range, [lo, hi] with each end pulled in (independently, on a
  /// geometric grid), whose int8 grid (as dr1-quantize builds it: 255 steps
  /// spanning the range and 0) gives the least expected squared error:
  /// rounding (step^2 / 12) inside, clipping outside.
  std::pair<float, float> mseRange() const {
    std::pair<float, float> best{lo, hi};
    double bestErr = std::numeric_limits<double>::infinity();
    constexpr int kSteps = 48;
    for (int i = 0; i < kSteps; ++i) {
      for (int j = 0; j < kSteps; ++j) {
        double a = std::min(0.0, lo * std::pow(0.9, i));
        double b = std::max(0.0, hi * std::pow(0.9, j));
        double step = (b - a) / 255.0;
        double err = 0;
        for (int k = 0; k < kBins; ++k) {
          if (counts[k] == 0)
            continue;
          double c = center(k);
          double d = c < a ? a - c : c > b ? c - b : 0.0;
          err += counts[k] * (d > 0 ? d * d : step * step / 12.0);
        }
        if (err < bestErr) {
          bestErr = err;
          best = {float(std::min(a, double(lo) * std::pow(0.9, i))),
                  float(std::max(b, double(hi) * std::pow(0.9, j)))};
        }
      }
    }
    return best;
  }
};

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

auto ::dr1::HostModel::create(ModuleOp module, CompileOptions options,
                              Location loc)
    -> FailureOr<std::unique_ptr<HostModel>> {
  options.target = "host";
  options.cpu.clear();
  options.features.clear();
  options.emit = EmitKind::Object;
  OwningOpRef<ModuleOp> copy = module.clone();
  FailureOr<Artifact> object = compile(*copy, options);
  if (failed(object))
    return emitError(loc, "cannot compile the model to run it on the "
                          "calibration samples");
  auto model = std::unique_ptr<HostModel>(new HostModel());
  model->layers = object->layers;
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return emitError(loc, "cannot start the JIT: ")
           << llvm::toString(jit.takeError());
  model->jit = std::move(*jit);
  auto generator =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
          model->jit->getDataLayout().getGlobalPrefix());
  if (!generator)
    return emitError(loc, llvm::toString(generator.takeError()));
  model->jit->getMainJITDylib().addGenerator(std::move(*generator));
  if (llvm::Error e =
          model->jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(
              object->output, options.name + ".o")))
    return emitError(loc, "cannot load the compiled model: ")
           << llvm::toString(std::move(e));
  auto sym = model->jit->lookup(options.name + "_info");
  if (!sym)
    return emitError(loc, llvm::toString(sym.takeError()));
  model->info_ = sym->toPtr<const dr1_model_info *>();
  const dr1_model_info &info = *model->info_;
  for (int32_t i = 0; i < info.num_outputs; ++i) {
    model->outputs.emplace_back(new char[info.outputs[i].size_bytes + 1]);
    model->outPtrs.push_back(model->outputs.back().get());
  }
  size_t align = std::max<size_t>(info.workspace_align, 64);
  size_t wsBytes =
      llvm::alignTo(std::max<uint64_t>(info.workspace_size, 1), align);
  model->workspace.reset(std::aligned_alloc(align, wsBytes));
  if (!model->workspace)
    return emitError(loc, "cannot allocate the model's workspace");
  return model;
}

auto ::dr1::HostModel::bind(const std::vector<::dr1::NpyArray> &arrays,
                            StringRef path, Location loc) -> LogicalResult {
  FailureOr<Samples> s = matchInputs(loc, *info_, arrays, path);
  if (failed(s))
    return failure();
  base = s->base;
  stride = s->stride;
  count = s->count;
  return success();
}

void ::dr1::HostModel::run(int64_t n) {
  std::vector<const void *> in(base.size());
  for (size_t i = 0; i < base.size(); ++i)
    in[i] = base[i] + n * stride[i];
  info_->run(in.data(), outPtrs.data(), workspace.get());
}

::dr1::HostModel::~HostModel() = default;

namespace {

/// Runs the samples through the model; per op of `ops`, the range of its
/// activation (lo > hi where nothing finite was seen).
LogicalResult measureRanges(ModuleOp module, func::FuncOp entry,
                            ArrayRef<Operation *> ops,
                            const ::dr1::CompileOptions &options,
                            std::vector<std::pair<float, float>> &ranges,
                            int64_t &sampleCount) {
  using namespace ::dr1;
  Location loc = entry.getLoc();
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
  probeOptions.name = "dr1_calibration";
  probeOptions.disabledPasses = options.disabledPasses;
  std::string error;
  std::optional<std::vector<NpyArray>> arrays =
      readNpz(options.calibrationData, error);
  if (!arrays)
    return emitError(loc, error);
  FailureOr<std::unique_ptr<HostModel>> model =
      HostModel::create(*probe, probeOptions, loc);
  if (failed(model) ||
      failed((*model)->bind(*arrays, options.calibrationData, loc)))
    return failure();
  HostModel &m = **model;

  // Every sample through the model, `visit(probe, values, count)` on
  // each measured activation. Histogram methods take two passes.
  bool histograms = options.calibrationMethod != "minmax";
  int64_t passes = histograms ? 2 : 1;
  auto runAll = [&](int64_t pass, auto visit) {
    for (int64_t n = 0; n < m.sampleCount(); ++n) {
      m.run(n);
      for (unsigned r = numOutputs; r < results.size(); ++r)
        visit(r, static_cast<const float *>(m.output(r)),
              m.info().outputs[r].size_bytes / sizeof(float));
      if (options.calibrationProgress)
        options.calibrationProgress(pass * m.sampleCount() + n + 1,
                                    passes * m.sampleCount());
    }
  };
  std::vector<float> lo(results.size(), std::numeric_limits<float>::infinity());
  std::vector<float> hi(results.size(),
                        -std::numeric_limits<float>::infinity());
  runAll(0, [&](unsigned r, const float *v, size_t count) {
    for (size_t k = 0; k < count; ++k)
      if (std::isfinite(v[k])) {
        lo[r] = std::min(lo[r], v[k]);
        hi[r] = std::max(hi[r], v[k]);
      }
  });
  if (histograms) {
    std::vector<Histogram> hist(results.size());
    for (unsigned r = numOutputs; r < results.size(); ++r)
      hist[r] = Histogram(lo[r], hi[r]);
    runAll(1, [&](unsigned r, const float *v, size_t count) {
      for (size_t k = 0; k < count; ++k)
        if (std::isfinite(v[k]))
          hist[r].add(v[k]);
    });
    for (unsigned r = numOutputs; r < results.size(); ++r) {
      if (!(lo[r] < hi[r]))
        continue;
      auto range = options.calibrationMethod == "percentile"
                       ? hist[r].percentileRange(kPercentile)
                       : hist[r].mseRange();
      lo[r] = range.first;
      hi[r] = range.second;
    }
  }
  sampleCount = m.sampleCount();
  for (unsigned r : probeIndex)
    ranges.push_back({lo[r], hi[r]});
  return success();
}

/// The ranges of a table --save-calibration wrote for this model.
LogicalResult loadTable(Location loc, StringRef path,
                        ArrayRef<std::string> names,
                        std::vector<std::pair<float, float>> &ranges) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return emitError(loc, "")
           << path << ": cannot read: " << buffer.getError().message();
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return emitError(loc, "")
           << path
           << ": not a calibration table: " << llvm::toString(json.takeError());
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Array *layers = root ? root->getArray("layers") : nullptr;
  if (!layers)
    return emitError(loc, "")
           << path << ": not a calibration table (no layers)";
  if (layers->size() != names.size())
    return emitError(loc, "")
           << path << " lists " << layers->size() << " layers; the model has "
           << names.size() << " (a table of another model?)";
  for (auto [i, v] : llvm::enumerate(*layers)) {
    const llvm::json::Object *l = v.getAsObject();
    std::optional<double> lo = l ? l->getNumber("min") : std::nullopt;
    std::optional<double> hi = l ? l->getNumber("max") : std::nullopt;
    std::optional<StringRef> name = l ? l->getString("name") : std::nullopt;
    if (!lo || !hi || !name)
      return emitError(loc, "")
             << path << ": layer " << i << " needs name, min and max";
    if (*name != names[i])
      return emitError(loc, "") << path << ": layer " << i << " is '" << *name
                                << "' in the table but '" << names[i]
                                << "' in the model (a table of another model?)";
    ranges.push_back({float(*lo), float(*hi)});
  }
  return success();
}

/// Writes the ranges so that a later compile need not run the samples.
LogicalResult saveTable(Location loc, StringRef path,
                        ArrayRef<std::string> names, ArrayRef<Operation *> ops,
                        ArrayRef<std::pair<float, float>> ranges,
                        const ::dr1::CompileOptions &options, int64_t samples) {
  llvm::json::Array layers;
  for (auto [i, op] : llvm::enumerate(ops))
    layers.push_back(llvm::json::Object{{"index", int64_t(i)},
                                        {"name", names[i]},
                                        {"op", op->getName().getStringRef()},
                                        {"min", ranges[i].first},
                                        {"max", ranges[i].second}});
  llvm::json::Object root{{"format", "dr1-calibration-1"},
                          {"method", options.calibrationMethod},
                          {"data", options.calibrationData},
                          {"samples", samples},
                          {"layers", std::move(layers)}};
  if (llvm::Error e = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
           << "\n";
        return llvm::Error::success();
      }))
    return emitError(loc, "cannot write '")
           << path << "': " << llvm::toString(std::move(e));
  return success();
}

} // namespace

auto ::dr1::calibrate(ModuleOp module, func::FuncOp entry,
                      const CompileOptions &options,
                      std::vector<QuantizedLayer> &layers) -> LogicalResult {
  Location loc = entry.getLoc();
  SmallVector<Operation *> ops = quantizableOps(entry);
  std::vector<std::string> names;
  for (Operation *op : ops)
    names.push_back(reportName(op));
  std::vector<std::pair<float, float>> ranges;
  int64_t samples = 0;
  // bf16 and f16 round weights (and bf16 activations) without ranges.
  bool needRanges = options.quantize == "int8";
  if (!needRanges) {
    ranges.assign(ops.size(), {0.0f, 0.0f});
  } else if (StringRef(options.calibrationData).ends_with(".json")) {
    if (failed(loadTable(loc, options.calibrationData, names, ranges)))
      return failure();
  } else if (!ops.empty() && failed(measureRanges(module, entry, ops, options,
                                                  ranges, samples))) {
    return failure();
  }
  if (!options.calibrationSave.empty() &&
      failed(saveTable(loc, options.calibrationSave, names, ops, ranges,
                       options, samples)))
    return failure();
  for (auto [i, op] : llvm::enumerate(ops)) {
    auto [lo, hi] = ranges[i];
    std::string precision = i < options.layerPrecisions.size()
                                ? options.layerPrecisions[i]
                                : options.quantize;
    if (precision != "int8" && precision != "bf16" && precision != "f16" &&
        precision != "f32")
      return emitError(op->getLoc(), "layer ")
             << i << ": unknown precision '" << precision
             << "' (expected int8, bf16, f16 or f32)";
    if (precision == "int8" && !needRanges)
      return emitError(op->getLoc(), "layer ")
             << i
             << ": int8 needs calibration (--quantize=int8 "
                "--calibration=FILE)";
    if (needRanges && !(lo <= hi)) {
      if (precision == "int8") // nothing finite was seen: leave it in float
        precision = "f32";
    } else if (needRanges) {
      op->setAttr("dr1.input_range",
                  DenseF32ArrayAttr::get(module.getContext(), {lo, hi}));
    }
    op->setAttr("dr1.precision", StringAttr::get(op->getContext(), precision));
    QuantizedLayer layer;
    layer.name = names[i];
    layer.op = op->getName().getStringRef().str();
    layer.weightElements =
        cast<ShapedType>(op->getOperand(1).getType()).getNumElements();
    auto qop = cast<mlir::dr1::QuantizableOpInterface>(op);
    layer.channels = cast<ShapedType>(op->getOperand(1).getType())
                         .getDimSize(qop.getWeightChannelAxis());
    layer.min = lo;
    layer.max = hi;
    layer.precision = precision;
    layers.push_back(layer);
  }
  if (options.layerPrecisions.size() > ops.size())
    return emitError(loc, "") << options.layerPrecisions.size()
                              << " layer precisions given, the model has "
                              << ops.size() << " quantizable layers";
  return success();
}
