//===- Compiler.h - the dr1 compiler library --------------------*- C++ -*-===//
//
// One options struct and one entry point. dr1c, the dr1-opt pipelines and
// the Python bindings are thin callers of this.
//
//   mlir::MLIRContext ctx;
//   dr1::registerDialects(ctx);
//   auto module = mlir::parseSourceFile<mlir::ModuleOp>("model.mlir", &ctx);
//   dr1::CompileOptions opts;
//   opts.target = "aarch64";
//   opts.name = "mlp";
//   mlir::FailureOr<dr1::Artifact> art = dr1::compile(*module, opts);
//   // art->object: ELF relocatable bytes; art->header: the C header.
//
// Diagnostics go to the context's diagnostic handler.
//
//===----------------------------------------------------------------------===//
#ifndef DR1_COMPILER_COMPILER_H
#define DR1_COMPILER_COMPILER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include <functional>
#include <string>
#include <vector>

namespace dr1 {

enum class EmitKind {
  MLIR,          ///< dr1 dialect after graph-level simplification
  Linalg,        ///< linalg on tensors, before code generation
  LLVMIR,        ///< optimized LLVM IR
  Asm,           ///< target assembly
  Object,        ///< ELF relocatable object (+ header)
  MemoryPlan,    ///< every workspace buffer: size, lifetime, offset; the arena
  MemoryPlanSVG, ///< the same as a picture: offsets against lifetimes
  PTX,           ///< GPU targets: the kernels' PTX, one module after another
};

struct CompileOptions {
  /// "host" (default), "x86-64", "aarch64", "nvptx" (alias "cuda"), or a
  /// triple of those. For nvptx, `cpu` is the GPU's SM ("sm_90", default
  /// sm_80) and `features` its PTX features; the host code is generic code
  /// for this machine's architecture.
  std::string target = "host";
  /// -mcpu; empty: the host CPU for "host", a generic CPU otherwise.
  std::string cpu;
  /// -mattr, e.g. "+avx2,-avx512f".
  std::string features;
  /// 0..3.
  unsigned optLevel = 3;
  /// 1: serial code that needs nothing beyond libc. More than 1: the outer
  /// loops of convolutions and matmuls are split across OpenMP threads; the
  /// object must be linked with libomp (-lomp), and the number of threads
  /// at run time is OpenMP's (OMP_NUM_THREADS, omp_set_num_threads or
  /// libdr1rt's dr1rt_set_num_threads; otherwise one per core). dr1's Python
  /// wrapper sets it to this number.
  unsigned threads = 1;
  /// Prefix of every exported symbol; must be a C identifier.
  std::string name = "model";
  /// Entry function; empty: the module's only public function.
  std::string entry;
  EmitKind emit = EmitKind::Object;
  /// Instrument the model's code with AddressSanitizer (LLVM's pass, after
  /// optimization): out-of-bounds reads and writes of the caller's inputs,
  /// outputs and workspace, and of the model's stack scratch, are reported
  /// at run time. The object must be linked with -fsanitize=address.
  bool sanitizeAddress = false;
  /// Time every top-level piece of work of the model (a layer's loop nest,
  /// a copy) through libdr1rt's profiler, which prints a table per source
  /// location (ONNX node) at exit. The object must be linked with libdr1rt.
  bool profile = false;
  /// Testing aid for GPU code generation without a GPU: a CPU target runs
  /// the GPU strategy (loop nests tiled and mapped to blocks and threads,
  /// serial accesses wrapped, weights sunk) with the mapped loops executed
  /// in order on the CPU instead of launched as kernels.
  bool emulateGPU = false;
  /// Tuning aid: BMxBNxTMxTN forces the tile of every GPU matmul kernel
  /// (dr1-gpu-tile-matmul); empty: chosen per product.
  std::string gpuMatmulTile;
  /// "" (default): products stay in their precision (ops that already carry
  /// dr1.input_range are still made int8 by dr1-quantize). "int8": every
  /// matmul, linear and conv2d with constant weights is calibrated on
  /// `calibrationData` and runs on int8. "bf16": their weights and
  /// activations are rounded to bf16, sums kept in f32 (vdpbf16ps where the
  /// CPU has it). "f16": weights stored as f16, computed in f32. bf16 and
  /// f16 need no calibration. "mixed": per layer int8, f16 or f32, chosen
  /// by running variants on `calibrationData` (an .npz) and keeping the
  /// outputs' agreement with f32 (1 - sum|y - y_f32| / sum|y_f32|) within
  /// `accuracyBudget`: the least sensitive layers int8, then f16 where it
  /// still fits.
  std::string quantize;
  /// For "mixed": the largest relative loss of agreement allowed.
  double accuracyBudget = 0.01;
  /// For "mixed": called with a line per step of the search.
  std::function<void(const std::string &)> mixedProgress;
  /// How bf16 x bf16 -> f32 products run on x86: "auto" (vdpbf16ps kernels
  /// where the CPU has them and they beat f32 FMAs), "dot" (vdpbf16ps;
  /// an error without avx512bf16) or "widen" (operands widened to f32).
  std::string bf16Kernel = "auto";
  /// For int8: an .npz file with one array per model input (by input name,
  /// or arr_0, arr_1, ... in input order), each the input's shape, with a
  /// leading sample dimension for several samples (or, for a batch-1
  /// input, samples along the batch dimension); or a .json table that
  /// `calibrationSave` wrote for this model.
  std::string calibrationData;
  /// Where to write the ranges calibration found (JSON); given later as
  /// `calibrationData` (a .json path), they replace running the samples.
  std::string calibrationSave;
  /// How ranges are chosen from the samples: "minmax" (default: all values
  /// seen), "percentile" (without the 0.01% most extreme values at each
  /// end) or "mse" (the range with the least expected squared int8 error,
  /// from a histogram).
  std::string calibrationMethod = "minmax";
  /// Per quantizable layer, in the order Artifact::layers lists them:
  /// "int8", "bf16", "f16" or "f32" (mixed precision; int8 needs
  /// quantize == "int8" and its calibration). Layers past the end get
  /// `quantize`.
  std::vector<std::string> layerPrecisions;
  /// Called after each calibration sample with (done, total).
  std::function<void(int64_t, int64_t)> calibrationProgress;
  /// "" (default): the entry runs inference. "sgd", "adam" or "adamw": the
  /// entry is a loss (first result a 0-d float tensor, parameters marked
  /// dr1.trainable); it is differentiated (dr1-autodiff) and compiled as one
  /// training step with that optimizer (dr1-train-step), which updates the
  /// parameters and optimizer state in place (DR1_MODEL_TRAIN_STEP).
  std::string train;
  /// For `train`: SGD momentum, and weight decay (L2 for SGD and Adam,
  /// decoupled for AdamW).
  double momentum = 0.0;
  double weightDecay = 0.0;
  /// For `train`: gradient checkpointing (dr1-rematerialize). -1: off;
  /// 0: ceil(sqrt(m)) runs of the m forward ops whose values the backward
  /// pass reads, or as rematerializeBudget says; k > 0: k runs.
  int64_t rematerialize = -1;
  /// With rematerialize = 0 and > 0: bytes of saved activations the
  /// backward pass may hold at once; the fewest runs that fit.
  int64_t rematerializeBudget = 0;
  /// Optional dr1 passes to skip (by flag, e.g. "dr1-fold-batch-norm"),
  /// to measure what each contributes.
  std::vector<std::string> disabledPasses;
};

/// A layer calibration measured (quantize = "int8").
struct QuantizedLayer {
  std::string name;      ///< source location: ONNX node name, or file:line
  std::string op;        ///< "dr1.conv2d", ...
  int64_t weightElements; ///< elements of its weight
  int64_t channels;       ///< output channels (one int8 scale each)
  float min, max;        ///< the activation range seen
  std::string precision; ///< compiled in: "int8", "bf16", "f16" or "f32"
};

struct Artifact {
  /// Textual output for MLIR / Linalg / LLVMIR / Asm; object bytes for Object.
  std::string output;
  /// The C header (Object only).
  std::string header;
  /// Bytes of workspace the entry point needs (Object only).
  uint64_t workspaceSize = 0;
  /// With quantize = "int8": every calibrated layer.
  std::vector<QuantizedLayer> layers;
};

/// Compiles `module` (dr1 dialect, possibly mixed with func/arith/tensor).
/// The module is transformed in place.
mlir::FailureOr<Artifact> compile(mlir::ModuleOp module,
                                  const CompileOptions &options);

} // namespace dr1

#endif // DR1_COMPILER_COMPILER_H
