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

LogicalResult BarrierOp::buildGradients(OpBuilder &b, Value g,
                                        SmallVectorImpl<Value> &grads) {
  grads.push_back(g);
  return success();
}

LogicalResult AttentionOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Type elt = getType().getElementType();
  for (Value v : getOperands())
    if (tensorOf(v).getElementType() != elt)
      return emitOpError("has gradients only with one float type throughout");
  // The fused op does not keep its probabilities (that is its point): the
  // backward pass recomputes them, as FlashAttention's does.
  // S = scale q kt + mask, P = softmax(S), O = P v;
  // dv = P^T dO, dP = dO v^T, dS = P (dP - sum(dP P)),
  // dq = scale dS kt^T, dkt = scale q^T dS, dmask = dS.
  Value q = getQuery(), kt = getKeyT(), v = getValue();
  Value scores = mulC(b, loc, MatmulOp::create(b, loc, q, kt),
                      static_cast<double>(getScale().convertToFloat()));
  if (getMask())
    scores = add(b, loc, scores, getMask());
  int64_t last = tensorOf(scores).getRank() - 1;
  Value p = SoftmaxOp::create(b, loc, scores, last);
  Value gv = MatmulOp::create(b, loc, transposeLast(b, loc, p), g);
  Value gp = MatmulOp::create(b, loc, g, transposeLast(b, loc, v));
  Value sum = ReduceSumOp::create(b, loc, mul(b, loc, gp, p),
                                  ArrayRef<int64_t>{last}, true);
  Value gs = mul(b, loc, p, sub(b, loc, gp, sum));
  double scale = getScale().convertToFloat();
  Value gq = mulC(
      b, loc, MatmulOp::create(b, loc, gs, transposeLast(b, loc, kt)), scale);
  Value gkt = mulC(
      b, loc, MatmulOp::create(b, loc, transposeLast(b, loc, q), gs), scale);
  grads.push_back(gq);
  grads.push_back(gkt);
  grads.push_back(gv);
  if (getMask())
    grads.push_back(unbroadcast(b, loc, gs, getMask().getType()));
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

//===----------------------------------------------------------------------===//
// Padding, slicing, gathering
//===----------------------------------------------------------------------===//

namespace {

/// `v` placed at low + i * strides of a `shape` tensor filled with `fill`.
Value padTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape,
            ArrayRef<int64_t> low, ArrayRef<int64_t> strides,
            double fill = 0.0) {
  auto type = RankedTensorType::get(shape, tensorOf(v).getElementType());
  if (type == v.getType())
    return v;
  return PadOp::create(b, loc, type, v, b.getDenseI64ArrayAttr(low),
                       b.getDenseI64ArrayAttr(strides),
                       b.getF64FloatAttr(fill));
}

Value sliceOf(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> starts,
              ArrayRef<int64_t> sizes, ArrayRef<int64_t> steps) {
  SmallVector<int64_t> ends;
  for (auto [s, n, st] : llvm::zip(starts, sizes, steps))
    ends.push_back(n == 0 ? s : s + (n - 1) * st + 1);
  auto in = tensorOf(v);
  if (llvm::all_of(starts, [](int64_t s) { return s == 0; }) &&
      llvm::all_of(steps, [](int64_t s) { return s == 1; }) &&
      llvm::equal(sizes, in.getShape()))
    return v;
  return SliceOp::create(b, loc, v, starts, ends, steps);
}

/// `v` reversed along `axis` (a gather of constant indices).
Value reverse(OpBuilder &b, Location loc, Value v, int64_t axis) {
  int64_t n = tensorOf(v).getDimSize(axis);
  if (n == 1)
    return v;
  SmallVector<int64_t> idx;
  for (int64_t i = n - 1; i >= 0; --i)
    idx.push_back(i);
  auto type = RankedTensorType::get({n}, b.getI64Type());
  Value indices = ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef<int64_t>(idx)));
  return GatherOp::create(b, loc, v, indices, axis);
}

} // namespace

LogicalResult PadOp::buildGradients(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &grads) {
  grads.push_back(sliceOf(b, getLoc(), g, getLow(),
                          tensorOf(getInput()).getShape(), getStrides()));
  return success();
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, Value g,
                                      SmallVectorImpl<Value> &grads) {
  grads.push_back(padTo(b, getLoc(), g, tensorOf(getInput()).getShape(),
                        getStarts(), getSteps()));
  return success();
}

LogicalResult GatherOp::buildGradients(OpBuilder &b, Value g,
                                       SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  auto data = tensorOf(getData());
  auto idxType = tensorOf(getIndices());
  if (!isa<FloatType>(data.getElementType()))
    return emitOpError("has no gradient on integers");
  if (*normalizeAxis(getAxis(), data.getRank()) != 0)
    return emitOpError("has a gradient only along axis 0 (embedding lookup)");
  // Rows summed per index: onehot(indices)^T * dy over all lookups.
  int64_t rowsCount = data.getDimSize(0);
  int64_t lookups = idxType.getNumElements();
  int64_t width = data.getNumElements() / std::max<int64_t>(rowsCount, 1);
  Type it = idxType.getElementType();
  Value idx = reshape(b, loc, getIndices(), {lookups, 1});
  auto scalarInt = [&](int64_t v) {
    auto t = RankedTensorType::get({}, it);
    return ConstantOp::create(
               b, loc, DenseElementsAttr::get(t, IntegerAttr::get(it, v)))
        .getResult();
  };
  // The lowering's index semantics: negative from the end, then clamped.
  Value wrapped =
      WhereOp::create(b, loc, LessOp::create(b, loc, idx, scalarInt(0)),
                      AddOp::create(b, loc, idx, scalarInt(rowsCount)), idx);
  Value clamped =
      MinOp::create(b, loc, MaxOp::create(b, loc, wrapped, scalarInt(0)),
                    scalarInt(rowsCount - 1));
  SmallVector<APInt> iota;
  for (int64_t i = 0; i < rowsCount; ++i)
    iota.push_back(APInt(it.getIntOrFloatBitWidth(), i));
  Value range = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({1, rowsCount}, it), iota));
  Value hot = CastOp::create(
      b, loc,
      RankedTensorType::get({lookups, rowsCount}, data.getElementType()),
      EqualOp::create(b, loc, clamped, range));
  Value g2 = reshape(b, loc, g, {lookups, width});
  Value d = MatmulOp::create(b, loc, transposeLast(b, loc, hot), g2);
  grads.push_back(reshape(b, loc, d, data.getShape()));
  grads.push_back(Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::buildGradients(OpBuilder &b, Value g,
                                       SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value x = getInput(), w = getWeight();
  auto xt = tensorOf(x), wt = tensorOf(w);
  Type elt = getType().getElementType();
  if (!isa<FloatType>(elt) || xt.getElementType() != elt ||
      wt.getElementType() != elt)
    return emitOpError("has gradients only with one float type throughout");
  int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), h = xt.getDimSize(2),
          wd = xt.getDimSize(3);
  int64_t f = wt.getDimSize(0), kh = wt.getDimSize(2), kw = wt.getDimSize(3);
  int64_t groups = static_cast<int64_t>(getGroups());
  ArrayRef<int64_t> s = getStrides(), p = getPadding(), dl = getDilations();
  int64_t hp = h + p[0] + p[2], wp = wd + p[1] + p[3];
  int64_t cg = c / groups, fg = f / groups;

  // dx: the output gradient spread out by the strides, framed by the
  // kernel's reach, correlated with the flipped, per-group transposed
  // filters; then the padding cut away.
  int64_t rh = (kh - 1) * dl[0], rw = (kw - 1) * dl[1];
  Value up = padTo(b, loc, g, {n, f, hp + rh, wp + rw}, {0, 0, rh, rw},
                   {1, 1, s[0], s[1]});
  Value wf = reshape(b, loc, w, {groups, fg, cg, kh, kw});
  wf = TransposeOp::create(b, loc, wf, ArrayRef<int64_t>{0, 2, 1, 3, 4});
  wf = reshape(b, loc, wf, {c, fg, kh, kw});
  wf = reverse(b, loc, reverse(b, loc, wf, 2), 3);
  Value dxp = Conv2DOp::create(
      b, loc, up, wf, Value(), b.getDenseI64ArrayAttr({1, 1}),
      b.getDenseI64ArrayAttr({0, 0, 0, 0}), b.getDenseI64ArrayAttr(dl),
      b.getI64IntegerAttr(groups), b.getI64IntegerAttr(0));
  grads.push_back(
      sliceOf(b, loc, dxp, {0, 0, p[0], p[1]}, {n, c, h, wd}, {1, 1, 1, 1}));

  // dW: a convolution of the (padded) input by the output gradient, with
  // images as channels: strides and dilations swap roles.
  Value xp = padTo(b, loc, x, {n, c, hp, wp}, {0, 0, p[0], p[1]}, {1, 1, 1, 1});
  Value xs = reshape(b, loc, xp, {n, groups, cg, hp, wp});
  xs = TransposeOp::create(b, loc, xs, ArrayRef<int64_t>{2, 1, 0, 3, 4});
  xs = reshape(b, loc, xs, {cg, groups * n, hp, wp});
  Value gs = TransposeOp::create(b, loc, g, ArrayRef<int64_t>{1, 0, 2, 3});
  Value dw = Conv2DOp::create(
      b, loc, xs, gs, Value(), b.getDenseI64ArrayAttr(dl),
      b.getDenseI64ArrayAttr({0, 0, 0, 0}), b.getDenseI64ArrayAttr(s),
      b.getI64IntegerAttr(groups), b.getI64IntegerAttr(0));
  dw = sliceOf(b, loc, dw, {0, 0, 0, 0}, {cg, f, kh, kw}, {1, 1, 1, 1});
  grads.push_back(
      TransposeOp::create(b, loc, dw, ArrayRef<int64_t>{1, 0, 2, 3}));
  if (getBias())
    grads.push_back(
        ReduceSumOp::create(b, loc, g, ArrayRef<int64_t>{0, 2, 3}, false));
  return success();
}

LogicalResult MaxPool2DOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  auto xt = tensorOf(getInput());
  int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), h = xt.getDimSize(2),
          wd = xt.getDimSize(3);
  ArrayRef<int64_t> k = getKernelShape(), s = getStrides(), p = getPadding(),
                    dl = getDilations();
  int64_t oh = getType().getDimSize(2), ow = getType().getDimSize(3);
  // Room for every window (ceil_mode ones may reach past the padding).
  int64_t hx =
      std::max(h + p[0] + p[2], (oh - 1) * s[0] + (k[0] - 1) * dl[0] + 1);
  int64_t wx =
      std::max(wd + p[1] + p[3], (ow - 1) * s[1] + (k[1] - 1) * dl[1] + 1);
  Value xp = padTo(b, loc, getInput(), {n, c, hx, wx}, {0, 0, p[0], p[1]},
                   {1, 1, 1, 1}, -INFINITY);
  // Each window's gradient goes to the first position holding its maximum
  // (row-major), as PyTorch does: `taken` marks windows already served.
  Value taken, sum;
  Type maskType = getType();
  for (int64_t i = 0; i < k[0]; ++i)
    for (int64_t j = 0; j < k[1]; ++j) {
      Value tap = sliceOf(b, loc, xp, {0, 0, i * dl[0], j * dl[1]},
                          {n, c, oh, ow}, {1, 1, s[0], s[1]});
      Value hit = CastOp::create(b, loc, maskType,
                                 EqualOp::create(b, loc, tap, getResult()));
      if (taken)
        hit = mul(b, loc, hit, sub(b, loc, scalar(b, loc, hit, 1.0), taken));
      taken = taken ? add(b, loc, taken, hit) : hit;
      Value part = padTo(b, loc, mul(b, loc, g, hit), {n, c, hx, wx},
                         {0, 0, i * dl[0], j * dl[1]}, {1, 1, s[0], s[1]});
      sum = sum ? add(b, loc, sum, part) : part;
    }
  grads.push_back(
      sliceOf(b, loc, sum, {0, 0, p[0], p[1]}, {n, c, h, wd}, {1, 1, 1, 1}));
  return success();
}

LogicalResult AvgPool2DOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  auto xt = tensorOf(getInput());
  int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), h = xt.getDimSize(2),
          wd = xt.getDimSize(3);
  ArrayRef<int64_t> k = getKernelShape(), s = getStrides(), p = getPadding();
  int64_t oh = getType().getDimSize(2), ow = getType().getDimSize(3);
  int64_t hx = std::max(h + p[0] + p[2], (oh - 1) * s[0] + k[0]);
  int64_t wx = std::max(wd + p[1] + p[3], (ow - 1) * s[1] + k[1]);
  // The pool is linear: each window's gradient, divided by its count,
  // spread over the window; padded positions are cut away after.
  std::vector<float> recip = avgPoolReciprocalCounts(*this);
  Type elt = getType().getElementType();
  SmallVector<Attribute> values;
  for (float r : recip)
    values.push_back(FloatAttr::get(elt, r));
  Value divisors = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({oh, ow}, elt), values));
  Value scaled = mul(b, loc, g, divisors);
  Value sum;
  for (int64_t i = 0; i < k[0]; ++i)
    for (int64_t j = 0; j < k[1]; ++j) {
      Value part = padTo(b, loc, scaled, {n, c, hx, wx}, {0, 0, i, j},
                         {1, 1, s[0], s[1]});
      sum = sum ? add(b, loc, sum, part) : part;
    }
  grads.push_back(
      sliceOf(b, loc, sum, {0, 0, p[0], p[1]}, {n, c, h, wd}, {1, 1, 1, 1}));
  return success();
}
