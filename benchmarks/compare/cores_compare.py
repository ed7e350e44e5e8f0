#!/usr/bin/python3
"""Deployed core ensembles: BioSim's neurosynaptic cores against a dense floating-point PyTorch reference, in one run.

Question answered (issue 16, Speed): how fast does `biosim cores deploy` run 64-copy ensembles of a trained 5-core network
on the 10 000 Fashion-MNIST test images, against PyTorch (Debian python3-torch) doing the same work densely in float32:
the same trained connection probabilities, leaks and topology (read from DIR/network.h5), 64 binary copies sampled from
them, one Bernoulli draw per pixel and copy and image, memoryless neurons with threshold `threshold`, class spike counts
summed over the first N copies? The copies are sampled independently on each side (same distribution, not the same
bits), so the accuracies agree statistically. Target: BioSim >= 10x faster at the same accuracy.

    dotnet build -c Release cli
    dotnet cli/bin/Release/net10.0/biosim.dll cores train examples/cores-fashion.json -o /tmp/cores
    /usr/bin/python3 benchmarks/compare/cores_compare.py /tmp/cores [--threads 1] [--repeat 3]

Prints one markdown table: copy-images per second, synaptic events per second (BioSim), accuracy per ensemble, ratio; with
--repeat N the sides alternate N times and the table holds medians. Both sides also report CPU time (BioSim: the process's
CPU time over the deployment; PyTorch: time.process_time() over the same span), which a machine shared with other jobs
disturbs less than wall time.

Both sides time the same work: from the start of the deployment (after the runtime, resp. the interpreter and torch, have
started) to the class counts of every copy, that is reading the trained network and the test set ("load"), then sampling
the 64 copies' crossbars and running them ("run"). The table gives the total and the load part of each side; ratios are
given for the total and for the run alone. BioSim's run also builds its 64 populations; its times come from the
deployment's own clock (`copies deployed in ... s (load ... s ...)`), which excludes the .NET runtime's start and the PNG.
"""
import argparse
import gzip
import os
import platform
import re
import subprocess
import sys
import time

# The thread count both sides get: torch.set_num_threads alone leaves the BLAS/OpenMP pools at the machine's cores (a quiet
# run with --threads 1 measured PyTorch's CPU time at 1.7x its wall time), so the pools are pinned before torch loads.
_threads = next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--threads"), "1")
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = _threads

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_DLL = os.path.join(REPO, "cli", "bin", "Release", "net10.0", "biosim.dll")
DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_test():
    for images, labels in (("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),):
        x = idx(os.path.join(DATA, images)).reshape(-1, 784).astype(np.float32) / 255.0
        y = idx(os.path.join(DATA, labels)).astype(np.int64)
        return x, y


def torch_deploy(directory, copies, ensembles, seed, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    start = time.perf_counter()
    cpu = time.process_time()
    with h5py.File(os.path.join(directory, "network.h5"), "r") as f:
        theta = f["parameters"][()]
        alpha = float(f.attrs["threshold"])
        per_class = int(f.attrs["per_class"])
        cores = []
        for k in sorted(f["cores"].keys(), key=int):
            g = f["cores"][k]
            n = int(g.attrs["neurons"])
            inputs = g["inputs"][()].astype(np.int64)
            types = g["axon_types"][()].astype(np.int64)
            weights = g["weights"][()].reshape(n, 4)
            a = len(inputs)
            off = int(g.attrs["offset"])
            c = theta[off: off + a * n].reshape(a, n)
            b = np.round(theta[off + a * n: off + a * n + n])
            s = weights[:, types].T  # axons x neurons
            cores.append(dict(layer=int(g.attrs["layer"]), inputs=torch.from_numpy(inputs), c=torch.from_numpy(c).float(),
                              s=torch.from_numpy(s.astype(np.float32)), b=torch.from_numpy(b).float()))
    x, y = load_test()
    loaded = time.perf_counter() - start
    layers = max(c["layer"] for c in cores) + 1
    # sample the binary crossbars of every copy: W[copy] = Bernoulli(c) * S
    sampled = [torch.bernoulli(c["c"].expand(copies, -1, -1)) * c["s"] for c in cores]
    counts = torch.zeros(copies, len(x), 10)
    batch = 500
    with torch.no_grad():
        for lo in range(0, len(x), batch):
            xb = torch.from_numpy(x[lo: lo + batch])
            signal = torch.bernoulli(xb.expand(copies, -1, -1))  # copies x batch x 784
            for layer in range(layers):
                outs = []
                for c, w in zip(cores, sampled):
                    if c["layer"] != layer:
                        continue
                    v = torch.bmm(signal[:, :, c["inputs"]], w) + c["b"]
                    outs.append((v >= alpha).float())
                signal = torch.cat(outs, dim=2)
            cls = signal[:, :, : 10 * per_class].reshape(copies, -1, 10, per_class).sum(dim=3)
            counts[:, lo: lo + batch] = cls
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    accuracy = {}
    for n in ensembles:
        total = counts[:n].sum(dim=0)
        # ties to the lowest class, as BioSim's argmax
        best = torch.argmax(total + torch.arange(10, 0, -1) * 1e-6, dim=1)
        accuracy[n] = float((best.numpy() == y).mean())
    return elapsed, loaded, cpu, accuracy, len(x)


def biosim_deploy(dll, directory, ensembles, threads):
    start = time.perf_counter()
    run = subprocess.run(["dotnet", dll, "cores", "deploy", directory, "--copies", ",".join(map(str, ensembles)), "--threads", str(threads)],
                         capture_output=True, text=True)
    wall = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"biosim cores deploy failed:\n{run.stderr}")
    m = re.search(r"copies deployed in ([0-9.]+) s", run.stdout)
    loaded = re.search(r"loading the network and the test set ([0-9.]+) s", run.stdout)
    c = re.search(r"CPU time ([0-9.]+) s", run.stdout)
    accuracy = {int(a): float(b) for a, b in re.findall(r"^\s*(\d+) copies: test accuracy ([0-9.]+)", run.stdout, re.M)}
    events = re.findall(r"\((\d+) synaptic events\)", run.stdout)
    return ((float(m.group(1)) if m else wall), (float(loaded.group(1)) if loaded else float("nan")), (float(c.group(1)) if c else float("nan")),
            wall, accuracy, int(events[-1]) if events else 0, run.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--copies", default="1,4,16,64")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dll", default=DEFAULT_DLL)
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate the two sides this many times and report medians (the machine may be shared)")
    args = parser.parse_args()
    ensembles = [int(c) for c in args.copies.split(",")]
    copies = max(ensembles)
    ours, ours_load, ours_cpu, theirs, theirs_load, theirs_cpu, loads = [], [], [], [], [], [], []
    for r in range(args.repeat):
        loads.append(os.getloadavg()[0])
        t, l, c, wall, our_acc, events_per_image, stdout = biosim_deploy(args.dll, args.directory, ensembles, args.threads)
        ours.append(t)
        ours_load.append(l)
        ours_cpu.append(c)
        t, l, c, their_acc, images = torch_deploy(args.directory, copies, ensembles, 1 + r, args.threads)
        theirs.append(t)
        theirs_load.append(l)
        theirs_cpu.append(c)
        print(f"run {r + 1}: load average {loads[-1]:.1f}; BioSim {ours[-1]:.2f} s (load {ours_load[-1]:.2f} s, CPU {ours_cpu[-1]:.2f} s), "
              f"PyTorch {theirs[-1]:.2f} s (load {theirs_load[-1]:.2f} s, CPU {theirs_cpu[-1]:.2f} s), "
              f"ratio {ours[-1] / theirs[-1]:.3f} (run alone {(ours[-1] - ours_load[-1]) / (theirs[-1] - theirs_load[-1]):.3f}, CPU {ours_cpu[-1] / theirs_cpu[-1]:.3f})", flush=True)
    med = lambda v: float(np.median(v))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"machine: {cpu}, {os.cpu_count()} cores; threads {args.threads}; torch {torch.__version__}; load average {min(loads):.1f}-{max(loads):.1f}")
    print(stdout.strip())
    print()
    print(f"medians of {args.repeat} alternating runs (accuracies of the last run); time = load (network and test set) + run (sample the copies, run them):")
    print("| side | time (s) | of which load (s) | CPU time (s) | copy-images/s | synaptic events/s | " + " | ".join(f"acc {n}" for n in ensembles) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(ensembles))
    print(f"| BioSim cores (engine) | {med(ours):.2f} | {med(ours_load):.2f} | {med(ours_cpu):.2f} | {copies * images / med(ours):,.0f} | {events_per_image * images / med(ours):.2e} | "
          + " | ".join(f"{our_acc.get(n, float('nan')):.4f}" for n in ensembles) + " |")
    print(f"| PyTorch dense float32 | {med(theirs):.2f} | {med(theirs_load):.2f} | {med(theirs_cpu):.2f} | {copies * images / med(theirs):,.0f} | - | "
          + " | ".join(f"{their_acc[n]:.4f}" for n in ensembles) + " |")
    run_ratio = med([a - b for a, b in zip(ours, ours_load)]) / med([a - b for a, b in zip(theirs, theirs_load)])
    print(f"\nratio BioSim/PyTorch time: {med(ours) / med(theirs):.3f} (run alone {run_ratio:.3f}), CPU time {med(ours_cpu) / med(theirs_cpu):.3f}; "
          f"per run {', '.join(f'{a / b:.3f}' for a, b in zip(ours, theirs))} (target <= 0.1)")


if __name__ == "__main__":
    main()
