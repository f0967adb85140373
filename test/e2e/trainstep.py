"""dr1c --train: N compiled training steps of a two-layer classifier against
the same steps in float64 numpy (hand-written backward pass, PyTorch's
update rules). The compiled step updates the caller's parameter and state
buffers in place; its only output is the loss. f32 against f64 after 6
steps: losses within rtol 1e-5; parameters within 1e-5 (SGD) or 1e-4
(Adam, AdamW) of how far they moved, since Adam divides by sqrt(v) and so
magnifies f32 rounding in near-zero gradients. A wrong rule is off by
O(1) of the movement."""
import argparse
import ctypes
import os
import subprocess
import sys

import numpy as np

N, D, H, C = 8, 12, 16, 5
STEPS = 6
LOSS = f"""
func.func @loss(%w1: tensor<{H}x{D}xf32> {{dr1.trainable, dr1.name = "fc1.weight"}},
                %b1: tensor<{H}xf32> {{dr1.trainable, dr1.name = "fc1.bias"}},
                %w2: tensor<{C}x{H}xf32> {{dr1.trainable, dr1.name = "fc2.weight"}},
                %x: tensor<{N}x{D}xf32> {{dr1.name = "x"}},
                %y: tensor<{N}xi64> {{dr1.name = "y"}}) -> tensor<f32> {{
  %h = dr1.linear %x, %w1, %b1 : (tensor<{N}x{D}xf32>, tensor<{H}x{D}xf32>, tensor<{H}xf32>) -> tensor<{N}x{H}xf32>
  %t = dr1.tanh %h : tensor<{N}x{H}xf32>
  %z = dr1.linear %t, %w2 : (tensor<{N}x{H}xf32>, tensor<{C}x{H}xf32>) -> tensor<{N}x{C}xf32>
  %lp = dr1.log_softmax %z {{axis = -1 : i64}} : tensor<{N}x{C}xf32>
  %yy = dr1.reshape %y : tensor<{N}xi64> -> tensor<{N}x1xi64>
  %iota = dr1.constant dense<[[{", ".join(str(i) for i in range(C))}]]> : tensor<1x{C}xi64>
  %eq = dr1.equal %yy, %iota : (tensor<{N}x1xi64>, tensor<1x{C}xi64>) -> tensor<{N}x{C}xi1>
  %oh = dr1.cast %eq : tensor<{N}x{C}xi1> to tensor<{N}x{C}xf32>
  %p = dr1.mul %lp, %oh : (tensor<{N}x{C}xf32>, tensor<{N}x{C}xf32>) -> tensor<{N}x{C}xf32>
  %s = dr1.reduce_sum %p {{axes = array<i64: 1>}} : (tensor<{N}x{C}xf32>) -> tensor<{N}xf32>
  %m = dr1.reduce_mean %s : (tensor<{N}xf32>) -> tensor<f32>
  %l = dr1.neg %m : tensor<f32>
  return %l : tensor<f32>
}}
"""


def reference_grads(params, x, y):
    w1, b1, w2 = params
    h = x @ w1.T + b1
    t = np.tanh(h)
    z = t @ w2.T
    z = z - z.max(1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(1, keepdims=True))
    loss = -lp[np.arange(N), y].mean()
    dz = np.exp(lp)
    dz[np.arange(N), y] -= 1
    dz /= N
    dw2 = dz.T @ t
    dh = (dz @ w2) * (1 - t * t)
    return loss, [dh.T @ x, dh.sum(0), dw2]


class Reference:
    def __init__(self, opt, params, momentum, wd):
        self.opt, self.p, self.mu, self.wd = opt, [p.astype(np.float64) for p in params], \
            momentum, wd
        self.state = [[np.zeros_like(p) for p in self.p] for _ in range(2)]
        self.t = 0

    def step(self, x, y, lr):
        loss, g = reference_grads(self.p, x, y)
        self.t += 1
        for i, p in enumerate(self.p):
            gi = g[i]
            if self.opt == "sgd":
                gi = gi + self.wd * p
                if self.mu:
                    self.state[0][i] = self.mu * self.state[0][i] + gi
                    gi = self.state[0][i]
                self.p[i] = p - lr * gi
                continue
            if self.opt == "adam":
                gi = gi + self.wd * p
            m = self.state[0][i] = 0.9 * self.state[0][i] + 0.1 * gi
            v = self.state[1][i] = 0.999 * self.state[1][i] + 0.001 * gi * gi
            upd = (m / (1 - 0.9 ** self.t)) / (np.sqrt(v / (1 - 0.999 ** self.t)) + 1e-8)
            if self.opt == "adamw":
                upd = upd + self.wd * p
            self.p[i] = p - lr * upd
        return loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dr1c", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    src = os.path.join(args.workdir, "loss.mlir")
    with open(src, "w") as f:
        f.write(LOSS)
    rng = np.random.default_rng(0)
    init = [rng.uniform(-0.3, 0.3, (H, D)), rng.uniform(-0.3, 0.3, H),
            rng.uniform(-0.3, 0.3, (C, H))]
    batches = [(rng.standard_normal((N, D)), rng.integers(0, C, N)) for _ in range(STEPS)]
    failures = 0
    for opt, flags, lr, mu, wd in [("sgd", [], 0.5, 0.0, 0.0),
                                   ("sgd", ["--momentum=0.9", "--weight-decay=0.01"], 0.2,
                                    0.9, 0.01),
                                   ("adam", ["--weight-decay=0.01"], 0.05, 0.0, 0.01),
                                   ("adamw", ["--weight-decay=0.1"], 0.05, 0.0, 0.1),
                                   # Checkpointing recomputes, it does not change results.
                                   ("adam", ["--rematerialize=sqrt"], 0.05, 0.0, 0.0),
                                   ("sgd", ["--rematerialize=2"], 0.5, 0.0, 0.0)]:
        tag = f"{opt}{'-' + '-'.join(f.lstrip('-') for f in flags) if flags else ''}"
        obj = os.path.join(args.workdir, tag + ".o")
        so = os.path.join(args.workdir, tag + ".so")
        subprocess.run([args.dr1c, src, f"--train={opt}", "--name=step", "-o", obj] + flags,
                       check=True)
        subprocess.run(["cc", "-shared", "-o", so, obj], check=True)
        lib = ctypes.CDLL(so)
        run = lib.step_train_step_run_packed
        params = [np.ascontiguousarray(p, np.float32) for p in init]
        nstate = {"sgd": 3 if mu else 0, "adam": 7, "adamw": 7}[opt]
        state = [np.zeros_like(params[i % 3]) for i in range(nstate - (nstate == 7))]
        if nstate == 7:
            state.append(np.zeros((), np.float32))
        ws = np.zeros(1 << 20, np.uint8)
        ref = Reference(opt, init, mu, wd)
        before = [p.ctypes.data for p in params]
        worst = 0.0
        for x, y in batches:
            xs, ys = np.ascontiguousarray(x, np.float32), np.ascontiguousarray(y, np.int64)
            lr_a = np.asarray(lr, np.float32)
            loss = np.zeros((), np.float32)
            ins = params + state + [xs, ys, lr_a]
            in_ptrs = (ctypes.c_void_p * len(ins))(*[a.ctypes.data for a in ins])
            out_ptrs = (ctypes.c_void_p * 1)(loss.ctypes.data)
            run(in_ptrs, out_ptrs, ctypes.c_void_p(ws.ctypes.data))
            want = ref.step(x, y, lr)
            worst = max(worst, abs(float(loss) - want) / abs(want))
        assert [p.ctypes.data for p in params] == before
        moved = max(float(np.max(np.abs(p - q))) for p, q in zip(ref.p, init))
        perr = max(float(np.max(np.abs(p - q))) for p, q in zip(params, ref.p)) / moved
        ok = worst <= 1e-5 and perr <= (1e-5 if opt == "sgd" else 1e-4)
        failures += not ok
        print(f"{'ok' if ok else 'FAIL'} {tag}: loss rel err {worst:.2e}, parameter err "
              f"{perr:.2e} of the movement ({moved:.3f})")
    print("PASS" if failures == 0 else f"{failures} FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
