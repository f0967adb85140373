//===- PlanWorkspace.cpp - the dr1-plan-workspace pass --------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

namespace mlir::dr1 {
#define GEN_PASS_DEF_PLANWORKSPACE
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {
struct PlanWorkspacePass
    : mlir::dr1::impl::PlanWorkspaceBase<PlanWorkspacePass> {
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
    // Scratch buffers inside parallel loops are per thread: they go on each
    // thread's stack rather than into the shared workspace.
    SmallVector<memref::AllocOp> threadLocal;
    func.walk([&](memref::AllocOp alloc) {
      if (alloc->getParentOfType<scf::ForallOp>() ||
          alloc->getParentOfType<scf::ParallelOp>())
        threadLocal.push_back(alloc);
    });
    for (memref::AllocOp alloc : threadLocal) {
      // At the top of the parallel loop's body: an alloca inside a nested
      // serial loop would grow the stack every iteration. The body runs
      // its iterations one after another on a thread, so one buffer serves
      // them all; static shapes only.
      Operation *parallel = alloc->getParentOp();
      while (!isa<scf::ForallOp, scf::ParallelOp>(parallel))
        parallel = parallel->getParentOp();
      OpBuilder b(alloc);
      if (alloc.getDynamicSizes().empty())
        b.setInsertionPointToStart(&parallel->getRegion(0).front());
      auto alloca = memref::AllocaOp::create(b, alloc.getLoc(), alloc.getType(),
                                             alloc.getDynamicSizes(),
                                             alloc.getAlignmentAttr());
      alloc.replaceAllUsesWith(alloca.getResult());
      alloc.erase();
    }

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

    // Lifetimes, in positions of the function's top-level ops: from the
    // first use (not the alloc, which CSE of equal tensor.empty ops may
    // have placed well before it) to the last; a buffer used inside a loop
    // lives for the whole loop; views of it and loop results it flows into
    // extend its life.
    Block &entry = func.getBody().front();
    DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(entry))
      position[&op] = i;
    auto anchor = [&](Operation *op) {
      while (op->getBlock() != &entry)
        op = op->getParentOp();
      return position.lookup(op);
    };
    struct Buffer {
      memref::AllocOp alloc;
      int64_t bytes, align, start, end, offset = 0;
    };
    SmallVector<Buffer> buffers;
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      Buffer b{
          alloc,
          type.getNumElements() * static_cast<int64_t>(llvm::divideCeil(
                                      type.getElementTypeBitWidth(), 8)),
          // Full alignment for vector-sized buffers; tiny ones (scalars
          // of reductions) need only their natural alignment.
          std::max<int64_t>(
              1, std::min<int64_t>(
                     alignment,
                     llvm::PowerOf2Ceil(
                         type.getNumElements() *
                         llvm::divideCeil(type.getElementTypeBitWidth(), 8)))),
          std::numeric_limits<int64_t>::max(), anchor(alloc)};
      SmallVector<Value> worklist{alloc.getResult()};
      DenseSet<Value> seen;
      while (!worklist.empty()) {
        Value v = worklist.pop_back_val();
        if (!seen.insert(v).second)
          continue;
        for (OpOperand &use : v.getUses()) {
          Operation *user = use.getOwner();
          b.start = std::min(b.start, anchor(user));
          b.end = std::max(b.end, anchor(user));
          // Views alias the buffer; so do results of ops that yield it.
          for (Value r : user->getResults())
            if (isa<MemRefType>(r.getType()))
              worklist.push_back(r);
          if (user->hasTrait<OpTrait::IsTerminator>() &&
              user->getBlock() != &entry)
            for (Value r : user->getParentOp()->getResults())
              if (isa<MemRefType>(r.getType()))
                worklist.push_back(r);
        }
      }
      b.start = std::min(b.start, b.end);
      buffers.push_back(b);
    }

    // Lower bound: the most bytes simultaneously live.
    int64_t lowerBound = 0;
    for (int64_t p = 0; p < static_cast<int64_t>(entry.getOperations().size());
         ++p) {
      int64_t live = 0;
      for (const Buffer &b : buffers)
        if (b.start <= p && p <= b.end)
          live += b.bytes;
      lowerBound = std::max(lowerBound, live);
    }

    // Greedy by size: largest buffers first, each at the lowest offset that
    // does not overlap a placed buffer whose lifetime overlaps its own.
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    llvm::stable_sort(order,
                      [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    SmallVector<Buffer *> placed;
    int64_t size = 0;
    int64_t noReuse = 0;
    for (const Buffer &b : buffers)
      noReuse = llvm::alignTo(noReuse, b.align) + b.bytes;
    for (Buffer *b : order) {
      SmallVector<std::pair<int64_t, int64_t>> busy;
      for (Buffer *o : placed)
        if (!reuse || (o->start <= b->end && b->start <= o->end))
          busy.push_back({o->offset, o->offset + o->bytes});
      llvm::sort(busy);
      int64_t offset = 0;
      for (auto [lo, hi] : busy) {
        offset = llvm::alignTo(offset, b->align);
        if (offset + b->bytes <= lo)
          break;
        offset = std::max(offset, hi);
      }
      b->offset = llvm::alignTo(offset, b->align);
      size = std::max(size, b->offset + b->bytes);
      placed.push_back(b);
    }
    size = llvm::alignTo(size, alignment);
    SmallVector<int64_t> offsets;
    for (const Buffer &b : buffers)
      offsets.push_back(b.offset);

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
      // For -emit=memory-plan.
      const Buffer &buf = *llvm::find_if(
          buffers, [&](const Buffer &x) { return x.alloc == alloc; });
      view.getDefiningOp()->setAttr(
          "dr1.buffer",
          b.getDictionaryAttr(
              {b.getNamedAttr("bytes", b.getI64IntegerAttr(buf.bytes)),
               b.getNamedAttr("offset", b.getI64IntegerAttr(buf.offset)),
               b.getNamedAttr("first_use", b.getI64IntegerAttr(buf.start)),
               b.getNamedAttr("last_use", b.getI64IntegerAttr(buf.end))}));
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    func->setAttr("dr1.workspace_size",
                  IntegerAttr::get(IntegerType::get(ctx, 64), size));
    func->setAttr("dr1.workspace_lower_bound",
                  IntegerAttr::get(IntegerType::get(ctx, 64), lowerBound));
    func->setAttr("dr1.workspace_no_reuse",
                  IntegerAttr::get(IntegerType::get(ctx, 64), noReuse));
    return success();
  }
};
} // namespace
