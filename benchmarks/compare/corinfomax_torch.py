#!/usr/bin/python3
"""Anchor for BioSim's correlative-infomax timing: the authors' own code on the same work.

Runs ContrastiveCorInfoMaxHopfield.batch_step_hopfield of github.com/BariscanBozkurt/Supervised-CorInfoMax
(src/ContrastiveModels.py at commit e5fb839, imported from a checkout given on the command line, not copied) in
the official Fashion-MNIST setting (784-500-10, batch 20, lr ff (0.3, 0.22), fb 0.07, neural lr 0.07 with
"divide_by_slow_loop_index" 0.01 floored at 0.001, 30 free / 10 nudged iterations, g 0.3, eps 0.15,
lambda 0.99999, random-sign beta) on the first N training images (pixels / 255, read from the Debian package
dataset-fashion-mnist), then evaluates the free phase on the first M test images. Prints the training time per
minibatch and the test accuracy. The code keeps its own dtype: float32 (torch.randn), or float64 with --double
(BioSim runs in double).

    git clone https://github.com/BariscanBozkurt/Supervised-CorInfoMax /tmp/cim && git -C /tmp/cim checkout e5fb839
    /usr/bin/python3 benchmarks/compare/corinfomax_torch.py /tmp/cim --samples 2000 --tests 1000 --threads 2 --double
BioSim's side: dotnet run -c Release --project benchmarks -- corinfomax-fashion 1 0 2000 1000
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
from fashion_mnist import DIR, idx  # tests/reference: shared with the PyTorch references


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkout")
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--tests", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--double", action="store_true")
    a = p.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
    from corinfomax_official import import_authors_code  # shared with the reference steps of the tests
    torch_utils, ContrastiveCorInfoMaxHopfield = import_authors_code(a.checkout)

    torch.set_num_threads(a.threads)
    if a.double:
        torch.set_default_dtype(torch.float64)
    dtype = torch.get_default_dtype()
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    xtr = torch.tensor(idx(f"{DIR}/train-images-idx3-ubyte.gz")[: a.samples].reshape(-1, 784) / 255.0, dtype=dtype)
    ytr = torch.tensor(idx(f"{DIR}/train-labels-idx1-ubyte.gz")[: a.samples].astype(np.int64))
    xte = torch.tensor(idx(f"{DIR}/t10k-images-idx3-ubyte.gz")[: a.tests].reshape(-1, 784) / 255.0, dtype=dtype)
    yte = torch.tensor(idx(f"{DIR}/t10k-labels-idx1-ubyte.gz")[: a.tests].astype(np.int64))
    model = ContrastiveCorInfoMaxHopfield([784, 500, 10], lambda_=0.99999, epsilon=0.15,
                                          activation=torch_utils.hard_sigmoid, device=torch.device("cpu"))
    if a.double:
        for group in (model.Wff, model.Wfb, model.B, model.Rfree, model.Rnudged):
            for w in group:
                w["weight"] = w["weight"].double()
    lr = {"ff": np.array([0.3, 0.22]), "fb": np.array([np.nan, 0.07])}
    beta = 1
    order = torch.randperm(a.samples)
    start = time.perf_counter()
    batches = 0
    for s in range(0, a.samples, 20):
        ids = order[s: s + 20]
        x = xtr[ids].T
        y = torch.nn.functional.one_hot(ytr[ids], 10).to(dtype).T
        beta = (2 * np.random.randint(2) - 1) * beta
        model.batch_step_hopfield(x, y, 0.3, lr, 0.07, 0.001, "divide_by_slow_loop_index", 0.01, 30, 10, beta, False, False)
        batches += 1
    train = time.perf_counter() - start
    start = time.perf_counter()
    correct = 0
    for s in range(0, a.tests, 1000):
        x = xte[s: s + 1000].T
        neurons = model.init_neurons(x.size(1), device=model.device)
        neurons, _, _ = model.run_neural_dynamics_hopfield(x, 0, neurons, 0.3, 0.07, 0.001, "divide_by_slow_loop_index", 0.01, 30, beta=0)
        correct += (torch.argmax(neurons[-1], dim=0) == yte[s: s + 1000]).sum().item()
    evaluation = time.perf_counter() - start
    print(f"authors' code ({dtype}, {a.threads} threads): {batches} minibatches in {train:.1f} s "
          f"({1000 * train / batches:.1f} ms each), test accuracy {correct / a.tests:.4f} on {a.tests} images, "
          f"evaluation {evaluation:.1f} s")


if __name__ == "__main__":
    main()
