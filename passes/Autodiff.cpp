//===- Autodiff.cpp - the dr1-autodiff pass
//---------------------------------===//
//
// Reverse mode over one block of dr1 ops: a forward sweep marks the values
// that depend on a trainable argument, a backward sweep walks the ops in
// reverse and asks each one's DifferentiableOpInterface for the gradients
// of its operands. Everything happens in a copy of the function, so the
// forward values the rules read are simply the copy's own values.
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;
using namespace mlir::dr1;

namespace {

constexpr llvm::StringLiteral kTrainable = "dr1.trainable";
constexpr llvm::StringLiteral kGradientOf = "dr1.gradient_of";

bool isFloatTensor(Type t) {
  auto tt = dyn_cast<RankedTensorType>(t);
  return tt && isa<FloatType>(tt.getElementType());
}

Value zeros(OpBuilder &b, Location loc, Type type) {
  auto t = cast<RankedTensorType>(type);
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(t, FloatAttr::get(t.getElementType(), 0.0)));
}

std::string argName(func::FuncOp f, unsigned i) {
  if (auto n = f.getArgAttrOfType<StringAttr>(i, "dr1.name"))
    return n.str();
  return "input" + std::to_string(i);
}

/// Builds `grad` (a copy of `f`) into the gradient function of `f`.
LogicalResult differentiate(func::FuncOp grad, ArrayRef<unsigned> wrt) {
  Block &body = grad.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value loss = ret.getOperand(0);

  // Forward sweep: values that depend on a trainable argument.
  llvm::DenseSet<Value> active;
  for (unsigned i : wrt)
    active.insert(body.getArgument(i));
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator()) {
    if (op.getNumRegions() || !isa<Dr1Dialect>(op.getDialect()))
      return op.emitOpError("cannot be differentiated by dr1-autodiff (only "
                            "dr1 ops in one block; inline calls first)");
    ops.push_back(&op);
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value r : op.getResults())
        if (isFloatTensor(r.getType()))
          active.insert(r);
  }

  // Backward sweep, appended before the return.
  OpBuilder b(ret);
  llvm::DenseMap<Value, Value> adjoint;
  auto accumulate = [&](Value v, Value g) {
    auto [it, inserted] = adjoint.try_emplace(v, g);
    if (!inserted)
      it->second = AddOp::create(b, v.getLoc(), it->second, g);
  };
  if (active.contains(loss)) {
    auto type = cast<RankedTensorType>(loss.getType());
    accumulate(loss,
               ConstantOp::create(
                   b, loss.getLoc(),
                   DenseElementsAttr::get(
                       type, FloatAttr::get(type.getElementType(), 1.0))));
  }
  for (Operation *op : llvm::reverse(ops)) {
    if (op->getNumResults() != 1)
      continue;
    auto it = adjoint.find(op->getResult(0));
    if (it == adjoint.end())
      continue;
    auto rule = dyn_cast<DifferentiableOpInterface>(op);
    if (!rule)
      return op->emitOpError("has no gradient rule, and a trainable argument "
                             "reaches the loss through it");
    SmallVector<Value> grads;
    if (failed(rule.buildGradients(b, it->second, grads)))
      return failure();
    if (grads.size() != op->getNumOperands())
      return op->emitOpError("gradient rule returned ")
             << grads.size() << " gradients for " << op->getNumOperands()
             << " operands";
    for (auto [index, operand, g] : llvm::enumerate(op->getOperands(), grads)) {
      if (!active.contains(operand))
        continue;
      if (!g)
        return op->emitOpError("has no gradient with respect to operand #")
               << index << ", which depends on a trainable argument";
      if (g.getType() != operand.getType())
        return op->emitOpError("gradient rule gave ")
               << g.getType() << " for an operand of type "
               << operand.getType();
      accumulate(operand, g);
    }
  }

  SmallVector<Value> results(ret.getOperands());
  SmallVector<Type> resultTypes(grad.getFunctionType().getResults());
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0; i < grad.getNumResults(); ++i)
    resultAttrs.push_back(grad.getResultAttrDict(i));
  for (unsigned i : wrt) {
    Value arg = body.getArgument(i);
    Value g = adjoint.lookup(arg);
    if (!g)
      g = zeros(b, grad.getLoc(), arg.getType());
    results.push_back(g);
    resultTypes.push_back(arg.getType());
    resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
        "dr1.name", b.getStringAttr("grad_" + argName(grad, i)))));
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  grad.setType(
      b.getFunctionType(grad.getFunctionType().getInputs(), resultTypes));
  grad.setAllResultAttrs(resultAttrs);

  // Rules build every operand's gradient; drop what nothing needs.
  IRRewriter rewriter(grad.getContext());
  (void)runRegionDCE(rewriter, grad.getBody());
  return success();
}

struct AutodiffPass : mlir::dr1::impl::AutodiffBase<AutodiffPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> losses;
    for (auto f : module.getOps<func::FuncOp>()) {
      if (f.isExternal() || f->hasAttr(kGradientOf))
        continue;
      bool trainable = false;
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        trainable |= f.getArgAttr(i, kTrainable) != nullptr;
      if (trainable)
        losses.push_back(f);
    }
    for (func::FuncOp f : losses) {
      if (f.getNumResults() == 0 || !isFloatTensor(f.getResultTypes()[0]) ||
          cast<RankedTensorType>(f.getResultTypes()[0]).getRank() != 0) {
        f.emitError("dr1-autodiff: the first result of '")
            << f.getSymName()
            << "' must be the loss, a 0-d float tensor; it is "
            << (f.getNumResults() ? f.getResultTypes()[0] : Type());
        return signalPassFailure();
      }
      if (!f.getBody().hasOneBlock()) {
        f.emitError("dr1-autodiff: '")
            << f.getSymName() << "' must have a single block";
        return signalPassFailure();
      }
      SmallVector<unsigned> wrt;
      for (unsigned i = 0; i < f.getNumArguments(); ++i) {
        if (!f.getArgAttr(i, kTrainable))
          continue;
        if (!isFloatTensor(f.getArgumentTypes()[i])) {
          f.emitError("dr1-autodiff: trainable argument #")
              << i << " of '" << f.getSymName()
              << "' is not a float tensor: " << f.getArgumentTypes()[i];
          return signalPassFailure();
        }
        wrt.push_back(i);
      }
      std::string name = (f.getSymName() + "_grad").str();
      if (module.lookupSymbol(name)) {
        f.emitError("dr1-autodiff: '") << name << "' already exists";
        return signalPassFailure();
      }
      OpBuilder b(module.getContext());
      b.setInsertionPointAfter(f);
      auto grad = cast<func::FuncOp>(b.clone(*f));
      grad.setSymName(name);
      grad->setAttr(kGradientOf, FlatSymbolRefAttr::get(f.getSymNameAttr()));
      if (failed(differentiate(grad, wrt))) {
        grad.erase();
        return signalPassFailure();
      }
    }
  }
};

} // namespace
