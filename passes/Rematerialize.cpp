//===- Rematerialize.cpp - the dr1-rematerialize pass ---------------------===//
//
// Gradient checkpointing on a gradient function (dr1-autodiff's output):
// the forward ops are cut into segments; only segment boundaries (and
// values crossing segments) stay alive for the backward pass, and each
// segment's other values are recomputed right before the backward pass
// first needs them. With sqrt(n) segments of sqrt(n) ops, activation memory
// goes from O(n) to O(sqrt(n)) for one more forward pass (Chen et al.).
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>

namespace mlir::dr1 {
#define GEN_PASS_DEF_REMATERIALIZE
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;
using namespace mlir::dr1;

namespace {

struct Segment {
  IRMapping clones;
};

struct Rematerializer {
  func::FuncOp f;
  llvm::DenseSet<Operation *> forward;
  llvm::DenseMap<Operation *, int64_t> segmentOf;
  llvm::DenseSet<Value> kept;
  SmallVector<Segment> segments;
  int64_t numRecomputed = 0;
  int64_t estimatedBytes = 0;

  bool isForward(Value v) {
    Operation *def = v.getDefiningOp();
    return def && forward.contains(def) && !isa<ConstantOp>(def);
  }

  /// `v` (a forward value of segment `s`), recomputed at `b`'s insertion
  /// point from the segment's kept inputs.
  Value recompute(OpBuilder &b, Value v, int64_t s) {
    Segment &seg = segments[s];
    if (Value c = seg.clones.lookupOrNull(v))
      return c;
    Operation *op = v.getDefiningOp();
    for (Value u : op->getOperands())
      if (isForward(u) && !kept.contains(u) &&
          segmentOf.lookup(u.getDefiningOp()) == s)
        recompute(b, u, s);
    // Arguments (parameters) not recomputed are read through a barrier (a
    // copy, memoized per run): a lowered piece of this op that depends
    // only on them (a linear's transposed weights) would otherwise be
    // merged by CSE with the forward pass's and stay alive from there to
    // here. If no operand then differs from the forward op's, the
    // smallest kept activation is read through one too, or CSE would
    // merge the whole op back.
    bool differs = false;
    Value smallest;
    for (Value u : op->getOperands()) {
      Operation *d = u.getDefiningOp();
      auto t = dyn_cast<RankedTensorType>(u.getType());
      if (seg.clones.contains(u)) {
        differs = true;
        continue;
      }
      if ((d && isa<ConstantOp>(d)) || !t || !t.hasStaticShape())
        continue;
      if (isa<BlockArgument>(u)) {
        seg.clones.map(u, BarrierOp::create(b, u.getLoc(), u));
        differs = true;
        continue;
      }
      if (!smallest ||
          t.getNumElements() <
              cast<RankedTensorType>(smallest.getType()).getNumElements())
        smallest = u;
    }
    if (!differs && smallest)
      seg.clones.map(smallest,
                     BarrierOp::create(b, smallest.getLoc(), smallest));
    Operation *clone = b.clone(*op, seg.clones);
    ++numRecomputed;
    return clone->getResult(cast<OpResult>(v).getResultNumber());
  }

  void run(unsigned numPrimal, int64_t requested, int64_t budget) {
    Block &body = f.getBody().front();
    Operation *ret = body.getTerminator();
    SmallVector<Value> work(ret->getOperands().take_front(numPrimal));
    while (!work.empty()) {
      Value v = work.pop_back_val();
      Operation *def = v.getDefiningOp();
      if (!def || !forward.insert(def).second)
        continue;
      llvm::append_range(work, def->getOperands());
    }
    SmallVector<Operation *> order;
    for (Operation &op : body.without_terminator())
      if (forward.contains(&op) && !isa<ConstantOp>(op))
        order.push_back(&op);
    // Runs are cut by the ops whose values the backward pass reads (the
    // activations a layer saves), not by op count: sqrt(m) runs of about
    // sqrt(m) saved values each.
    auto saved = [&](Operation *op) {
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers())
          if (!forward.contains(user) && user != ret)
            return true;
      return false;
    };
    int64_t m = llvm::count_if(order, saved);
    if (m < 3)
      return;

    // Cuts the forward ops into k runs of about m / k saved ops each and
    // fills segmentOf / kept; returns the estimated activation bytes the
    // backward pass holds at once: what stays, plus the largest run's
    // recomputed saved values.
    auto bytesOf = [](Value v) -> int64_t {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || !t.hasStaticShape())
        return 0;
      return t.getNumElements() *
             ((t.getElementType().getIntOrFloatBitWidth() + 7) / 8);
    };
    auto assign = [&](int64_t k) -> int64_t {
      segmentOf.clear();
      kept.clear();
      int64_t perRun = (m + k - 1) / k;
      int64_t s = 0, inRun = 0;
      SmallVector<Operation *> runEnds;
      for (Operation *op : order) {
        segmentOf[op] = s;
        if (saved(op) && ++inRun == perRun) {
          runEnds.push_back(op);
          ++s;
          inRun = 0;
        }
      }
      int64_t last = segmentOf.lookup(order.back());
      segments.assign(last + 1, Segment());
      // Each run's last saved op stays, and so does the last run: the
      // backward pass starts there.
      for (Operation *op : runEnds)
        for (Value r : op->getResults())
          kept.insert(r);
      for (Operation *op : order)
        if (segmentOf.lookup(op) == last)
          for (Value r : op->getResults())
            kept.insert(r);
      // Values that cross runs stay too: recomputation never reaches into
      // an earlier run.
      for (Operation *op : order)
        for (Value u : op->getOperands())
          if (isForward(u) &&
              segmentOf.lookup(u.getDefiningOp()) != segmentOf.lookup(op))
            kept.insert(u);
      int64_t keptBytes = 0;
      SmallVector<int64_t> runBytes(last + 1, 0);
      for (Operation *op : order) {
        if (!saved(op))
          continue;
        for (Value r : op->getResults()) {
          if (kept.contains(r))
            keptBytes += bytesOf(r);
          else
            runBytes[segmentOf.lookup(op)] += bytesOf(r);
        }
      }
      return keptBytes + *llvm::max_element(runBytes);
    };

    int64_t k = requested;
    if (k <= 0 && budget > 0) {
      // Under a budget: no checkpointing if everything fits, else the
      // fewest runs that fit (fewer barrier copies), else the best.
      int64_t all = 0;
      for (Operation *op : order)
        if (saved(op))
          for (Value r : op->getResults())
            all += bytesOf(r);
      if (all <= budget)
        return;
      int64_t best = -1, bestBytes = 0;
      for (int64_t c = 2; c <= m; ++c) {
        int64_t est = assign(c);
        if (est <= budget) {
          best = c;
          break;
        }
        if (best < 0 || est < bestBytes) {
          best = c;
          bestBytes = est;
        }
      }
      k = best;
    } else if (k <= 0) {
      k = static_cast<int64_t>(std::ceil(std::sqrt((double)m)));
    }
    if (k < 2)
      return;
    estimatedBytes = assign(k);
    // What was chosen, for people and tests (-emit=mlir shows it until the
    // training step inlines the function).
    Builder attrs(f.getContext());
    f->setAttr(
        "dr1.rematerialized",
        attrs.getDictionaryAttr(
            {attrs.getNamedAttr("runs",
                                attrs.getI64IntegerAttr(segments.size())),
             attrs.getNamedAttr("saved_ops", attrs.getI64IntegerAttr(m)),
             attrs.getNamedAttr("estimated_bytes",
                                attrs.getI64IntegerAttr(estimatedBytes))}));

    SmallVector<Operation *> backward;
    for (Operation &op : body.without_terminator())
      if (!forward.contains(&op))
        backward.push_back(&op);
    OpBuilder b(f.getContext());
    for (Operation *use : backward) {
      for (OpOperand &operand : use->getOpOperands()) {
        Value v = operand.get();
        if (!isForward(v) || kept.contains(v))
          continue;
        b.setInsertionPoint(use);
        operand.set(recompute(b, v, segmentOf.lookup(v.getDefiningOp())));
      }
    }
  }
};

struct RematerializePass
    : mlir::dr1::impl::RematerializeBase<RematerializePass> {
  using RematerializeBase::RematerializeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto grad : module.getOps<func::FuncOp>()) {
      auto of = grad->getAttrOfType<FlatSymbolRefAttr>("dr1.gradient_of");
      if (!of || grad.isExternal())
        continue;
      auto loss = module.lookupSymbol<func::FuncOp>(of.getAttr());
      if (!loss || !grad.getBody().hasOneBlock()) {
        grad.emitError("dr1-rematerialize: expected a one-block gradient "
                       "function of an existing loss");
        return signalPassFailure();
      }
      Rematerializer r{grad};
      r.run(loss.getNumResults(), segments, budget);
      numRecomputedOps += r.numRecomputed;
    }
  }
};

} // namespace
