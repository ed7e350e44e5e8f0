#!/usr/bin/python3
"""PyTorch anchor for BioSim's Fashion-MNIST rule runs (tests/Validation/FashionMnistRulesTests.cs).

Same work: 784-256-256-10 tanh MLP (linear output), softmax cross-entropy, SGD momentum 0.9, lr 0.01,
batch 32 (--batch), PyTorch default initialisation, pixels / 255, float64 (BioSim trains in double; --dtype float32 gives
PyTorch's default precision, for reference), data read
from the Debian package dataset-fashion-mnist. Rules: backprop, feedback alignment (fixed random B per
layer, U[-1/sqrt(n_in), 1/sqrt(n_in)], as in BioSim). Prints per-epoch test accuracy and the training
wall time (data loading excluded).

Run with Debian's interpreter (the only one that sees python3-torch):
    /usr/bin/python3 benchmarks/compare/fashion_torch.py --rule backprop --epochs 1 --threads 2
"""
import argparse
import sys
import os
import json
import time

# torch.set_num_threads alone leaves the BLAS/OpenMP pools at the machine's cores: pin them before torch loads (as
# cores_compare.py does), so that --threads 1 means one thread.
_threads = next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--threads"), "2")
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = _threads

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
from fashion_mnist import DIR, idx  # tests/reference: shared with the PyTorch references
from fashion_rules_torch import FALinear  # the same autograd function as the reference




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rule", choices=["backprop", "feedback-alignment"], default="backprop")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--json", action="store_true", help="end with one JSON line: rule, batch, threads, epoch seconds, accuracy")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dt = torch.float64 if a.dtype == "float64" else torch.float32
    xtr = torch.tensor(idx(f"{DIR}/train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, dtype=dt)
    ytr = torch.tensor(idx(f"{DIR}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.tensor(idx(f"{DIR}/t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, dtype=dt)
    yte = torch.tensor(idx(f"{DIR}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    layers = [torch.nn.Linear(784, 256).to(dt), torch.nn.Linear(256, 256).to(dt), torch.nn.Linear(256, 10).to(dt)]
    fbs = [torch.empty_like(l.weight).uniform_(-1 / l.in_features ** 0.5, 1 / l.in_features ** 0.5) for l in layers]
    params = [p for l in layers for p in l.parameters()]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)

    def forward(x):
        for i, l in enumerate(layers):
            x = FALinear.apply(x, l.weight, l.bias, fbs[i]) if a.rule == "feedback-alignment" else l(x)
            if i < len(layers) - 1:
                x = torch.tanh(x)
        return x

    g = torch.Generator().manual_seed(a.seed)
    total = 0.0
    epoch_seconds = []
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(len(xtr), generator=g)
        t0 = time.perf_counter()
        for s in range(0, len(xtr), a.batch):
            idx_b = order[s:s + a.batch]
            loss = torch.nn.functional.cross_entropy(forward(xtr[idx_b]), ytr[idx_b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_seconds.append(time.perf_counter() - t0)
        total += epoch_seconds[-1]
        with torch.no_grad():
            acc = (forward(xte).argmax(1) == yte).double().mean().item()
        print(f"{a.rule} epoch {epoch}: test accuracy {acc:.4f}, training {total:.1f} s so far ({a.threads} threads, torch {torch.__version__})")
    if a.json:
        print(json.dumps({"rule": a.rule, "dtype": a.dtype, "batch": a.batch, "threads": a.threads, "epoch_seconds": epoch_seconds, "accuracy": acc, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
