//===- TargetInfo.h - what code generation knows about a target -*- C++ -*-===//
//
// One description per target drives every strategy: adding a CPU variant or
// an architecture adds a description, not a fork of the pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef DR1_CODEGEN_TARGETINFO_H
#define DR1_CODEGEN_TARGETINFO_H

#include "mlir/Support/LLVM.h"
#include <string>

namespace dr1 {

struct TargetInfo {
  enum class Arch { X86_64, AArch64, NVPTX };
  Arch arch = Arch::X86_64;
  /// The host code's triple, CPU and features. For NVPTX that is the code
  /// that launches the kernels: the process's triple and a generic CPU.
  std::string triple;
  std::string cpu;
  /// Full LLVM feature string ("+avx2,+fma,...") handed to the TargetMachine.
  std::string features;
  int64_t vectorBits = 128;
  int64_t numVectorRegisters = 16;
  bool hasFMA = false;
  /// x86: AVX-512 VNNI (vpdpbusd), for int8 products.
  bool hasVNNI = false;
  /// x86: AVX-512 BF16 (vdpbf16ps), for bf16 products.
  bool hasBF16 = false;
  /// bf16 products run as vdpbf16ps kernels (else their operands are
  /// widened to f32 for the FMA kernels): where the CPU has the instruction
  /// and it is not slower than FMAs (Zen 4's is: see TargetInfo.cpp).
  bool bf16Dot = false;
  /// AArch64: the dot-product extension (sdot), for int8 products.
  bool hasDotProd = false;
  /// 1: serial code. More: outer loops run on OpenMP threads.
  int64_t threads = 1;
  /// NVPTX only: the kernels' triple, SM ("sm_90") and PTX features.
  std::string gpuTriple;
  std::string gpuChip;
  std::string gpuFeatures;
  /// Multiprocessors of the SM's largest part (sm_90: H100/H200, 132):
  /// GPU matmul tiles are chosen to give each one a block.
  int64_t gpuMultiprocessors = 108;
  /// Testing and tuning: forces dr1-gpu-tile-matmul's tile (BMxBNxTMxTN).
  std::string gpuMatmulTile;

  bool isGPU() const { return arch == Arch::NVPTX; }

  /// Resolves `-target`, `-mcpu`, `-mattr`. `target` is "host", "x86-64",
  /// "aarch64", "nvptx"/"cuda" or a triple of those architectures; an
  /// empty `cpu` means the host CPU for "host", sm_80 for NVPTX and a
  /// generic CPU otherwise. For NVPTX, `cpu` and `features` describe the
  /// GPU. On failure, `error` says which part is wrong.
  static mlir::FailureOr<TargetInfo> resolve(llvm::StringRef target,
                                             llvm::StringRef cpu,
                                             llvm::StringRef features,
                                             std::string &error);
};

/// Registers LLVM's targets once (x86, AArch64, ...).
void initializeLLVMTargets();

} // namespace dr1

#endif // DR1_CODEGEN_TARGETINFO_H
