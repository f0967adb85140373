#!/usr/bin/env python3
"""Train an MLP on scikit-learn's digits eagerly, then compile it with
dr1.optimize and compare accuracy, outputs and speed.

    python3 examples/python/mlp_digits.py
"""
import os
import sys

import dr1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_common import load_digits, report, train  # noqa: E402


def main():
    dr1.manual_seed(0)
    x_train, y_train, x_test, y_test = load_digits()
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    model = dr1.Sequential([dr1.Linear(64, 128), dr1.ReLU(), dr1.Linear(128, 10)])
    optimizer = dr1.SGD(model.parameters(), lr=0.05, momentum=0.9)
    train(model, optimizer, flat(x_train), y_train, epochs=10)
    fast = dr1.optimize(model, method="static")
    eager_acc, static_acc, diff = report(model, fast, x_test, y_test, flat)
    assert static_acc == eager_acc and diff < 1e-4


if __name__ == "__main__":
    main()
