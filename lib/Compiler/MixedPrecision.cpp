//===- MixedPrecision.cpp - per-layer precision from sensitivity ----------===//
//
// --quantize=mixed compiles the model for this machine in variants, runs
// each on the calibration samples (the JIT calibration uses) and compares
// its outputs with the f32 variant's: first with each layer alone in int8
// (that layer's sensitivity), then with the least sensitive layers in int8,
// as many as keep the agreement within the budget, then with f16 weights
// on as many of the others as still fit. The Python AutoQuantizer makes
// the same choice (objective 'size', no labels).
//
//===----------------------------------------------------------------------===//
#include "Compiler/MixedPrecision.h"
#include "Compiler/Calibrate.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;

namespace {

struct Search {
  ModuleOp module;
  const dr1::CompileOptions &options;
  std::string table;
  std::vector<dr1::NpyArray> arrays;
  Location loc;
  /// The f32 outputs (the float ones, concatenated) per sample.
  std::vector<std::vector<float>> reference;
  int64_t compiles = 0;

  void log(const Twine &msg) {
    if (options.mixedProgress)
      options.mixedProgress(msg.str());
  }

  /// Compiles and loads the model with `precisions` (int8 layers read
  /// their ranges from the table; the first compile writes it).
  FailureOr<std::unique_ptr<dr1::HostModel>>
  load(const std::vector<std::string> &precisions, bool calibrate = false) {
    dr1::CompileOptions o;
    o.name = "dr1_mixed_" + std::to_string(compiles++);
    o.disabledPasses = options.disabledPasses;
    o.quantize = "int8";
    o.layerPrecisions = precisions;
    o.calibrationMethod = options.calibrationMethod;
    o.calibrationProgress = options.calibrationProgress;
    if (calibrate) {
      o.calibrationData = options.calibrationData;
      o.calibrationSave = table;
    } else {
      o.calibrationData = table;
    }
    FailureOr<std::unique_ptr<dr1::HostModel>> m =
        dr1::HostModel::create(module, o, loc);
    if (failed(m) || failed((*m)->bind(arrays, options.calibrationData, loc)))
      return failure();
    return m;
  }

  /// The float outputs of sample `n`, concatenated.
  static std::vector<float> outputs(dr1::HostModel &m) {
    std::vector<float> out;
    for (int32_t r = 0; r < m.info().num_outputs; ++r) {
      const dr1_tensor_info &t = m.info().outputs[r];
      if (t.dtype != DR1_DTYPE_F32)
        continue;
      const auto *v = static_cast<const float *>(m.output(r));
      out.insert(out.end(), v, v + t.size_bytes / sizeof(float));
    }
    return out;
  }

  /// 1 - sum |y - y_f32| / sum |y_f32| over all samples.
  double agreement(dr1::HostModel &m) {
    double diff = 0, total = 0;
    for (int64_t n = 0; n < m.sampleCount(); ++n) {
      m.run(n);
      std::vector<float> y = outputs(m);
      const std::vector<float> &ref = reference[n];
      for (size_t i = 0; i < y.size() && i < ref.size(); ++i) {
        diff += std::fabs(static_cast<double>(y[i]) - ref[i]);
        total += std::fabs(static_cast<double>(ref[i]));
      }
    }
    return 1.0 - diff / std::max(total, 1e-30);
  }

  FailureOr<double> agreement(const std::vector<std::string> &precisions) {
    FailureOr<std::unique_ptr<dr1::HostModel>> m = load(precisions);
    if (failed(m))
      return failure();
    return agreement(**m);
  }

  static std::vector<std::string> with(std::vector<std::string> p,
                                       ArrayRef<size_t> layers,
                                       StringRef precision) {
    for (size_t i : layers)
      p[i] = precision.str();
    return p;
  }

  /// How many of `order`'s layers, from the front, can take `precision`
  /// on top of `base` within the budget (binary search: the agreement
  /// falls, roughly, as layers join).
  FailureOr<size_t> longestPrefix(const std::vector<std::string> &base,
                                  ArrayRef<size_t> order, StringRef precision,
                                  double floor) {
    size_t lo = 0, hi = order.size();
    while (lo < hi) {
      size_t mid = (lo + hi + 1) / 2;
      FailureOr<double> a =
          agreement(with(base, order.take_front(mid), precision));
      if (failed(a))
        return failure();
      bool ok = *a >= floor;
      log(llvm::formatv("{0} more layers {1}: agreement {2:f5}, {3} budget",
                        mid, precision, *a, ok ? "within" : "over"));
      if (ok)
        lo = mid;
      else
        hi = mid - 1;
    }
    return lo;
  }
};

} // namespace

auto dr1::chooseMixedPrecision(ModuleOp module, const CompileOptions &options,
                               const std::string &table)
    -> FailureOr<std::vector<std::string>> {
  Location loc = module.getLoc();
  std::string error;
  std::optional<std::vector<NpyArray>> arrays =
      readNpz(options.calibrationData, error);
  if (!arrays)
    return emitError(loc, error);
  Search s{module, options, table, std::move(*arrays), loc, {}, 0};

  // Calibration (the model all int8, kept), then the f32 reference.
  FailureOr<std::unique_ptr<HostModel>> int8 = s.load({}, /*calibrate=*/true);
  if (failed(int8))
    return failure();
  size_t n = (*int8)->layers.size();
  std::vector<std::string> all32(n, "f32");
  FailureOr<std::unique_ptr<HostModel>> f32 = s.load(all32);
  if (failed(f32))
    return failure();
  for (int64_t i = 0; i < (*f32)->sampleCount(); ++i) {
    (*f32)->run(i);
    s.reference.push_back(Search::outputs(**f32));
  }
  std::vector<QuantizedLayer> layers = (*f32)->layers;
  double floor = 1.0 - options.accuracyBudget;
  s.log(llvm::formatv("{0} quantizable layers, {1} samples, budget {2:P}", n,
                      s.reference.size(), options.accuracyBudget));
  // Where every layer fits in int8 together, no search is needed.
  double allInt8 = s.agreement(**int8);
  s.log(llvm::formatv("all layers int8: agreement {0:f5}", allInt8));
  if (allInt8 >= floor)
    return std::vector<std::string>(n, "int8");

  std::vector<double> sensitivity(n);
  for (size_t i = 0; i < n; ++i) {
    FailureOr<double> a = s.agreement(Search::with(all32, {i}, "int8"));
    if (failed(a))
      return failure();
    sensitivity[i] = 1.0 - *a;
    s.log(llvm::formatv("layer {0}/{1} {2}: sensitivity {3:f5}", i + 1, n,
                        layers[i].name, sensitivity[i]));
  }
  // Least sensitive first; among equals, the most weights first.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    double sa = std::round(sensitivity[a] * 1e6),
           sb = std::round(sensitivity[b] * 1e6);
    if (sa != sb)
      return sa < sb;
    return layers[a].weightElements > layers[b].weightElements;
  });
  FailureOr<size_t> k = s.longestPrefix(all32, order, "int8", floor);
  if (failed(k))
    return failure();
  std::vector<std::string> chosen =
      Search::with(all32, ArrayRef<size_t>(order).take_front(*k), "int8");
  ArrayRef<size_t> rest = ArrayRef<size_t>(order).drop_front(*k);
  FailureOr<size_t> k16 = s.longestPrefix(chosen, rest, "f16", floor);
  if (failed(k16))
    return failure();
  chosen = Search::with(chosen, rest.take_front(*k16), "f16");
  s.log(llvm::formatv("{0} of {1} layers int8, {2} f16, {3} compiles", *k, n,
                      *k16, s.compiles));
  return chosen;
}
