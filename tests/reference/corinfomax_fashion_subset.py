#!/usr/bin/python3
"""Reference for tests/Validation/CorrelativeInfomaxFashionMnistTests.cs: the authors' own code trained on the test's
Fashion-MNIST subset over several seeds, with the mean and spread of the test accuracy.

Runs ContrastiveCorInfoMaxHopfield.batch_step_hopfield of github.com/BariscanBozkurt/Supervised-CorInfoMax
(src/ContrastiveModels.py at commit e5fb839, imported from a checkout given on the command line, not copied; the
importer is corinfomax_official.import_authors_code) in the official Fashion-MNIST setting of
CorInfoMax_FashionMNIST_Simulation_V1.py: 784-500-10, the code's hard_sigmoid (clip to [0, 1]), no biases, its own
Xavier-uniform initial weights (lateral B = V V^T), batch 20, lr ff (0.3, 0.22), fb 0.07, neural step 0.07 with
"divide_by_slow_loop_index" 0.01 floored at 0.001, 30 free / 10 nudged iterations, g 0.3, epsilon 0.15, lambda
0.99999, random-sign beta; float64 (the weights drawn by the code, then widened; BioSim trains in double).
The test's cut: one pass over the first 4000 training images (200 minibatches) in a random order, then the free
phase's argmax on the first 1000 test images. Pixels x/255 in float32, widened (as BioSim's reader stores them);
data from the Debian package dataset-fashion-mnist.

Seeds are torch's and numpy's (weights, data order, beta signs), not BioSim's: a BioSim run is another draw from
the same distribution, and the C# test checks that its accuracy lies within mean +- k sd of these.

    git clone https://github.com/BariscanBozkurt/Supervised-CorInfoMax /tmp/cim && git -C /tmp/cim checkout e5fb839
    /usr/bin/python3 tests/reference/corinfomax_fashion_subset.py /tmp/cim --seeds 0 1 2 3 4 5 6 7 \\
        -o tests/data/corinfomax_fashion_subset.json
Seeds are independent, so they may run in separate processes (--seeds 0 -o s0.json, ...) and be combined, the
statistics recomputed over all of them:
    /usr/bin/python3 tests/reference/corinfomax_fashion_subset.py --merge s0.json s1.json ... -o tests/data/corinfomax_fashion_subset.json
"""
import argparse
import datetime
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corinfomax_official import import_authors_code  # noqa: E402

DIR = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(path, count):
    return torch.tensor((idx(path)[:count].reshape(-1, 784).astype(np.float32) / np.float32(255)).astype(np.float64))


def run(model_class, hard_sigmoid, seed, xtr, ytr, xte, yte):
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = model_class([784, 500, 10], lambda_=0.99999, epsilon=0.15, activation=hard_sigmoid, device=torch.device("cpu"))
    for group in (model.Wff, model.Wfb, model.B, model.Rfree, model.Rnudged):
        for w in group:
            w["weight"] = w["weight"].double()
    lr = {"ff": np.array([0.3, 0.22]), "fb": np.array([np.nan, 0.07])}
    beta = 1
    order = torch.randperm(len(xtr))
    for s in range(0, len(xtr), 20):
        ids = order[s: s + 20]
        x = xtr[ids].T
        y = torch.nn.functional.one_hot(ytr[ids], 10).double().T
        beta = (2 * np.random.randint(2) - 1) * beta
        model.batch_step_hopfield(x, y, 0.3, lr, 0.07, 0.001, "divide_by_slow_loop_index", 0.01, 30, 10, beta, False, False)
    x = xte.T
    neurons = model.init_neurons(x.size(1), device=model.device)
    neurons, _, _ = model.run_neural_dynamics_hopfield(x, 0, neurons, 0.3, 0.07, 0.001, "divide_by_slow_loop_index", 0.01, 30, beta=0)
    return (torch.argmax(neurons[-1], dim=0) == yte).double().mean().item()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkout", nargs="?", help="path of a Supervised-CorInfoMax checkout (commit e5fb839)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5, 6, 7])
    p.add_argument("--samples", type=int, default=4000)
    p.add_argument("--tests", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--merge", nargs="+", metavar="PART", help="combine the outputs of earlier runs (other seeds) instead of training")
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    if a.merge:
        parts = [json.load(open(x)) for x in a.merge]
        for x in parts[1:]:
            if x["setting"] != parts[0]["setting"] or x["torch_version"] != parts[0]["torch_version"]:
                sys.exit(f"--merge: the parts differ in setting or torch version: {x['setting']} vs {parts[0]['setting']}")
        pairs = sorted((sd, acc) for x in parts for sd, acc in zip(x["seeds"], x["test_accuracy"]["per_seed"]))
        out = dict(parts[0])
        out["commands"] = [c for x in parts for c in x.get("commands", [x.get("command")])]
        out.pop("command", None)
        out["seeds"] = [sd for sd, _ in pairs]
        out["test_accuracy"] = summary([acc for _, acc in pairs])
        out["wall_seconds"] = round(sum(x["wall_seconds"] for x in parts), 1)
        write(out, a.output)
        return
    if a.checkout is None:
        p.error("the checkout is required unless --merge is given")
    torch_utils, model_class = import_authors_code(a.checkout)
    torch.set_num_threads(a.threads)
    torch.set_default_dtype(torch.float64)
    xtr = images(f"{DIR}/train-images-idx3-ubyte.gz", a.samples)
    ytr = torch.tensor(idx(f"{DIR}/train-labels-idx1-ubyte.gz")[: a.samples].astype(np.int64))
    xte = images(f"{DIR}/t10k-images-idx3-ubyte.gz", a.tests)
    yte = torch.tensor(idx(f"{DIR}/t10k-labels-idx1-ubyte.gz")[: a.tests].astype(np.int64))
    accuracies = []
    start = time.perf_counter()
    for seed in a.seeds:
        t0 = time.perf_counter()
        accuracies.append(run(model_class, torch_utils.hard_sigmoid, seed, xtr, ytr, xte, yte))
        print(f"seed {seed}: test accuracy {accuracies[-1]:.4f} ({time.perf_counter() - t0:.1f} s)", flush=True)
    out = {
        "generator": "tests/reference/corinfomax_fashion_subset.py",
        "commands": ["/usr/bin/python3 tests/reference/corinfomax_fashion_subset.py " + " ".join(sys.argv[1:])],
        "authors_code": "github.com/BariscanBozkurt/Supervised-CorInfoMax e5fb839, src/ContrastiveModels.py",
        "torch_version": torch.__version__, "numpy_version": np.__version__, "date": datetime.date.today().isoformat(),
        "setting": {"layers": [784, 500, 10], "batch": 20, "lr_ff": [0.3, 0.22], "lr_fb": 0.07, "epochs": 1,
                    "train_samples": a.samples, "test_samples": a.tests, "dtype": "float64"},
        "seeds": a.seeds,
        "test_accuracy": summary(accuracies),
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    write(out, a.output)


def summary(accuracies):
    return {"per_seed": accuracies, "mean": statistics.fmean(accuracies),
            "sd": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0, "min": min(accuracies), "max": max(accuracies)}


def write(out, path):
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    s = out["test_accuracy"]
    print(f"test accuracy {s['mean']:.4f} +- {s['sd']:.4f} (min {s['min']:.4f}, max {s['max']:.4f}) over {len(out['seeds'])} seeds")


if __name__ == "__main__":
    main()
