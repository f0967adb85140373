//===- Dr1Gradients.cpp - gradient rules of the dr1 ops
//--------------------===//
//
// DifferentiableOpInterface for each op: the vector-Jacobian product, built
// from dr1 ops so that the backward pass goes through the same fusion,
// lowering and code generation as the forward pass. Broadcast operands get
// their gradients summed back to their own shape.
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::dr1;

namespace {

RankedTensorType tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// A 0-d constant of `like`'s element type; binary ops broadcast it.
Value scalar(OpBuilder &b, Location loc, Value like, double v) {
  Type elt = tensorOf(like).getElementType();
  auto type = RankedTensorType::get({}, elt);
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, FloatAttr::get(elt, v)));
}

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  return AddOp::create(b, loc, x, y);
}
Value sub(OpBuilder &b, Location loc, Value x, Value y) {
  return SubOp::create(b, loc, x, y);
}
Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return MulOp::create(b, loc, x, y);
}
Value div(OpBuilder &b, Location loc, Value x, Value y) {
  return DivOp::create(b, loc, x, y);
}
Value mulC(OpBuilder &b, Location loc, Value x, double c) {
  return mul(b, loc, x, scalar(b, loc, x, c));
}
Value neg(OpBuilder &b, Location loc, Value x) {
  return NegOp::create(b, loc, x);
}
/// g where `cond`, else 0.
Value maskWhere(OpBuilder &b, Location loc, Value cond, Value g) {
  return WhereOp::create(b, loc, cond, g, scalar(b, loc, g, 0.0));
}

Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, tensorOf(v).getElementType());
  if (type == v.getType())
    return v;
  return ReshapeOp::create(b, loc, type, v);
}

Value broadcastTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return BroadcastOp::create(b, loc, type, v);
}

/// Sums `g` (of a broadcast result's shape) back to `type`, the shape of the
/// operand that was broadcast: over the leading dimensions the operand
/// lacks and over those where it has size 1.
Value unbroadcast(OpBuilder &b, Location loc, Value g, Type type) {
  if (g.getType() == type)
    return g;
  auto target = cast<RankedTensorType>(type);
  ArrayRef<int64_t> gShape = tensorOf(g).getShape();
  int64_t lead = gShape.size() - target.getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < static_cast<int64_t>(gShape.size()); ++i)
    if (i < lead || (target.getDimSize(i - lead) == 1 && gShape[i] != 1))
      axes.push_back(i);
  Value s = g;
  if (!axes.empty())
    s = ReduceSumOp::create(b, loc, g, axes, /*keepdims=*/true);
  return reshape(b, loc, s, target.getShape());
}

/// The shape of `input` with `axes` (normalized) set to 1.
SmallVector<int64_t> keptShape(RankedTensorType input, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(input.getShape());
  if (axes.empty())
    std::fill(shape.begin(), shape.end(), 1);
  for (int64_t a : axes)
    shape[a < 0 ? a + input.getRank() : a] = 1;
  return shape;
}

/// A reduced value brought back to the input's shape.
Value expandReduced(OpBuilder &b, Location loc, Value reduced,
                    RankedTensorType input, ArrayRef<int64_t> axes) {
  Value kept = reshape(b, loc, reduced, keptShape(input, axes));
  return broadcastTo(b, loc, kept, input);
}

SmallVector<int64_t> swapLast(int64_t rank) {
  SmallVector<int64_t> perm(rank);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return perm;
}

Value transposeLast(OpBuilder &b, Location loc, Value v) {
  return TransposeOp::create(b, loc, v, swapLast(tensorOf(v).getRank()));
}

/// [..., K] as [M, K].
Value rows(OpBuilder &b, Location loc, Value v) {
  auto t = tensorOf(v);
  int64_t k = t.getShape().back();
  return reshape(b, loc, v, {t.getNumElements() / k, k});
}

SmallVector<int64_t> allBut(int64_t rank, int64_t keep) {
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < rank; ++i)
    if (i != keep)
      axes.push_back(i);
  return axes;
}

/// Per-channel [C] values shaped to broadcast over [N, C, ...].
Value channelwise(OpBuilder &b, Location loc, Value v, int64_t rank) {
  SmallVector<int64_t> shape(rank - 1, 1);
  shape[0] = tensorOf(v).getDimSize(0);
  return reshape(b, loc, v, shape);
}

Value unaryGrad(Operation *op, OpBuilder &b, Value g) {
  Location loc = op->getLoc();
  Value x = op->getOperand(0), y = op->getResult(0);
  auto gt = [&](double c) {
    return GreaterOp::create(b, loc, x, scalar(b, loc, x, c)).getResult();
  };
  auto lt = [&](double c) {
    return LessOp::create(b, loc, x, scalar(b, loc, x, c)).getResult();
  };
  if (isa<ReluOp>(op))
    return maskWhere(b, loc, gt(0), g);
  if (auto o = dyn_cast<LeakyReluOp>(op))
    return WhereOp::create(b, loc, lt(0),
                           mulC(b, loc, g, o.getAlpha().convertToDouble()), g);
  if (auto o = dyn_cast<ClipOp>(op)) {
    Value inside = maskWhere(b, loc, lt(o.getMax().convertToDouble()), g);
    return maskWhere(b, loc, gt(o.getMin().convertToDouble()), inside);
  }
  if (isa<SigmoidOp>(op)) // y (1 - y)
    return mul(b, loc, g,
               mul(b, loc, y, sub(b, loc, scalar(b, loc, y, 1.0), y)));
  if (auto o = dyn_cast<HardSigmoidOp>(op)) {
    double alpha = o.getAlpha().convertToDouble(),
           beta = o.getBeta().convertToDouble();
    // The linear part: 0 < alpha x + beta < 1.
    double lo = -beta / alpha, hi = (1 - beta) / alpha;
    if (alpha < 0)
      std::swap(lo, hi);
    Value slope = maskWhere(b, loc, lt(hi), mulC(b, loc, g, alpha));
    return maskWhere(b, loc, gt(lo), slope);
  }
  if (isa<TanhOp>(op)) // 1 - y^2
    return mul(b, loc, g,
               sub(b, loc, scalar(b, loc, y, 1.0), mul(b, loc, y, y)));
  if (auto o = dyn_cast<GeluOp>(op)) {
    Value one = scalar(b, loc, x, 1.0), half = scalar(b, loc, x, 0.5);
    if (o.getApproximate() == "tanh") {
      const double c = std::sqrt(2.0 / M_PI);
      Value x2 = mul(b, loc, x, x);
      Value inner =
          mulC(b, loc,
               add(b, loc, x, mulC(b, loc, mul(b, loc, x2, x), 0.044715)), c);
      Value t = TanhOp::create(b, loc, inner);
      Value dInner = mulC(b, loc, add(b, loc, one, mulC(b, loc, x2, 0.134145)),
                          c); // c (1 + 3 * 0.044715 x^2)
      Value d =
          add(b, loc, mul(b, loc, half, add(b, loc, one, t)),
              mul(b, loc, mul(b, loc, half, x),
                  mul(b, loc, sub(b, loc, one, mul(b, loc, t, t)), dInner)));
      return mul(b, loc, g, d);
    }
    // Phi(x) + x phi(x).
    Value cdf = mul(
        b, loc, half,
        add(b, loc, one, ErfOp::create(b, loc, mulC(b, loc, x, M_SQRT1_2))));
    Value pdf = mulC(
        b, loc, ExpOp::create(b, loc, mulC(b, loc, mul(b, loc, x, x), -0.5)),
        1.0 / std::sqrt(2.0 * M_PI));
    return mul(b, loc, g, add(b, loc, cdf, mul(b, loc, x, pdf)));
  }
  if (isa<SiluOp>(op)) { // s (1 + x (1 - s))
    Value s = SigmoidOp::create(b, loc, x);
    Value one = scalar(b, loc, x, 1.0);
    return mul(
        b, loc, g,
        mul(b, loc, s, add(b, loc, one, mul(b, loc, x, sub(b, loc, one, s)))));
  }
  if (isa<HardSwishOp>(op)) { // (2x + 3) / 6 on (-3, 3), 1 above, 0 below
    Value mid =
        mul(b, loc, g,
            add(b, loc, mulC(b, loc, x, 1.0 / 3.0), scalar(b, loc, x, 0.5)));
    Value upper = WhereOp::create(b, loc, gt(3.0), g, mid);
    return maskWhere(b, loc, gt(-3.0), upper);
  }
  if (isa<ExpOp>(op))
    return mul(b, loc, g, y);
  if (isa<LogOp>(op))
    return div(b, loc, g, x);
  if (isa<SqrtOp>(op)) // 1 / (2 y)
    return div(b, loc, mulC(b, loc, g, 0.5), y);
  if (isa<RsqrtOp>(op)) // -y / (2 x)
    return div(b, loc, mul(b, loc, mulC(b, loc, g, -0.5), y), x);
  if (isa<ReciprocalOp>(op)) // -y^2
    return neg(b, loc, mul(b, loc, g, mul(b, loc, y, y)));
  if (isa<ErfOp>(op))
    return mul(b, loc, g,
               mulC(b, loc,
                    ExpOp::create(b, loc, neg(b, loc, mul(b, loc, x, x))),
                    2.0 / std::sqrt(M_PI)));
  if (isa<NegOp>(op))
    return neg(b, loc, g);
  if (isa<AbsOp>(op))
    return WhereOp::create(b, loc, lt(0), neg(b, loc, g), g);
  return {};
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

#define DR1_UNARY_GRADIENT(OP)                                                 \
  LogicalResult OP::buildGradients(OpBuilder &b, Value g,                      \
                                   SmallVectorImpl<Value> &grads) {            \
    if (!isa<FloatType>(getType().getElementType()))                           \
      return emitOpError("has no gradient on integers");                       \
    Value d = unaryGrad(getOperation(), b, g);                                 \
    if (!d)                                                                    \
      return emitOpError("is not differentiable");                             \
    grads.push_back(d);                                                        \
    return success();                                                          \
  }
DR1_UNARY_GRADIENT(ReluOp)
DR1_UNARY_GRADIENT(LeakyReluOp)
DR1_UNARY_GRADIENT(ClipOp)
DR1_UNARY_GRADIENT(SigmoidOp)
DR1_UNARY_GRADIENT(HardSigmoidOp)
DR1_UNARY_GRADIENT(TanhOp)
DR1_UNARY_GRADIENT(GeluOp)
DR1_UNARY_GRADIENT(SiluOp)
DR1_UNARY_GRADIENT(HardSwishOp)
DR1_UNARY_GRADIENT(ExpOp)
DR1_UNARY_GRADIENT(LogOp)
DR1_UNARY_GRADIENT(SqrtOp)
DR1_UNARY_GRADIENT(RsqrtOp)
DR1_UNARY_GRADIENT(ReciprocalOp)
DR1_UNARY_GRADIENT(ErfOp)
DR1_UNARY_GRADIENT(NegOp)
DR1_UNARY_GRADIENT(AbsOp)
// Piecewise constant: a zero gradient would silently stop training.
DR1_UNARY_GRADIENT(RoundOp)
#undef DR1_UNARY_GRADIENT

LogicalResult AddOp::buildGradients(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &grads) {
  grads.push_back(unbroadcast(b, getLoc(), g, getLhs().getType()));
  grads.push_back(unbroadcast(b, getLoc(), g, getRhs().getType()));
  return success();
}

LogicalResult SubOp::buildGradients(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  grads.push_back(unbroadcast(b, loc, g, getLhs().getType()));
  grads.push_back(unbroadcast(b, loc, neg(b, loc, g), getRhs().getType()));
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  grads.push_back(
      unbroadcast(b, loc, mul(b, loc, g, getRhs()), getLhs().getType()));
  grads.push_back(
      unbroadcast(b, loc, mul(b, loc, g, getLhs()), getRhs().getType()));
  return success();
}

LogicalResult DivOp::buildGradients(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  if (!isa<FloatType>(getType().getElementType()))
    return emitOpError("has no gradient on integers");
  Value gx = div(b, loc, g, getRhs());
  grads.push_back(unbroadcast(b, loc, gx, getLhs().getType()));
  // d(x / y)/dy = -(x / y) / y.
  grads.push_back(unbroadcast(b, loc, neg(b, loc, mul(b, loc, gx, getResult())),
                              getRhs().getType()));
  return success();
}

LogicalResult PowOp::buildGradients(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value x = getLhs(), p = getRhs();
  Value pm1 = sub(b, loc, p, scalar(b, loc, p, 1.0));
  Value gx = mul(b, loc, g, mul(b, loc, p, PowOp::create(b, loc, x, pm1)));
  grads.push_back(unbroadcast(b, loc, gx, x.getType()));
  // y log x, defined where x > 0 (elsewhere the exponent takes none).
  Value safe = WhereOp::create(
      b, loc, GreaterOp::create(b, loc, x, scalar(b, loc, x, 0.0)), x,
      scalar(b, loc, x, 1.0));
  Value gp =
      mul(b, loc, g, mul(b, loc, getResult(), LogOp::create(b, loc, safe)));
  grads.push_back(unbroadcast(b, loc, gp, p.getType()));
  return success();
}

/// Ties go to the left operand, as dr1's eager autograd does.
template <typename OpTy, typename CmpTy>
static LogicalResult extremumGradients(OpTy op, OpBuilder &b, Value g,
                                       SmallVectorImpl<Value> &grads) {
  Location loc = op.getLoc();
  if (!isa<FloatType>(op.getType().getElementType()))
    return op.emitOpError("has no gradient on integers");
  // The right operand wins where it is strictly better.
  Value right = CmpTy::create(b, loc, op.getRhs(), op.getLhs());
  Value zero = scalar(b, loc, g, 0.0);
  Value gl = WhereOp::create(b, loc, right, zero, g);
  Value gr = WhereOp::create(b, loc, right, g, zero);
  grads.push_back(unbroadcast(b, loc, broadcastTo(b, loc, gl, g.getType()),
                              op.getLhs().getType()));
  grads.push_back(unbroadcast(b, loc, broadcastTo(b, loc, gr, g.getType()),
                              op.getRhs().getType()));
  return success();
}

LogicalResult MaxOp::buildGradients(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &grads) {
  return extremumGradients<MaxOp, GreaterOp>(*this, b, g, grads);
}

LogicalResult MinOp::buildGradients(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &grads) {
  return extremumGradients<MinOp, LessOp>(*this, b, g, grads);
}

LogicalResult WhereOp::buildGradients(OpBuilder &b, Value g,
                                      SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value zero = scalar(b, loc, g, 0.0);
  grads.push_back(Value());
  Value gl = WhereOp::create(b, loc, getCondition(), g, zero);
  Value gr = WhereOp::create(b, loc, getCondition(), zero, g);
  grads.push_back(unbroadcast(b, loc, broadcastTo(b, loc, gl, g.getType()),
                              getLhs().getType()));
  grads.push_back(unbroadcast(b, loc, broadcastTo(b, loc, gr, g.getType()),
                              getRhs().getType()));
  return success();
}

LogicalResult BroadcastOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(unbroadcast(b, getLoc(), g, getInput().getType()));
  return success();
}

LogicalResult CastOp::buildGradients(OpBuilder &b, Value g,
                                     SmallVectorImpl<Value> &grads) {
  Type in = getInput().getType();
  if (!isa<FloatType>(cast<RankedTensorType>(in).getElementType()) ||
      !isa<FloatType>(getType().getElementType()))
    grads.push_back(Value());
  else
    grads.push_back(
        in == g.getType() ? g : CastOp::create(b, getLoc(), in, g).getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildGradients(OpBuilder &b, Value g,
                                       SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Type elt = getType().getElementType();
  if (!isa<FloatType>(elt) || tensorOf(getLhs()).getElementType() != elt ||
      tensorOf(getRhs()).getElementType() != elt)
    return emitOpError("has gradients only with one float type throughout");
  // dA = dY B^T, dB = A^T dY, each summed over batch dims it was broadcast on.
  Value ga = MatmulOp::create(b, loc, g, transposeLast(b, loc, getRhs()));
  Value gb = MatmulOp::create(b, loc, transposeLast(b, loc, getLhs()), g);
  grads.push_back(unbroadcast(b, loc, ga, getLhs().getType()));
  grads.push_back(unbroadcast(b, loc, gb, getRhs().getType()));
  return success();
}

LogicalResult LinearOp::buildGradients(OpBuilder &b, Value g,
                                       SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Type elt = getType().getElementType();
  if (!isa<FloatType>(elt) || tensorOf(getInput()).getElementType() != elt ||
      tensorOf(getWeight()).getElementType() != elt)
    return emitOpError("has gradients only with one float type throughout");
  // y = x W^T + b over rows: dx = dy W, dW = dy^T x, db = sum of dy.
  Value g2 = rows(b, loc, g), x2 = rows(b, loc, getInput());
  Value gx = MatmulOp::create(b, loc, g2, getWeight());
  grads.push_back(reshape(b, loc, gx, tensorOf(getInput()).getShape()));
  grads.push_back(MatmulOp::create(b, loc, transposeLast(b, loc, g2), x2));
  if (getBias())
    grads.push_back(
        ReduceSumOp::create(b, loc, g2, ArrayRef<int64_t>{0}, false));
  return success();
}

LogicalResult GemmOp::buildGradients(OpBuilder &b, Value g,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  if (!isa<FloatType>(getType().getElementType()))
    return emitOpError("has gradients only on floats");
  auto op = [&](Value v, bool t) { return t ? transposeLast(b, loc, v) : v; };
  Value a = op(getA(), getTransA()), bb = op(getB(), getTransB());
  double alpha = getAlpha().convertToDouble();
  // Gradients of op(A) and op(B), transposed back where op transposed.
  Value gOpA = mulC(
      b, loc, MatmulOp::create(b, loc, g, transposeLast(b, loc, bb)), alpha);
  Value gOpB = mulC(
      b, loc, MatmulOp::create(b, loc, transposeLast(b, loc, a), g), alpha);
  grads.push_back(op(gOpA, getTransA()));
  grads.push_back(op(gOpB, getTransB()));
  if (getC())
    grads.push_back(unbroadcast(b, loc,
                                mulC(b, loc, g, getBeta().convertToDouble()),
                                getC().getType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization and pooling
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  // The inference form: mean and var are operands, not batch statistics.
  Location loc = getLoc();
  int64_t rank = tensorOf(getInput()).getRank();
  SmallVector<int64_t> reduce = allBut(rank, 1);
  Value rstd = RsqrtOp::create(
      b, loc,
      add(b, loc, getVar(),
          scalar(b, loc, getVar(), getEpsilon().convertToDouble())));
  Value a = mul(b, loc, getScale(), rstd);
  Value centered =
      sub(b, loc, getInput(), channelwise(b, loc, getMean(), rank));
  Value gSum = ReduceSumOp::create(b, loc, g, reduce, false);
  Value gCentered =
      ReduceSumOp::create(b, loc, mul(b, loc, g, centered), reduce, false);
  grads.push_back(mul(b, loc, g, channelwise(b, loc, a, rank)));
  grads.push_back(mul(b, loc, gCentered, rstd));
  grads.push_back(gSum);
  grads.push_back(neg(b, loc, mul(b, loc, gSum, a)));
  // d rstd / d var = -rstd^3 / 2.
  Value dRstd = mulC(b, loc, mul(b, loc, rstd, mul(b, loc, rstd, rstd)), -0.5);
  grads.push_back(mul(b, loc, mul(b, loc, gCentered, getScale()), dRstd));
  return success();
}

LogicalResult GlobalAvgPoolOp::buildGradients(OpBuilder &b, Value g,
                                              SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  auto in = tensorOf(getInput());
  int64_t count = in.getNumElements() / (in.getDimSize(0) * in.getDimSize(1));
  grads.push_back(broadcastTo(b, loc, mulC(b, loc, g, 1.0 / count), in));
  return success();
}

LogicalResult LayerNormOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value x = getInput();
  auto in = tensorOf(x);
  int64_t rank = in.getRank();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> normAxes, leadAxes;
  for (int64_t i = 0; i < rank; ++i)
    (i >= axis ? normAxes : leadAxes).push_back(i);
  // Recomputed statistics: xhat = (x - mean) * rstd.
  Value mean = ReduceMeanOp::create(b, loc, x, normAxes, true);
  Value centered = sub(b, loc, x, mean);
  Value var = ReduceMeanOp::create(b, loc, mul(b, loc, centered, centered),
                                   normAxes, true);
  Value rstd = RsqrtOp::create(
      b, loc,
      add(b, loc, var, scalar(b, loc, var, getEpsilon().convertToDouble())));
  Value xhat = mul(b, loc, centered, rstd);
  Value gxhat = getScale() ? mul(b, loc, g, getScale()) : g;
  // dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)).
  Value m1 = ReduceMeanOp::create(b, loc, gxhat, normAxes, true);
  Value m2 =
      ReduceMeanOp::create(b, loc, mul(b, loc, gxhat, xhat), normAxes, true);
  Value gx = mul(b, loc, rstd,
                 sub(b, loc, sub(b, loc, gxhat, m1), mul(b, loc, xhat, m2)));
  grads.push_back(gx);
  auto sumLead = [&](Value v) {
    return leadAxes.empty()
               ? v
               : ReduceSumOp::create(b, loc, v, leadAxes, false).getResult();
  };
  if (getScale())
    grads.push_back(sumLead(mul(b, loc, g, xhat)));
  if (getBias())
    grads.push_back(sumLead(g));
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, Value g,
                                        SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  int64_t axis = static_cast<int64_t>(getAxis());
  Value y = getResult();
  // dx = y (dy - sum(dy y)).
  Value s = ReduceSumOp::create(b, loc, mul(b, loc, g, y),
                                ArrayRef<int64_t>{axis}, true);
  grads.push_back(mul(b, loc, y, sub(b, loc, g, s)));
  return success();
}

LogicalResult LogSoftmaxOp::buildGradients(OpBuilder &b, Value g,
                                           SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  int64_t axis = static_cast<int64_t>(getAxis());
  // dx = dy - exp(y) sum(dy).
  Value s = ReduceSumOp::create(b, loc, g, ArrayRef<int64_t>{axis}, true);
  grads.push_back(
      sub(b, loc, g, mul(b, loc, ExpOp::create(b, loc, getResult()), s)));
  return success();
}

LogicalResult ReduceSumOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(
      expandReduced(b, getLoc(), g, tensorOf(getInput()), getAxes()));
  return success();
}

LogicalResult ReduceMeanOp::buildGradients(OpBuilder &b, Value g,
                                           SmallVectorImpl<Value> &grads) {
  auto in = tensorOf(getInput());
  int64_t count = in.getNumElements() / getType().getNumElements();
  grads.push_back(expandReduced(b, getLoc(), mulC(b, getLoc(), g, 1.0 / count),
                                in, getAxes()));
  return success();
}

LogicalResult ReduceMaxOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  auto in = tensorOf(getInput());
  if (!isa<FloatType>(in.getElementType()))
    return emitOpError("has no gradient on integers");
  // Every element equal to the maximum takes the gradient.
  Value y = expandReduced(b, loc, getResult(), in, getAxes());
  Value hit = EqualOp::create(b, loc, getInput(), y);
  grads.push_back(
      maskWhere(b, loc, hit, expandReduced(b, loc, g, in, getAxes())));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, Value g,
                                        SmallVectorImpl<Value> &grads) {
  grads.push_back(reshape(b, getLoc(), g, tensorOf(getInput()).getShape()));
  return success();
}

LogicalResult FlattenOp::buildGradients(OpBuilder &b, Value g,
                                        SmallVectorImpl<Value> &grads) {
  grads.push_back(reshape(b, getLoc(), g, tensorOf(getInput()).getShape()));
  return success();
}

LogicalResult TransposeOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  grads.push_back(TransposeOp::create(b, getLoc(), g, inverse));
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, Value g,
                                       SmallVectorImpl<Value> &grads) {
  auto out = getType();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0)
    axis += out.getRank();
  SmallVector<int64_t> starts(out.getRank(), 0), ends(out.getShape()),
      steps(out.getRank(), 1);
  int64_t offset = 0;
  for (Value in : getInputs()) {
    int64_t size = tensorOf(in).getDimSize(axis);
    starts[axis] = offset;
    ends[axis] = offset + size;
    grads.push_back(SliceOp::create(b, getLoc(), g, starts, ends, steps));
    offset += size;
  }
  return success();
}
