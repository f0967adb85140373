"""The end-to-end test models, written with mlirgen (dr1 MLIR + numpy)."""
import numpy as np

from mlirgen import Graph


def _w(rng, *shape, scale=None):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    s = scale if scale is not None else 1.0 / np.sqrt(fan_in)
    return (rng.standard_normal(shape) * s).astype(np.float32)


def mlp(rng):
    """Linear / ReLU / GELU / Linear / softmax, weights as binary resources."""
    g = Graph()
    x = g.arg(rng.standard_normal((4, 64)).astype(np.float32))
    h = g.linear(x, g.const(_w(rng, 128, 64), resource=True),
                 g.const(_w(rng, 128, scale=0.1), resource=True))
    h = g.relu(h)
    h = g.linear(h, g.const(_w(rng, 96, 128), resource=True),
                 g.const(_w(rng, 96, scale=0.1)))
    h = g.gelu(h)
    h = g.linear(h, g.const(_w(rng, 10, 96), resource=True))
    return g, [g.softmax(h)]


def cnn(rng):
    """conv / batch_norm / relu / pools / depthwise and grouped conv / linear."""
    g = Graph()
    x = g.arg(rng.standard_normal((2, 3, 16, 16)).astype(np.float32))
    h = g.conv2d(x, g.const(_w(rng, 8, 3, 3, 3)), g.const(_w(rng, 8, scale=0.1)),
                 padding=(1, 1, 1, 1))
    c = 8
    h = g.batch_norm(h, g.const((1 + 0.1 * rng.standard_normal(c)).astype(np.float32)),
                     g.const((0.1 * rng.standard_normal(c)).astype(np.float32)),
                     g.const((0.1 * rng.standard_normal(c)).astype(np.float32)),
                     g.const((1 + 0.2 * rng.random(c)).astype(np.float32)))
    h = g.relu(h)
    h = g.max_pool2d(h, (2, 2), (2, 2))
    h = g.conv2d(h, g.const(_w(rng, 16, 8, 3, 3)), g.const(_w(rng, 16, scale=0.1)),
                 strides=(2, 2), padding=(1, 1, 1, 1))
    h = g.relu(h)
    h = g.conv2d(h, g.const(_w(rng, 16, 1, 3, 3)), None, padding=(1, 1, 1, 1), groups=16)
    h = g.clip(h, 0.0, 6.0)
    h = g.conv2d(h, g.const(_w(rng, 16, 4, 1, 1)), g.const(_w(rng, 16, scale=0.1)),
                 groups=4)
    h = g.hardswish(h)
    h = g.avg_pool2d(h, (3, 3), (1, 1), (1, 1, 1, 1))
    h = g.global_avg_pool(h)
    h = g.flatten(h)
    h = g.linear(h, g.const(_w(rng, 10, 16)), g.const(_w(rng, 10, scale=0.1)))
    return g, [g.softmax(h)]


def transformer(rng, batch=2, seq=8, dim=32, heads=4, ffn=64, vocab=50):
    """Embedding + one post-norm encoder block with masked multi-head attention."""
    g = Graph()
    ids = g.arg(rng.integers(0, vocab, (batch, seq)).astype(np.int64))
    mask = np.zeros((batch, 1, 1, seq), np.float32)
    mask[1, :, :, seq - 2:] = -1e9  # the second sequence has 2 padding tokens
    m = g.arg(mask)
    x = g.gather(g.const(_w(rng, vocab, dim, scale=1.0)), ids)
    x = g.add(x, g.const(_w(rng, seq, dim, scale=0.1)))
    dh = dim // heads

    def heads_of(t):
        t = g.reshape(t, (batch, seq, heads, dh))
        return g.transpose(t, (0, 2, 1, 3))

    q = heads_of(g.linear(x, g.const(_w(rng, dim, dim)), g.const(_w(rng, dim, scale=0.1))))
    k = heads_of(g.linear(x, g.const(_w(rng, dim, dim)), g.const(_w(rng, dim, scale=0.1))))
    v = heads_of(g.linear(x, g.const(_w(rng, dim, dim)), g.const(_w(rng, dim, scale=0.1))))
    scores = g.matmul(q, g.transpose(k, (0, 1, 3, 2)))
    scores = g.mul(scores, g.const(np.full((), 1 / np.sqrt(dh), np.float32)))
    scores = g.add(scores, m)
    p = g.softmax(scores)
    a = g.matmul(p, v)
    a = g.reshape(g.transpose(a, (0, 2, 1, 3)), (batch, seq, dim))
    a = g.linear(a, g.const(_w(rng, dim, dim)), g.const(_w(rng, dim, scale=0.1)))
    x = g.layer_norm(g.add(x, a), g.const((1 + 0.1 * rng.standard_normal(dim)).astype(np.float32)),
                     g.const((0.1 * rng.standard_normal(dim)).astype(np.float32)))
    f = g.gelu(g.linear(x, g.const(_w(rng, ffn, dim)), g.const(_w(rng, ffn, scale=0.1))),
               approximate="tanh")
    f = g.linear(f, g.const(_w(rng, dim, ffn)), g.const(_w(rng, dim, scale=0.1)))
    x = g.layer_norm(g.add(x, f), g.const((1 + 0.1 * rng.standard_normal(dim)).astype(np.float32)),
                     g.const((0.1 * rng.standard_normal(dim)).astype(np.float32)))
    pooled = g.reduce("reduce_mean", x, axes=(1,))
    logits = g.linear(pooled, g.const(_w(rng, 3, dim)))
    return g, [x, g.softmax(logits, log=True)]


MODELS = {"mlp": mlp, "cnn": cnn, "transformer": transformer}


def matmul_shapes(rng):
    """Shapes the register and cache tiles do not divide: primes, 1, sizes
    just below and above tile multiples, K with no 128..512 divisor (padded),
    batched and broadcast products, linear with constant weights, products
    split along M and N."""
    g = Graph()
    outs = []
    for m, n, k in [(1, 1, 1), (7, 13, 5), (9, 33, 17), (8, 32, 64), (17, 31, 600),
                    (1, 300, 523), (65, 47, 1031), (3, 1000, 24)]:
        a = g.arg(rng.standard_normal((m, k)).astype(np.float32))
        b = g.arg(rng.standard_normal((k, n)).astype(np.float32))
        outs.append(g.matmul(a, b))
    x = g.arg(rng.standard_normal((2, 3, 5, 19)).astype(np.float32))
    y = g.arg(rng.standard_normal((3, 19, 6)).astype(np.float32))
    outs.append(g.matmul(x, y))
    w = g.const(rng.standard_normal((37, 19)).astype(np.float32))
    outs.append(g.linear(x, w, g.const(rng.standard_normal(37).astype(np.float32))))
    # Split rather than padded (at least 2^18 multiply-adds): rows and
    # columns the tiles do not divide, M and N blocks that would be slivers
    # (996 = 6 * 166 rows, 992 = 16 * 62 columns), and constant weights
    # split at compile time. B blocks packed once for several row blocks,
    # K in blocks on AVX2 (1100), a 5-row rest (197 = 8 * 24 + 5).
    for m, n, k in [(996, 40, 64), (50, 1000, 16), (197, 768, 64), (300, 520, 1100)]:
        a = g.arg(rng.standard_normal((m, k)).astype(np.float32))
        b = g.arg(rng.standard_normal((k, n)).astype(np.float32))
        outs.append(g.matmul(a, b))
    z = g.arg(rng.standard_normal((20, 64)).astype(np.float32))
    outs.append(g.linear(z, g.const(rng.standard_normal((1000, 64)).astype(np.float32))))
    return g, outs


MODELS["matmul_shapes"] = matmul_shapes


def conv_shapes(rng):
    """Convolutions the tile sizes do not divide: odd channel counts and
    widths, strides, dilation, asymmetric padding, 1x1, depthwise with odd
    channels, channel multipliers and groups, batch > 1."""
    g = Graph()
    outs = []
    x = g.arg(rng.standard_normal((2, 5, 13, 11)).astype(np.float32))
    outs.append(g.conv2d(x, g.const(_w(rng, 7, 5, 3, 3)), g.const(_w(rng, 7, scale=0.1)),
                         padding=(1, 0, 2, 1)))
    outs.append(g.conv2d(x, g.const(_w(rng, 33, 5, 3, 2)), strides=(2, 3), dilations=(2, 1)))
    outs.append(g.conv2d(x, g.const(_w(rng, 17, 5, 1, 1))))
    outs.append(g.conv2d(x, g.const(_w(rng, 5, 1, 3, 3)), padding=(1, 1, 1, 1), groups=5))
    outs.append(g.conv2d(x, g.const(_w(rng, 10, 1, 3, 3)), g.const(_w(rng, 10, scale=0.1)),
                         strides=(2, 2), groups=5))
    y = g.arg(rng.standard_normal((1, 48, 9, 9)).astype(np.float32))
    outs.append(g.conv2d(y, g.const(_w(rng, 48, 1, 5, 5)), padding=(2, 2, 2, 2), groups=48))
    outs.append(g.conv2d(y, g.const(_w(rng, 24, 12, 3, 3)), padding=(1, 1, 1, 1), groups=4))
    # Groups with a bias and a stride (one dense convolution per group), and
    # more groups than are unrolled (linalg's grouped op).
    outs.append(g.conv2d(y, g.const(_w(rng, 9, 16, 3, 3)), g.const(_w(rng, 9, scale=0.1)),
                         strides=(2, 2), groups=3))
    outs.append(g.conv2d(y, g.const(_w(rng, 48, 2, 3, 3)), padding=(1, 1, 1, 1), groups=24))
    # A fire module: two convolutions concatenated on channels (done in NHWC
    # by dr1-propagate-transposes), with a residual add, into a third.
    e1 = g.relu(g.conv2d(y, g.const(_w(rng, 8, 48, 1, 1))))
    e3 = g.relu(g.conv2d(y, g.const(_w(rng, 8, 48, 3, 3)), padding=(1, 1, 1, 1)))
    cat = g.concat([e1, e3], 1)
    outs.append(g.conv2d(g.add(cat, g.conv2d(y, g.const(_w(rng, 16, 48, 1, 1)))),
                         g.const(_w(rng, 5, 16, 3, 3))))
    outs.append(g.conv2d(y, g.const(_w(rng, 96, 48, 3, 3)), padding=(1, 1, 1, 1)))
    # Output widths with no good tile divisor (37, 19 and 53 > the 16
    # accumulators a tile holds): computed on padded widths, sliced back.
    z = g.arg(rng.standard_normal((2, 16, 3, 37)).astype(np.float32))
    outs.append(g.conv2d(z, g.const(_w(rng, 16, 16, 1, 1)), g.const(_w(rng, 16, scale=0.1))))
    outs.append(g.conv2d(z, g.const(_w(rng, 16, 1, 3, 3)), padding=(1, 1, 1, 1),
                         strides=(2, 2), groups=16))
    outs.append(g.conv2d(z, g.const(_w(rng, 8, 16, 3, 3)), padding=(1, 9, 1, 9)))
    # Grouped 1x1 (ShuffleNet): one matmul per group on channel slices, odd
    # group widths, a bias, batch 2.
    outs.append(g.conv2d(y, g.const(_w(rng, 36, 12, 1, 1)), g.const(_w(rng, 36, scale=0.1)),
                         groups=4))
    outs.append(g.relu(g.conv2d(z, g.const(_w(rng, 34, 8, 1, 1)), groups=2)))
    # Groups of 16 or more output channels: one block-diagonal product,
    # each strip of B multiplied by its groups' rows only. 28 channels
    # (strips meet one or two groups; bias and ReLU fused), 34 of 136
    # (split at 128 columns, the rest a strip of its own), 32 (strips
    # inside one group).
    s = g.arg(rng.standard_normal((2, 24, 9, 10)).astype(np.float32))
    outs.append(g.relu(g.conv2d(s, g.const(_w(rng, 112, 6, 1, 1)),
                                g.const(_w(rng, 112, scale=0.1)), groups=4)))
    s2 = g.arg(rng.standard_normal((1, 136, 5, 7)).astype(np.float32))
    outs.append(g.relu(g.conv2d(s2, g.const(_w(rng, 136, 34, 1, 1)), groups=4)))
    outs.append(g.conv2d(s, g.const(_w(rng, 64, 12, 1, 1)), groups=2))
    # A channel shuffle (ShuffleNet: reshape, swap the group axes, reshape)
    # between a grouped 1x1 and a depthwise layer: one channel transpose in
    # NHWC, in 4 x 4 register blocks.
    sh = g.relu(g.conv2d(s, g.const(_w(rng, 112, 6, 1, 1)), groups=4))
    sh = g.reshape(g.transpose(g.reshape(sh, (2, 4, 28, 9, 10)), (0, 2, 1, 3, 4)),
                   (2, 112, 9, 10))
    outs.append(g.conv2d(sh, g.const(_w(rng, 112, 1, 3, 3)), padding=(1, 1, 1, 1),
                         strides=(2, 2), groups=112))
    # Deep layers on a small image (the filter larger than the input): the
    # epilogue runs over blocks of 64 output channels (two, three), the
    # channel tiles are the outer loop, and the filters are read from
    # copies packed at compile time; stride 2, batch 2, a 1x1 and a 3x3.
    d = g.arg(rng.standard_normal((2, 40, 6, 7)).astype(np.float32))
    outs.append(g.relu(g.conv2d(d, g.const(_w(rng, 128, 40, 3, 3)),
                                g.const(_w(rng, 128, scale=0.1)), strides=(2, 2),
                                padding=(1, 1, 1, 1))))
    outs.append(g.relu(g.add(g.conv2d(d, g.const(_w(rng, 192, 40, 1, 1)), strides=(2, 2)),
                             g.const(_w(rng, 192, 1, 1, scale=0.1)))))
    outs.append(g.max_pool2d(y, (3, 3), (2, 2), (1, 1, 1, 1), ceil_mode=True))
    # 24 channels on 16 lanes: tiles of 8 channels, a dense convolution
    # with 5 inputs (a stem's shape) and a max pool.
    outs.append(g.relu(g.conv2d(x, g.const(_w(rng, 24, 5, 3, 3)), strides=(2, 2),
                                padding=(1, 1, 1, 1))))
    outs.append(g.max_pool2d(g.conv2d(x, g.const(_w(rng, 24, 5, 1, 1))), (3, 3), (2, 2),
                             (1, 1, 1, 1)))
    outs.append(g.avg_pool2d(y, (3, 3), (2, 2), (0, 0, 1, 1), count_include_pad=True,
                             ceil_mode=True))
    # An inverted residual block's expansion: a 1x1 convolution (bias,
    # ReLU) written one image row at a time into the depthwise layer's
    # padded input (rows shared between threads), batch 2.
    v = g.arg(rng.standard_normal((2, 24, 28, 28)).astype(np.float32))
    expand = g.relu(g.conv2d(v, g.const(_w(rng, 144, 24, 1, 1)), g.const(_w(rng, 144, scale=0.1))))
    outs.append(g.conv2d(expand, g.const(_w(rng, 144, 1, 3, 3)), padding=(1, 1, 1, 1),
                         groups=144))
    # Rows of 14 and 7 columns, which 4-column tiles do not divide: AVX2
    # takes 7 x 1-vector tiles for the depthwise layer and 2 x 4-vector
    # tiles for the dense one (neither padded), and pads the stride-2 one
    # to 8 columns; AVX-512 takes a 14-column depthwise tile.
    r = g.arg(rng.standard_normal((1, 32, 14, 14)).astype(np.float32))
    outs.append(g.relu(g.conv2d(r, g.const(_w(rng, 32, 1, 3, 3)), g.const(_w(rng, 32, scale=0.1)),
                                padding=(1, 1, 1, 1), groups=32)))
    outs.append(g.conv2d(r, g.const(_w(rng, 64, 32, 3, 3)), padding=(1, 1, 1, 1)))
    outs.append(g.conv2d(r, g.const(_w(rng, 64, 32, 3, 3)), strides=(2, 2),
                         padding=(1, 1, 1, 1)))
    return g, outs


MODELS["conv_shapes"] = conv_shapes


def attention_shapes(rng):
    """Attention chains that dr1-fuse-attention turns into dr1.attention,
    with shapes its blocks do not divide: 13 query rows; 257 keys (two
    128-key blocks and a 1-key tail) where one sequence has its first 130
    keys masked with -inf (a whole block masked: the online softmax must not
    produce NaN); 600 keys in 200-key blocks with 100 query rows; rank 2
    with a full [Sq, Sk] mask; a causal -inf mask shared by all heads."""
    g = Graph()
    outs = []

    def chain(q, kt, v, scale=None, mask=None, scale_left=False, div=False):
        s = g.matmul(q, kt)
        if scale is not None:
            c = g.const(np.full((), scale, np.float32))
            if div:
                s = g.binary("div", s, c)
            else:
                s = g.mul(c, s) if scale_left else g.mul(s, c)
        if mask is not None:
            s = g.add(mask, s)
        return g.matmul(g.softmax(s), v)

    def arg(*shape):
        return g.arg(rng.standard_normal(shape).astype(np.float32))

    m = np.zeros((2, 1, 1, 257), np.float32)
    m[1, ..., :130] = -np.inf
    m[0, ..., 250:] = -1e4
    outs.append(chain(arg(2, 3, 13, 16), arg(2, 3, 16, 257), arg(2, 3, 257, 24),
                      scale=4.0, div=True, mask=g.arg(m)))
    outs.append(chain(arg(2, 100, 8), arg(2, 8, 600), arg(2, 600, 40),
                      scale=0.35, scale_left=True))
    outs.append(chain(arg(5, 7), arg(7, 9), arg(9, 3), mask=arg(5, 9)))
    causal = np.triu(np.full((70, 70), -np.inf, np.float32), 1)[None, None]
    outs.append(chain(arg(1, 2, 70, 32), arg(1, 2, 32, 70), arg(1, 2, 70, 32),
                      scale=0.125, mask=g.arg(causal)))
    return g, outs


MODELS["attention_shapes"] = attention_shapes


def epilogues(rng):
    """Matrix products whose bias / residual / activation dr1-fuse-epilogue
    applies to the register tiles: a linear with its bias in the accumulator
    and GELU; a [batch, seq, K] x [K, N] product (reshaped around the
    epilogue) with a bias, a residual and ReLU; a tall, narrow product with a
    sigmoid (its row blocks are what threads share); K = 1024 with 16 rows,
    summed whole in each register tile; K = 4096 with 320 rows, summed in
    blocks (on every target), whose epilogue stays a separate loop; 80 columns in one-vector strips of
    14 rows (AVX-512) with a residual; a product padded to the register tile
    (epilogue not fused)."""
    g = Graph()
    outs = []

    def arg(*shape):
        return g.arg(rng.standard_normal(shape).astype(np.float32))

    def const(*shape, scale=0.1):
        return g.const((scale * rng.standard_normal(shape)).astype(np.float32))

    outs.append(g.gelu(g.linear(arg(64, 256), const(512, 256), const(512))))
    h = g.add(g.matmul(arg(2, 32, 256), const(256, 256)), const(256))
    outs.append(g.relu(g.add(h, arg(2, 32, 256))))
    outs.append(g.sigmoid(g.matmul(arg(512, 256), const(256, 32))))
    outs.append(g.relu(g.matmul(arg(16, 1024), const(1024, 64))))
    outs.append(g.relu(g.matmul(arg(320, 4096), const(4096, 64))))
    outs.append(g.relu(g.add(g.matmul(arg(28, 96), const(96, 80)), arg(28, 80))))
    outs.append(g.silu(g.add(g.matmul(arg(13, 40), const(40, 50)), const(50))))
    return g, outs


MODELS["epilogues"] = epilogues


def quantized(rng):
    """int8 products (dr1-quantize) from calibrated ranges: linear, a matmul
    with constant weights, padded / strided / depthwise / grouped / 1x1
    convolutions, each on a model input (exact reference), and a chain whose
    second layer quantizes a computed activation. Some ranges are narrower
    than the data, so activations saturate. With AVX-512 VNNI the products
    run as dr1-vnni-matmul's kernel (tiles and edges covered here)."""
    g = Graph()
    x = g.arg(rng.standard_normal((3, 40)).astype(np.float32))
    img = g.arg(rng.standard_normal((2, 6, 9, 9)).astype(np.float32))
    lo, hi = float(x.v.min()), float(x.v.max())
    h = g.linear(x, g.const(_w(rng, 24, 40)), g.const(_w(rng, 24, scale=0.1)),
                 input_range=(lo, hi))
    h = g.relu(h)
    h = g.linear(h, g.const(_w(rng, 10, 24)), g.const(_w(rng, 10, scale=0.1)),
                 input_range=(0.0, float(h.v.max())))
    m = g.linear(x, g.const(_w(rng, 12, 40)), input_range=(-2.0, 2.0))
    mm = g.matmul(x, g.const(_w(rng, 40, 12)), input_range=(lo, hi))
    # Past one 256-column block of weights and one 8-row tile, K not a
    # multiple of 4 (the VNNI kernel's edges).
    x2 = g.arg(rng.standard_normal((19, 70)).astype(np.float32))
    big = g.linear(x2, g.const(_w(rng, 300, 70)), g.const(_w(rng, 300, scale=0.1)),
                   input_range=(float(x2.v.min()), float(x2.v.max())))
    # Large enough (> 4M multiply-adds) to be shared between threads with
    # --num-threads: row chunks of a one-block matmul, conv output rows.
    x3 = g.arg(rng.standard_normal((64, 256)).astype(np.float32))
    wide = g.linear(x3, g.const(_w(rng, 256, 256)), None,
                    input_range=(float(x3.v.min()), float(x3.v.max())))
    img2 = g.arg(rng.standard_normal((1, 32, 24, 24)).astype(np.float32))
    conv2 = g.conv2d(img2, g.const(_w(rng, 32, 32, 3, 3)), None, padding=(1, 1, 1, 1),
                     input_range=(float(img2.v.min()), float(img2.v.max())))
    outs = [h, m, mm, big, wide, conv2]
    # Depthwise tiles (f32 sums of the bytes): two vectors of channels, a
    # row not divided by the column tile, a 5x5 window, a saturating range.
    r2 = (float(img2.v.min()), float(img2.v.max()))
    outs.append(g.conv2d(img2, g.const(_w(rng, 32, 1, 3, 3)), g.const(_w(rng, 32, scale=0.1)),
                         padding=(1, 1, 1, 1), groups=32, input_range=r2))
    outs.append(g.conv2d(img2, g.const(_w(rng, 32, 1, 5, 5)), None, strides=(2, 2),
                         padding=(2, 1, 2, 1), groups=32, input_range=(-1.0, 1.5)))
    # An inverted residual block in int8: the expansion's rows
    # (dr1-row-padded-products) requantized straight into the depthwise
    # layer's padded input.
    u = g.arg(rng.standard_normal((1, 24, 14, 14)).astype(np.float32))
    ex = g.relu(g.conv2d(u, g.const(_w(rng, 48, 24, 1, 1)), g.const(_w(rng, 48, scale=0.1)),
                         input_range=(float(u.v.min()), float(u.v.max()))))
    outs.append(g.conv2d(ex, g.const(_w(rng, 48, 1, 3, 3)), None, padding=(1, 1, 1, 1),
                         groups=48, input_range=(0.0, float(ex.v.max()))))
    lo, hi = float(img.v.min()), float(img.v.max())
    outs.append(g.conv2d(img, g.const(_w(rng, 8, 6, 3, 3)), g.const(_w(rng, 8, scale=0.1)),
                         padding=(1, 1, 1, 1), input_range=(lo, hi)))
    outs.append(g.conv2d(img, g.const(_w(rng, 6, 1, 3, 3)), None, strides=(2, 2),
                         padding=(1, 0, 1, 2), groups=6, input_range=(-1.5, 2.5)))
    outs.append(g.conv2d(img, g.const(_w(rng, 4, 3, 1, 1)), g.const(_w(rng, 4, scale=0.1)),
                         groups=2, input_range=(lo, hi)))
    outs.append(g.conv2d(img, g.const(_w(rng, 5, 6, 1, 1)), None, input_range=(0.0, hi)))
    outs.append(g.conv2d(img, g.const(_w(rng, 7, 6, 3, 3)), None, strides=(2, 2),
                         dilations=(2, 1), padding=(2, 1, 2, 1), input_range=(lo, hi)))
    return g, outs


MODELS["quantized"] = quantized


def narrow_floats(rng):
    """bf16 and f16 products (dr1.precision, dr1-quantize): bf16 rounds
    activations and weights and sums in f32 (with AVX512-BF16, the
    vdpbf16ps kernels of dr1-vnni-matmul: K odd, N past a 256-column block,
    rows past a tile, a matmul without bias returning f32, padded / strided
    / dilated convolutions); f16 stores the weights only. Each product reads
    a model input, so the reference rounds exactly the same operands."""
    g = Graph()
    x = g.arg(rng.standard_normal((3, 40)).astype(np.float32))
    x2 = g.arg(rng.standard_normal((19, 71)).astype(np.float32))
    x3 = g.arg(rng.standard_normal((64, 256)).astype(np.float32))
    img = g.arg(rng.standard_normal((2, 6, 9, 9)).astype(np.float32))
    img2 = g.arg(rng.standard_normal((1, 32, 24, 24)).astype(np.float32))
    outs = []
    for p in ("bf16", "f16"):
        outs.append(g.linear(x, g.const(_w(rng, 24, 40)), g.const(_w(rng, 24, scale=0.1)),
                             precision=p))
        outs.append(g.matmul(x, g.const(_w(rng, 40, 12)), precision=p))
        outs.append(g.conv2d(img, g.const(_w(rng, 8, 6, 3, 3)), g.const(_w(rng, 8, scale=0.1)),
                             padding=(1, 1, 1, 1), precision=p))
    outs.append(g.linear(x2, g.const(_w(rng, 300, 71)), g.const(_w(rng, 300, scale=0.1)),
                         precision="bf16"))
    # Large enough to be shared between threads with --num-threads.
    outs.append(g.linear(x3, g.const(_w(rng, 256, 256)), None, precision="bf16"))
    outs.append(g.conv2d(img2, g.const(_w(rng, 32, 32, 3, 3)), None, padding=(1, 1, 1, 1),
                         precision="bf16"))
    outs.append(g.conv2d(img, g.const(_w(rng, 7, 6, 3, 3)), None, strides=(2, 2),
                         dilations=(2, 1), padding=(2, 1, 2, 1), precision="bf16"))
    # Depthwise and grouped: no dot-product kernel, widened in the generic
    # code.
    outs.append(g.conv2d(img, g.const(_w(rng, 6, 1, 3, 3)), None, strides=(2, 2),
                         padding=(1, 0, 1, 2), groups=6, precision="bf16"))
    outs.append(g.conv2d(img, g.const(_w(rng, 4, 3, 1, 1)), g.const(_w(rng, 4, scale=0.1)),
                         groups=2, precision="f16"))
    return g, outs


MODELS["narrow_floats"] = narrow_floats


def powers(rng):
    """powf on negative bases: integer exponents from a tensor (odd ones
    negate), fractional exponents on positive bases, 0^0 = 1, and a constant
    exponent 2 on (x - mean), as layer norms written with Pow square; on a
    GPU that exponent reaches the kernel as a parameter."""
    g = Graph()
    a = rng.uniform(0.2, 3.0, (4, 50)) * rng.choice([-1.0, 1.0], (4, 50))
    b = rng.integers(-2, 5, (4, 50)).astype(np.float64)
    b = np.where((a > 0) & (rng.random((4, 50)) < 0.5), b + 0.5, b)
    a[0, 0], b[0, 0] = 0.0, 0.0
    x = g.arg(a.astype(np.float32))
    y = g.arg(b.astype(np.float32))
    z = g.arg(rng.standard_normal((3, 40)).astype(np.float32))
    centred = g.binary("sub", z, g.reduce("reduce_mean", z, axes=[1], keepdims=True))
    return g, [g.binary("pow", x, y), g.binary("pow", centred, g.const(np.float32(2.0))),
               g.binary("pow", centred, g.const(np.float32(3.0)))]


MODELS["powers"] = powers
