"""Held-out-style models for the GPU target: the onnx package's light
model-zoo architectures, MobileNetV2- and EfficientNet-style CNNs and a
BERT-style encoder compiled by dr1c for sm_90, every kernel accepted by
ptxas. (Their numerics on a GPU: the e2e *-nvptx tests, where a GPU is.)"""
import os
import subprocess

import onnx
import pytest

from bert_onnx import bert
from cnn_onnx import efficientnet_b0, mobilenet_v2
from test_light_models import MODELS, randomized

DR1C = os.environ.get("DR1C", "dr1c")
PTXAS = "/usr/local/cuda/bin/ptxas"

CASES = [(os.path.basename(p)[6:-5], lambda p=p: randomized(p)) for p in MODELS]
CASES += [("mobilenet_v2", mobilenet_v2), ("efficientnet_b0", efficientnet_b0),
          ("bert", lambda: bert(batch=1, seq=64, hidden=256, heads=4, layers=4, ffn=1024,
                                vocab=1000))]


@pytest.mark.skipif(not os.path.exists(PTXAS), reason="needs the CUDA toolkit's ptxas")
@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_compiles_for_sm90_and_ptxas_accepts(tmp_path, name, make):
    path = str(tmp_path / f"{name}.onnx")
    onnx.save(make(), path)
    ptx = path + ".ptx"
    r = subprocess.run([DR1C, path, "-target=nvptx", "-mcpu=sm_90", "-emit=ptx", "-o", ptx],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(ptx) as f:
        text = f.read()
    assert text.count("// gpu.module @") == 1 and ".visible .entry" in text
    assert ".extern" not in text  # nothing left for a libdevice to resolve
    r = subprocess.run([PTXAS, "-arch=sm_90", ptx, "-o", str(tmp_path / "k.cubin")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
