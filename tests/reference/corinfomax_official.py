#!/usr/bin/python3
"""Reference minibatch steps of correlative infomax from the authors' own code, for
tests/Plasticity/CorrelativeInfomaxTests.cs (MatchesTheAuthorsCode).

Runs ContrastiveCorInfoMaxHopfield.batch_step_hopfield from github.com/BariscanBozkurt/Supervised-CorInfoMax
(src/ContrastiveModels.py at commit e5fb8397354cc306d7c0edce31dd79e3fe00f9d6; not copied here, imported from a
checkout given on the command line) on a small network, float64 throughout:

* architecture 5-7-6-4 (two hidden layers, so hidden-to-hidden feedback is exercised), activation the code's
  hard_sigmoid (clip to [0, 1]), no biases;
* initial Wff, Wfb, B from numpy RandomState(seed): Wff uniform(-1.2, 1.2), Wfb uniform(-0.5, 0.5),
  B = V V^T / n with V uniform(-1, 1) (n x n), drawn in the order Wff1..3, Wfb1..3, V1..3;
* two minibatches of 6 samples, x uniform(0, 1), one-hot labels from the same RandomState;
* hyperparameters: lambda 0.9 (so the lateral terms weigh in), epsilon 0.15, hopfield_g 0.3, neural step
  0.07 / (1 + 0.01 k) floored at 0.001 ("divide_by_slow_loop_index"), 30 free and 10 nudged iterations,
  beta = +1 both steps, lr ff (0.3, 0.22, 0.15), fb (nan, 0.07, 0.05), no three-phase, no weight decay;
* output: initial weights, data, and after each step Wff, Wfb, B and the nudged rates the step returns.

The code imports pandas and torchvision for other functions; they are stubbed when absent. PyTorch and numpy come
from Debian, visible to /usr/bin/python3 only:
    git clone https://github.com/BariscanBozkurt/Supervised-CorInfoMax /tmp/cim && git -C /tmp/cim checkout e5fb839
    /usr/bin/python3 tests/reference/corinfomax_official.py /tmp/cim -o tests/data/corinfomax_official.json
"""
import argparse
import json
import os
import sys
import types

import numpy as np
import torch


def import_authors_code(checkout):
    """The authors' modules from a checkout (also used by benchmarks/compare/corinfomax_torch.py): their torch_utils
    (hard_sigmoid) and the ContrastiveCorInfoMaxHopfield class. Their code imports pandas and torchvision for other
    functions; those are stubbed when absent."""
    for name in ("pandas", "torchvision"):
        try:
            __import__(name)
        except ImportError:
            sys.modules[name] = types.ModuleType(name)
    sys.path.insert(0, os.path.join(checkout, "src"))
    import torch_utils  # the authors' module
    from ContrastiveModels import ContrastiveCorInfoMaxHopfield
    return torch_utils, ContrastiveCorInfoMaxHopfield


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkout", help="path of a Supervised-CorInfoMax checkout (commit e5fb839)")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    torch_utils, ContrastiveCorInfoMaxHopfield = import_authors_code(args.checkout)

    torch.set_default_dtype(torch.float64)
    arch = [5, 7, 6, 4]
    batch = 6
    rng = np.random.RandomState(args.seed)
    wff = [rng.uniform(-1.2, 1.2, size=(arch[i + 1], arch[i])) for i in range(3)]
    wfb = [rng.uniform(-0.5, 0.5, size=(arch[i], arch[i + 1])) for i in range(3)]
    lat = []
    for i in range(3):
        n = arch[i + 1]
        v = rng.uniform(-1, 1, size=(n, n))
        lat.append(v @ v.T / n)
    xs = [rng.uniform(0, 1, size=(batch, arch[0])) for _ in range(2)]
    labels = [rng.randint(0, 4, size=batch) for _ in range(2)]

    device = torch.device("cpu")
    model = ContrastiveCorInfoMaxHopfield(arch, lambda_=0.9, epsilon=0.15, activation=torch_utils.hard_sigmoid, device=device)
    for i in range(3):
        model.Wff[i]["weight"] = torch.tensor(wff[i])
        model.Wfb[i]["weight"] = torch.tensor(wfb[i])
        model.B[i]["weight"] = torch.tensor(lat[i])
        model.Rfree[i]["weight"] = model.Rfree[i]["weight"].double()
        model.Rnudged[i]["weight"] = model.Rnudged[i]["weight"].double()
    lr = {"ff": np.array([0.3, 0.22, 0.15]), "fb": np.array([np.nan, 0.07, 0.05])}

    out = {
        "source": "BariscanBozkurt/Supervised-CorInfoMax e5fb8397354cc306d7c0edce31dd79e3fe00f9d6, ContrastiveCorInfoMaxHopfield.batch_step_hopfield",
        "architecture": arch, "batch": batch, "lambda": 0.9, "epsilon": 0.15, "g": 0.3,
        "neural_lr": 0.07, "neural_lr_stop": 0.001, "neural_lr_decay": 0.01, "free": 30, "nudged": 10, "beta": 1.0,
        "lr_ff": [0.3, 0.22, 0.15], "lr_fb": [0.07, 0.05],
        "Wff0": [w.ravel().tolist() for w in wff], "Wfb0": [w.ravel().tolist() for w in wfb[1:]],
        "B0": [b.ravel().tolist() for b in lat], "steps": [],
    }
    for step in range(2):
        x = torch.tensor(xs[step]).T
        y = torch.nn.functional.one_hot(torch.tensor(labels[step]), 4).double().T
        neurons = model.batch_step_hopfield(x, y, 0.3, lr, 0.07, 0.001, "divide_by_slow_loop_index", 0.01, 30, 10, 1.0, False, False)
        out["steps"].append({
            "x": xs[step].ravel().tolist(),
            "labels": labels[step].tolist(),
            "Wff": [model.Wff[i]["weight"].numpy().ravel().tolist() for i in range(3)],
            "Wfb": [model.Wfb[i]["weight"].numpy().ravel().tolist() for i in range(1, 3)],
            "B": [model.B[i]["weight"].numpy().ravel().tolist() for i in range(3)],
            "nudged_rates": [n.T.numpy().ravel().tolist() for n in neurons],  # batch x n, row-major
        })
    with open(args.output, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
