"""Shared by the digits examples: data, training loop, evaluation, timing."""
import time

import numpy as np

import dr1


def load_digits(seed=0):
    """scikit-learn's bundled 8x8 digits (1797 images), split 80/20."""
    from sklearn.datasets import load_digits as sk_load
    d = sk_load()
    x = (d.images / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(seed).permutation(len(x))
    split = int(0.8 * len(x))
    return x[idx[:split]], y[idx[:split]], x[idx[split:]], y[idx[split:]]


def train(model, optimizer, x, y, epochs, batch=32, seed=0):
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(x))
        total = 0.0
        for i in range(0, len(x), batch):
            b = order[i:i + batch]
            loss = dr1.cross_entropy(model(dr1.tensor(x[b])), dr1.tensor(y[b]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(b)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}", flush=True)


def accuracy(fn, x, y):
    logits = fn(dr1.tensor(x)).numpy()
    return float((logits.argmax(axis=1) == y).mean())


def median_time(fn, arg, repeat=50):
    fn(arg)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def report(model, fast, x_test, y_test, reshape):
    model.eval()
    with dr1.no_grad():
        eager_acc = accuracy(model, reshape(x_test), y_test)
        static_acc = accuracy(fast, reshape(x_test), y_test)
        diff = float(np.abs(model(dr1.tensor(reshape(x_test))).numpy() -
                            fast(dr1.tensor(reshape(x_test))).numpy()).max())
        print(f"test accuracy: eager {eager_acc:.4f}, compiled {static_acc:.4f}; "
              f"max |eager - compiled| = {diff:.2e}")
        for batch in (1, len(x_test)):
            xb = dr1.tensor(reshape(x_test[:batch]))
            te = median_time(model, xb)
            ts = median_time(fast, xb)
            print(f"batch {batch:4d}: eager {te * 1e3:8.3f} ms, compiled {ts * 1e3:8.3f} ms, "
                  f"speedup {te / ts:6.1f}x")
    return eager_acc, static_acc, diff
