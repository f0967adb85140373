//===- ObjectEmitter.h - LLVM IR to object code, in process -----*- C++ -*-===//
#ifndef DR1_TARGET_OBJECTEMITTER_H
#define DR1_TARGET_OBJECTEMITTER_H

#include "Codegen/TargetInfo.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>
#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace dr1 {

/// A TargetMachine for `target` (PIC, so objects link into executables and
/// shared libraries alike); null with `error` set on failure.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const TargetInfo &target, unsigned optLevel,
                    std::string &error);

/// Sets triple, data layout and per-function CPU attributes, then runs
/// LLVM's default pipeline at `optLevel`, followed by AddressSanitizer's
/// instrumentation when `sanitizeAddress` is set.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                    unsigned optLevel, bool sanitizeAddress = false);

/// Object file bytes, or assembly text when `assembly` is set.
bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &tm,
                     bool assembly, std::string &out, std::string &error);

} // namespace dr1

#endif // DR1_TARGET_OBJECTEMITTER_H
