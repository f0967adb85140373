//===- PlanWorkspace.cpp - the dr1-plan-workspace pass --------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_PLANWORKSPACE
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
struct PlanWorkspacePass : mlir::dr1::impl::PlanWorkspaceBase<PlanWorkspacePass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isPrivate() || func.isExternal())
        continue;
      if (failed(planFunction(func)))
        return signalPassFailure();
    }
  }

  LogicalResult planFunction(func::FuncOp func) {
    SmallVector<memref::AllocOp> allocs;
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
          !type.getElementType().isIntOrFloat()) {
        alloc.emitError("cannot place a buffer of type ")
            << type << " in the workspace (dynamic or strided)";
        return WalkResult::interrupt();
      }
      allocs.push_back(alloc);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    SmallVector<int64_t> offsets;
    int64_t size = 0;
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      int64_t bytes = type.getNumElements() *
                      llvm::divideCeil(type.getElementTypeBitWidth(), 8);
      int64_t align = std::max<int64_t>(alignment, alloc.getAlignment().value_or(1));
      size = llvm::alignTo(size, align);
      offsets.push_back(size);
      size += bytes;
    }
    size = llvm::alignTo(size, alignment);

    MLIRContext *ctx = &getContext();
    auto wsType = MemRefType::get({size}, IntegerType::get(ctx, 8));
    unsigned idx = func.getNumArguments();
    if (failed(func.insertArgument(idx, wsType, {}, func.getLoc())))
      return failure();
    func.setArgAttr(idx, "dr1.workspace", UnitAttr::get(ctx));
    Value ws = func.getArgument(idx);

    OpBuilder b(ctx);
    for (auto [alloc, offset] : llvm::zip(allocs, offsets)) {
      b.setInsertionPoint(alloc);
      Value off = arith::ConstantIndexOp::create(b, alloc.getLoc(), offset);
      Value view = memref::ViewOp::create(b, alloc.getLoc(), alloc.getType(),
                                          ws, off, ValueRange{});
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    func->setAttr("dr1.workspace_size",
                  IntegerAttr::get(IntegerType::get(ctx, 64), size));
    return success();
  }
};
} // namespace
