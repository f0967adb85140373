//===- TargetInfo.cpp - resolving -target / -mcpu / -mattr ----------------===//
#include "Codegen/TargetInfo.h"

#include "llvm/ADT/StringMap.h"
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
  } else {
    triple = llvm::Triple(llvm::Triple::normalize(target));
  }
  if (triple.getArch() == llvm::Triple::x86_64) {
    info.arch = Arch::X86_64;
  } else if (triple.getArch() == llvm::Triple::aarch64) {
    info.arch = Arch::AArch64;
  } else {
    error = "unknown target '" + target.str() +
            "' (expected host, x86-64, aarch64 or a triple of those)";
    return mlir::failure();
  }
  info.triple = triple.str();
  if (info.cpu.empty())
    info.cpu = cpu.empty() ? (info.arch == Arch::X86_64 ? "x86-64" : "generic")
                           : cpu.str();

  std::string lookupError;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!llvmTarget) {
    error = "target '" + info.triple + "' is not available: " + lookupError;
    return mlir::failure();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      llvmTarget->createMCSubtargetInfo(triple, "", ""));
  // Checked before creating a subtarget for it: LLVM warns on stderr.
  if (!sti->isCPUStringValid(info.cpu)) {
    error = "unknown CPU '" + info.cpu + "' for target " + info.triple;
    return mlir::failure();
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
      return mlir::failure();
    }
    llvm::StringRef name = f.drop_front();
    bool known = llvm::any_of(
        sti->getAllProcessorFeatures(),
        [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
    if (!known) {
      error = "unknown feature '" + name.str() + "' for target " + info.triple;
      return mlir::failure();
    }
    featureStr += (featureStr.empty() ? "" : ",") + f.str();
  }
  info.features = featureStr;
  sti.reset(llvmTarget->createMCSubtargetInfo(triple, info.cpu, featureStr));
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
  } else {
    info.vectorBits = 128;
    info.numVectorRegisters = 32;
    info.hasFMA = true;
  }
  return info;
}
