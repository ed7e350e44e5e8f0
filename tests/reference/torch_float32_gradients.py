#!/usr/bin/python3
"""PyTorch float32 reference updates for BioSim's float32 training (tests/Plasticity/Float32TrainingTests.cs).

One minibatch through a 20-16-12-5 network, tanh hidden layers, identity output, softmax cross-entropy (mean over
the batch), batch 8, everything float32 (torch.float32 tensors, nn.Linear layout: weight [out, in], bias [out]):

* weights and inputs by formula, so that BioSim builds the same numbers without a shared random generator:
  W_l[i, j] = 0.5 sin(1.3 (i n_in + j) + l) / sqrt(n_in), b_l[i] = 0.1 cos(0.9 i + l) (l = 1, 2, 3),
  x[r, j] = cos(0.7 (r * 20 + j)), label[r] = (3 r) mod 5; each value computed in float64 and rounded once to float32;
* backprop: loss.backward() on the float32 graph; the gradients of W_l and b_l;
* feedback alignment (Lillicrap et al. 2016): the same forward pass, the error reaching layer l through a fixed
  B_{l+1} (n_l x n_{l+1}) = 0.5 cos(0.7 (i n_{l+1} + j) + l + 1) / sqrt(n_l) instead of W_{l+1}^T, computed with torch
  float32 matmuls: delta_l = (delta_{l+1} B_{l+1}^T) * (1 - h_l^2), dW_l = delta_l^T h_{l-1}, db_l = sum_rows delta_l.

PyTorch comes from Debian (python3-torch), visible to /usr/bin/python3 only:
    /usr/bin/python3 tests/reference/torch_float32_gradients.py -o tests/data/torch_float32_gradients.json
"""
import argparse
import json
import math
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402

SIZES = [20, 16, 12, 5]
BATCH = 8


def weights(l, n_out, n_in):
    i = np.arange(n_out * n_in, dtype=np.float64)
    return (0.5 * np.sin(1.3 * i + l) / math.sqrt(n_in)).reshape(n_out, n_in).astype(np.float32)


def bias(l, n_out):
    return (0.1 * np.cos(0.9 * np.arange(n_out, dtype=np.float64) + l)).astype(np.float32)


def feedback(l, n_below, n_above):
    # B_l for l = 2, 3: n_{l-1} x n_l
    i = np.arange(n_below * n_above, dtype=np.float64)
    return (0.5 * np.cos(0.7 * i + l) / math.sqrt(n_below)).reshape(n_below, n_above).astype(np.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    x = torch.tensor(np.cos(0.7 * np.arange(BATCH * SIZES[0], dtype=np.float64)).reshape(BATCH, SIZES[0]).astype(np.float32))
    labels = torch.tensor([(3 * r) % SIZES[-1] for r in range(BATCH)])
    W = [torch.tensor(weights(l, SIZES[l], SIZES[l - 1]), requires_grad=True) for l in range(1, 4)]
    b = [torch.tensor(bias(l, SIZES[l]), requires_grad=True) for l in range(1, 4)]
    hs = [x]
    for l in range(3):
        z = hs[-1] @ W[l].T + b[l]
        hs.append(torch.tanh(z) if l < 2 else z)
    loss = torch.nn.functional.cross_entropy(hs[-1], labels)
    loss.backward()
    out = {
        "generator": "tests/reference/torch_float32_gradients.py",
        "command": "/usr/bin/python3 tests/reference/torch_float32_gradients.py -o tests/data/torch_float32_gradients.json",
        "torch_version": torch.__version__,
        "sizes": SIZES, "batch": BATCH,
        "loss": float(loss.item()),
        "backprop": {f"W{l + 1}": W[l].grad.numpy().ravel().tolist() for l in range(3)} | {f"b{l + 1}": b[l].grad.numpy().tolist() for l in range(3)},
    }
    with torch.no_grad():
        h = [t.detach() for t in hs]
        p = torch.softmax(h[3], dim=1)
        delta = [None, None, None, (p - torch.nn.functional.one_hot(labels, SIZES[-1]).float()) / BATCH]
        for l in (2, 1):
            B = torch.tensor(feedback(l + 1, SIZES[l], SIZES[l + 1]))
            delta[l] = (delta[l + 1] @ B.T) * (1 - h[l] * h[l])
        out["feedback-alignment"] = {f"W{l}": (delta[l].T @ h[l - 1]).numpy().ravel().tolist() for l in (1, 2, 3)} \
            | {f"b{l}": delta[l].sum(0).numpy().tolist() for l in (1, 2, 3)}
    with open(args.output, "w") as f:
        json.dump(out, f, indent=1)
    print(f"loss {loss.item():.7g}")


if __name__ == "__main__":
    main()
