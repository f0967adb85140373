import os
import tempfile

import numpy as np
import pytest

import dr1


@pytest.fixture(autouse=True)
def _seed_and_cache(monkeypatch, tmp_path_factory):
    dr1.manual_seed(0)
    # A cache per test session: tests see compiles happen, not stale files.
    cache = os.environ.get("DR1_TEST_CACHE") or str(tmp_path_factory.getbasetemp() / "dr1-cache")
    monkeypatch.setenv("DR1_CACHE_DIR", cache)
    yield


def numeric_grad(f, x, eps=1e-3):
    """Central finite differences of the scalar f() with respect to array x (float64)."""
    g = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g
