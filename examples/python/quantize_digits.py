#!/usr/bin/env python3
"""Train a CNN on scikit-learn's digits eagerly, then let dr1's AutoQuantizer
choose int8 per layer under a 1% accuracy budget, and check the result on
digits it has not seen.

    python3 examples/python/quantize_digits.py

The validation half of the test split calibrates and measures each layer's
sensitivity; the other half is held out for the final comparison.
"""
import os
import sys

import numpy as np

import dr1
from dr1.quantization import AutoQuantizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_common import load_digits, train  # noqa: E402


class WideDigitsCNN(dr1.Module):
    def __init__(self):
        super().__init__()
        self.features = dr1.Sequential(
            dr1.Conv2d(1, 32, 3, padding=1), dr1.BatchNorm2d(32), dr1.ReLU(), dr1.MaxPool2d(2),
            dr1.Conv2d(32, 64, 3, padding=1), dr1.BatchNorm2d(64), dr1.ReLU(),
            dr1.AdaptiveAvgPool2d(1), dr1.Flatten())
        self.classifier = dr1.Linear(64, 10)

    def forward(self, x):
        return self.classifier(self.features(x))


def batches(x, y, size=32):
    """Whole batches only: a compiled model has one input shape."""
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x) - size + 1, size)]


def accuracy(predict, loader):
    hits = sum(int((predict(x).argmax(axis=1) == y).sum()) for x, y in loader)
    return hits / sum(len(y) for _, y in loader)


def main():
    dr1.manual_seed(0)
    x_train, y_train, x_test, y_test = load_digits()
    img = lambda a: a.reshape(len(a), 1, 8, 8)  # noqa: E731
    model = WideDigitsCNN()
    train(model, dr1.Adam(model.parameters(), lr=0.01), img(x_train), y_train, epochs=6)
    model.eval()
    half = len(x_test) // 2
    val_loader = batches(img(x_test[:half]), y_test[:half])
    held_out = batches(img(x_test[half:]), y_test[half:])

    quantizer = AutoQuantizer(model, dataset=val_loader)
    quantized_model = quantizer.quantize(method='mixed-precision')
    print(quantized_model.report)

    f32 = dr1.optimize(model, method="static")
    acc_f32 = accuracy(lambda x: f32(dr1.tensor(x)).numpy(), held_out)
    acc_q = accuracy(quantized_model, held_out)
    rows = quantized_model.report.rows
    w_f32 = sum(4 * r["weight_elements"] for r in rows)
    w_q = sum(r["weight_bytes"] for r in rows)
    print(f"held-out accuracy: f32 {acc_f32:.4f}, quantized {acc_q:.4f} "
          f"({acc_q / acc_f32:.2%} of f32)")
    print(f"weights: {w_f32} -> {w_q} bytes ({w_q / w_f32:.1%})")
    assert acc_q >= 0.99 * acc_f32, "more than 1% relative accuracy lost"
    assert all(r["precision"] == "int8" for r in rows), "a layer stayed in f32"
    assert w_q <= 0.26 * w_f32


if __name__ == "__main__":
    main()
