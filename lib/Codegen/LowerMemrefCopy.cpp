//===- LowerMemrefCopy.cpp - the dr1-lower-memref-copy pass ---------------===//
#include "Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_LOWERMEMREFCOPY
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// Whether `finalize-memref-to-llvm` makes `type`'s copies one memcpy.
bool contiguous(MemRefType type) {
  return type.getLayout().isIdentity() ||
         memref::isStaticShapeAndContiguousRowMajor(type);
}

/// Whether `type`'s innermost dimension has unit stride.
bool unitInnerStride(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         !strides.empty() && strides.back() == 1;
}

/// `op` (a copy `from` -> `to`) as loops over its outer dimensions moving the
/// innermost one in vectors of up to four registers (a static remainder last).
/// Lowered through linalg.copy instead, LLVM moves one element at a time: it
/// cannot tell the two views of one workspace apart, so it neither
/// vectorizes the loop nor merges the unrolled scalar moves. Returns false
/// (and builds nothing) where that does not apply.
bool lowerToVectors(RewriterBase &b, Operation *op, Value from, Value to,
                    int64_t vectorBits) {
  auto src = cast<MemRefType>(from.getType());
  auto dst = cast<MemRefType>(to.getType());
  Type elt = src.getElementType();
  if (vectorBits <= 0 || !src.hasStaticShape() || src.getRank() == 0 ||
      !elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8 != 0 ||
      !unitInnerStride(src) || !unitInnerStride(dst))
    return false;
  int64_t lanes =
      std::max<int64_t>(1, vectorBits / elt.getIntOrFloatBitWidth());
  int64_t n = src.getShape().back();
  if (n < std::max<int64_t>(2, lanes / 2))
    return false;
  int64_t width = std::min<int64_t>(n, 4 * lanes);
  int64_t whole = n - n % width;
  Location loc = op->getLoc();
  b.setInsertionPoint(op);
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto move = [&](OpBuilder &nb, ValueRange outer, Value inner, int64_t w) {
    SmallVector<Value> at(outer);
    at.push_back(inner);
    auto type = VectorType::get({w}, elt);
    Value v = vector::LoadOp::create(nb, loc, type, from, at);
    vector::StoreOp::create(nb, loc, v, to, at);
  };
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d : src.getShape().drop_back()) {
    lbs.push_back(index(0));
    ubs.push_back(index(d));
    steps.push_back(index(1));
  }
  scf::buildLoopNest(
      b, loc, lbs, ubs, steps, [&](OpBuilder &nb, Location, ValueRange outer) {
        if (whole == width) {
          move(nb, outer, arith::ConstantIndexOp::create(nb, loc, 0), width);
        } else if (whole) {
          Value lb = arith::ConstantIndexOp::create(nb, loc, 0);
          Value ub = arith::ConstantIndexOp::create(nb, loc, whole);
          Value step = arith::ConstantIndexOp::create(nb, loc, width);
          scf::ForOp::create(
              nb, loc, lb, ub, step, ValueRange{},
              [&](OpBuilder &lb2, Location, Value iv, ValueRange) {
                move(lb2, outer, iv, width);
                scf::YieldOp::create(lb2, loc);
              });
        }
        if (n % width)
          move(nb, outer, arith::ConstantIndexOp::create(nb, loc, whole),
               n % width);
      });
  b.eraseOp(op);
  return true;
}

struct LowerMemrefCopyPass
    : mlir::dr1::impl::LowerMemrefCopyBase<LowerMemrefCopyPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) {
      auto src = cast<MemRefType>(op.getSource().getType());
      auto dst = cast<MemRefType>(op.getTarget().getType());
      if (all || !contiguous(src) || !contiguous(dst))
        copies.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    // linalg.copy on buffers (bufferized packing copies) too.
    if (vectorBits > 0)
      getOperation().walk([&](linalg::CopyOp op) {
        if (op.hasPureBufferSemantics())
          (void)lowerToVectors(rewriter, op, op.getInputs()[0],
                               op.getOutputs()[0], vectorBits);
      });
    for (memref::CopyOp op : copies) {
      if (lowerToVectors(rewriter, op, op.getSource(), op.getTarget(),
                         vectorBits))
        continue;
      rewriter.setInsertionPoint(op);
      linalg::CopyOp::create(rewriter, op.getLoc(), op.getSource(),
                             op.getTarget());
      rewriter.eraseOp(op);
    }
  }
};
} // namespace
