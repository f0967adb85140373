#!/usr/bin/env python3
"""Train a small CNN (conv, batch norm, pools) on scikit-learn's digits
eagerly, then compile it with dr1.optimize and compare.

    python3 examples/python/cnn_digits.py
"""
import os
import sys

import dr1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_common import load_digits, report, train  # noqa: E402


class DigitsCNN(dr1.Module):
    def __init__(self):
        super().__init__()
        self.features = dr1.Sequential(
            dr1.Conv2d(1, 16, 3, padding=1), dr1.BatchNorm2d(16), dr1.ReLU(), dr1.MaxPool2d(2),
            dr1.Conv2d(16, 32, 3, padding=1), dr1.BatchNorm2d(32), dr1.ReLU(),
            dr1.AdaptiveAvgPool2d(1), dr1.Flatten())
        self.classifier = dr1.Linear(32, 10)

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    dr1.manual_seed(0)
    x_train, y_train, x_test, y_test = load_digits()
    img = lambda a: a.reshape(len(a), 1, 8, 8)  # noqa: E731
    model = DigitsCNN()
    optimizer = dr1.Adam(model.parameters(), lr=0.01)
    train(model, optimizer, img(x_train), y_train, epochs=6)
    fast = dr1.optimize(model, method="static")
    eager_acc, static_acc, diff = report(model, fast, x_test, y_test, img)
    assert static_acc == eager_acc and diff < 1e-4


if __name__ == "__main__":
    main()
