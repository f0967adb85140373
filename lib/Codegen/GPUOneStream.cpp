//===- GPUOneStream.cpp - the dr1-gpu-one-stream pass ---------------------===//
//
// A model's launches, loops included, go on one stream made at entry and
// waited for once per return: upstream's gpu-async-region works block by
// block, which once loops are branches cost a stream and a host
// synchronization per loop iteration (attention's query blocks).
//
//===----------------------------------------------------------------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_GPUONESTREAM
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// `launch` recreated as asynchronous, after `dependency`.
gpu::LaunchFuncOp makeAsync(OpBuilder &b, gpu::LaunchFuncOp launch,
                            Value dependency) {
  b.setInsertionPoint(launch);
  std::optional<gpu::KernelDim3> cluster;
  if (launch.hasClusterSize())
    cluster = launch.getClusterSizeOperandValues();
  auto async = gpu::LaunchFuncOp::create(
      b, launch.getLoc(), launch.getKernelAttr(),
      launch.getGridSizeOperandValues(), launch.getBlockSizeOperandValues(),
      launch.getDynamicSharedMemorySize(), launch.getKernelOperands(),
      b.getType<gpu::AsyncTokenType>(), ValueRange{dependency}, cluster);
  // Discardable attributes (none of the op's own) travel with it.
  for (NamedAttribute attr : launch->getDiscardableAttrs())
    async->setAttr(attr.getName(), attr.getValue());
  launch.erase();
  return async;
}

/// Whether `op`, outside any kernel, may read or write memory that a kernel
/// could write (a call, a load), so the host must wait for the launches
/// before it.
bool touchesMemoryOnHost(Operation *op) {
  if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  return !effects || !effects.hasNoEffect();
}

struct GPUOneStreamPass : mlir::dr1::impl::GPUOneStreamBase<GPUOneStreamPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<gpu::LaunchFuncOp> launches;
    bool hostEffects = false;
    WalkResult walk = func.walk([&](Operation *op) {
      if (op == func.getOperation())
        return WalkResult::advance();
      if (auto async = dyn_cast<gpu::AsyncOpInterface>(op)) {
        auto launch = dyn_cast<gpu::LaunchFuncOp>(op);
        if (async.getAsyncToken() || !async.getAsyncDependencies().empty() ||
            (launch && launch.getAsyncObject())) {
          op->emitOpError("is already asynchronous");
          return WalkResult::interrupt();
        }
        if (!launch) {
          op->emitOpError("is not supported by dr1-gpu-one-stream (only "
                          "gpu.launch_func is)");
          return WalkResult::interrupt();
        }
        launches.push_back(launch);
        return WalkResult::advance();
      }
      if (isa<func::ReturnOp>(op))
        return WalkResult::advance();
      hostEffects |= touchesMemoryOnHost(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (launches.empty())
      return;

    OpBuilder b(func.getContext());
    Type token = b.getType<gpu::AsyncTokenType>();
    if (hostEffects) {
      // The host may read what a launch wrote: each launch on a stream of
      // its own, waited for at once.
      for (gpu::LaunchFuncOp launch : launches) {
        b.setInsertionPoint(launch);
        Location loc = launch.getLoc();
        Value stream =
            gpu::WaitOp::create(b, loc, token, ValueRange{}).getAsyncToken();
        gpu::LaunchFuncOp async = makeAsync(b, launch, stream);
        b.setInsertionPointAfter(async);
        gpu::WaitOp::create(b, loc, Type(), ValueRange{async.getAsyncToken()});
      }
      return;
    }
    b.setInsertionPointToStart(&func.getBody().front());
    Value stream = gpu::WaitOp::create(b, func.getLoc(), token, ValueRange{})
                       .getAsyncToken();
    // gpu-to-llvm enqueues an async op on the stream of its first
    // dependency and lowers `gpu.wait [%s]` to a synchronization of that
    // stream: waiting for %s waits for every launch on it.
    for (gpu::LaunchFuncOp launch : launches)
      makeAsync(b, launch, stream);
    func.walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      gpu::WaitOp::create(b, ret.getLoc(), Type(), ValueRange{stream});
    });
  }
};

} // namespace
