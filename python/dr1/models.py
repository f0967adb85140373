"""Reference models with random initialisation: an MLP, a ResNet-style CNN
and a BERT-style encoder for sequence classification. Sizes are arguments,
so the same classes serve tests (tiny) and benchmarks (realistic)."""
from dataclasses import dataclass

import numpy as np

from . import ops
from .nn import (BatchNorm2d, Conv2d, Dropout, Embedding, GELU, LayerNorm, Linear, Module,
                 MultiheadAttention, ReLU, Sequential)
from .tensor import Tensor


class MLP(Module):
    """Linear layers with ReLU between them: sizes [in, hidden..., out]."""

    def __init__(self, sizes):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("MLP needs at least an input and an output size")
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(ReLU())
        self.layers = Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class BasicBlock(Module):
    """Two 3x3 conv + batch norm layers with a residual connection."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(cout)
        self.conv2 = Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = BatchNorm2d(cout)
        self.relu = ReLU()
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = Sequential(Conv2d(cin, cout, 1, stride=stride, bias=False),
                                       BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu(ops.add(y, s))


class ResNetCNN(Module):
    """A small ResNet: a 3x3 stem, stages of basic blocks (the first block
    of each later stage halves the resolution), global average pooling and
    a linear classifier. `widths` gives each stage's channels."""

    def __init__(self, in_channels=3, num_classes=10, widths=(16, 32, 64), blocks_per_stage=1):
        super().__init__()
        self.stem = Sequential(Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                               BatchNorm2d(widths[0]), ReLU())
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            for j in range(blocks_per_stage):
                blocks.append(BasicBlock(cin, w, stride=2 if i > 0 and j == 0 else 1))
                cin = w
        self.blocks = Sequential(*blocks)
        self.fc = Linear(cin, num_classes)

    def forward(self, x):
        y = self.blocks(self.stem(x))
        y = ops.mean(y, (2, 3))
        return self.fc(y)


@dataclass
class BERTConfig:
    vocab_size: int = 1000
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 2
    intermediate_size: int = 0      # 0: 4 x hidden_size
    max_position: int = 128
    dropout: float = 0.0            # compiled training needs 0 (no RNG in the step)
    layer_norm_eps: float = 1e-12

    def __post_init__(self):
        if self.intermediate_size == 0:
            self.intermediate_size = 4 * self.hidden_size
        if self.hidden_size % self.num_heads:
            raise ValueError("hidden_size must be divisible by num_heads")


class EncoderLayer(Module):
    """Post-norm transformer encoder layer (as BERT): attention, add & norm,
    GELU feed-forward, add & norm."""

    def __init__(self, cfg):
        super().__init__()
        self.attention = MultiheadAttention(cfg.hidden_size, cfg.num_heads, cfg.dropout)
        self.norm1 = LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.ffn = Sequential(Linear(cfg.hidden_size, cfg.intermediate_size), GELU(),
                              Linear(cfg.intermediate_size, cfg.hidden_size))
        self.norm2 = LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = Dropout(cfg.dropout)

    def forward(self, x):
        x = self.norm1(ops.add(x, self.dropout(self.attention(x))))
        return self.norm2(ops.add(x, self.dropout(self.ffn(x))))


class BERTForSequenceClassification(Module):
    """Token and position embeddings, `num_layers` encoder layers, a tanh
    pooler over the first token and a linear classifier. Input: token ids
    [batch, seq] (int64); output: logits [batch, num_labels]."""

    def __init__(self, config=None, num_labels=2):
        super().__init__()
        cfg = config or BERTConfig()
        self.config, self.num_labels = cfg, num_labels
        self.word_embeddings = Embedding(cfg.vocab_size, cfg.hidden_size)
        self.position_embeddings = Embedding(cfg.max_position, cfg.hidden_size)
        # BERT's initialisation: N(0, 0.02) embeddings.
        rng = np.random.default_rng(0)
        for e in (self.word_embeddings, self.position_embeddings):
            e.weight.data[...] = rng.normal(0, 0.02, e.weight.data.shape)
        self.embed_norm = LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.layers = Sequential(*[EncoderLayer(cfg) for _ in range(cfg.num_layers)])
        self.pooler = Linear(cfg.hidden_size, cfg.hidden_size)
        self.classifier = Linear(cfg.hidden_size, num_labels)
        object.__setattr__(self, "_positions", {})

    def forward(self, ids):
        b, s = ids.shape
        if s > self.config.max_position:
            raise ValueError(f"sequence length {s} exceeds max_position "
                             f"{self.config.max_position}")
        # One constant per length, kept alive: traces key constants by id.
        pos = self._positions.setdefault(s, Tensor(np.arange(s, dtype=np.int64)))
        x = ops.add(self.word_embeddings(ids),
                    ops.reshape(self.position_embeddings(pos), (1, s, self.config.hidden_size)))
        x = self.layers(self.embed_norm(x))
        first = ops.reshape(x[:, 0:1, :], (b, self.config.hidden_size))
        return self.classifier(ops.tanh(self.pooler(first)))
