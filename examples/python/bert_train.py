#!/usr/bin/env python3
"""Fine-tuning a BERT-style classifier with compiled training steps, then
exporting it to ONNX: the program from issue 8, on real data.

    python3 examples/python/bert_train.py

Data: scikit-learn's digits, each 8x8 image read as a sequence of 64 pixel
tokens (intensities 0..16); the label says whether the digit is odd. The
loaders are plain lists of (token ids, labels) batches, shuffled once.
Asserts that the loss falls, validation accuracy rises, and onnxruntime
runs the exported model with dr1's outputs.
"""
import os
import tempfile

import numpy as np

import dr1


def loaders(batch=8, seed=0):
    from sklearn.datasets import load_digits
    d = load_digits()
    ids, labels = d.data.astype(np.int64), (d.target % 2).astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(ids))
    ids, labels = ids[order], labels[order]
    split = 1440  # 80% to train; every batch full (static shapes)
    train = [(ids[i:i + batch], labels[i:i + batch]) for i in range(0, split, batch)]
    val = [(ids[i:i + batch], labels[i:i + batch])
           for i in range(split, len(ids) - batch + 1, batch)]
    return train, val


def main():
    dr1.manual_seed(0)
    train_loader, val_loader = loaders()

    model = dr1.models.BERTForSequenceClassification(dr1.models.BERTConfig(hidden_size=128, num_layers=2, num_heads=2), num_labels=2)  # noqa: E501
    trainer = dr1.Trainer(model, train_loader, val_loader, lr=2e-5)
    before = trainer.evaluate()
    trainer.train(epochs=3)
    path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    trainer.export(path)

    h = trainer.history
    print(f"before training: val loss {before['val_loss']:.4f}, val accuracy "
          f"{before['val_accuracy']:.4f}")
    for r in h:
        print(f"epoch {r['epoch']}: train loss {r['train_loss']:.4f}, val loss "
              f"{r['val_loss']:.4f}, val accuracy {r['val_accuracy']:.4f} "
              f"({r['seconds']:.1f} s)")
    assert h[-1]["train_loss"] < h[0]["train_loss"]
    assert h[-1]["val_loss"] < before["val_loss"]
    assert h[-1]["val_accuracy"] > before["val_accuracy"]

    import onnxruntime as ort
    x = val_loader[0][0]
    model.eval()
    ref = model(dr1.Tensor(x)).numpy()
    got = ort.InferenceSession(path).run(None, {"input0": x})[0]
    diff = float(np.abs(got - ref).max())
    print(f"ONNX export: onnxruntime vs dr1, max |diff| {diff:.2e}")
    assert diff < 1e-4


if __name__ == "__main__":
    main()
