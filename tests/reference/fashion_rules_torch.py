#!/usr/bin/python3
"""PyTorch reference for tests/Validation/FashionMnistRulesTests.cs: test accuracies of backprop, feedback
alignment and direct feedback alignment on Fashion-MNIST over several seeds, with their mean and spread.

The setting is the test's (and examples/compare-fashion.json's):

* 784-256-256-10, tanh hidden layers, linear output, softmax cross-entropy (mean over the minibatch);
* PyTorch's default initialisation (nn.Linear: W and b ~ U[+-1/sqrt(n_in)]), float64 throughout;
* SGD with momentum 0.9, learning rate 0.01, batch 32, the training set reshuffled every epoch;
* pixels x/255 computed in float32 and widened to float64 (as BioSim's FashionMnist reader stores them);
* data from the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist);
* rules, with BioSim's feedback laws:
    backprop                   autograd;
    feedback-alignment         the error reaches layer l through a fixed B_{l+1} of W_{l+1}'s shape,
                               U[+-1/sqrt(n_l)] (the law of W_{l+1} itself), in place of W_{l+1};
    direct-feedback-alignment  every hidden layer gets (B_l e) * f'(z_l), e the output error
                               (d loss / d logits), B_l of shape n_l x 10, U[+-1/sqrt(10)].
* test accuracy on the whole test set (10 000 images) after every epoch.

The random streams are PyTorch's (torch.manual_seed(seed) for the weights and feedback matrices, a generator
seeded with seed for the data order), not BioSim's, so a BioSim run with the same seed is another draw from the
same distribution, not the same run: the C# test checks that its accuracy lies within mean +- k sd of these.

Run (about 8 s per epoch and rule with one thread on the development machine):
    /usr/bin/python3 tests/reference/fashion_rules_torch.py --seeds 1 2 3 4 5 6 7 8 --epochs 5 \\
        -o tests/data/fashion_rules_torch.json
--train N / --test M take the first N training and M test images (the whole sets by default). Seeds are
independent, so they may run in separate processes and be combined (statistics recomputed over all seeds):
    /usr/bin/python3 tests/reference/fashion_rules_torch.py --merge a.json b.json -o tests/data/fashion_rules_torch.json
"""
import argparse
import datetime
import json
import statistics
import sys
import time

import numpy as np
import torch

from fashion_mnist import DIR, idx  # next to this script

RULES = ["backprop", "feedback-alignment", "direct-feedback-alignment"]


def images(path, count):
    x = idx(path)[:count].reshape(-1, 784).astype(np.float32) / np.float32(255)
    return torch.tensor(x.astype(np.float64))


class FALinear(torch.autograd.Function):
    """y = x W^T + b; the gradient to x uses the fixed matrix B (shape of W) instead of W."""

    @staticmethod
    def forward(ctx, x, w, b, fb):
        ctx.save_for_backward(x, fb)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, g):
        x, fb = ctx.saved_tensors
        return g @ fb, g.T @ x, g.sum(0), None


def train(rule, seed, epochs, data, threads):
    torch.set_num_threads(threads)
    xtr, ytr, xte, yte = data
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(784, 256).double(), torch.nn.Linear(256, 256).double(), torch.nn.Linear(256, 10).double()]
    if rule == "feedback-alignment":
        fbs = [None] + [torch.empty_like(l.weight).uniform_(-1 / l.in_features ** 0.5, 1 / l.in_features ** 0.5) for l in layers[1:]]
    elif rule == "direct-feedback-alignment":
        fbs = [torch.empty(l.out_features, 10, dtype=torch.float64).uniform_(-1 / 10 ** 0.5, 1 / 10 ** 0.5) for l in layers[:-1]]
    params = [p for l in layers for p in l.parameters()]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)

    def forward(x):
        for i, l in enumerate(layers):
            x = FALinear.apply(x, l.weight, l.bias, fbs[i]) if rule == "feedback-alignment" and i > 0 else l(x)
            if i < len(layers) - 1:
                x = torch.tanh(x)
        return x

    def dfa_step(x, y):
        hidden = []
        a = x
        for l in layers[:-1]:
            a = torch.tanh(l(a))
            hidden.append(a)
            a = a.detach()
        out = layers[-1](a)
        out.retain_grad()
        loss = torch.nn.functional.cross_entropy(out, y)
        loss.backward()
        e = out.grad
        for h, b in zip(hidden, fbs):
            h.backward(e @ b.T)

    g = torch.Generator().manual_seed(seed)
    accuracies = []
    for _ in range(epochs):
        order = torch.randperm(len(xtr), generator=g)
        for s in range(0, len(xtr), 32):
            ids = order[s:s + 32]
            opt.zero_grad()
            if rule == "direct-feedback-alignment":
                dfa_step(xtr[ids], ytr[ids])
            else:
                torch.nn.functional.cross_entropy(forward(xtr[ids]), ytr[ids]).backward()
            opt.step()
        with torch.no_grad():
            accuracies.append((forward(xte).argmax(1) == yte).double().mean().item())
    return accuracies


def summary(values):
    return {"mean": statistics.fmean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rules", nargs="+", choices=RULES, default=RULES)
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--merge", nargs="+", metavar="PART", help="combine the outputs of earlier runs (other seeds) instead of training")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    data = None if a.merge else (images(f"{DIR}/train-images-idx3-ubyte.gz", a.train),
            torch.tensor(idx(f"{DIR}/train-labels-idx1-ubyte.gz")[:a.train].astype(np.int64)),
            images(f"{DIR}/t10k-images-idx3-ubyte.gz", a.test),
            torch.tensor(idx(f"{DIR}/t10k-labels-idx1-ubyte.gz")[:a.test].astype(np.int64)))
    if a.merge:
        parts = [json.load(open(p)) for p in a.merge]
        for p in parts[1:]:
            if p["setting"] != parts[0]["setting"] or p["torch_version"] != parts[0]["torch_version"]:
                sys.exit(f"--merge: the parts differ in setting or torch version: {p['setting']} vs {parts[0]['setting']}")
        a.rules = list(parts[0]["test_accuracy_by_epoch"])
        a.seeds = sorted(s for p in parts for s in p["seeds"])
        runs = {r: {str(s): acc for p in parts for s, acc in p["test_accuracy_by_epoch"][r].items()} for r in a.rules}
        a.epochs, a.train, a.test = (parts[0]["setting"][k] for k in ("epochs", "train_samples", "test_samples"))
        wall = sum(p["wall_seconds"] for p in parts)
        commands = [c for p in parts for c in (p["commands"] if "commands" in p else [p["command"]])]
    else:
        runs = {r: {} for r in a.rules}
        start = time.perf_counter()
        for seed in a.seeds:
            for rule in a.rules:
                t0 = time.perf_counter()
                runs[rule][str(seed)] = train(rule, seed, a.epochs, data, a.threads)
                print(f"{rule} seed {seed}: test accuracy by epoch {', '.join(f'{x:.4f}' for x in runs[rule][str(seed)])} "
                      f"({time.perf_counter() - t0:.1f} s)", flush=True)
        wall = round(time.perf_counter() - start, 1)
        commands = ["/usr/bin/python3 tests/reference/fashion_rules_torch.py " + " ".join(sys.argv[1:])]
    final = {r: [runs[r][str(s)][-1] for s in a.seeds] for r in a.rules}
    out = {
        "generator": "tests/reference/fashion_rules_torch.py",
        "commands": commands,
        "torch_version": torch.__version__, "numpy_version": np.__version__, "date": datetime.date.today().isoformat(),
        "setting": {"layers": [784, 256, 256, 10], "activation": "tanh", "output": "identity", "loss": "softmax-cross-entropy",
                    "optimiser": "sgd", "lr": 0.01, "momentum": 0.9, "batch": 32, "epochs": a.epochs,
                    "train_samples": a.train, "test_samples": a.test, "dtype": "float64", "init": "pytorch-default"},
        "seeds": a.seeds,
        "test_accuracy_by_epoch": runs,
        "final_test_accuracy": {r: {"per_seed": final[r], **summary(final[r])} for r in a.rules},
        "wall_seconds": wall,
    }
    if "backprop" in final and "feedback-alignment" in final:
        gap = [b - f for b, f in zip(final["backprop"], final["feedback-alignment"])]
        out["backprop_minus_feedback_alignment"] = {"per_seed": gap, **summary(gap)}
    with open(a.output, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for r in a.rules:
        s = out["final_test_accuracy"][r]
        print(f"{r}: {s['mean']:.4f} +- {s['sd']:.4f} (min {s['min']:.4f}, max {s['max']:.4f})")
    if "backprop_minus_feedback_alignment" in out:
        s = out["backprop_minus_feedback_alignment"]
        print(f"BP - FA: {s['mean']:.4f} +- {s['sd']:.4f} (min {s['min']:.4f}, max {s['max']:.4f})")


if __name__ == "__main__":
    main()
