//===- Compiler.cpp - compile(module, options) -> artifact ----------------===//
#include "dr1/Compiler/Compiler.h"
#include "Compiler/Calibrate.h"
#include "Compiler/MixedPrecision.h"
#include "Compiler/Pipeline.h"
#include "Target/ModelABI.h"
#include "Target/ObjectEmitter.h"
#include "dr1/Compiler/Registration.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {

bool isCIdentifier(StringRef s) {
  if (s.empty() || llvm::isDigit(s[0]))
    return false;
  return llvm::all_of(s, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

FailureOr<func::FuncOp> findEntry(ModuleOp module, StringRef name) {
  if (!name.empty()) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    if (!f || f.isExternal())
      return emitError(module.getLoc(), "entry function '")
             << name << "' is not defined in the module";
    return f;
  }
  SmallVector<func::FuncOp> candidates;
  for (auto f : module.getOps<func::FuncOp>())
    if (f.isPublic() && !f.isExternal())
      candidates.push_back(f);
  if (candidates.size() == 1)
    return candidates.front();
  for (auto f : candidates)
    if (f.getSymName() == "forward" || f.getSymName() == "main")
      return f;
  Location loc = candidates.empty() ? module.getLoc() : candidates[0].getLoc();
  return emitError(loc, "cannot choose an entry function: the module defines ")
         << candidates.size() << " public functions; name one with --entry";
}

/// After lowering to linalg, tensors may only flow through ops the code
/// generators know; anything else is reported here, at the op, rather than
/// as a bufferization or LLVM failure later.
LogicalResult checkLoweredOps(ModuleOp module) {
  WalkResult r = module.walk([&](Operation *op) -> WalkResult {
    if (isa<linalg::LinalgOp>(op))
      return WalkResult::skip();
    StringRef dialect =
        op->getDialect() ? op->getDialect()->getNamespace() : "";
    bool onTensors =
        llvm::any_of(op->getResultTypes(), llvm::IsaPred<TensorType>) ||
        llvm::any_of(op->getOperandTypes(), llvm::IsaPred<TensorType>);
    bool ok =
        isa<ModuleOp, func::FuncOp, func::ReturnOp, arith::ConstantOp>(op) ||
        dialect == "linalg" || dialect == "tensor" ||
        dialect == "bufferization" || dialect == "scf" ||
        ((dialect == "arith" || dialect == "math") && !onTensors);
    if (!ok) {
      op->emitError("unsupported operation '")
          << op->getName() << "': no dr1 lowering or code generation for it";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(r.wasInterrupted());
}

/// What dr1-plan-workspace recorded: the function's totals and, per
/// buffer, the dr1.buffer dictionary of its memref.view.
struct MemoryPlan {
  int64_t arena = 0, bound = 0, noReuse = 0;
  struct Buffer {
    int64_t bytes, offset, first, last;
    std::string type;
  };
  SmallVector<Buffer> buffers;
};

MemoryPlan readMemoryPlan(func::FuncOp fn) {
  auto get = [&](StringRef attr) -> int64_t {
    auto a = fn->getAttrOfType<IntegerAttr>(attr);
    return a ? a.getInt() : 0;
  };
  MemoryPlan plan;
  plan.arena = get("dr1.workspace_size");
  plan.bound = get("dr1.workspace_lower_bound");
  plan.noReuse = get("dr1.workspace_no_reuse");
  fn.walk([&](memref::ViewOp view) {
    auto info = view->getAttrOfType<DictionaryAttr>("dr1.buffer");
    if (!info)
      return;
    auto v = [&](StringRef k) {
      return cast<IntegerAttr>(info.get(k)).getInt();
    };
    std::string type;
    llvm::raw_string_ostream ts(type);
    ts << view.getType();
    plan.buffers.push_back(
        {v("bytes"), v("offset"), v("first_use"), v("last_use"), type});
  });
  return plan;
}

std::string formatMemoryPlan(func::FuncOp fn, StringRef name) {
  MemoryPlan plan = readMemoryPlan(fn);
  int64_t arena = plan.arena, bound = plan.bound, noReuse = plan.noReuse;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "memory plan of " << name << "\n";
  os << "arena: " << arena << " bytes\n";
  os << "lower bound (most bytes live at once): " << bound << " bytes";
  if (bound)
    os << " (arena is " << llvm::format("%.1f", 100.0 * (arena - bound) / bound)
       << "% above)";
  os << "\nwithout reuse: " << noReuse << " bytes\n";
  os << "buffers (lifetimes in positions of the entry's top-level ops):\n";
  os << llvm::format("%6s %12s %12s %14s  %s\n", "#", "bytes", "offset",
                     "lifetime", "type");
  for (auto [i, b] : llvm::enumerate(plan.buffers)) {
    std::string life =
        "[" + std::to_string(b.first) + ", " + std::to_string(b.last) + "]";
    os << llvm::format("%6d %12lld %12lld %14s  %s\n", static_cast<int>(i),
                       (long long)b.bytes, (long long)b.offset, life.c_str(),
                       b.type.c_str());
  }
  return s;
}

/// The plan as an SVG picture: one rectangle per buffer, spanning its
/// lifetime (x, in op positions) and its bytes in the arena (y), under
/// lines at the arena size and the lower bound.
std::string formatMemoryPlanSVG(func::FuncOp fn, StringRef name) {
  MemoryPlan plan = readMemoryPlan(fn);
  int64_t arena = plan.arena, bound = plan.bound;
  const SmallVector<MemoryPlan::Buffer> &rects = plan.buffers;
  int64_t span = 1;
  for (const MemoryPlan::Buffer &b : rects)
    span = std::max(span, b.last + 1);
  const double width = 960, height = 540, left = 90, top = 50, right = 20,
               bottom = 50;
  double plotW = width - left - right, plotH = height - top - bottom;
  double yMax = std::max<int64_t>(1, arena);
  auto x = [&](double pos) { return left + plotW * pos / span; };
  auto y = [&](double bytes) { return top + plotH * (1 - bytes / yMax); };
  auto fmt = [](double v) { return llvm::format("%.1f", v); };
  auto escape = [](StringRef text) {
    std::string out;
    for (char c : text)
      out += c == '<'   ? "&lt;"
             : c == '>' ? "&gt;"
             : c == '&' ? "&amp;"
                        : std::string(1, c);
    return out;
  };
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << fmt(width)
     << "\" height=\"" << fmt(height) << "\" font-family=\"sans-serif\" "
     << "font-size=\"12\">\n";
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  os << "<text x=\"" << fmt(left)
     << "\" y=\"20\" font-size=\"15\">memory plan of " << escape(name)
     << ": arena " << arena << " bytes, lower bound " << bound << " bytes, "
     << rects.size() << " buffers</text>\n";
  // Axes: lifetime positions along x, arena offsets along y.
  os << "<line x1=\"" << fmt(left) << "\" y1=\"" << fmt(top + plotH)
     << "\" x2=\"" << fmt(left + plotW) << "\" y2=\"" << fmt(top + plotH)
     << "\" stroke=\"black\"/>\n";
  os << "<line x1=\"" << fmt(left) << "\" y1=\"" << fmt(top) << "\" x2=\""
     << fmt(left) << "\" y2=\"" << fmt(top + plotH)
     << "\" stroke=\"black\"/>\n";
  os << "<text x=\"" << fmt(left + plotW / 2) << "\" y=\"" << fmt(height - 12)
     << "\" text-anchor=\"middle\">lifetime (position of the entry's "
        "top-level ops, 0.."
     << span - 1 << ")</text>\n";
  os << "<text x=\"16\" y=\"" << fmt(top + plotH / 2)
     << "\" transform=\"rotate(-90 16 " << fmt(top + plotH / 2)
     << ")\" text-anchor=\"middle\">offset in the arena (bytes)</text>\n";
  for (int i = 0; i <= 4; ++i) {
    double bytes = yMax * i / 4;
    os << "<text x=\"" << fmt(left - 6) << "\" y=\"" << fmt(y(bytes) + 4)
       << "\" text-anchor=\"end\">" << static_cast<int64_t>(bytes)
       << "</text>\n";
  }
  static const char *palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                  "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                  "#9c755f", "#bab0ac"};
  for (auto [i, r] : llvm::enumerate(rects)) {
    double x0 = x(r.first), x1 = x(r.last + 1);
    double y0 = y(r.offset + r.bytes), y1 = y(r.offset);
    os << "<rect x=\"" << fmt(x0) << "\" y=\"" << fmt(y0) << "\" width=\""
       << fmt(std::max(1.0, x1 - x0)) << "\" height=\""
       << fmt(std::max(1.0, y1 - y0)) << "\" fill=\"" << palette[i % 10]
       << "\" fill-opacity=\"0.75\" stroke=\"black\" stroke-width=\"0.5\">"
       << "<title>#" << i << ": " << r.bytes << " bytes at " << r.offset
       << ", live [" << r.first << ", " << r.last << "], " << escape(r.type)
       << "</title></rect>\n";
  }
  auto hline = [&](int64_t bytes, StringRef color, StringRef label) {
    os << "<line x1=\"" << fmt(left) << "\" y1=\"" << fmt(y(bytes))
       << "\" x2=\"" << fmt(left + plotW) << "\" y2=\"" << fmt(y(bytes))
       << "\" stroke=\"" << color << "\" stroke-dasharray=\"6 4\"/>\n";
    os << "<text x=\"" << fmt(left + plotW - 4) << "\" y=\""
       << fmt(y(bytes) - 4) << "\" text-anchor=\"end\" fill=\"" << color
       << "\">" << label << "</text>\n";
  };
  hline(arena, "black", "arena");
  if (bound && bound != arena)
    hline(bound, "#c00", "lower bound");
  os << "</svg>\n";
  return s;
}

LogicalResult runStage(ModuleOp module,
                       llvm::function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  build(pm);
  return pm.run(module);
}

std::string printModule(ModuleOp module) {
  std::string s;
  llvm::raw_string_ostream os(s);
  module.print(os);
  return s;
}

} // namespace

/// --quantize=mixed: the precisions chosen on variants of the model (see
/// MixedPrecision.cpp), then one compile with them.
static FailureOr<dr1::Artifact>
compileMixed(ModuleOp module, const dr1::CompileOptions &options) {
  Location loc = UnknownLoc::get(module.getContext());
  if (options.calibrationData.empty() ||
      !StringRef(options.calibrationData).ends_with(".npz"))
    return emitError(loc, "mixed precision needs calibration samples "
                          "(--calibration=FILE.npz): it compares outputs on "
                          "them");
  if (!(options.accuracyBudget >= 0.0 && options.accuracyBudget < 1.0))
    return emitError(loc, "the accuracy budget is a fraction in [0, 1), got " +
                              std::to_string(options.accuracyBudget));
  // The ranges go where --save-calibration asks, else to a temporary file.
  std::string table = options.calibrationSave;
  std::optional<llvm::FileRemover> remove;
  if (table.empty()) {
    SmallString<128> path;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("dr1-mixed", "json", path))
      return emitError(loc, "cannot create a temporary file: ") << ec.message();
    table = path.str().str();
    remove.emplace(table);
  }
  OwningOpRef<ModuleOp> original = module.clone();
  FailureOr<std::vector<std::string>> precisions =
      dr1::chooseMixedPrecision(*original, options, table);
  if (failed(precisions))
    return failure();
  dr1::CompileOptions resolved = options;
  resolved.quantize = "int8";
  resolved.calibrationData = table;
  resolved.calibrationSave.clear();
  resolved.layerPrecisions = *precisions;
  return dr1::compile(module, resolved);
}

/// A weak, hidden `__truncsfbf2` (f32 -> bf16, round to nearest even, NaN
/// kept quiet) in the model's object. On x86 CPUs without avx512bf16 the
/// backend calls it for bf16 values it legalizes through f32 (odd-length
/// bf16 vectors under ASan, say), and libgcc before GCC 13 has no such
/// function: the object would not link with the system compiler. The body
/// is integer arithmetic, so it never calls itself.
static void addBF16Truncation(llvm::Module &m) {
  if (m.getFunction("__truncsfbf2"))
    return;
  llvm::LLVMContext &ctx = m.getContext();
  auto *type = llvm::FunctionType::get(llvm::Type::getBFloatTy(ctx),
                                       {llvm::Type::getFloatTy(ctx)}, false);
  auto *fn = llvm::Function::Create(type, llvm::GlobalValue::WeakAnyLinkage,
                                    "__truncsfbf2", m);
  fn->setVisibility(llvm::GlobalValue::HiddenVisibility);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  llvm::Type *i32 = b.getInt32Ty();
  llvm::Value *bits = b.CreateBitCast(fn->getArg(0), i32);
  llvm::Value *lsb =
      b.CreateAnd(b.CreateLShr(bits, 16), llvm::ConstantInt::get(i32, 1));
  llvm::Value *rounded =
      b.CreateAdd(bits, b.CreateAdd(lsb, llvm::ConstantInt::get(i32, 0x7fff)));
  llvm::Value *quiet =
      b.CreateOr(bits, llvm::ConstantInt::get(i32, 0x00400000));
  llvm::Value *isNaN = b.CreateICmpUGT(
      b.CreateAnd(bits, llvm::ConstantInt::get(i32, 0x7fffffff)),
      llvm::ConstantInt::get(i32, 0x7f800000));
  llvm::Value *chosen = b.CreateSelect(isNaN, quiet, rounded);
  llvm::Value *half = b.CreateTrunc(b.CreateLShr(chosen, 16), b.getInt16Ty());
  b.CreateRet(b.CreateBitCast(half, llvm::Type::getBFloatTy(ctx)));
}

FailureOr<dr1::Artifact> dr1::compile(ModuleOp module,
                                      const CompileOptions &options) {
  MLIRContext *ctx = module.getContext();
  registerAllPasses();
  if (options.quantize == "mixed")
    return compileMixed(module, options);
  if (!isCIdentifier(options.name))
    return emitError(module.getLoc(), "model name '")
           << options.name << "' is not a C identifier";
  if (options.optLevel > 3)
    return emitError(module.getLoc(), "optimization level must be 0..3, got ")
           << options.optLevel;
  std::string error;
  FailureOr<TargetInfo> target =
      TargetInfo::resolve(options.target, options.cpu, options.features, error);
  if (failed(target))
    return emitError(UnknownLoc::get(ctx), error);
  if (options.threads < 1 || options.threads > 1024)
    return emitError(UnknownLoc::get(ctx), "threads must be 1..1024, got ")
           << options.threads;
  if (target->isGPU() && options.threads > 1)
    return emitError(UnknownLoc::get(ctx),
                     "--num-threads applies to CPU targets, not ")
           << options.target;
  if (target->isGPU() && options.sanitizeAddress)
    return emitError(UnknownLoc::get(ctx),
                     "--sanitize=address applies to CPU targets, not ")
           << options.target;
  if (target->isGPU() && options.profile)
    return emitError(UnknownLoc::get(ctx),
                     "--profile applies to CPU targets, not ")
           << options.target;
  if (options.emulateGPU && target->isGPU())
    return emitError(UnknownLoc::get(ctx),
                     "--gpu-emulate runs the GPU strategy on a CPU target, "
                     "not on ")
           << options.target;
  if (options.emit == EmitKind::PTX && !target->isGPU())
    return emitError(UnknownLoc::get(ctx),
                     "--emit=ptx needs a GPU target (-target=nvptx)");
  target->threads = options.threads;
  target->gpuMatmulTile = options.gpuMatmulTile;
  if (options.bf16Kernel == "dot") {
    if (!target->hasBF16)
      return emitError(UnknownLoc::get(ctx),
                       "--bf16-kernel=dot needs a CPU with avx512bf16");
    target->bf16Dot = true;
  } else if (options.bf16Kernel == "widen") {
    target->bf16Dot = false;
  } else if (options.bf16Kernel != "auto") {
    return emitError(UnknownLoc::get(ctx), "unknown --bf16-kernel '")
           << options.bf16Kernel << "' (expected auto, dot or widen)";
  }
  if (failed(verify(module)))
    return failure();

  FailureOr<func::FuncOp> entry = findEntry(module, options.entry);
  if (failed(entry))
    return failure();
  // A training step is NAME_train_step_run; NAME_run, in the same object,
  // is the loss function itself (evaluation and inference with the
  // caller's parameters).
  std::string modelName =
      options.train.empty() ? options.name : options.name + "_train_step";
  OwningOpRef<ModuleOp> evalModule;
  if (options.train.empty() && options.rematerialize >= 0)
    return emitError(UnknownLoc::get(ctx),
                     "--rematerialize applies to training steps (--train)");
  if (!options.train.empty()) {
    if (options.train != "sgd" && options.train != "adam" &&
        options.train != "adamw")
      return emitError(UnknownLoc::get(ctx), "unknown optimizer '")
             << options.train << "' for --train (expected sgd, adam or adamw)";
    if (!options.quantize.empty())
      return emitError(UnknownLoc::get(ctx),
                       "--train and --quantize cannot be combined: training "
                       "steps run in the parameters' own precision");
    if (options.rematerialize < -1)
      return emitError(UnknownLoc::get(ctx),
                       "--rematerialize takes sqrt or a number of segments");
    if (options.momentum < 0 || options.weightDecay < 0)
      return emitError(UnknownLoc::get(ctx),
                       "--momentum and --weight-decay must not be negative");
    if (options.momentum != 0 && options.train != "sgd")
      return emitError(UnknownLoc::get(ctx),
                       "--momentum is an SGD option; Adam's moments are "
                       "built in");
    std::string lossName = (*entry).getSymName().str();
    if (options.emit == EmitKind::Object || options.emit == EmitKind::Asm ||
        options.emit == EmitKind::LLVMIR)
      evalModule = cast<ModuleOp>(module->clone());
    bool trainable = false;
    for (unsigned i = 0; i < (*entry).getNumArguments(); ++i)
      trainable |= (*entry).getArgAttr(i, "dr1.trainable") != nullptr;
    if (!trainable)
      return emitError((*entry).getLoc(), "--train needs a loss function: '")
             << lossName << "' has no arguments marked dr1.trainable";
    // The loss alone is differentiated: other functions stay inference code.
    for (auto f : module.getOps<func::FuncOp>())
      if (f != *entry && !f.isExternal())
        f.setPrivate();
    if (failed(runStage(module, [&](OpPassManager &pm) {
          buildTrainStepPipeline(pm, options.train, options.momentum,
                                 options.weightDecay, options.rematerialize,
                                 options.rematerializeBudget);
        })))
      return failure();
    entry = module.lookupSymbol<func::FuncOp>(lossName + "_train_step");
    if (!*entry)
      return emitError(module.getLoc(), "no training step was built for '")
             << lossName << "'";
    // The links back to the loss would keep it (and its gradient) alive
    // through symbol-dce after inlining: the object holds the step only.
    for (auto f : module.getOps<func::FuncOp>()) {
      f->removeAttr("dr1.gradient_of");
      f->removeAttr("dr1.train_step_of");
    }
  }
  // Everything else is inlined into the entry point and then dropped.
  for (auto f : module.getOps<func::FuncOp>())
    if (f != *entry && !f.isExternal())
      f.setPrivate();
  ModelSignature sig;
  sig.name = modelName;
  if (failed(collectSignature(*entry, sig)))
    return failure();
  std::string runName = modelName + "_run";
  if (auto clash = module.lookupSymbol(runName); clash && clash != *entry)
    return emitError(clash->getLoc(), "symbol '")
           << runName << "' clashes with the model's entry point";
  (*entry).setSymName(runName);
  // Inputs are const in the ABI: bufferization must never write them.
  for (unsigned i = 0; i < (*entry).getNumArguments(); ++i)
    (*entry).setArgAttr(i,
                        bufferization::BufferizationDialect::kWritableAttrName,
                        BoolAttr::get(ctx, false));

  for (const std::string &p : options.disabledPasses)
    if (!llvm::is_contained(optionalPasses(), p))
      return emitError(UnknownLoc::get(ctx), "unknown pass '")
             << p << "' for --disable-pass (expected one of: "
             << llvm::join(optionalPasses(), ", ") << ")";
  if (!options.quantize.empty() && options.quantize != "int8" &&
      options.quantize != "bf16" && options.quantize != "f16")
    return emitError(UnknownLoc::get(ctx), "unknown quantization '")
           << options.quantize << "' (expected int8, bf16, f16 or mixed)";
  if ((options.quantize == "bf16" || options.quantize == "f16") &&
      !options.calibrationData.empty())
    return emitError(UnknownLoc::get(ctx), "")
           << options.quantize
           << " needs no calibration: --calibration is for --quantize=int8";
  if (options.quantize == "int8" && options.calibrationData.empty())
    return emitError(UnknownLoc::get(ctx),
                     "int8 quantization needs calibration data "
                     "(--calibration=FILE.npz)");
  if (options.calibrationMethod != "minmax" &&
      options.calibrationMethod != "percentile" &&
      options.calibrationMethod != "mse")
    return emitError(UnknownLoc::get(ctx), "unknown calibration method '")
           << options.calibrationMethod
           << "' (expected minmax, percentile or mse)";
  if (options.quantize != "int8" && !options.calibrationSave.empty())
    return emitError(UnknownLoc::get(ctx),
                     "--save-calibration needs --quantize=int8");
  if (options.quantize.empty() && !options.calibrationData.empty())
    return emitError(UnknownLoc::get(ctx),
                     "calibration data is for quantization: add "
                     "--quantize=int8");
  Artifact artifact;
  if (failed(runStage(module, [&](OpPassManager &pm) {
        buildGraphPrologue(pm, options.disabledPasses);
      })))
    return failure();
  if (!options.quantize.empty() &&
      failed(calibrate(module, module.lookupSymbol<func::FuncOp>(runName),
                       options, artifact.layers)))
    return failure();
  if (failed(runStage(module, [&](OpPassManager &pm) {
        buildGraphEpilogue(pm, options.disabledPasses);
      })))
    return failure();
  if (options.emit == EmitKind::MLIR) {
    artifact.output = printModule(module);
    return artifact;
  }
  if (failed(runStage(module,
                      [&](OpPassManager &pm) {
                        buildLinalgPipeline(pm, options.disabledPasses);
                      })) ||
      failed(checkLoweredOps(module)))
    return failure();
  if (options.emit == EmitKind::Linalg) {
    artifact.output = printModule(module);
    return artifact;
  }
  if (failed(runStage(module, [&](OpPassManager &pm) {
        if (target->isGPU() || options.emulateGPU)
          buildGPUCodegenPipeline(pm, *target, /*mapOnly=*/!target->isGPU(),
                                  options.disabledPasses);
        else
          buildCPUCodegenPipeline(pm, *target, options.disabledPasses);
      })))
    return failure();
  auto runFn = module.lookupSymbol<func::FuncOp>(runName);
  if (auto ws = runFn->getAttrOfType<IntegerAttr>("dr1.workspace_size"))
    sig.workspaceSize = ws.getInt();
  if (options.emit == EmitKind::MemoryPlan) {
    artifact.output = formatMemoryPlan(runFn, modelName);
    return artifact;
  }
  if (options.emit == EmitKind::MemoryPlanSVG) {
    artifact.output = formatMemoryPlanSVG(runFn, modelName);
    return artifact;
  }
  if (failed(runStage(module, [&](OpPassManager &pm) {
        if (target->isGPU())
          buildGPULowerToLLVMPipeline(pm, *target);
        else
          buildLowerToLLVMPipeline(pm, *target, options.profile);
      })))
    return failure();
  if (target->isGPU())
    sig.flags |= 1; // DR1_MODEL_CUDA
  if (!options.train.empty())
    sig.flags |= 2; // DR1_MODEL_TRAIN_STEP
  if (options.emit == EmitKind::PTX) {
    llvm::raw_string_ostream os(artifact.output);
    for (auto binary : module.getOps<gpu::BinaryOp>())
      for (Attribute a : binary.getObjects())
        if (auto object = dyn_cast<gpu::ObjectAttr>(a))
          os << "// gpu.module @" << binary.getSymName() << "\n"
             << object.getObject().getValue() << "\n";
    return artifact;
  }

  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmCtx, modelName);
  if (!llvmModule)
    return emitError(module.getLoc(), "translation to LLVM IR failed");
  addModelInfo(*llvmModule, sig);
  if (auto weights = module->getAttrOfType<DictionaryAttr>("dr1.gpu_weights"))
    if (!addGPUWeightTables(*llvmModule, weights, error))
      return emitError(module.getLoc(), error);
  std::unique_ptr<llvm::TargetMachine> tm =
      createTargetMachine(*target, options.optLevel, error);
  if (!tm)
    return emitError(UnknownLoc::get(ctx), error);
  if (tm->getTargetTriple().isX86() && !target->hasBF16)
    addBF16Truncation(*llvmModule);
  optimizeModule(*llvmModule, *tm, options.optLevel, options.sanitizeAddress);
  std::string evalHeader;
  if (evalModule) {
    // The loss function, compiled on its own as NAME_run and linked in.
    CompileOptions ev = options;
    ev.train.clear();
    ev.rematerialize = -1;
    ev.emit = EmitKind::LLVMIR;
    FailureOr<Artifact> evalArtifact = dr1::compile(*evalModule, ev);
    if (failed(evalArtifact))
      return failure();
    llvm::SMDiagnostic diag;
    std::unique_ptr<llvm::Module> evalLLVM =
        llvm::parseIR(llvm::MemoryBufferRef(evalArtifact->output, options.name),
                      diag, llvmCtx);
    if (!evalLLVM ||
        llvm::Linker::linkModules(*llvmModule, std::move(evalLLVM)))
      return emitError(module.getLoc(),
                       "linking the loss function into the training step's "
                       "object failed");
    evalHeader = evalArtifact->header;
  }
  if (options.emit == EmitKind::LLVMIR) {
    llvm::raw_string_ostream os(artifact.output);
    llvmModule->print(os, nullptr);
    artifact.header = evalHeader + emitHeader(sig);
    return artifact;
  }
  if (!emitMachineCode(*llvmModule, *tm, options.emit == EmitKind::Asm,
                       artifact.output, error))
    return emitError(UnknownLoc::get(ctx), error);
  artifact.workspaceSize = sig.workspaceSize;
  if (options.emit == EmitKind::Object || options.emit == EmitKind::LLVMIR)
    artifact.header = evalHeader + emitHeader(sig);
  return artifact;
}
