//===- GPUMapLoops.cpp - the dr1-gpu-map-loops pass -----------------------===//
//
// Buffers of a GPU build live in device memory, so every loop nest that
// touches them must become a kernel. After convert-linalg-to-parallel-loops
// each parallel loop nest is tiled into blocks of threads and mapped
// innermost-dimension-first (consecutive threads touch consecutive
// elements); leftover serial accesses run as one-thread kernels, and the
// weights a kernel reads are referenced from inside it, so that outlining
// moves them into the device module.
//
//===----------------------------------------------------------------------===//
#include "Codegen/GPUUtils.h"
#include "Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_GPUMAPLOOPS
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxBlockDim[3] = {1024, 1024, 64};

/// `op` holds device work of its own: a parallel loop (a kernel to be) or
/// a kernel formed earlier (dr1-gpu-tile-matmul). Host loops around such
/// work stay on the host.
bool containsParallel(Operation *op) {
  return op
      ->walk([](Operation *inner) {
        return isa<scf::ParallelOp, gpu::LaunchOp>(inner)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// A parallel loop nested in a mapped one runs in order inside the thread.
void serializeNested(scf::ParallelOp par) {
  OpBuilder b(par);
  SmallVector<Value> ivs;
  Block *body = nullptr;
  for (auto [lb, ub, step] :
       llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
    auto loop = scf::ForOp::create(b, par.getLoc(), lb, ub, step);
    ivs.push_back(loop.getInductionVar());
    body = loop.getBody();
    b.setInsertionPoint(body->getTerminator());
  }
  IRMapping map;
  map.map(par.getInductionVars(), ivs);
  for (Operation &op : par.getBody()->without_terminator())
    b.clone(op, map);
  par.erase();
}

struct GPUMapLoopsPass : mlir::dr1::impl::GPUMapLoopsBase<GPUMapLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (failed(wrapSerialAccesses(func)))
      return signalPassFailure();
    SmallVector<scf::ParallelOp> outer;
    func.walk([&](scf::ParallelOp par) {
      if (!par->getParentOfType<scf::ParallelOp>())
        outer.push_back(par);
    });
    for (scf::ParallelOp par : outer) {
      if (par.getNumReductions() != 0) {
        par.emitError("parallel loop with reductions is not supported on "
                      "the GPU target");
        return signalPassFailure();
      }
      // Innermost first (post-order): serializing a loop clones its body,
      // so loops nested in it must already be serial.
      SmallVector<scf::ParallelOp> nested;
      par.getBody()->walk([&](scf::ParallelOp p) { nested.push_back(p); });
      for (scf::ParallelOp p : nested)
        serializeNested(p);
      dr1::gpuSinkWeights(par, par.getRegion());
      if (failed(mapLoop(par)))
        return signalPassFailure();
    }
  }

  /// Memory accesses outside any parallel loop (a reduction to a scalar, a
  /// 1x1 product whose loops folded away) run as a one-iteration parallel
  /// loop, i.e. a kernel of one thread: the host may not touch device
  /// buffers. Consecutive accesses, and the arithmetic between them, form
  /// one such kernel.
  LogicalResult wrapSerialAccesses(func::FuncOp func) {
    auto isAccess = [](Operation *op) {
      if (isa<memref::LoadOp, memref::StoreOp>(op))
        return true;
      if (!isa<scf::ForOp, scf::IfOp>(op) || containsParallel(op))
        return false;
      return op
          ->walk([](Operation *inner) {
            return isa<memref::LoadOp, memref::StoreOp>(inner)
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          })
          .wasInterrupted();
    };
    SmallVector<SmallVector<Operation *>> groups;
    func.walk([&](Block *block) {
      if (block->getParentOp()->getParentOfType<scf::ParallelOp>() ||
          isa<scf::ParallelOp>(block->getParentOp()))
        return;
      // Kernels formed earlier (dr1-gpu-tile-matmul) are already device code.
      if (isa<gpu::LaunchOp>(block->getParentOp()) ||
          block->getParentOp()->getParentOfType<gpu::LaunchOp>())
        return;
      // Inside a serial loop that is itself wrapped, nothing to do.
      if (isa<scf::ForOp, scf::IfOp>(block->getParentOp()) &&
          !containsParallel(block->getParentOp()))
        return;
      SmallVector<Operation *> group;
      llvm::SmallPtrSet<Operation *, 8> members;
      auto flush = [&] {
        if (!group.empty())
          groups.push_back(group);
        group.clear();
        members.clear();
      };
      for (Operation &op : *block) {
        bool fromGroup = llvm::any_of(op.getOperands(), [&](Value v) {
          return v.getDefiningOp() && members.contains(v.getDefiningOp());
        });
        bool pure = isPure(&op) && op.getNumRegions() == 0;
        if (isAccess(&op) || (fromGroup && pure)) {
          group.push_back(&op);
          members.insert(&op);
        } else {
          flush();
        }
      }
      flush();
    });
    for (ArrayRef<Operation *> group : groups) {
      llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
      for (Operation *op : group)
        for (Value r : op->getResults())
          for (Operation *user : r.getUsers())
            if (!members.contains(user) &&
                !llvm::any_of(group, [&](Operation *m) {
                  return m->isProperAncestor(user);
                }))
              return op->emitError("a value computed from device memory is "
                                   "used by host code; not supported on the "
                                   "GPU target");
      Operation *first = group.front();
      OpBuilder b(first);
      Value zero = arith::ConstantIndexOp::create(b, first->getLoc(), 0);
      Value one = arith::ConstantIndexOp::create(b, first->getLoc(), 1);
      auto par = scf::ParallelOp::create(b, first->getLoc(), ValueRange{zero},
                                         ValueRange{one}, ValueRange{one});
      for (Operation *op : group)
        op->moveBefore(par.getBody()->getTerminator());
    }
    return success();
  }

  LogicalResult mapLoop(scf::ParallelOp par) {
    unsigned rank = par.getNumLoops();
    // Threads per block: innermost dimension first, up to blockSize.
    SmallVector<int64_t> extents(rank, 0), tiles(rank, 1);
    for (unsigned d = 0; d < rank; ++d) {
      auto lb = getConstantIntValue(par.getLowerBound()[d]);
      auto ub = getConstantIntValue(par.getUpperBound()[d]);
      auto step = getConstantIntValue(par.getStep()[d]);
      if (lb && ub && step && *step > 0)
        extents[d] = llvm::divideCeil(*ub - *lb, *step);
    }
    int64_t budget = blockSize;
    for (unsigned i = 0; i < std::min(rank, 3u); ++i) {
      unsigned d = rank - 1 - i;
      int64_t want =
          extents[d] ? int64_t(llvm::PowerOf2Ceil(extents[d])) : budget;
      // CUDA caps a block at 1024 x 1024 x 64 threads: a launch past that
      // fails (and leaves its outputs unwritten).
      tiles[d] =
          std::max<int64_t>(1, std::min({want, budget, kMaxBlockDim[i]}));
      budget /= tiles[d];
    }
    auto [blocks, threads] =
        scf::tileParallelLoop(par, tiles, /*noMinMaxBounds=*/true);
    MLIRContext *ctx = &getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
    auto dim = [&](gpu::Processor p) {
      return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
    };
    SmallVector<gpu::ParallelLoopDimMappingAttr> blockMap, threadMap;
    const gpu::Processor blockIds[] = {
        gpu::Processor::BlockX, gpu::Processor::BlockY, gpu::Processor::BlockZ};
    const gpu::Processor threadIds[] = {gpu::Processor::ThreadX,
                                        gpu::Processor::ThreadY,
                                        gpu::Processor::ThreadZ};
    for (unsigned d = 0; d < rank; ++d) {
      unsigned fromInner = rank - 1 - d;
      gpu::Processor b = gpu::Processor::Sequential;
      gpu::Processor t = gpu::Processor::Sequential;
      if (fromInner < 3) {
        int64_t numBlocks =
            extents[d] ? llvm::divideCeil(extents[d], tiles[d]) : -1;
        // Grid y and z are limited to 65535 blocks; beyond, blocks loop.
        if (fromInner == 0 || (numBlocks > 0 && numBlocks <= kMaxGridYZ))
          b = blockIds[fromInner];
        t = threadIds[fromInner];
      }
      blockMap.push_back(dim(b));
      threadMap.push_back(dim(t));
    }
    if (failed(gpu::setMappingAttr(blocks, blockMap)) ||
        failed(gpu::setMappingAttr(threads, threadMap)))
      return par.emitError("cannot map the loop nest to GPU blocks/threads");
    return success();
  }
};
} // namespace
