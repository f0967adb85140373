//===- GPUTileMatmul.cpp - the dr1-gpu-tile-matmul pass -------------------===//
//
// With one thread per output element (dr1-gpu-map-loops), a product reads
// a row of A and a column of B from global memory for every element of C:
// 1.7 TFLOP/s on an H200, 3-5% of cuBLAS's SGEMM. Products large enough to
// matter become kernels of their own: shared-memory slices of A and B, a
// register tile of C per thread, the next slices loaded while the current
// ones are multiplied.
//
//===----------------------------------------------------------------------===//
#include "Codegen/GPUUtils.h"
#include "Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::dr1 {
#define GEN_PASS_DEF_GPUTILEMATMUL
#include "Codegen/Passes.h.inc"
} // namespace mlir::dr1

using namespace mlir;

namespace {

/// A block computes bm x bn of C from bk-deep slices; a thread tm x tn.
struct Tile {
  int64_t bm, bn, tm, tn, bk;
  int64_t threads() const { return (bm / tm) * (bn / tn); }
  bool valid() const {
    return bm > 0 && bn > 0 && tm > 0 && tn > 0 && bm % tm == 0 &&
           bn % tn == 0 && tm % 4 == 0 && tn % 4 == 0 && threads() <= 1024 &&
           (bm * bk) % threads() == 0 && (bk * bn) % threads() == 0;
  }
};

/// Pads each row of A's transposed slice: a warp's transposed stores then
/// fall in distinct banks, and rows stay 16-byte aligned for 4-wide loads.
constexpr int64_t kPadA = 4;
constexpr int64_t kDepth = 8;

/// C[m, n] += A[m, k] B[k, n] over `batch`; a convolution is one with A
/// its input read through the window (implicit GEMM: m = (image, oh, ow),
/// k = (kh, kw, channel)), B its HWCF filter and C its NHWF output.
struct Product {
  linalg::LinalgOp op;
  Value a, b, c;
  bool batched;
  int64_t batch, m, n, k;
  bool conv = false;
  int64_t oh = 0, ow = 0, kw = 0, channels = 0;
  int64_t strides[2] = {1, 1}, dilations[2] = {1, 1};
};

std::optional<Product> matchConv(linalg::Conv2DNhwcHwcfOp conv) {
  Product p{conv,
            conv.getDpsInputs()[0],
            conv.getDpsInputs()[1],
            conv.getDpsInits()[0],
            false,
            1,
            0,
            0,
            0};
  for (Value v : {p.a, p.b, p.c}) {
    auto t = dyn_cast<MemRefType>(v.getType());
    if (!t || !t.hasStaticShape() || !isa<FloatType>(t.getElementType()))
      return std::nullopt;
  }
  auto f = cast<MemRefType>(p.b.getType()).getShape();
  auto o = cast<MemRefType>(p.c.getType()).getShape();
  p.conv = true;
  p.oh = o[1];
  p.ow = o[2];
  p.kw = f[1];
  p.channels = f[2];
  p.m = o[0] * o[1] * o[2];
  p.n = o[3];
  p.k = f[0] * f[1] * f[2];
  for (int i = 0; i < 2; ++i) {
    p.strides[i] = conv.getStrides().getValues<int64_t>()[i];
    p.dilations[i] = conv.getDilations().getValues<int64_t>()[i];
  }
  if (p.m == 0 || p.n == 0 || p.k == 0)
    return std::nullopt;
  return p;
}

std::optional<Product> match(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics())
    return std::nullopt;
  if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op.getOperation()))
    return matchConv(conv);
  bool batched;
  if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation())) {
    if (mm.hasUserDefinedMaps())
      return std::nullopt;
    batched = false;
  } else if (auto bmm = dyn_cast<linalg::BatchMatmulOp>(op.getOperation())) {
    if (bmm.hasUserDefinedMaps())
      return std::nullopt;
    batched = true;
  } else {
    return std::nullopt;
  }
  Product p{op,
            op.getDpsInputs()[0],
            op.getDpsInputs()[1],
            op.getDpsInits()[0],
            batched,
            1,
            0,
            0,
            0};
  for (Value v : {p.a, p.b, p.c}) {
    auto t = dyn_cast<MemRefType>(v.getType());
    if (!t || !t.hasStaticShape() || !isa<FloatType>(t.getElementType()))
      return std::nullopt;
  }
  auto a = cast<MemRefType>(p.a.getType()).getShape();
  auto c = cast<MemRefType>(p.c.getType()).getShape();
  unsigned r = batched ? 1 : 0;
  p.batch = batched ? a[0] : 1;
  p.m = c[r];
  p.n = c[r + 1];
  p.k = a[r + 1];
  if (p.m == 0 || p.n == 0 || p.k == 0)
    return std::nullopt;
  return p;
}

Tile chooseTile(const Product &p, int64_t multiprocessors) {
  const Tile candidates[] = {
      {128, 128, 8, 8, kDepth}, {64, 64, 4, 4, kDepth}, {32, 32, 4, 4, kDepth}};
  for (const Tile &t : candidates)
    if (p.batch * int64_t(llvm::divideCeil(p.m, t.bm)) *
            int64_t(llvm::divideCeil(p.n, t.bn)) >=
        multiprocessors)
      return t;
  return candidates[2];
}

/// The linalg.fill that writes C right before the product (nothing that
/// touches memory in between): its value starts the accumulators.
linalg::FillOp fillOf(const Product &p) {
  for (Operation *prev = p.op->getPrevNode(); prev;
       prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev))
      return fill.hasPureBufferSemantics() && fill.getOutputs()[0] == p.c
                 ? fill
                 : nullptr;
    if (!isMemoryEffectFree(prev) || prev->getNumRegions() != 0)
      return nullptr;
  }
  return nullptr;
}

class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc, const Product &p, const Tile &t,
                Type acc)
      : b(b), loc(loc), p(p), t(t), acc(acc) {}

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, idx(y));
  }
  Value minIdx(Value x, int64_t y) {
    return arith::MinUIOp::create(b, loc, x, idx(y));
  }
  Value lt(Value x, int64_t y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, idx(y));
  }

  Value convert(Value v, Type to) {
    Type from = v.getType();
    if (from == to)
      return v;
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, to, v);
    return arith::TruncFOp::create(b, loc, to, v);
  }

  Value div(Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, idx(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, idx(y));
  }

  /// A row of C as the indices it stands for: (batch,) m, or for a
  /// convolution (image, oh, ow). Computed once per thread, outside the K
  /// loop.
  SmallVector<Value> rowIndices(Value m) {
    if (!p.conv)
      return {m};
    return {div(m, p.oh * p.ow), rem(div(m, p.ow), p.oh), rem(m, p.ow)};
  }

  SmallVector<Value> cIndices(ArrayRef<Value> row, Value col) {
    SmallVector<Value> ids;
    if (p.batched)
      ids.push_back(batchId);
    ids.append(row.begin(), row.end());
    ids.push_back(col);
    return ids;
  }

  /// A[row, k]: for a convolution, the input under filter tap k.
  Value loadA(ArrayRef<Value> row, Value k) {
    SmallVector<Value> ids;
    if (!p.conv) {
      ids = cIndices(row, k);
    } else {
      Value tap = div(k, p.channels);
      Value kh = div(tap, p.kw), kw = rem(tap, p.kw);
      ids = {row[0], add(mul(row[1], p.strides[0]), mul(kh, p.dilations[0])),
             add(mul(row[2], p.strides[1]), mul(kw, p.dilations[1])),
             rem(k, p.channels)};
    }
    return memref::LoadOp::create(b, loc, p.a, ids);
  }

  /// B[k, col]: for a convolution, the filter's (kh, kw, channel) = k.
  Value loadB(Value k, Value col) {
    SmallVector<Value> ids;
    if (!p.conv) {
      ids = cIndices({k}, col);
    } else {
      Value tap = div(k, p.channels);
      ids = {div(tap, p.kw), rem(tap, p.kw), rem(k, p.channels), col};
    }
    return memref::LoadOp::create(b, loc, p.b, ids);
  }

  /// One element of a slice of A (row: a row of C) or B (col: a column of
  /// C) at `k`, in the accumulator type. Past the edge of M or N the
  /// address is clamped (that row or column of C is never stored); past K
  /// the value is zero.
  Value loadOperand(bool isA, ArrayRef<Value> row, Value k, Value col) {
    Value valid;
    if (p.k % t.bk != 0) {
      valid = lt(k, p.k);
      k = minIdx(k, p.k - 1);
    }
    Value v = isA ? loadA(row, k) : loadB(k, col);
    v = convert(v, acc);
    if (valid)
      v = arith::SelectOp::create(
          b, loc, valid, v,
          arith::ConstantOp::create(b, loc, b.getFloatAttr(acc, 0.0)));
    return v;
  }

  void build(Value init) {
    MLIRContext *ctx = b.getContext();
    int64_t threads = t.threads();
    int64_t rowThreads = t.bm / t.tm, colThreads = t.bn / t.tn;
    auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto aSliceTy = MemRefType::get({t.bk, t.bm + kPadA}, acc,
                                    MemRefLayoutAttrInterface{}, wg);
    auto bSliceTy =
        MemRefType::get({t.bk, t.bn}, acc, MemRefLayoutAttrInterface{}, wg);
    Value one = idx(1);
    auto launch = gpu::LaunchOp::create(
        b, loc, idx(llvm::divideCeil(p.n, t.bn)),
        idx(llvm::divideCeil(p.m, t.bm)), idx(p.batch), idx(threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, TypeRange{aSliceTy, bSliceTy});
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    gpu::TerminatorOp::create(b, loc);
    b.setInsertionPointToStart(&body);
    Value aSlice = launch.getWorkgroupAttributions()[0];
    Value bSlice = launch.getWorkgroupAttributions()[1];
    Value tid = launch.getThreadIds().x;
    batchId = launch.getBlockIds().z;
    Value m0 = mul(launch.getBlockIds().y, t.bm);
    Value n0 = mul(launch.getBlockIds().x, t.bn);
    Value ty = arith::DivUIOp::create(b, loc, tid, idx(colThreads));
    Value tx = arith::RemUIOp::create(b, loc, tid, idx(colThreads));

    // Which elements of the slices this thread copies: consecutive threads
    // take consecutive k of A (its rows are k-contiguous) and consecutive
    // columns of B. Rows and columns of C are fixed per thread; only k
    // moves with the slice.
    struct Copy {
      Value row, col;           // in the slice
      SmallVector<Value> fixed; // the global row of A / column of B, clamped
    };
    SmallVector<Copy> aCopies, bCopies;
    for (int64_t e = 0; e < t.bm * t.bk / threads; ++e) {
      Value i = add(tid, idx(e * threads));
      Value r = arith::DivUIOp::create(b, loc, i, idx(t.bk));
      Value c = arith::RemUIOp::create(b, loc, i, idx(t.bk));
      Value g = add(m0, r);
      if (p.m % t.bm != 0)
        g = minIdx(g, p.m - 1);
      aCopies.push_back({r, c, rowIndices(g)});
    }
    for (int64_t e = 0; e < t.bk * t.bn / threads; ++e) {
      Value i = add(tid, idx(e * threads));
      Value r = arith::DivUIOp::create(b, loc, i, idx(t.bn));
      Value c = arith::RemUIOp::create(b, loc, i, idx(t.bn));
      Value g = add(n0, c);
      if (p.n % t.bn != 0)
        g = minIdx(g, p.n - 1);
      bCopies.push_back({r, c, {g}});
    }
    auto loadSlices = [&](Value k0) {
      SmallVector<Value> vals;
      for (const Copy &c : aCopies)
        vals.push_back(loadOperand(true, c.fixed, add(k0, c.col), nullptr));
      for (const Copy &c : bCopies)
        vals.push_back(loadOperand(false, {}, add(k0, c.row), c.fixed[0]));
      return vals;
    };

    // A thread's rows of C: groups of 4 consecutive rows, the groups
    // rowThreads * 4 apart, so that a quarter warp's 4-wide loads from the
    // slices cover one contiguous 128-byte span.
    SmallVector<Value> rowBase, colBase;
    for (int64_t g = 0; g < t.tm / 4; ++g)
      rowBase.push_back(add(mul(ty, 4), idx(g * rowThreads * 4)));
    for (int64_t g = 0; g < t.tn / 4; ++g)
      colBase.push_back(add(mul(tx, 4), idx(g * colThreads * 4)));

    Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(acc, 0.0));
    SmallVector<Value> iterArgs(t.tm * t.tn, zero);
    llvm::append_range(iterArgs, loadSlices(idx(0)));
    int64_t numAcc = t.tm * t.tn;
    int64_t numK = llvm::divideCeil(p.k, t.bk);
    auto loop = scf::ForOp::create(b, loc, idx(0), idx(numK), one, iterArgs);
    b.setInsertionPointToStart(loop.getBody());
    {
      ValueRange args = loop.getRegionIterArgs();
      unsigned v = numAcc;
      for (const Copy &c : aCopies)
        memref::StoreOp::create(b, loc, args[v++], aSlice,
                                ValueRange{c.col, c.row});
      for (const Copy &c : bCopies)
        memref::StoreOp::create(b, loc, args[v++], bSlice,
                                ValueRange{c.row, c.col});
      gpu::BarrierOp::create(b, loc);
      // The next slices. With K a multiple of the depth, the last
      // iteration reloads the last slice instead of reading past K.
      Value kNext = mul(add(loop.getInductionVar(), one), t.bk);
      if (p.k % t.bk == 0)
        kNext = minIdx(kNext, p.k - t.bk);
      SmallVector<Value> next = loadSlices(kNext);

      SmallVector<Value> accs(args.begin(), args.begin() + numAcc);
      auto vecTy = VectorType::get({4}, acc);
      for (int64_t kk = 0; kk < t.bk; ++kk) {
        Value kIdx = idx(kk);
        SmallVector<Value> av, bv;
        for (Value base : rowBase) {
          Value v = vector::LoadOp::create(
              b, loc, vecTy, aSlice, ValueRange{kIdx, base},
              /*nontemporal=*/false, llvm::Align(16));
          for (int64_t l = 0; l < 4; ++l)
            av.push_back(vector::ExtractOp::create(b, loc, v, l));
        }
        for (Value base : colBase) {
          Value v = vector::LoadOp::create(
              b, loc, vecTy, bSlice, ValueRange{kIdx, base},
              /*nontemporal=*/false, llvm::Align(16));
          for (int64_t l = 0; l < 4; ++l)
            bv.push_back(vector::ExtractOp::create(b, loc, v, l));
        }
        for (int64_t i = 0; i < t.tm; ++i)
          for (int64_t j = 0; j < t.tn; ++j) {
            Value &a = accs[i * t.tn + j];
            a = math::FmaOp::create(b, loc, av[i], bv[j], a);
          }
      }
      gpu::BarrierOp::create(b, loc);
      SmallVector<Value> yielded(accs);
      llvm::append_range(yielded, next);
      scf::YieldOp::create(b, loc, yielded);
    }
    b.setInsertionPointAfter(loop);

    // C's tile: each row and column guarded where the tiles overhang C.
    Type cElem = cast<MemRefType>(p.c.getType()).getElementType();
    bool guardRows = p.m % t.bm != 0, guardCols = p.n % t.bn != 0;
    for (int64_t i = 0; i < t.tm; ++i) {
      Value row = add(m0, add(rowBase[i / 4], idx(i % 4)));
      for (int64_t j = 0; j < t.tn; ++j) {
        Value col = add(n0, add(colBase[j / 4], idx(j % 4)));
        OpBuilder::InsertionGuard guard(b);
        Value inside;
        if (guardRows)
          inside = lt(row, p.m);
        if (guardCols) {
          Value c = lt(col, p.n);
          inside = inside ? arith::AndIOp::create(b, loc, inside, c) : c;
        }
        if (inside) {
          auto ifOp = scf::IfOp::create(b, loc, inside, /*else=*/false);
          b.setInsertionPointToStart(ifOp.thenBlock());
        }
        // Inside the guard: a row past M stands for no image of the batch.
        SmallVector<Value> ids = cIndices(rowIndices(row), col);
        Value v = loop.getResult(i * t.tn + j);
        if (init) {
          if (!matchPattern(init, m_PosZeroFloat()))
            v = arith::AddFOp::create(b, loc, v, convert(init, acc));
        } else {
          v = arith::AddFOp::create(
              b, loc, v,
              convert(memref::LoadOp::create(b, loc, p.c, ids), acc));
        }
        memref::StoreOp::create(b, loc, convert(v, cElem), p.c, ids);
      }
    }
    dr1::gpuSinkWeights(launch, launch.getBody());
  }

private:
  OpBuilder &b;
  Location loc;
  const Product &p;
  const Tile &t;
  Type acc;
  Value batchId;
};

struct GPUTileMatmulPass
    : mlir::dr1::impl::GPUTileMatmulBase<GPUTileMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<Tile> forced;
    if (!tile.empty()) {
      SmallVector<StringRef> parts;
      StringRef(tile).split(parts, 'x');
      Tile t{0, 0, 0, 0, kDepth};
      if (parts.size() != 4 || parts[0].getAsInteger(10, t.bm) ||
          parts[1].getAsInteger(10, t.bn) || parts[2].getAsInteger(10, t.tm) ||
          parts[3].getAsInteger(10, t.tn) || !t.valid()) {
        getOperation().emitError("dr1-gpu-tile-matmul: bad tile '")
            << tile
            << "' (expected BMxBNxTMxTN, TM and TN multiples of 4, at most "
               "1024 threads, each copying whole elements of the slices)";
        return signalPassFailure();
      }
      forced = t;
    }
    SmallVector<Product> products;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (auto p = match(op); p && p->batch * p->m * p->n * p->k >= minWork)
        products.push_back(*p);
    });
    for (Product &p : products) {
      Tile t = forced ? *forced : chooseTile(p, multiprocessors);
      // Grid y and z stop at 65535 blocks; such products keep the mapping
      // that loops over blocks.
      if (llvm::divideCeil(p.m, t.bm) > 65535 || p.batch > 65535)
        continue;
      Type cElem = cast<MemRefType>(p.c.getType()).getElementType();
      Type acc = cElem.isF64() ? cElem : Float32Type::get(&getContext());
      Value init;
      if (linalg::FillOp fill = fillOf(p)) {
        init = fill.getInputs()[0];
        fill.erase();
      }
      OpBuilder b(p.op);
      KernelBuilder(b, p.op.getLoc(), p, t, acc).build(init);
      p.op->erase();
    }
  }
};
} // namespace
