//===- Passes.td - dr1 code-generation passes --------------*- tablegen -*-===//
#ifndef DR1_CODEGEN_PASSES_TD
#define DR1_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def CPUTileAndVectorize : Pass<"dr1-cpu-tile-and-vectorize", "func::FuncOp"> {
  let summary = "Cache- and register-tile matmuls and convolutions, then vectorize";
  let description = [{
    The CPU strategy for matrix work on tensors, parameterised by the target's
    vector width and register count (see TargetInfo). Matmuls are tiled for
    the caches (tile sizes that divide the shape) and for registers (`mr x
    nr` accumulators, K innermost), vectorized, and their accumulators
    hoisted out of the K loop so they stay in registers. K is one block up
    to 512, or while a `[K, nr]` strip of B is at most 256 KiB with
    AVX-512's 32-wide strips (server cores with 1-2 MiB of L2) or 64 KiB
    otherwise; then a fill of C is done in the register tiles (accumulators
    start as zeros, C is never loaded). Where the register tile does not divide M or N, or the
    only cache blocks that divide them are slivers, products of at least
    2^18 multiply-adds are split in two along M or N, each part tiled on its
    own (1000 rows with 6-row tiles: 882 in blocks of 126, 114, and 4 in
    4-row tiles); smaller ones are padded with zeros to multiples of the
    register tile and sliced back. A matmul marked
    `dr1.fuse_epilogue` (dr1-fuse-epilogue) is tiled together with its
    elementwise consumer, which is applied to each register tile's
    accumulators after the K loop. That needs K summed in one block (taken
    whole when A is at most 1 MiB, even if K blocks were chosen) and tiles
    that divide M and N without padding: the row tile is shortened to divide
    M if it can be, and N that the two-vector tile does not divide takes
    one-vector strips with up to 14 rows (80, 112, 144, 240 channels on
    AVX-512).
    Convolutions are
    tiled over output rows / columns / channels with one filter tap and 8
    input channels per tile, decomposed to 1-D convolutions and vectorized.
    The register tile (columns x channel vectors) is the one that loads
    least per FMA among those whose width divides the row: depthwise
    convolutions and pools take the widest row tile (7 x 1 vector for a row
    of 14 on AVX2), dense ones two vectors of channels unless that would pad
    the row; rows no tile divides well are padded. Depthwise convolutions and
    pools count their multiply-adds 8x when deciding whether to share rows
    between threads;
    where the filter is larger than the input (deep layers on small images)
    output-channel tiles are the outermost loop, so each tile's filter slice
    stays in cache for every row.

    Constant operands read in tiles, a convolution's filter
    (`[KH, KW, C, F]` read as `[1, 1, ct, ft]`) and a matmul's weights
    (`[K, N]` read as `[kc, nr]` strips), are packed at compile time as
    `[F / ft, KH, KW, C, ft]` and `[N / nr, K, nr]`: every tile is then one
    contiguous block, and matmuls need no run-time copy of B's strips. A
    B computed at run time is packed the same way, one `[kc, nc]` cache
    block at a time, before the M blocks that share it (each strip is copied
    where it is used when only one M block reads it).
    ```mlir
    %w = arith.constant dense<...> : tensor<3x3x512x512xf32>
    %t = tensor.extract_slice %w[%kh, %kw, %c, %f] [1, 1, 8, 32] [1, 1, 1, 1]
    ```
    becomes
    ```mlir
    %p = arith.constant dense<...> : tensor<16x3x3x512x32xf32>
    %i = affine.apply affine_map<()[s0] -> (s0 floordiv 32)>()[%f]
    %t = tensor.extract_slice %p[%i, %kh, %kw, %c, 0] [1, 1, 1, 8, 32] [1, 1, 1, 1, 1]
    ```

    Before:
    ```mlir
    %r = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>)
                       outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
    ```
    After (shape of the result):
    ```mlir
    scf.for %i ... {          // M register tiles
      scf.for %j ... {        // N register tiles
        %acc0 = vector.transfer_read ... : vector<8x32xf32>
        %acc = scf.for %k ... iter_args(%acc1 = %acc0) -> vector<8x32xf32> {
          %a = vector.transfer_read ...
          %b = vector.transfer_read ...
          %r = vector.contract ... %a, %b, %acc1
          scf.yield %r
        }
        vector.transfer_write %acc, ...
    ```
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "512",
           "Width of the target's vector registers in bits">,
    Option<"numVectorRegisters", "vector-registers", "int64_t", "32",
           "Number of architectural vector registers">,
    Option<"parallel", "parallel", "bool", "false",
           "Make the outer tile loops scf.forall (matmul N strips, "
           "convolution output rows) so they can run on several threads">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
    "mlir::vector::VectorDialect", "mlir::affine::AffineDialect"
  ];
}

def VNNIMatmul : Pass<"dr1-vnni-matmul", "func::FuncOp"> {
  let summary = "int8 and bf16 matmuls and convolutions with constant weights as AVX-512 dot-product kernels";
  let description = [{
    Rewrites `linalg.matmul` of i8 activations by constant i8 weights into
    i32 (what `dr1-quantize` produces, lowered) into a register-tiled
    kernel of `vpdpbusd` (u8 x s8, four products per 32-bit lane). The
    weights are packed at compile time into panels `[N/32][K/4][32][4]`
    (zeros past N and K); the activations are flipped to unsigned
    (`x ^ 0x80`, i.e. `x + 128`) and `128 * sum_k w[k][n]` is subtracted
    from each result column. Each 8 x 32 tile of the result keeps its 16
    accumulators in registers over the whole K; columns go in blocks of
    256 so that a block of weights stays in L2. `linalg.conv_2d_nhwc_hwcf`
    with constant filters gets the same kernel as an implicit GEMM (no
    im2col buffer): filters packed as `[F/32][KH][KW][C/4][32][4]`, each
    8-pixel x 32-filter tile of an output row summed over taps and
    channels, the input read in place (strides, dilations). Run only for
    targets with `avx512vnni`. With `bf16`, the same kernels serve bf16 x
    bf16 -> f32 products with `vdpbf16ps` (two bf16 pairs per f32 lane,
    weights packed `[N/32][K/2][32][2]`, no correction; targets with
    `avx512bf16`). With `sdot` (and `int8=false`), i8 products become
    AArch64 `sdot` kernels: signed bytes on both sides (no flip, no
    correction), 4 x 16 tiles of 128-bit registers (16 of the 32
    accumulating), weights packed `[N/16][K/4][16][4]`. With `parallel`,
    threads share the result:
    a grid of row chunks x column blocks for matmuls, output rows for
    convolutions (`scf.forall`, like the f32 strategy).

    Before:
    ```mlir
    %y = linalg.matmul ins(%a, %w : tensor<64x256xi8>, tensor<256x128xi8>)
                       outs(%zero : tensor<64x128xi32>) -> tensor<64x128xi32>
    ```
    After (schematically):
    ```mlir
    %wp = arith.constant dense<...> : tensor<4x64x128xi8>
    %au = linalg.generic ... arith.xori %x, %c-128_i8 ...
    scf.for %nb ... scf.for %m0 ... scf.for %n0 ... {
      scf.for %k4 ... iter_args(%acc0 = ..., ...) {
        %b0 = vector.transfer_read %wp[...] : tensor<4x64x128xi8>, vector<64xi8>
        %a = vector.broadcast ... : i32 to vector<16xi32>
        %acc = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc0, %a, %b0) ...
      }
      vector.transfer_write ...
    }
    ```
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Share large products between threads (scf.forall)">,
    Option<"int8", "int8", "bool", "true",
           "Rewrite i8 x i8 -> i32 products (vpdpbusd, avx512vnni)">,
    Option<"bf16", "bf16", "bool", "false",
           "Rewrite bf16 x bf16 -> f32 products (vdpbf16ps, avx512bf16)">,
    Option<"sdot", "sdot", "bool", "false",
           "Rewrite i8 x i8 -> i32 products for AArch64 (sdot, dotprod) "
           "instead of vpdpbusd">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::arith::ArithDialect"];
}

def VectorizeElementwise : Pass<"dr1-vectorize-elementwise", "func::FuncOp"> {
  let summary = "Vectorize elementwise linalg.generic ops and row reductions";
  let description = [{
    Every statically shaped `linalg.generic` whose loops are all parallel,
    or parallel with one innermost reduction (softmax's max and sum, layer
    norm's moments), and whose innermost loop runs along each operand's last
    dimension, is tiled so that one tile is a contiguous run of that loop
    (other loops tiled to 1) and vectorized. Runs are up to four vector
    registers for elementwise ops (a divisor of the dimension; the whole
    dimension when it has none and is short) and whole rows up to sixteen
    registers for reductions (longer rows in chunks, the partial result
    carried by the tile loop). A generic that reduces over loops outside
    its operands' contiguous dimension (global average pooling in NHWC:
    [N, H, W, C] summed over H and W) is re-ordered with that dimension's
    loop innermost and vectorized along it, the reduction loops running one
    step at a time over vectors of partial sums; otherwise it would be
    summed one strided float at a time.

    A `linalg.transpose` that moves its input's innermost dimension (layout
    changes at a model's NCHW edges, ShuffleNet's channel shuffle) is tiled
    into register blocks (the largest power-of-two divisors, up to a vector,
    of the two dimensions involved; at least 4 x 4) whose rows are read
    whole and transposed in registers: a 16 x 16 f32 block through the
    unpack/shuffle network AVX-512 code uses, other blocks as one
    `vector.shuffle`. Left alone, such a transpose is lowered element by
    element.

    Before:
    ```mlir
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<8x128xf32>) outs(%e : tensor<8x128xf32>) {
    ^bb0(%a: f32, %b: f32):
      %r = math.exp %a : f32
      linalg.yield %r : f32
    } -> tensor<8x128xf32>
    ```
    After (AVX-512):
    ```mlir
    scf.for %i = %c0 to %c8 step %c1 ... {
      scf.for %j = %c0 to %c128 step %c64 ... {
        %v = vector.transfer_read %x[%i, %j] ... : tensor<8x128xf32>, vector<1x64xf32>
        %r = math.exp %v : vector<1x64xf32>
        ... vector.transfer_write %r ...
    ```
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "512",
           "Width of the target's vector registers in bits">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
    "mlir::vector::VectorDialect", "mlir::affine::AffineDialect"
  ];
}

def FuseEpilogue : Pass<"dr1-fuse-epilogue", "func::FuncOp"> {
  let summary = "Apply bias, residual and activation to a conv's rows or a matmul's register tiles";
  let description = [{
    Matrix products: a `linalg.matmul` whose only user is an elementwise
    `linalg.generic` (bias, residual, activation) is marked
    `dr1.fuse_epilogue`; dr1-cpu-tile-and-vectorize then tiles the generic
    with the product down to the register tile and applies it to the
    accumulators once K is summed, so the product's result is never stored.
    Linear layers that reach their epilogue through an `expand_shape` back
    to `[batch, seq, features]` have the epilogue's loops collapsed first,
    so that it reads the `[rows, features]` product directly:
    ```mlir
    %p = linalg.matmul ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32>) outs(%zero ...)
    %e = tensor.expand_shape %p [[0, 1], [2]] ... into tensor<2x64x32xf32>
    %r = linalg.generic {bias + residual + relu} ins(%e, %bias, %res ...) -> tensor<2x64x32xf32>
    ```
    becomes
    ```mlir
    %p = linalg.matmul {dr1.fuse_epilogue} ins(%x, %w ...) outs(%zero ...)
    %rc = tensor.collapse_shape %res [[0, 1], [2]] ... into tensor<128x32xf32>
    %g = linalg.generic {bias + residual + relu} ins(%p, %bias, %rc ...) -> tensor<128x32xf32>
    %r = tensor.expand_shape %g [[0, 1], [2]] ... into tensor<2x64x32xf32>
    ```

    Convolutions:
    A convolution whose only consumer is an elementwise `linalg.generic`
    (bias, residual add, activation, after dr1-fuse-elementwise merged them)
    is fused into that consumer's loop over output rows: each iteration
    computes one output row of the convolution (its bias-initialised
    accumulator included) and applies the epilogue to it while it is in
    cache, so the convolution's full result is never written to and read
    back from memory. Where the filter is larger than the input (deep
    layers on small images), the loop is over blocks of 64 output channels
    of the whole image instead, so that the filter is read once. The row loop is an `scf.forall` when compiling for
    several threads. The convolution is tagged `dr1.row_tiled`; the CPU
    strategy then tiles only within the row.

    Before:
    ```mlir
    %c = linalg.conv_2d_nhwc_hwcf ins(%x, %w ...) outs(%bias ...) -> tensor<1x56x56x64xf32>
    %r = linalg.generic {relu} ins(%c, %residual ...) outs(...) -> tensor<1x56x56x64xf32>
    ```
    After:
    ```mlir
    %r = scf.for %oh = %c0 to %c56 step %c1 iter_args(%acc = ...) {
      %b = linalg.generic {broadcast} ... -> tensor<1x1x56x64xf32>
      %c = linalg.conv_2d_nhwc_hwcf {dr1.row_tiled} ins(%x_rows, %w) outs(%b) -> tensor<1x1x56x64xf32>
      %e = linalg.generic {relu} ins(%c, %residual_row) ... -> tensor<1x1x56x64xf32>
      %i = tensor.insert_slice %e into %acc[0, %oh, 0, 0] ...
      scf.yield %i
    }
    ```
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Make the row loop an scf.forall (run on several threads)">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def RowPaddedProducts : Pass<"dr1-row-padded-products", "func::FuncOp"> {
  let summary = "Compute 1x1 convolutions that fill a padded tensor one image row at a time";
  let description = [{
    A 1x1 convolution is a matmul on the `[N*H*W, C]` view of its input.
    When its elementwise consumer's result (bias, activation; for int8, the
    dequantize ... quantize chain) is inserted into a padded tensor (the next
    3x3 or depthwise layer's input), that view of the padded interior is not
    contiguous, so the result would be stored whole and copied. Where the
    weights fit in 128 KiB (each row's product reads all of them), the
    consumer is tiled by image rows (an `scf.forall` with threads, when the
    product is big enough) and each row gets its own `[W, K] x [K, F]`
    matmul, whose consumer writes its `[W, F]` run of the padded tensor in
    place. Runs before dr1-vnni-matmul (int8 rows get its kernel) and
    dr1-fuse-epilogue (f32 rows get their epilogue in the register tiles).

    Before:
    ```mlir
    %p = linalg.matmul ins(%x, %w : tensor<12544x16xf32>, tensor<16x96xf32>) ...
    %e = tensor.expand_shape %p [[0, 1, 2], [3]] ... into tensor<1x112x112x96xf32>
    %y = linalg.generic {bias + relu6} ins(%e, %bias ...) -> tensor<1x112x112x96xf32>
    %i = tensor.insert_slice %y into %padded[0, 1, 1, 0] [1, 112, 112, 96] ...
    ```
    After:
    ```mlir
    %y = scf.for %r = %c0 to %c112 step %c1 iter_args(%acc = %empty) {
      %xr = tensor.extract_slice %x[%r * 112, 0] [112, 16] [1, 1]
      %pr = linalg.matmul ins(%xr, %w ...) -> tensor<112x96xf32>
      %er = tensor.expand_shape %pr [[0, 1, 2], [3]] ... into tensor<1x1x112x96xf32>
      %yr = linalg.generic {bias + relu6} ins(%er, %bias ...) -> tensor<1x1x112x96xf32>
      %u = tensor.insert_slice %yr into %acc[0, %r, 0, 0] [1, 1, 112, 96] ...
      scf.yield %u
    }
    %i = tensor.insert_slice %y into %padded[0, 1, 1, 0] [1, 112, 112, 96] ...
    ```
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Make the row loop an scf.forall (run on several threads)">,
  ];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def FuseRows : Pass<"dr1-fuse-rows", "func::FuncOp"> {
  let summary = "Compute softmax / layer-norm style row chains as one row loop";
  let description = [{
    An elementwise `linalg.generic` whose producers include a row reduction
    (innermost reduction loop) through row-local generics (softmax: max,
    exp, sum, scale; layer norm: mean, centre, variance, normalise, affine;
    and the same patterns as exporters spell them with ReduceMean / Pow /
    Sqrt / Div) is tiled over rows, and that chain is fused into its loop:
    a block of rows (up to 8 KB) is reduced and normalised while in L1, and
    the whole-tensor intermediates disappear. Only producers whose every
    user is in the chain move, so nothing is computed twice; with threads
    the row loop is an `scf.forall` when the chain is big enough.

    Before (softmax, shape only):
    ```mlir
    %max = linalg.generic {iterator_types = ["parallel", "reduction"]} ins(%x : tensor<512x768xf32>) ...
    %e   = linalg.generic {iterator_types = ["parallel", "parallel"]} ins(%x, %max ...) ... math.exp
    %sum = linalg.generic {iterator_types = ["parallel", "reduction"]} ins(%e ...) ...
    %y   = linalg.generic {iterator_types = ["parallel", "parallel"]} ins(%e, %sum ...) ... arith.divf
    ```
    After:
    ```mlir
    %y = scf.for %i = %c0 to %c512 step %c2 iter_args(%o = %init) -> (tensor<512x768xf32>) {
      %xs  = tensor.extract_slice %x[%i, 0] [2, 768] [1, 1]
      %max = linalg.generic ... ins(%xs : tensor<2x768xf32>) ...
      %e   = linalg.generic ... math.exp ...
      %sum = linalg.generic ...
      %ys  = linalg.generic ... arith.divf ...
      %u   = tensor.insert_slice %ys into %o[%i, 0] [2, 768] [1, 1]
      scf.yield %u
    }
    ```
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Make the row loop an scf.forall when the chain is big enough">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def FuseElementwise : Pass<"dr1-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise linalg.generic producers into their consumers";
  let description = [{
    Producer/consumer fusion of elementwise `linalg.generic` ops (and of
    elementwise producers into reduction generics), so that chains such as
    bias + activation or the steps of a normalization make one loop nest.
    Unlike upstream's `linalg-fuse-elementwise-ops`, it never rewrites named
    contractions or convolutions into generics, which would hide them from
    the matmul and convolution strategies. A producer that its consumer
    broadcasts over an outer loop (a squeeze-excitation gate over H x W)
    stays separate: fused, its body would run once per broadcast copy.

    Before:
    ```mlir
    %a = linalg.generic {...} ins(%x) outs(%e) { arith.addf }
    %b = linalg.generic {...} ins(%a) outs(%e) { arith.maximumf }
    ```
    After:
    ```mlir
    %b = linalg.generic {...} ins(%x) outs(%e) { arith.addf; arith.maximumf }
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def PropagateTransposes : Pass<"dr1-propagate-transposes", "func::FuncOp"> {
  let summary = "Move layout transposes through elementwise ops until they cancel";
  let description = [{
    Convolutions and pools run in NHWC while ONNX and PyTorch graphs are NCHW,
    so the lowering wraps each of them in a pair of `linalg.transpose` ops.
    This pass removes the pairs between consecutive ops:
      * a transpose feeding a `linalg.generic` is folded into that operand's
        indexing map (the generic reads the untransposed tensor);
      * an elementwise generic whose full-size operands are mostly read
        through one permutation is re-indexed to iterate in that layout: it
        writes its result in that layout, followed by one transpose back;
    the transposes that move forward this way meet the next op's inverse
    transpose and cancel (transpose composition folds in canonicalization).
    Reshapes pass too: a transpose feeding an `expand_shape` moves after it
    (the untransposed value is split instead); one feeding a
    `collapse_shape` whose result is transposed again moves after it when
    each collapsed group reads consecutive dimensions of its input. Where a
    group reads them out of order (a channel shuffle: NCHW channels split
    into [G, C/G], swapped and merged again), the input is first transposed
    within the group (one copy of the two channel axes in NHWC) and the rest
    moves on, to cancel with the transpose back to NHWC.
    Layout changes are left only at the model's edges and around ops that
    need one particular layout (matmuls, other reshapes).

    Before:
    ```mlir
    %c = linalg.conv_2d_nhwc_hwcf ins(%x, %w ...) outs(...) -> tensor<1x8x8x16xf32>
    %t = linalg.transpose ins(%c) outs(...) permutation = [0, 3, 1, 2]
    %r = linalg.generic {relu} ins(%t : tensor<1x16x8x8xf32>) ...
    %u = linalg.transpose ins(%r) outs(...) permutation = [0, 2, 3, 1]
    %d = linalg.conv_2d_nhwc_hwcf ins(%u, ...)
    ```
    After:
    ```mlir
    %c = linalg.conv_2d_nhwc_hwcf ins(%x, %w ...) outs(...) -> tensor<1x8x8x16xf32>
    %r = linalg.generic {relu} ins(%c : tensor<1x8x8x16xf32>) ...
    %d = linalg.conv_2d_nhwc_hwcf ins(%r, ...)
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def UnshareFills : Pass<"dr1-unshare-fills", "func::FuncOp"> {
  let summary = "Give every use of a filled tensor its own fill before bufferization";
  let description = [{
    CSE merges identical `linalg.fill`s of identical empty tensors: the
    zero-padded inputs of two convolutions of the same shape then start
    from one filled tensor. Bufferization must keep that tensor intact for
    its second user, so it copies the whole padded buffer (and its
    interior) for every conv but the first. Re-materializing the fill (and
    its `tensor.empty`) per use lets each padded buffer be filled and
    written in place; the fills were needed anyway.

    Before:
    ```mlir
    %f = linalg.fill ins(%zero) outs(%e) -> tensor<1x58x58x144xf32>
    %a = tensor.insert_slice %x into %f[0, 1, 1, 0] ...
    %b = tensor.insert_slice %y into %f[0, 1, 1, 0] ...
    ```
    After:
    ```mlir
    %f = linalg.fill ins(%zero) outs(%e) -> tensor<1x58x58x144xf32>
    %a = tensor.insert_slice %x into %f[0, 1, 1, 0] ...
    %e2 = tensor.empty() : tensor<1x58x58x144xf32>
    %f2 = linalg.fill ins(%zero) outs(%e2) -> tensor<1x58x58x144xf32>
    %b = tensor.insert_slice %y into %f2[0, 1, 1, 0] ...
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def MaterializeTiedResults : Pass<"dr1-materialize-tied-results", "func::FuncOp"> {
  let summary = "Compute results tied to an argument (dr1.tied) in that argument's buffer";
  let description = [{
    A result with `dr1.tied = i` is the new value of argument `i` (a
    training step's parameters and optimizer state). The argument becomes
    writable, and where the result's producer (a destination-style op or a
    loop) starts from `tensor.empty`, its destination becomes the argument:
    one-shot bufferization then writes the argument in place, copying the
    old value first only where a later read needs it. Other results are
    copied into their argument after bufferization (dr1-drop-tied-results).

    Before:
    ```mlir
    func.func @step(%w: tensor<4xf32>, %g: tensor<4xf32>)
        -> (tensor<4xf32> {dr1.tied = 0 : i64}) {
      %e = tensor.empty() : tensor<4xf32>
      %n = linalg.sub ins(%w, %g : ...) outs(%e : tensor<4xf32>) -> tensor<4xf32>
      return %n : tensor<4xf32>
    }
    ```
    After:
    ```mlir
    func.func @step(%w: tensor<4xf32> {bufferization.writable = true}, %g: tensor<4xf32>)
        -> (tensor<4xf32> {dr1.tied = 0 : i64}) {
      %n = linalg.sub ins(%w, %g : ...) outs(%w : tensor<4xf32>) -> tensor<4xf32>
      return %n : tensor<4xf32>
    }
    ```
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def DropTiedResults : Pass<"dr1-drop-tied-results", "ModuleOp"> {
  let summary = "Remove bufferized results tied to an argument from the signature";
  let description = [{
    After one-shot bufferization a `dr1.tied = i` result is argument `i`'s
    own buffer, or is copied into it here (when it was computed elsewhere);
    the caller already has that buffer, so the result is dropped and
    buffer-results-to-out-params adds no output for it.

    Before:
    ```mlir
    func.func @step(%w: memref<4xf32>, %g: memref<4xf32>)
        -> (memref<f32>, memref<4xf32> {dr1.tied = 0 : i64}) {
      ...
      return %loss, %w : memref<f32>, memref<4xf32>
    }
    ```
    After:
    ```mlir
    func.func @step(%w: memref<4xf32>, %g: memref<4xf32>) -> memref<f32> {
      ...
      return %loss : memref<f32>
    }
    ```
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def SerializeForall : Pass<"dr1-serialize-forall", "func::FuncOp"> {
  let summary = "Run scf.forall loops in order, as nested scf.for";
  let description = [{
    For single-threaded builds. Each `scf.forall` becomes one `scf.for` per
    dimension; its `shared_outs` become loop-carried tensors and every
    `tensor.parallel_insert_slice` a `tensor.insert_slice` into them (the
    upstream scf-forall-to-for leaves loops with shared outputs broken).
    Scratch buffers of the body then join the workspace rather than the
    stack.

    Before:
    ```mlir
    %r = scf.forall (%i) in (4) shared_outs(%o = %e) -> tensor<4x8xf32> {
      %s = tensor.extract_slice %a[%i, 0] [1, 8] [1, 1] : tensor<4x8xf32> to tensor<1x8xf32>
      scf.forall.in_parallel {
        tensor.parallel_insert_slice %s into %o[%i, 0] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<4x8xf32>
      }
    }
    ```
    After:
    ```mlir
    %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%o = %e) -> (tensor<4x8xf32>) {
      %s = tensor.extract_slice %a[%i, 0] [1, 8] [1, 1] : tensor<4x8xf32> to tensor<1x8xf32>
      %u = tensor.insert_slice %s into %o[%i, 0] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<4x8xf32>
      scf.yield %u : tensor<4x8xf32>
    }
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def ExpandMath : Pass<"dr1-expand-math", "ModuleOp"> {
  let summary = "Polynomial approximations for math ops with no LLVM instruction";
  let description = [{
    Rewrites `math.erf`, `math.tanh`, `math.exp`, `math.log`, `math.powf`
    and friends into arithmetic (f32 polynomial approximations), so compiled
    models need no libm and the code vectorizes.

    Before:
    ```mlir
    %y = math.erf %x : f32
    ```
    After: a sequence of `arith.mulf` / `arith.addf` / `math.fma` evaluating
    a rational approximation, with clamping of the input range.

    `math.powf` with an exponent not known at compile time becomes
    exp(b * log|a|), negated for a < 0 and an odd integer b, NaN for a < 0
    and a fractional b, 1 for b = 0 (upstream's expansion is NaN for every
    negative base); constant exponents keep upstream's exact forms (x * x
    for 2.0).

    With `bf16`, conversions between f32 and bf16 become integer arithmetic
    (round to nearest even, NaN kept quiet): on CPUs without avx512bf16,
    LLVM would call `__truncsfbf2`, which libgcc before GCC 13 lacks.
  }];
  let options = [
    Option<"bf16", "bf16", "bool", /*default=*/"false",
           "Expand arith.truncf / arith.extf between f32 and bf16 (CPUs "
           "without a bf16 conversion instruction)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def LowerMemrefCopy : Pass<"dr1-lower-memref-copy", "ModuleOp"> {
  let summary = "Strided memref.copy to vector loops or linalg.copy (no runtime library call)";
  let description = [{
    `finalize-memref-to-llvm` turns a copy between non-contiguous memrefs
    into a call to `memrefCopy` from MLIR's runner utils, a library compiled
    models must not need. Contiguous copies stay and become `llvm.memcpy`.
    With `vector-bits` set (CPU targets), a static copy whose innermost
    dimension has unit stride becomes loops over the outer dimensions that
    move the innermost one in vectors of up to four registers: packed
    strips of B, padded operands. LLVM does not vectorize the scalar loops
    of a `linalg.copy` between two views of one workspace, which it cannot
    tell apart. Other copies become `linalg.copy`, which lowers to loops.

    Before:
    ```mlir
    memref.copy %a, %b : memref<4x40xf32, strided<[64, 1]>> to memref<4x40xf32>
    ```
    After (`vector-bits=256`):
    ```mlir
    scf.for %i = %c0 to %c4 step %c1 {
      %v = vector.load %a[%i, %c0] : memref<4x40xf32, strided<[64, 1]>>, vector<32xf32>
      vector.store %v, %b[%i, %c0] : memref<4x40xf32>, vector<32xf32>
      %r = vector.load %a[%i, %c32] : memref<4x40xf32, strided<[64, 1]>>, vector<8xf32>
      vector.store %r, %b[%i, %c32] : memref<4x40xf32>, vector<8xf32>
    }
    ```
  }];
  let options = [
    Option<"all", "all", "bool", /*default=*/"false",
           "Lower contiguous copies too (GPU targets: buffers are device "
           "memory the host may not read)">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"0",
           "Width of a vector register in bits; 0 keeps every copy a "
           "linalg.copy">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
}

def GPUTileMatmul : Pass<"dr1-gpu-tile-matmul", "func::FuncOp"> {
  let summary = "Matrix products as shared-memory tiled GPU kernels";
  let description = [{
    The GPU strategy for `linalg.matmul` and `linalg.batch_matmul` on
    buffers with float results, run after bufferization and before
    `convert-linalg-to-parallel-loops` (which would give one thread per
    output element, each reading a row of A and a column of B from global
    memory). Each product of at least `min-work` multiply-adds becomes one
    `gpu.launch`: a block computes a BM x BN tile of C (grid z: the batch)
    from BK-deep slices of A and B staged in workgroup memory (A stored
    transposed, its rows padded against bank conflicts), every thread a
    TM x TN tile of accumulators in registers, fed by 4-wide loads from
    workgroup memory. The next slices are loaded into registers while the
    current ones are multiplied. Partial tiles clamp their addresses (rows
    and columns past the edge are computed but not stored) and zero the
    slice past K. A `linalg.fill` of C right before the product becomes the
    accumulators' start value; otherwise C is read and added. Operands are
    converted to the accumulator type (f32, or f64 for f64 results) as they
    are loaded. The tile is the largest of 128x128 (8x8 per thread),
    64x64 (4x4) and 32x32 (4x4) that still gives every multiprocessor a
    block.

    Before:
    ```mlir
    linalg.fill ins(%zero : f32) outs(%c : memref<1024x1024xf32>)
    linalg.matmul ins(%a, %b : memref<1024x1024xf32>, memref<1024x1024xf32>)
                  outs(%c : memref<1024x1024xf32>)
    ```
    After:
    ```mlir
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c16, %gy = %c16, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
               workgroup(%as : memref<8x68xf32, #gpu.address_space<workgroup>>,
                         %bs : memref<8x64xf32, #gpu.address_space<workgroup>>) {
      %r:18 = scf.for %kt = %c0 to %c128 step %c1 iter_args(...) {
        memref.store ... %as[...]     // this slice, from registers
        gpu.barrier
        memref.load %a[...]           // the next slice, into registers
        vector.load %as[%kk, ...] : ..., vector<4xf32>
        math.fma ...                  // 4x4 per thread and k
        gpu.barrier
        scf.yield ...
      }
      memref.store %r#0, %c[...]
      gpu.terminator
    }
    ```
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"262144",
           "Smallest product (multiply-adds) given a tiled kernel; smaller "
           "ones keep one thread per output">,
    Option<"multiprocessors", "multiprocessors", "int64_t",
           /*default=*/"108",
           "Multiprocessors of the GPU (the tile is the largest that still "
           "gives each one a block)">,
    Option<"tile", "tile", "std::string", /*default=*/"\"\"",
           "BMxBNxTMxTN to force one tile (testing and tuning), e.g. "
           "64x64x4x4">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def GPUMapLoops : Pass<"dr1-gpu-map-loops", "func::FuncOp"> {
  let summary = "Tile parallel loop nests into GPU blocks and threads";
  let description = [{
    The GPU strategy for buffers in device memory, run after
    `convert-linalg-to-parallel-loops` and before
    `convert-parallel-loops-to-gpu`. Each outermost `scf.parallel` is tiled
    so that one tile is one thread block of at most `block-size` threads,
    filled innermost dimension first (x: the contiguous dimension, then y,
    z); the tile loop maps to blocks, the intra-tile loop to threads, and
    dimensions beyond the third (or past the 65535-block limit of grid y/z)
    run in order. Parallel loops nested in a mapped one run in order inside
    the thread. Loads and stores outside any parallel loop (a reduction to
    a scalar) become one-thread kernels, since the host may not touch
    device buffers. Weights (`memref.get_global`, and views of them) used
    by a kernel are re-created inside it, so that kernel outlining copies
    the globals into the device module.

    Before:
    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c100) step (%c1, %c1) {
      %w = ... memref.load %g[%j] ...   // %g = memref.get_global @w
      memref.store ... %out[%i, %j]
    }
    ```
    After:
    ```mlir
    scf.parallel (%bi, %bj) = (%c0, %c0) to (%c64, %c100) step (%c2, %c128) {
      scf.parallel (%ti, %tj) = (%c0, %c0) to (%c2, %c128) step (%c1, %c1) {
        %g = memref.get_global @w : memref<100xf32>
        scf.if ... { ... memref.store ... }
      } {mapping = [#gpu.loop_dim_map<processor = thread_y, ...>,
                    #gpu.loop_dim_map<processor = thread_x, ...>]}
    } {mapping = [#gpu.loop_dim_map<processor = block_y, ...>,
                  #gpu.loop_dim_map<processor = block_x, ...>]}
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (a power of two, at most 1024)">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

def ProfileOps : Pass<"dr1-profile-ops", "ModuleOp"> {
  let summary = "Time each top-level piece of work of the entry point (dr1c --profile)";
  let description = [{
    A compiled model is one function with every layer inlined, so a sampling
    profiler cannot say which layer its time goes to. This pass brackets
    each top-level piece of work of every public function (a loop nest, a
    structured op, a copy, a run of vector code; views and constants are
    not work) with `dr1rt_profile_now()` and
    `dr1rt_profile_record(label, start)`, which libdr1rt accumulates per
    label and prints at exit. Labels name the locations the work came from:
    ONNX node names (up to three, fused ops joined), else `file:line`.
    Consecutive work with the same label is one timed region.

    Before:
    ```mlir
    scf.for %i = ... { ... }   // loc("conv1")
    ```
    After:
    ```mlir
    %t = func.call @dr1rt_profile_now() : () -> i64
    scf.for %i = ... { ... }
    %l = llvm.mlir.addressof @__dr1_profile_0 : !llvm.ptr   // "conv1"
    func.call @dr1rt_profile_record(%l, %t) : (!llvm.ptr, i64) -> ()
    ```
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::LLVM::LLVMDialect"];
}

def GPUDefineLibdevice : Pass<"dr1-gpu-define-libdevice", "gpu::GPUModuleOp"> {
  let summary = "Define the libdevice functions kernels call, with LLVM intrinsics";
  let description = [{
    `convert-gpu-to-nvvm` lowers math operations to calls of libdevice
    (`__nv_fmaf`, `__nv_floorf`, ...), whose bitcode is linked only when a
    CUDA toolkit is found at compile time, so the same compile would yield
    self-contained PTX on one machine and PTX with unresolved externs on
    another. Each such declaration with an exact LLVM intrinsic (fma,
    floor, ceil, trunc, fabs, sqrt, rint, round, fmin, fmax, copysign, and
    rsqrt as 1 / sqrt; f32
    and f64) gets a body calling it, with internal linkage, so the PTX never
    depends on a toolkit. Any other libdevice function is an error.

    Before:
    ```mlir
    llvm.func @__nv_fmaf(f32, f32, f32) -> f32
    ```
    After:
    ```mlir
    llvm.func internal @__nv_fmaf(%a: f32, %b: f32, %c: f32) -> f32 {
      %r = llvm.intr.fma(%a, %b, %c) : (f32, f32, f32) -> f32
      llvm.return %r : f32
    }
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def GPUOneStream : Pass<"dr1-gpu-one-stream", "func::FuncOp"> {
  let summary = "Run a function's kernel launches on one stream, synchronized at its returns";
  let description = [{
    The host code of a GPU model launches kernels, some inside loops
    (attention's query blocks run in order on the host). Upstream's
    `gpu-async-region` threads tokens through one block at a time, so once
    loops are branches every loop iteration created, synchronized and
    destroyed a stream of its own: a host round trip per iteration. This
    pass makes one stream at the function's entry (`gpu.wait async`),
    enqueues every `gpu.launch_func` of the function on it, in whichever
    block or loop (launches on one stream run in order, so they need no
    other dependencies), and has the host wait for it once, before each
    return.

    This is a contract with `gpu-to-llvm`, run right after it: that
    lowering enqueues an async op on the stream of its first dependency and
    turns `gpu.wait [%s]` into a synchronization of stream %s, which waits
    for everything enqueued on it. In the gpu dialect's own terms the final
    wait is redundant (canonicalization would remove it), so nothing may
    canonicalize between this pass and `gpu-to-llvm`.

    That ordering is only enough while the host itself touches no memory
    between launches. A function with any other host operation that has (or
    may have) memory effects, such as a call, gets one stream per launch,
    synchronized right after it (as `gpu-async-region` would, at worst).
    GPU operations other than `gpu.launch_func` and operations that are
    already asynchronous are rejected: dr1's code generation makes neither.

    Before:
    ```mlir
    func.func @f(%n: index) {
      cf.br ^loop(%c0 : index)
    ^loop(%i: index):
      gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      ...
      cf.cond_br %more, ^loop(%next : index), ^exit
    ^exit:
      return
    }
    ```
    After:
    ```mlir
    func.func @f(%n: index) {
      %s = gpu.wait async
      cf.br ^loop(%c0 : index)
    ^loop(%i: index):
      %t = gpu.launch_func async [%s] @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      ...
      cf.cond_br %more, ^loop(%next : index), ^exit
    ^exit:
      gpu.wait [%s]
      return
    }
    ```
  }];
}

def GPUHostWeights : Pass<"dr1-gpu-host-weights", "ModuleOp"> {
  let summary = "Keep weights in host memory; the device module declares them";
  let description = [{
    Initialized globals in a `gpu.module` become initialized PTX arrays:
    about four bytes of PTX text per byte of weight for ptxas and the
    driver's JIT to parse (a ResNet-50 would carry 400 MB of PTX). Each
    constant global of a device module is instead cloned into the host
    module as `<name>__host` (read-only data of the object), and the device
    global made uninitialized, writable and public, so that libdr1rt can
    find it by name (`cuModuleGetGlobal`) and copy the bytes in when it
    loads the module. The pairs are listed in the module attribute
    `dr1.gpu_weights` ({gpu.module name: [[device name, host symbol,
    bytes], ...]}), from which the object emitter builds the table it
    registers with libdr1rt.

    Before:
    ```mlir
    gpu.module @k {
      memref.global "private" constant @w : memref<2xf32> = dense<[1.0, 2.0]>
    }
    ```
    After:
    ```mlir
    module attributes {dr1.gpu_weights = {k = [["w", @w__host, 8]]}} {
      gpu.module @k {
        memref.global @w : memref<2xf32> = uninitialized
      }
      memref.global "private" constant @w__host : memref<2xf32> = dense<[1.0, 2.0]>
    }
    ```
  }];
}

def GPUMergeModules : Pass<"dr1-gpu-merge-modules", "ModuleOp"> {
  let summary = "Gather outlined kernels into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` creates one `gpu.module` per kernel, each with
    its own copy of the weights it reads. A model's kernels go into the
    first module instead, so that the model carries one PTX module (loaded
    and JIT-compiled once, validated by one ptxas run) with each weight
    once. Kernels whose names clash take their old module's name; launches
    are updated.

    Before:
    ```mlir
    gpu.launch_func @f_kernel::@f_kernel ...
    gpu.launch_func @f_kernel_0::@f_kernel ...
    gpu.module @f_kernel { gpu.func @f_kernel(...) kernel {...} }
    gpu.module @f_kernel_0 { gpu.func @f_kernel(...) kernel {...} }
    ```
    After:
    ```mlir
    gpu.launch_func @f_kernel::@f_kernel ...
    gpu.launch_func @f_kernel::@f_kernel_0 ...
    gpu.module @f_kernel {
      gpu.func @f_kernel(...) kernel {...}
      gpu.func @f_kernel_0(...) kernel {...}
    }
    ```
  }];
}

#endif // DR1_CODEGEN_PASSES_TD
