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
  enum class Arch { X86_64, AArch64 };
  Arch arch = Arch::X86_64;
  std::string triple;
  std::string cpu;
  /// Full LLVM feature string ("+avx2,+fma,...") handed to the TargetMachine.
  std::string features;
  int64_t vectorBits = 128;
  int64_t numVectorRegisters = 16;
  bool hasFMA = false;
  /// 1: serial code. More: outer loops run on OpenMP threads.
  int64_t threads = 1;

  /// Resolves `-target`, `-mcpu`, `-mattr`. `target` is "host", "x86-64",
  /// "aarch64" or a triple of those architectures; an empty `cpu` means
  /// the host CPU for "host" and a generic CPU otherwise. On failure,
  /// `error` says which part is wrong.
  static mlir::FailureOr<TargetInfo> resolve(llvm::StringRef target,
                                             llvm::StringRef cpu,
                                             llvm::StringRef features,
                                             std::string &error);
};

/// Registers LLVM's targets once (x86, AArch64, ...).
void initializeLLVMTargets();

} // namespace dr1

#endif // DR1_CODEGEN_TARGETINFO_H
