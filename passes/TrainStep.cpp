//===- TrainStep.cpp - the dr1-train-step pass ----------------------------===//
//
// Turns a gradient function (from dr1-autodiff) into one training step:
// forward, backward and the optimizer update in one function. New
// parameters and optimizer state are results tied (`dr1.tied`) to the
// arguments they replace, so the compiler can write them in place.
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_TRAINSTEP
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;
using namespace mlir::dr1;

namespace {

constexpr llvm::StringLiteral kTrainable = "dr1.trainable";
constexpr llvm::StringLiteral kGradientOf = "dr1.gradient_of";
constexpr llvm::StringLiteral kTied = "dr1.tied";
constexpr llvm::StringLiteral kStepOf = "dr1.train_step_of";

std::string argName(func::FuncOp f, unsigned i) {
  if (auto n = f.getArgAttrOfType<StringAttr>(i, "dr1.name"))
    return n.str();
  return "input" + std::to_string(i);
}

struct Builder {
  OpBuilder &b;
  Location loc;

  Value scalar(Type elem, double v) {
    auto t = RankedTensorType::get({}, elem);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(t, FloatAttr::get(elem, v)));
  }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value like(Value s, Type elem) {
    auto t = cast<RankedTensorType>(s.getType());
    if (t.getElementType() == elem)
      return s;
    return CastOp::create(b, loc, RankedTensorType::get({}, elem), s);
  }
};

struct TrainStepPass : mlir::dr1::impl::TrainStepBase<TrainStepPass> {
  using TrainStepBase::TrainStepBase;

  LogicalResult build(func::FuncOp grad, func::FuncOp loss) {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    std::string name = (loss.getSymName() + "_train_step").str();
    if (module.lookupSymbol(name))
      return loss.emitError("dr1-train-step: '") << name << "' already exists";

    SmallVector<unsigned> params;
    for (unsigned i = 0; i < loss.getNumArguments(); ++i)
      if (loss.getArgAttr(i, kTrainable))
        params.push_back(i);
    unsigned numResults = loss.getNumResults();
    if (grad.getNumResults() != numResults + params.size())
      return grad.emitError("dr1-train-step: '")
             << grad.getSymName() << "' does not return one gradient per "
             << "trainable argument of '" << loss.getSymName() << "'";

    // Arguments: what the step updates in place first (the trainable
    // arguments, then the optimizer state; the model ABI lists in-place
    // tensors first), then the loss function's other arguments, then the
    // learning rate (a run-time scalar, so schedules need no recompile).
    auto f32 = Float32Type::get(ctx);
    auto scalarF32 = RankedTensorType::get({}, f32);
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    SmallVector<unsigned> argOf(loss.getNumArguments());
    OpBuilder b(ctx);
    auto named = [&](const std::string &n) {
      return b.getDictionaryAttr(
          b.getNamedAttr("dr1.name", b.getStringAttr(n)));
    };
    auto addLossArg = [&](unsigned i) {
      argOf[i] = argTypes.size();
      argTypes.push_back(loss.getArgumentTypes()[i]);
      DictionaryAttr d = loss.getArgAttrDict(i);
      argAttrs.push_back(d && d.get("dr1.name") ? d : named(argName(loss, i)));
    };
    for (unsigned p : params)
      addLossArg(p);
    // slots[k] lists, per parameter, the argument index of its k-th state.
    SmallVector<SmallVector<unsigned>> slots;
    auto addSlot = [&](StringRef prefix) {
      SmallVector<unsigned> s;
      for (unsigned p : params) {
        s.push_back(argTypes.size());
        argTypes.push_back(loss.getArgumentTypes()[p]);
        argAttrs.push_back(named((prefix + "." + argName(loss, p)).str()));
      }
      slots.push_back(s);
    };
    bool adam = optimizer == "adam" || optimizer == "adamw";
    if (!adam && optimizer != "sgd")
      return loss.emitError("dr1-train-step: unknown optimizer '")
             << optimizer << "' (expected sgd, adam or adamw)";
    if (optimizer == "sgd" && momentum != 0.0)
      addSlot("momentum");
    std::optional<unsigned> stepArg;
    if (adam) {
      addSlot("exp_avg");
      addSlot("exp_avg_sq");
      stepArg = argTypes.size();
      argTypes.push_back(scalarF32);
      argAttrs.push_back(named("step"));
    }
    for (unsigned i = 0; i < loss.getNumArguments(); ++i)
      if (!loss.getArgAttr(i, kTrainable))
        addLossArg(i);
    unsigned lrArg = argTypes.size();
    argTypes.push_back(scalarF32);
    argAttrs.push_back(named("lr"));

    b.setInsertionPointAfter(grad);
    auto fn = func::FuncOp::create(b, loss.getLoc(), name,
                                   b.getFunctionType(argTypes, {}));
    fn.setAllArgAttrs(argAttrs);
    fn->setAttr(kStepOf, FlatSymbolRefAttr::get(loss.getSymNameAttr()));
    fn->setAttr("dr1.optimizer", b.getStringAttr(optimizer));
    Block *body = fn.addEntryBlock();
    b.setInsertionPointToStart(body);
    Builder h{b, loss.getLoc()};

    SmallVector<DictionaryAttr> resultAttrs;
    for (unsigned i = 0; i < numResults; ++i)
      resultAttrs.push_back(loss.getResultAttrDict(i));
    SmallVector<Value> results;
    auto tie = [&](Value v, unsigned arg) {
      results.push_back(v);
      resultAttrs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr(kTied, b.getI64IntegerAttr(arg)),
           b.getNamedAttr("dr1.name", b.getStringAttr(argName(fn, arg)))}));
    };

    Value lr = body->getArgument(lrArg);
    Value step, biasCorr1, biasCorr2;
    if (adam) {
      // PyTorch's bias correction: m / (1 - b1^t), v / (1 - b2^t).
      step = h.add(body->getArgument(*stepArg), h.scalar(f32, 1.0));
      Value one = h.scalar(f32, 1.0);
      biasCorr1 = h.div(
          one, h.sub(one, PowOp::create(b, h.loc, h.scalar(f32, beta1), step)));
      biasCorr2 = h.div(
          one, h.sub(one, PowOp::create(b, h.loc, h.scalar(f32, beta2), step)));
    }
    Operation *afterScalars =
        body->empty() ? nullptr : &body->getOperations().back();

    // The gradient function's body, then each parameter's update as soon
    // as its gradient is complete and nothing reads the parameter any
    // more: gradients die at once instead of piling up until the end of
    // the backward pass (and the update may overwrite the parameter).
    IRMapping map;
    for (unsigned i = 0; i < loss.getNumArguments(); ++i)
      map.map(grad.getArgument(i), body->getArgument(argOf[i]));
    Block &gradBody = grad.getBody().front();
    for (Operation &op : gradBody.without_terminator())
      b.clone(op, map);
    SmallVector<Value> gradResults;
    for (Value v : gradBody.getTerminator()->getOperands())
      gradResults.push_back(map.lookupOrDefault(v));
    results.assign(gradResults.begin(), gradResults.begin() + numResults);
    auto readyPoint = [&](Value w, Value g) {
      Operation *ready = g.getDefiningOp();
      if (ready && ready->getBlock() != body)
        ready = nullptr;
      for (Operation *user : w.getUsers())
        if (user->getBlock() == body &&
            (!ready || ready->isBeforeInBlock(user)))
          ready = user;
      if (!ready)
        ready = afterScalars;
      if (ready)
        b.setInsertionPointAfter(ready);
      else
        b.setInsertionPointToStart(body);
    };
    SmallVector<std::pair<Value, unsigned>> newState;
    for (auto [k, p] : llvm::enumerate(params)) {
      Value w = body->getArgument(argOf[p]);
      Type elem = cast<RankedTensorType>(w.getType()).getElementType();
      Value g = gradResults[numResults + k];
      readyPoint(w, g);
      Value lrE = h.like(lr, elem);
      bool decoupled = optimizer == "adamw";
      if (weightDecay != 0.0 && !decoupled)
        g = h.add(g, h.mul(h.scalar(elem, weightDecay), w));
      Value update;
      if (!adam) {
        update = g;
        if (momentum != 0.0) {
          unsigned vArg = slots[0][k];
          Value v = h.add(
              h.mul(h.scalar(elem, momentum), body->getArgument(vArg)), g);
          newState.push_back({v, vArg});
          update = v;
        }
      } else {
        unsigned mArg = slots[0][k], vArg = slots[1][k];
        Value m = h.add(h.mul(h.scalar(elem, beta1), body->getArgument(mArg)),
                        h.mul(h.scalar(elem, 1.0 - beta1), g));
        Value v = h.add(h.mul(h.scalar(elem, beta2), body->getArgument(vArg)),
                        h.mul(h.scalar(elem, 1.0 - beta2), h.mul(g, g)));
        newState.push_back({m, mArg});
        newState.push_back({v, vArg});
        Value mhat = h.mul(m, h.like(biasCorr1, elem));
        Value vhat = h.mul(v, h.like(biasCorr2, elem));
        update = h.div(mhat, h.add(SqrtOp::create(b, h.loc, vhat),
                                   h.scalar(elem, epsilon)));
        if (weightDecay != 0.0 && decoupled)
          update = h.add(update, h.mul(h.scalar(elem, weightDecay), w));
      }
      tie(h.sub(w, h.mul(lrE, update)), argOf[p]);
    }
    for (auto [v, arg] : newState)
      tie(v, arg);
    if (adam)
      tie(step, *stepArg);

    b.setInsertionPointToEnd(body);
    func::ReturnOp::create(b, loss.getLoc(), results);
    SmallVector<Type> resultTypes;
    for (Value v : results)
      resultTypes.push_back(v.getType());
    fn.setType(b.getFunctionType(argTypes, resultTypes));
    fn.setAllResultAttrs(resultAttrs);
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<func::FuncOp, func::FuncOp>> work;
    for (auto grad : module.getOps<func::FuncOp>()) {
      auto of = grad->getAttrOfType<FlatSymbolRefAttr>(kGradientOf);
      if (!of)
        continue;
      auto loss = module.lookupSymbol<func::FuncOp>(of.getAttr());
      if (!loss) {
        grad.emitError("dr1-train-step: the function '")
            << of.getValue() << "' this is the gradient of does not exist";
        return signalPassFailure();
      }
      work.push_back({grad, loss});
    }
    if (work.empty()) {
      module.emitError("dr1-train-step: no gradient function (run "
                       "dr1-autodiff on a loss with dr1.trainable "
                       "arguments first)");
      return signalPassFailure();
    }
    for (auto [grad, loss] : work)
      if (failed(build(grad, loss)))
        return signalPassFailure();
  }
};

} // namespace
