//===- dr1c.cpp - the dr1 compiler driver ---------------------------------===//
//
//   dr1c model.mlir -target=aarch64 -o model.o     # also writes model.h
//   dr1c model.mlir -emit=linalg                   # print a pipeline stage
//
// Every failure prints one line "file:line:col: error: ..." and exits 1;
// outputs are written to temporaries and renamed, so a failed run leaves
// nothing behind.
//
//===----------------------------------------------------------------------===//
#include "dr1/Compiler/Compiler.h"
#include "dr1/Compiler/OnnxImport.h"
#include "dr1/Compiler/Registration.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory dr1Category("dr1c options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model.mlir|model.onnx>"),
                                      cl::Required, cl::cat(dr1Category));
static cl::opt<std::string>
    outputFile("o",
               cl::desc("Output file; for -emit=obj the header is written "
                        "beside it with the extension .h (default: the input's "
                        "stem + .o; '-' for text to stdout)"),
               cl::value_desc("file"), cl::cat(dr1Category));
static cl::opt<std::string>
    target("target",
           cl::desc("Target: host (default), x86-64, aarch64, nvptx (alias "
                    "cuda: NVIDIA GPUs, kernels as PTX in a host object), or "
                    "a triple"),
           cl::init("host"), cl::cat(dr1Category));
static cl::opt<std::string>
    mcpu("mcpu",
         cl::desc("Target CPU, e.g. znver4, cortex-a76, or the GPU's SM for "
                  "nvptx, e.g. sm_90 (default: the host's CPU for "
                  "-target=host, sm_80 for nvptx, generic otherwise)"),
         cl::cat(dr1Category));
static cl::opt<std::string>
    mattr("mattr", cl::desc("Target features, e.g. +avx2,-avx512f"),
          cl::cat(dr1Category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("What to produce: mlir (dr1 after graph passes), linalg "
                  "(linalg on tensors), memory-plan (workspace buffers, "
                  "lifetimes, offsets), memory-plan-svg (the same as a "
                  "picture), llvm (optimized LLVM IR), asm, ptx (the "
                  "kernels of a GPU target), obj (default: object + "
                  "header)"),
         cl::init("obj"), cl::cat(dr1Category));
static cl::opt<unsigned>
    optLevel("O", cl::desc("Optimization level 0-3 (default 3)"), cl::Prefix,
             cl::init(3), cl::cat(dr1Category));
static cl::opt<std::string>
    sanitize("sanitize",
             cl::desc("Instrument the compiled code: 'address' "
                      "(AddressSanitizer; link with -fsanitize=address)"),
             cl::value_desc("kind"), cl::cat(dr1Category));
static cl::opt<std::string>
    modelName("name",
              cl::desc("Prefix of every exported symbol (default: the input "
                       "file's stem)"),
              cl::cat(dr1Category));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Entry function (default: the only public function, "
                       "or @forward / @main)"),
              cl::cat(dr1Category));

static cl::opt<bool>
    profile("profile",
            cl::desc("Time each layer's code at run time (CPU targets; link "
                     "with libdr1rt, which prints a table per ONNX node or "
                     "source line at exit)"),
            cl::cat(dr1Category));
static cl::opt<bool> gpuEmulate(
    "gpu-emulate",
    cl::desc("Testing aid: compile for the CPU target with the GPU strategy, "
             "its blocks and threads run in order on the CPU"),
    cl::Hidden, cl::cat(dr1Category));
static cl::opt<std::string> gpuMatmulTile(
    "gpu-matmul-tile",
    cl::desc("Tuning aid: BMxBNxTMxTN, the tile of every GPU matmul kernel"),
    cl::Hidden, cl::cat(dr1Category));
static cl::opt<unsigned> numThreads(
    "num-threads",
    cl::desc("1 (default): serial code needing only libc; N > 1: "
             "convolutions and matmuls split across OpenMP threads (link "
             "with -lomp; OMP_NUM_THREADS or dr1rt_set_num_threads picks the "
             "count at run time)"),
    cl::init(1), cl::cat(dr1Category));
static cl::list<std::string> disabledPasses(
    "disable-pass",
    cl::desc("Skip an optional optimization to measure its effect "
             "(dr1-fold-batch-norm, dr1-fuse-attention, "
             "dr1-fuse-squeeze-excitation, dr1-propagate-transposes, "
             "dr1-fuse-elementwise, "
             "dr1-fuse-epilogue, dr1-row-padded-products, dr1-fuse-rows, "
             "dr1-vectorize-elementwise, dr1-gpu-tile-matmul; "
             "repeatable)"),
    cl::value_desc("pass"), cl::cat(dr1Category));
static cl::opt<std::string> quantize(
    "quantize",
    cl::desc("Precision of matmuls, linears and convolutions with constant "
             "weights: int8 (per-channel weights, calibrated activations; "
             "needs --calibration), bf16 (weights and activations rounded "
             "to bf16, f32 sums), f16 (f16 weights, f32 compute) or mixed "
             "(per layer int8, f16 or f32 from each layer's measured "
             "sensitivity on the --calibration samples, within "
             "--accuracy-budget)"),
    cl::value_desc("int8|bf16|f16|mixed"), cl::cat(dr1Category));
static cl::opt<double> accuracyBudget(
    "accuracy-budget",
    cl::desc("For --quantize=mixed: the largest relative loss of agreement "
             "with the f32 model's outputs on the samples (default 0.01)"),
    cl::init(0.01), cl::cat(dr1Category));
static cl::opt<std::string> bf16Kernel(
    "bf16-kernel",
    cl::desc("bf16 products on x86: auto (vdpbf16ps where the CPU has it "
             "and it beats f32 FMAs), dot (vdpbf16ps) or widen (f32 FMAs "
             "on widened operands)"),
    cl::init("auto"), cl::cat(dr1Category));
static cl::opt<std::string> calibration(
    "calibration",
    cl::desc("Calibration samples for --quantize=int8: an .npz with one "
             "array per model input (by name, or arr_0, arr_1, ...), a "
             "leading sample dimension for several samples; or the .json "
             "table --save-calibration wrote"),
    cl::value_desc("data.npz"), cl::cat(dr1Category));
static cl::opt<std::string> saveCalibration(
    "save-calibration",
    cl::desc("Write the activation ranges calibration found to FILE.json; "
             "--calibration=FILE.json later reuses them without the samples"),
    cl::value_desc("FILE.json"), cl::cat(dr1Category));
static cl::opt<std::string> calibrationMethod(
    "calibration-method",
    cl::desc("How activation ranges are chosen: minmax (default: every "
             "value seen), percentile (0.01% left out at each end) or mse "
             "(least expected squared int8 error)"),
    cl::init("minmax"), cl::cat(dr1Category));
static cl::opt<std::string>
    train("train",
          cl::desc("Compile one training step instead of inference: the entry "
                   "is a loss (first result a 0-d float tensor) whose "
                   "dr1.trainable arguments are updated in place by this "
                   "optimizer, with its state as extra in-place inputs and the "
                   "learning rate as a run-time input"),
          cl::value_desc("sgd|adam|adamw"), cl::cat(dr1Category));
static cl::opt<double> momentum("momentum",
                                cl::desc("For --train=sgd: momentum"),
                                cl::init(0.0), cl::cat(dr1Category));
static cl::opt<double> weightDecay(
    "weight-decay",
    cl::desc("For --train: weight decay (L2 for sgd and adam, decoupled "
             "for adamw)"),
    cl::init(0.0), cl::cat(dr1Category));
static cl::opt<std::string> rematerialize(
    "rematerialize",
    cl::desc("For --train: gradient checkpointing; keep only segment "
             "boundaries of the forward pass and recompute the rest in the "
             "backward pass: sqrt (sqrt(m) segments), a number of "
             "segments, or a budget for the saved activations (e.g. 64MiB: "
             "the fewest segments that fit)"),
    cl::value_desc("sqrt|N|<N>MiB"), cl::cat(dr1Category));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Static shape for an ONNX input with symbolic dimensions, e.g. "
             "--input-shape=x:1x3x224x224 (repeatable)"),
    cl::value_desc("name:d0xd1x..."), cl::cat(dr1Category));

namespace {

[[noreturn]] void fatal(const Twine &msg) {
  errs() << "dr1c: error: " << msg << "\n";
  exit(1);
}

std::string locationPrefix(mlir::Location loc) {
  if (auto fl = dyn_cast<mlir::FileLineColLoc>(loc)) {
    if (fl.getLine() == 0) // a non-text input (ONNX): the file alone
      return (fl.getFilename().str() + ": ");
    return (fl.getFilename().str() + ":" + Twine(fl.getLine()) + ":" +
            Twine(fl.getColumn()) + ": ")
        .str();
  }
  if (auto nl = dyn_cast<mlir::NameLoc>(loc))
    return locationPrefix(nl.getChildLoc());
  if (auto cl = dyn_cast<mlir::CallSiteLoc>(loc))
    return locationPrefix(cl.getCallee());
  if (auto fused = dyn_cast<mlir::FusedLoc>(loc))
    for (mlir::Location l : fused.getLocations())
      if (std::string p = locationPrefix(l); !p.empty())
        return p;
  return "";
}

std::string defaultName(StringRef path) {
  std::string stem = sys::path::stem(path).str();
  std::string out;
  for (char c : stem)
    out += (isAlnum(c) || c == '_') ? c : '_';
  if (out.empty() || isDigit(out[0]))
    out = "model_" + out;
  return out;
}

/// Writes `contents` to a temporary beside `path`; the caller renames it.
std::string writeTemp(StringRef path, StringRef contents) {
  SmallString<256> tmp;
  int fd;
  std::string model = (path + ".tmp-%%%%%%").str();
  if (std::error_code ec = sys::fs::createUniqueFile(model, fd, tmp))
    fatal("cannot write '" + path + "': " + ec.message());
  raw_fd_ostream os(fd, /*shouldClose=*/true);
  os << contents;
  os.close();
  if (os.has_error()) {
    sys::fs::remove(tmp);
    fatal("cannot write '" + path + "': " + os.error().message());
  }
  return std::string(tmp);
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(dr1Category);
  cl::ParseCommandLineOptions(argc, argv,
                              "dr1c: compile a dr1-dialect or ONNX model to an "
                              "object file and a C header\n");

  dr1::CompileOptions options;
  options.target = target;
  options.cpu = mcpu;
  options.features = mattr;
  options.optLevel = optLevel;
  options.entry = entryName;
  options.name = modelName.empty() ? defaultName(inputFile) : modelName;
  StringRef e = emit;
  if (e == "mlir")
    options.emit = dr1::EmitKind::MLIR;
  else if (e == "linalg")
    options.emit = dr1::EmitKind::Linalg;
  else if (e == "llvm")
    options.emit = dr1::EmitKind::LLVMIR;
  else if (e == "asm")
    options.emit = dr1::EmitKind::Asm;
  else if (e == "obj")
    options.emit = dr1::EmitKind::Object;
  else if (e == "memory-plan")
    options.emit = dr1::EmitKind::MemoryPlan;
  else if (e == "memory-plan-svg")
    options.emit = dr1::EmitKind::MemoryPlanSVG;
  else if (e == "ptx")
    options.emit = dr1::EmitKind::PTX;
  else
    fatal("unknown -emit=" + e +
          " (expected mlir, linalg, memory-plan, memory-plan-svg, llvm, asm, "
          "ptx or obj)");
  options.disabledPasses.assign(disabledPasses.begin(), disabledPasses.end());
  if (!sanitize.empty() && sanitize != "address")
    fatal("unknown --sanitize=" + sanitize + " (expected address)");
  options.sanitizeAddress = sanitize == "address";
  if (numThreads < 1)
    fatal("--num-threads must be at least 1");
  options.threads = numThreads;
  options.emulateGPU = gpuEmulate;
  options.gpuMatmulTile = gpuMatmulTile;
  options.profile = profile;
  options.quantize = quantize;
  options.train = train;
  options.momentum = momentum;
  options.weightDecay = weightDecay;
  if (rematerialize == "sqrt") {
    options.rematerialize = 0;
  } else if (StringRef r(rematerialize); r.consume_back("MiB")) {
    // A budget for the saved activations.
    int64_t mib;
    if (r.getAsInteger(10, mib) || mib < 1)
      fatal("--rematerialize=<N>MiB takes a whole number of MiB >= 1, not '" +
            rematerialize + "'");
    options.rematerialize = 0;
    options.rematerializeBudget = mib << 20;
  } else if (!rematerialize.empty()) {
    if (StringRef(rematerialize).getAsInteger(10, options.rematerialize) ||
        options.rematerialize < 2)
      fatal("--rematerialize takes sqrt, a number of segments >= 2 or a "
            "budget in MiB (64MiB), not '" +
            rematerialize + "'");
  }
  options.bf16Kernel = bf16Kernel;
  options.accuracyBudget = accuracyBudget;
  options.mixedProgress = [](const std::string &line) {
    errs() << "dr1c: mixed precision: " << line << "\n";
  };
  options.calibrationData = calibration;
  options.calibrationMethod = calibrationMethod;
  options.calibrationSave = saveCalibration;
  // Calibration runs the model once per sample: show how far it got.
  bool tty = sys::Process::StandardErrIsDisplayed();
  options.calibrationProgress = [tty](int64_t done, int64_t total) {
    if (tty && (done == total || done % std::max<int64_t>(1, total / 100) == 0))
      errs() << "\rdr1c: calibrating: " << done << "/" << total << " samples"
             << (done == total ? "\n" : "");
  };
  if (optLevel > 3)
    fatal("unknown optimization level -O" + Twine(optLevel) +
          " (expected 0-3)");

  dr1::OnnxImportOptions onnxOptions;
  for (StringRef spec : inputShapes) {
    auto [name, dims] = spec.rsplit(':');
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    std::vector<int64_t> shape;
    for (StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0)
        fatal("bad --input-shape '" + spec + "' (expected name:1x3x224x224)");
      shape.push_back(d);
    }
    if (name.empty() || dims.empty())
      fatal("bad --input-shape '" + spec + "' (expected name:1x3x224x224)");
    onnxOptions.inputShapes[name.str()] = shape;
  }
  bool isOnnx = StringRef(inputFile).ends_with_insensitive(".onnx");

  auto fileOrErr = MemoryBuffer::getFileOrSTDIN(inputFile);
  if (!fileOrErr)
    fatal("cannot read '" + inputFile + "': " + fileOrErr.getError().message());

  mlir::MLIRContext context;
  dr1::registerDialects(context);
  context.allowUnregisteredDialects(false);
  // One line per error, with its location; the first error is the one that
  // matters (later ones are usually its consequences).
  bool reported = false;
  context.getDiagEngine().registerHandler([&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() != mlir::DiagnosticSeverity::Error || reported)
      return mlir::success();
    reported = true;
    std::string msg = diag.str();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::string prefix = locationPrefix(diag.getLocation());
    errs() << (prefix.empty() ? std::string("dr1c: ") : prefix)
           << "error: " << msg << "\n";
    return mlir::success();
  });

  SourceMgr sourceMgr;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (isOnnx) {
    module = dr1::importOnnxFile(context, inputFile, onnxOptions);
  } else {
    sourceMgr.AddNewSourceBuffer(std::move(*fileOrErr), SMLoc());
    module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  }
  if (!module)
    return 1;

  mlir::FailureOr<dr1::Artifact> artifact = dr1::compile(*module, options);
  if (failed(artifact)) {
    if (!reported)
      errs() << "dr1c: error: compilation failed\n";
    return 1;
  }

  bool binary = options.emit == dr1::EmitKind::Object;
  std::string out = outputFile;
  if (out.empty())
    out = binary ? (sys::path::stem(inputFile) + ".o").str() : "-";
  if (out == "-") {
    if (binary && sys::Process::StandardOutIsDisplayed())
      fatal("refusing to write an object file to a terminal; use -o");
    outs() << artifact->output;
    outs().flush();
    return 0;
  }
  std::string tmpOut = writeTemp(out, artifact->output);
  std::string header, tmpHeader;
  if (binary) {
    SmallString<256> h(out);
    sys::path::replace_extension(h, ".h");
    header = std::string(h);
    tmpHeader = writeTemp(header, artifact->header);
  }
  if (std::error_code ec = sys::fs::rename(tmpOut, out)) {
    sys::fs::remove(tmpOut);
    if (!tmpHeader.empty())
      sys::fs::remove(tmpHeader);
    fatal("cannot write '" + out + "': " + ec.message());
  }
  if (!tmpHeader.empty())
    if (std::error_code ec = sys::fs::rename(tmpHeader, header)) {
      sys::fs::remove(tmpHeader);
      sys::fs::remove(out);
      fatal("cannot write '" + header + "': " + ec.message());
    }
  return 0;
}
