#!/usr/bin/python3
"""BioSim's own spread for tests/Validation/CorrelativeInfomaxFashionMnistTests.cs: correlative infomax in the
authors' official Fashion-MNIST setting, cut as the test cuts it, trained by the built CLI over several seeds.

The comparison written to a temporary folder and run with `biosim compare` is the test's configuration:
784-500-10 unit-clip (the authors' hard_sigmoid), no biases, Xavier-uniform weights, batch 20, forward rates
(0.3, 0.22) on plain SGD with learning rate 1, feedback rate 0.07, the rule's defaults for the rest (epsilon 0.15,
lambda 0.99999, g 0.3, neural step 0.07/(1 + 0.01k), 30 free / 10 nudged iterations, random-sign beta), one epoch over
the first 4000 training images, test accuracy of the free phase on the first 1000 test images. The CLI's seed s
reproduces the test's seed s bit for bit (seed 0: 0.5820 both ways). The per-seed accuracies are read from the
run's curves.h5 (h5py). One seed costs ~15 s of CPU.

Build first (dotnet build -c Release), then, from the repository root:
    /usr/bin/python3 tests/reference/biosim_corinfomax_subset.py --seeds 0 1 2 3 4 5 6 7 8 9 \\
        -o tests/data/biosim_corinfomax_subset.json
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

COMPARISON = {
    "name": "correlative-infomax-fashion-subset",
    "task": {"type": "fashion-mnist", "train_samples": 4000, "test_samples": 1000},
    "architecture": {"layers": [500, 10], "activation": "unit-clip", "output_activation": "unit-clip",
                     "bias": False, "init": "xavier-uniform", "loss": "mse"},
    "optimiser": {"type": "sgd", "momentum": 0.0},
    "lr": 1.0,
    "batch": 20,
    "epochs": 1,
    "rules": [{"name": "correlative-infomax", "options": {"forward_rates": [0.3, 0.22], "feedback_rates": [0.07]}}],
    "alignment": {"enabled": False},
}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    p.add_argument("--biosim", default=os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "biosim.dll"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="biosim-cim-") as tmp:
        config = os.path.join(tmp, "comparison.json")
        with open(config, "w") as f:
            json.dump({**COMPARISON, "seeds": a.seeds}, f, indent=1)
        start = time.perf_counter()
        subprocess.run(["dotnet", a.biosim, "compare", config, "-o", os.path.join(tmp, "out"), "-t", str(a.threads), "-q"], check=True)
        wall = time.perf_counter() - start
        accuracies = []
        with h5py.File(os.path.join(tmp, "out", "curves.h5"), "r") as h5:
            for s in a.seeds:
                run = h5[f"runs/correlative-infomax/seed_{s}"]
                if run.attrs["status"] != "completed":
                    sys.exit(f"seed {s}: run {run.attrs['status']}")
                accuracies.append(float(run["epoch_test_accuracy"][-1]))
    out = {
        "generator": "tests/reference/biosim_corinfomax_subset.py",
        "command": "/usr/bin/python3 tests/reference/biosim_corinfomax_subset.py " + " ".join(sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "comparison": COMPARISON,
        "seeds": a.seeds,
        "test_accuracy": {"per_seed": accuracies, "mean": statistics.fmean(accuracies),
                          "sd": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
                          "min": min(accuracies), "max": max(accuracies)},
        "wall_seconds": round(wall, 1),
    }
    with open(a.output, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for s, x in zip(a.seeds, accuracies):
        print(f"seed {s}: test accuracy {x:.4f}")
    t = out["test_accuracy"]
    print(f"test accuracy {t['mean']:.4f} +- {t['sd']:.4f} (min {t['min']:.4f}, max {t['max']:.4f}) over {len(a.seeds)} seeds, {wall:.0f} s")


if __name__ == "__main__":
    main()
