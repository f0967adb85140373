//===- FoldBatchNorm.cpp - the dr1-fold-batch-norm pass -------------------===//
//
// Inference batch norm after a convolution or linear layer with constant
// weights is an affine map per output channel; folding it into the weights
// and bias removes a whole pass over the activations.
//
//===----------------------------------------------------------------------===//
#include "dr1/Dr1Ops.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::dr1 {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "passes/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;
using namespace mlir::dr1;

namespace {

/// The f32 values of a constant operand, if it is one.
std::optional<std::vector<float>> floats(Value v) {
  ElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  return getF32Values(attr);
}

Value constant(PatternRewriter &rewriter, Location loc, ArrayRef<int64_t> shape,
               ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, rewriter.getF32Type());
  ArrayRef<char> raw(reinterpret_cast<const char *>(values.data()),
                     values.size() * 4);
  auto attr = DenseResourceElementsAttr::get(
      type, "folded",
      HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, alignof(float)));
  return ConstantOp::create(rewriter, loc, attr);
}

/// y = conv(x)*a + shift per output channel, with a = scale/sqrt(var+eps).
template <typename OpTy>
struct FoldIntoProducer : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto producer = bn.getInput().template getDefiningOp<OpTy>();
    if (!producer || !producer->hasOneUse())
      return failure();
    auto scale = floats(bn.getScale()), bias = floats(bn.getBias()),
         mean = floats(bn.getMean()), var = floats(bn.getVar()),
         weight = floats(producer.getWeight());
    if (!scale || !bias || !mean || !var || !weight)
      return failure();
    auto wType = cast<RankedTensorType>(producer.getWeight().getType());
    int64_t channels = wType.getDimSize(0);
    // Output channels must be dimension 1 of the batch norm's input: true
    // for conv2d (NCHW) and for linear on [N, C].
    if (static_cast<int64_t>(scale->size()) != channels ||
        (std::is_same_v<OpTy, LinearOp> &&
         bn.getInput().getType().getRank() != 2))
      return failure();
    std::vector<float> oldBias(channels, 0.0f);
    if (Value b = producer.getBias()) {
      auto values = floats(b);
      if (!values)
        return failure();
      oldBias = *values;
    }
    float eps = bn.getEpsilon().convertToFloat();
    int64_t per = wType.getNumElements() / channels;
    std::vector<float> w(*weight), b(channels);
    for (int64_t c = 0; c < channels; ++c) {
      float a = (*scale)[c] / std::sqrt((*var)[c] + eps);
      for (int64_t i = 0; i < per; ++i)
        w[c * per + i] *= a;
      b[c] = (oldBias[c] - (*mean)[c]) * a + (*bias)[c];
    }
    Location loc = bn.getLoc();
    // The folded weights keep the weights' name (reports name layers by it).
    Value newW =
        constant(rewriter, producer.getWeight().getLoc(), wType.getShape(), w);
    Value newB = constant(rewriter, loc, {channels}, b);
    rewriter.modifyOpInPlace(producer, [&] {
      producer.getWeightMutable().assign(newW);
      if (producer.getBias())
        producer.getBiasMutable().assign(newB);
      else
        producer.getBiasMutable().append(newB);
    });
    rewriter.replaceOp(bn, producer.getResult());
    return success();
  }
};

struct FoldBatchNormPass
    : mlir::dr1::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoProducer<Conv2DOp>, FoldIntoProducer<LinearOp>>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
