//===- TargetInfo.cpp - resolving -target / -mcpu / -mattr ----------------===//
#include "Codegen/TargetInfo.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include <memory>
#include <mutex>

using namespace dr1;

void dr1::initializeLLVMTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

namespace {
/// Checks `cpu` and the user's `features` against what LLVM knows of
/// `triple`, appending the features to `featureStr`.
const llvm::Target *validate(const llvm::Triple &triple, llvm::StringRef cpu,
                             llvm::StringRef features, std::string &featureStr,
                             std::string &error) {
  std::string lookupError;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!llvmTarget) {
    error = "target '" + triple.str() + "' is not available: " + lookupError;
    return nullptr;
  }
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      llvmTarget->createMCSubtargetInfo(triple, "", ""));
  // Checked before creating a subtarget for it: LLVM warns on stderr.
  if (!sti->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu.str() + "' for target " + triple.str();
    return nullptr;
  }
  // Validate -mattr ourselves: LLVM only warns about unknown features.
  llvm::SmallVector<llvm::StringRef> userFeatures;
  features.split(userFeatures, ',', -1, false);
  for (llvm::StringRef f : userFeatures) {
    f = f.trim();
    if (f.empty())
      continue;
    if (f[0] != '+' && f[0] != '-') {
      error = "feature '" + f.str() + "' must start with '+' or '-'";
      return nullptr;
    }
    llvm::StringRef name = f.drop_front();
    bool known = llvm::any_of(
        sti->getAllProcessorFeatures(),
        [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
    if (!known) {
      error = "unknown feature '" + name.str() + "' for target " + triple.str();
      return nullptr;
    }
    featureStr += (featureStr.empty() ? "" : ",") + f.str();
  }
  return llvmTarget;
}
} // namespace

mlir::FailureOr<TargetInfo> TargetInfo::resolve(llvm::StringRef target,
                                                llvm::StringRef cpu,
                                                llvm::StringRef features,
                                                std::string &error) {
  initializeLLVMTargets();
  TargetInfo info;
  std::string featureStr;
  bool host = target.empty() || target == "host" || target == "native";
  llvm::Triple triple;
  if (host) {
    triple = llvm::Triple(llvm::sys::getProcessTriple());
    if (cpu.empty() || cpu == "native") {
      info.cpu = llvm::sys::getHostCPUName().str();
      for (const auto &f : llvm::sys::getHostCPUFeatures())
        featureStr += (featureStr.empty() ? "" : ",") +
                      std::string(f.getValue() ? "+" : "-") + f.getKey().str();
    }
  } else if (target == "x86-64" || target == "x86_64") {
    triple = llvm::Triple("x86_64-unknown-linux-gnu");
  } else if (target == "aarch64" || target == "arm64") {
    triple = llvm::Triple("aarch64-unknown-linux-gnu");
  } else if (target == "nvptx" || target == "nvptx64" || target == "cuda") {
    triple = llvm::Triple("nvptx64-nvidia-cuda");
  } else {
    triple = llvm::Triple(llvm::Triple::normalize(target));
  }
  if (triple.getArch() == llvm::Triple::x86_64) {
    info.arch = Arch::X86_64;
  } else if (triple.getArch() == llvm::Triple::aarch64) {
    info.arch = Arch::AArch64;
  } else if (triple.getArch() == llvm::Triple::nvptx64) {
    info.arch = Arch::NVPTX;
  } else {
    error = "unknown target '" + target.str() +
            "' (expected host, x86-64, aarch64, nvptx or a triple of those)";
    return mlir::failure();
  }

  if (info.arch == Arch::NVPTX) {
    info.gpuTriple = triple.str();
    info.gpuChip = cpu.empty() ? "sm_80" : cpu.str();
    if (!validate(triple, info.gpuChip, features, featureStr, error))
      return mlir::failure();
    // LLVM's default PTX version (6.0) cannot express sm_90 and aborts in
    // the backend; PTX 8.0 is what CUDA 12 drivers and later accept.
    if (!llvm::StringRef(featureStr).contains("+ptx"))
      featureStr = "+ptx80" + (featureStr.empty() ? "" : "," + featureStr);
    info.gpuFeatures = featureStr;
    info.gpuMultiprocessors = llvm::StringSwitch<int64_t>(info.gpuChip)
                                  .Cases({"sm_90", "sm_90a"}, 132)
                                  .Cases({"sm_100", "sm_100a"}, 148)
                                  .Case("sm_89", 128)
                                  .Case("sm_86", 84)
                                  .Default(108);
    // The host side launches kernels: generic code for this process's
    // architecture, so the object runs on any CPU of it.
    llvm::Triple hostTriple(llvm::sys::getProcessTriple());
    info.triple = hostTriple.str();
    info.cpu =
        hostTriple.getArch() == llvm::Triple::x86_64 ? "x86-64" : "generic";
    return info;
  }

  info.triple = triple.str();
  if (info.cpu.empty())
    info.cpu = cpu.empty() ? (info.arch == Arch::X86_64 ? "x86-64" : "generic")
                           : cpu.str();
  const llvm::Target *llvmTarget =
      validate(triple, info.cpu, features, featureStr, error);
  if (!llvmTarget)
    return mlir::failure();
  info.features = featureStr;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      llvmTarget->createMCSubtargetInfo(triple, info.cpu, featureStr));
  if (info.arch == Arch::X86_64) {
    if (sti->checkFeatures("+avx512f")) {
      info.vectorBits = 512;
      info.numVectorRegisters = 32;
    } else if (sti->checkFeatures("+avx")) {
      info.vectorBits = 256;
      info.numVectorRegisters = 16;
    } else {
      info.vectorBits = 128;
      info.numVectorRegisters = 16;
    }
    info.hasFMA = sti->checkFeatures("+fma");
    info.hasVNNI = sti->checkFeatures("+avx512f,+avx512vnni");
    info.hasBF16 = sti->checkFeatures("+avx512f,+avx512bf16");
    // Sapphire / Emerald Rapids run vdpbf16ps at half the rate of f32 FMAs
    // in flops (79 against 165 GFLOP/s on one core, bench/quant/peak.c):
    // there, widened operands on the FMA kernels are faster.
    info.bf16Dot = info.hasBF16 && info.cpu != "sapphirerapids" &&
                   info.cpu != "emeraldrapids";
  } else {
    info.vectorBits = 128;
    info.numVectorRegisters = 32;
    info.hasFMA = true;
    info.hasDotProd = sti->checkFeatures("+dotprod");
  }
  return info;
}
