#!/usr/bin/python3
"""A network split over MPI processes against one process with threads: CUBA at N neurons, P processes x 1 thread
(`mpiexec -n P biosim run`) against 1 process x P threads (`biosim run --threads P`), and the time the split run spends
in spike exchange.

Question answered (issue 17, Speed): on this machine, how does `mpiexec -n 2` (one thread each) compare with one process
and two threads on CUBA 64k (target: within 1.2x), how many spike exchanges (one per communication interval, the shortest
delay) did it make, how long did each take, and how many bytes did each process receive? Both runs write spikes only.
The spikes of the two are checked to be equal bit for bit (they must be, at any P and thread count).

    dotnet build -c Release cli
    /usr/bin/python3 benchmarks/compare/mpi_compare.py [--n 64000] [--duration 1000] [--delay 0.1 0.5] [--processes 2] [--repeat 1]

--delay sets every projection's delay (ms; dt = 0.1 ms): 0.1 exchanges every step, 0.5 every 5 steps (examples/cuba.json
has 0, also every step). Prints one markdown table: wall time of the simulation loop (biosim's sim_s) for both, the
ratio, the exchange count and time per exchange (process 0; the slowest process's total too), the bytes each process
received per interval (per chunk and step a 4-byte count, per spike a 4-byte id and an 8-byte time; before 2026-12-07 evening
counts and ids travelled as doubles, 8 bytes each), and the machine's load
average before each run: the machine is shared, so read the times against the load. CPU s is the CPU time of every process
of each run, build and start-up included (MPICH polls while it waits in a collective, so a split run's waits cost CPU too).
Peak MB is each process's maximum resident set size (/usr/bin/time -v; the one process, then every split process, process 0
not necessarily first): since 2026-12-07 night each split process generates only the synapses onto its own neurons, so
its peak is below one process's. build s is biosim's build_s (model construction: connectivity, weights, delays; process 0
for the split run).
"""
import argparse
import copy
import json
import os
import re
import resource
import subprocess
import sys
import tempfile

import h5py
import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_DLL = os.path.join(REPO, "cli", "bin", "Release", "net10.0", "biosim.dll")
TEMPLATE = os.path.join(REPO, "examples", "cuba.json")


def experiment(n, duration_ms, delay_ms, synapses=80):
    with open(TEMPLATE) as f:
        exp = copy.deepcopy(json.load(f))
    sizes = {"exc": int(0.8 * n), "inh": n - int(0.8 * n)}
    exp["name"] = f"cuba-{n}-mpi"
    exp["duration"] = duration_ms
    for pop in exp["populations"]:
        pop["size"] = sizes[pop["name"]]
    for proj in exp["projections"]:
        proj["connectivity"]["p"] = synapses / n
        proj["delay"] = delay_ms
    exp["record"].pop("state", None)
    return exp


TIME = "/usr/bin/time"


def run(command):
    """Runs one biosim command; returns its --json summary, the 1-minute load average before it, the CPU seconds
    (user + system) of every process it started (mpiexec waits for its proxies, which wait for biosim), and the peak
    resident set size (MB) of each biosim process (/usr/bin/time -v wraps each one, inside mpiexec for a split run)."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(command)}\n{proc.stderr[-3000:]}")
    line = next(l for l in reversed(proc.stdout.splitlines()) if l.startswith("{"))
    peaks = [int(m) / 1024 for m in re.findall(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)]
    return json.loads(line), load, cpu, peaks


def spikes(path):
    with h5py.File(path, "r") as f:
        return {p: (f["spikes"][p]["timestamps"][:], f["spikes"][p]["node_ids"][:]) for p in f["spikes"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dll", default=DEFAULT_DLL)
    ap.add_argument("--n", type=int, nargs="+", default=[64000])
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--delay", type=float, nargs="+", default=[0.1, 0.5])
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--synapses", type=float, default=80.0,
                    help="synapses per neuron (CUBA: 80; more makes the synapses a larger part of each process's memory)")
    args = ap.parse_args()
    if not os.path.exists(args.dll):
        sys.exit(f"{args.dll} is missing: dotnet build -c Release cli")
    if not os.path.exists(TIME):
        sys.exit(f"{TIME} is missing (peak memory): apt-get install time")
    P = args.processes
    print(f"| N | delay ms | interval steps | 1 proc x {P} threads sim s | {P} proc x 1 thread sim s | ratio | exchanges | "
          f"us per exchange (proc 0) | slowest proc exchange s | bytes per interval per proc | spikes | same spikes | CPU s (1 proc / split) | "
          f"peak MB (1 proc / each split proc) | build s (1 proc / split) | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="biosim-mpi-") as tmp:
        for n in args.n:
            for delay in args.delay:
                path = os.path.join(tmp, f"cuba-{n}-{delay}.json")
                with open(path, "w") as f:
                    json.dump(experiment(n, args.duration, delay, args.synapses), f)
                for r in range(args.repeat):
                    one_out, split_out = os.path.join(tmp, "one.h5"), os.path.join(tmp, "split.h5")
                    one, load_one, cpu_one, peak_one = run([TIME, "-v", "dotnet", args.dll, "run", path, "-o", one_out, "-q", "--json", "--force",
                                                            "--threads", str(P)])
                    split, load_split, cpu_split, peak_split = run(["mpiexec", "-n", str(P), TIME, "-v", "dotnet", args.dll, "run", path, "-o", split_out,
                                                                    "-q", "--json", "--force", "--threads", "1"])
                    a, b = spikes(one_out), spikes(split_out)
                    same = a.keys() == b.keys() and all(np.array_equal(a[k][0], b[k][0]) and np.array_equal(a[k][1], b[k][1]) for k in a)
                    ex = split["exchanges"]
                    print(f"| {n} | {delay} | {split['interval_steps']} | {one['sim_s']:.2f} | {split['sim_s']:.2f} | "
                          f"{split['sim_s'] / one['sim_s']:.2f} | {ex} | {split['exchange_us_per_interval']:.1f} | {split['exchange_max_s']:.2f} | "
                          f"{split['exchanged_bytes'] / max(1, ex):.0f} | {split['spikes']} | {'yes' if same else 'NO'} | {cpu_one:.1f} / {cpu_split:.1f} | "
                          f"{' / '.join(f'{m:.0f}' for m in peak_one + peak_split)} | {one['build_s']:.2f} / {split['build_s']:.2f} | "
                          f"{load_one:.1f} / {load_split:.1f} |", flush=True)


if __name__ == "__main__":
    main()
