//===- ProfileOps.cpp - the dr1-profile-ops pass --------------------------===//
//
// A compiled model is one function with every layer inlined, so sampling
// profilers cannot say which layer the time goes to. With dr1c --profile
// each top-level piece of work of the entry point (a loop nest, a copy, a
// run of vector code) is bracketed by calls into libdr1rt's profiler,
// labelled with the source locations it came from (ONNX node names,
// file:line of MLIR input).
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Path.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_PROFILEOPS
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

void collectNames(Location loc, llvm::SetVector<StringRef> &names,
                  std::string &fileLine) {
  if (auto n = dyn_cast<NameLoc>(loc)) {
    // The ONNX importer nests the op type under the node name.
    if (auto type = dyn_cast<NameLoc>(n.getChildLoc()))
      names.insert(
          StringAttr::get(loc.getContext(), n.getName().getValue() + " (" +
                                                type.getName().getValue() + ")")
              .getValue());
    else
      names.insert(n.getName().getValue());
    return;
  }
  if (auto f = dyn_cast<FusedLoc>(loc)) {
    for (Location l : f.getLocations())
      collectNames(l, names, fileLine);
    return;
  }
  if (auto c = dyn_cast<CallSiteLoc>(loc))
    return collectNames(c.getCallee(), names, fileLine);
  if (auto f = dyn_cast<FileLineColLoc>(loc); f && fileLine.empty())
    fileLine = (llvm::sys::path::filename(f.getFilename().getValue()) + ":" +
                llvm::Twine(f.getLine()))
                   .str();
}

std::string label(Operation *op) {
  llvm::SetVector<StringRef> names;
  std::string fileLine;
  collectNames(op->getLoc(), names, fileLine);
  if (names.empty())
    return fileLine.empty() ? op->getName().getStringRef().str() : fileLine;
  std::string s;
  for (auto [i, n] : llvm::enumerate(names)) {
    if (i == 3) {
      s += " +" + std::to_string(names.size() - 3) + " more";
      break;
    }
    s += (i ? ", " : "") + n.str();
  }
  return s;
}

/// Ops that take time: loop nests, structured ops, copies, vector code.
/// Views, constants and index arithmetic do not.
bool isWork(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>() || isa<ViewLikeOpInterface>(op) ||
      isa<memref::GetGlobalOp, LLVM::AddressOfOp>(op))
    return false;
  if (op->getNumRegions() > 0 || isa<linalg::LinalgOp, memref::CopyOp>(op))
    return true;
  return !isPure(op);
}

struct ProfileOpsPass : mlir::dr1::impl::ProfileOpsBase<ProfileOpsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    Type i64 = b.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    SmallVector<func::FuncOp> entries;
    for (auto f : module.getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal())
        entries.push_back(f);
    if (entries.empty())
      return;
    auto now = func::FuncOp::create(b, module.getLoc(), "dr1rt_profile_now",
                                    b.getFunctionType({}, {i64}));
    auto record =
        func::FuncOp::create(b, module.getLoc(), "dr1rt_profile_record",
                             b.getFunctionType({ptr, i64}, {}));
    now.setPrivate();
    record.setPrivate();
    llvm::StringMap<LLVM::GlobalOp> strings;
    auto stringFor = [&](StringRef text) {
      LLVM::GlobalOp &g = strings[text];
      if (!g) {
        OpBuilder gb = OpBuilder::atBlockEnd(module.getBody());
        std::string data = text.str();
        data.push_back('\0');
        auto type =
            LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), data.size());
        g = LLVM::GlobalOp::create(gb, module.getLoc(), type,
                                   /*isConstant=*/true, LLVM::Linkage::Internal,
                                   "__dr1_profile_" +
                                       std::to_string(strings.size() - 1),
                                   gb.getStringAttr(data));
      }
      return g;
    };
    for (func::FuncOp f : entries) {
      // Consecutive work with one label is timed as one region.
      SmallVector<std::pair<std::string, SmallVector<Operation *>>> regions;
      for (Operation &op : f.getBody().front()) {
        if (!isWork(&op))
          continue;
        std::string l = label(&op);
        if (!regions.empty() && regions.back().first == l &&
            regions.back().second.back()->getNextNode() == &op)
          regions.back().second.push_back(&op);
        else
          regions.push_back({l, {&op}});
      }
      for (auto &[l, ops] : regions) {
        Location loc = ops.front()->getLoc();
        b.setInsertionPoint(ops.front());
        Value start = func::CallOp::create(b, loc, now).getResult(0);
        b.setInsertionPointAfter(ops.back());
        Value name = LLVM::AddressOfOp::create(b, loc, stringFor(l));
        func::CallOp::create(b, loc, record, ValueRange{name, start});
      }
    }
  }
};
} // namespace
