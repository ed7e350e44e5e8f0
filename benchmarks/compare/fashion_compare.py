#!/usr/bin/python3
"""One Fashion-MNIST epoch of the same MLP in PyTorch and in BioSim, with backprop and feedback alignment.

Same work on both sides: 784-256-256-10 tanh (linear output), softmax cross-entropy, SGD momentum 0.9,
lr 0.01, batch 64 (--batch), float32 (--precision; float64 before issue 18), PyTorch's default initialisation, pixels / 255, all 60 000 training
images of the Debian package dataset-fashion-mnist, the same number of threads (--threads: torch's
intra-op threads and BLAS/OpenMP pools; BioSim's OpenBLAS threads). Epoch time = wall time of the training loop of one epoch
(gather, forward, backward/rule, optimiser), data loading and test evaluation excluded on both sides.
The runs alternate (torch BP, BioSim BP+FA, torch FA) so that load on a shared machine hits both.

    dotnet build -c Release cli
    /usr/bin/python3 benchmarks/compare/fashion_compare.py --threads 2

Prints each epoch time, the test accuracy reached, the ratio BioSim / PyTorch, and the CPU seconds each
process used (user + sys, whole process: start-up and data loading included), which is the steadier
number on a loaded machine.
"""
import argparse
import json
import os
import shutil
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.stdout, p.stderr, wall, cpu


def torch_epoch(rule, a, dtype="float64"):
    out, _, wall, cpu = run(["/usr/bin/python3", os.path.join(HERE, "fashion_torch.py"), "--rule", rule, "--epochs", "1",
                             "--batch", str(a.batch), "--threads", str(a.threads), "--seed", "1", "--dtype", dtype, "--json"])
    r = json.loads(out.strip().splitlines()[-1])
    return r["epoch_seconds"][0], r["accuracy"], cpu, r["torch"]


def biosim_epochs(a, work, precision="float64"):
    spec = {
        "precision": precision,
        "name": "bench-fashion", "task": {"type": "fashion-mnist"},
        "architecture": {"layers": [256, 256, 10], "activation": "tanh", "output_activation": "identity", "loss": "softmax-cross-entropy"},
        "optimiser": {"type": "sgd", "momentum": 0.9}, "lr": 0.01, "batch": a.batch, "epochs": 1, "seeds": [1],
        "rules": ["backprop", "feedback-alignment"], "alignment": False,
    }
    path = os.path.join(work, "bench.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    out_dir = os.path.join(work, "out")
    # biosim compare refuses a folder that holds a comparison (it may be resumable): start clean each time.
    shutil.rmtree(out_dir, ignore_errors=True)
    _, err, wall, cpu = run(["dotnet", a.biosim, "compare", path, "-o", out_dir, "--threads", str(a.threads)])
    import h5py
    res = {}
    with h5py.File(os.path.join(out_dir, "curves.h5"), "r") as f:
        product = f.attrs["matrix_product"]
        for rule in ("backprop", "feedback-alignment"):
            g = f[f"runs/{rule}/seed_1"]
            res[rule] = (float(g["epoch_seconds"][0]), float(g["epoch_test_accuracy"][0]))
    return res, cpu, product.decode() if isinstance(product, bytes) else str(product)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--precision", choices=["float32", "float64"], default="float32",
                    help="BioSim's and PyTorch's precision (both sides the same)")
    ap.add_argument("--repeat", type=int, default=1, help="alternate the runs this many times and report each and the medians")
    ap.add_argument("--biosim", default=os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "biosim.dll"))
    a = ap.parse_args()
    if not os.path.exists(a.biosim):
        sys.exit(f"{a.biosim} not found: run 'dotnet build -c Release cli' first")
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    rows = {"backprop": [], "feedback-alignment": []}
    loads = []
    with tempfile.TemporaryDirectory() as work:
        for rep in range(a.repeat):
            loads.append(os.getloadavg()[0])
            t_bp = torch_epoch("backprop", a, a.precision)
            b, b_cpu, product = biosim_epochs(a, work, a.precision)
            t_fa = torch_epoch("feedback-alignment", a, a.precision)
            loads.append(os.getloadavg()[0])
            print(f"repeat {rep + 1}: PyTorch {t_bp[3]} vs BioSim ({product}), {a.precision}, batch {a.batch}, {a.threads} threads, "
                  f"one epoch of 60 000 images; CPU s torch BP {t_bp[2]:.1f}, FA {t_fa[2]:.1f}, BioSim BP+FA {b_cpu:.1f}; load {loads[-2]:.1f} -> {loads[-1]:.1f}")
            for rule, t in (("backprop", t_bp), ("feedback-alignment", t_fa)):
                rows[rule].append((t[0], b[rule][0], t[1], b[rule][1]))
    print(f"{'rule':<20} {'torch s':>9} {'biosim s':>9} {'ratio':>7} {'torch acc':>10} {'biosim acc':>11}")
    for rule, rs in rows.items():
        for ts, bs, tacc, bacc in rs:
            print(f"{rule:<20} {ts:9.2f} {bs:9.2f} {bs / ts:7.3f} {tacc:10.4f} {bacc:11.4f}")
        ratios = sorted(bs / ts for ts, bs, _, _ in rs)
        print(f"{rule:<20} median ratio {ratios[len(ratios) // 2]:.3f} over {len(rs)} alternations")
    print(f"load average (1 min) during the runs: {min(loads):.1f} to {max(loads):.1f}")


if __name__ == "__main__":
    main()
