#!/usr/bin/python3
"""Multi-compartment cells, BioSim against NEURON 8.2 on the same work, in one run.

Runs benchmarks/compare/cable_neuron.py (NEURON) and `benchmarks cable-compare` (BioSim, the same cells: soma and a
600 um apical trunk with hh, four passive basal dendrites, 202 segments; a 0.3 nA step at every soma; for more than
one cell a ring of recurrent ExpSyn connections, in-degree 10; dt 0.025 ms, 1 s, backward Euler) case by case, each in
its own process, and prints per case the wall time of the simulated second, nanoseconds per compartment-step
(segments, as NEURON counts them), the ratio BioSim/NEURON and each process's peak resident memory (ru_maxrss of
the child: the whole process, interpreter or runtime included).

    dotnet build -c Release benchmarks
    /usr/bin/python3 benchmarks/compare/cable_compare.py                       # 1 and 100 cells, 1 and 2 threads
    /usr/bin/python3 benchmarks/compare/cable_compare.py --cells 1 --threads 1

The 100-cell NEURON run takes about 2 minutes on one thread here.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_measured(cmd, env=None):
    """Like run, with the peak RSS of this child alone (os.wait4 reports the rusage of exactly that child)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{out}\n{err}")
    line = [l for l in out.splitlines() if l.startswith("{")][-1]
    result = json.loads(line)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024.0
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, nargs="+", default=[1, 100])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--benchmarks", default=os.path.join(ROOT, "benchmarks", "bin", "Release", "net10.0", "BioSim.Benchmarks.dll"))
    a = ap.parse_args()
    if not os.path.exists(a.benchmarks):
        sys.exit(f"{a.benchmarks} not found: run 'dotnet build -c Release benchmarks' first")
    print(f"machine: {os.uname().nodename}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    rows = []
    for cells in a.cells:
        for threads in a.threads:
            if cells == 1 and threads > 1:
                continue  # one cell is one tree: neither simulator splits it over threads
            neuron = run_measured(["/usr/bin/python3", os.path.join(HERE, "cable_neuron.py"), "--threads", str(threads), str(cells)])
            env = dict(os.environ, BIOSIM_CABLE_CELLS=str(cells))
            biosim = run_measured(["dotnet", a.benchmarks, "cable-compare", str(threads)], env)
            rows.append((cells, threads, neuron, biosim))
            print(json.dumps({"cells": cells, "threads": threads, "neuron": neuron, "biosim": biosim}), flush=True)
    print(f"\n{'cells':>5} {'threads':>7} {'NEURON s':>9} {'NEURON ns':>10} {'NEURON MB':>10} "
          f"{'BioSim s':>9} {'BioSim ns':>10} {'BioSim MB':>10} {'ratio':>7}")
    for cells, threads, n, b in rows:
        print(f"{cells:5d} {threads:7d} {n['run_s']:9.2f} {n['ns_per_segment_step']:10.1f} {n['peak_rss_mb']:10.1f} "
              f"{b['run_s']:9.2f} {b['ns_per_segment_step']:10.1f} {b['peak_rss_mb']:10.1f} "
              f"{b['ns_per_segment_step'] / n['ns_per_segment_step']:7.3f}")
    print("ns = wall nanoseconds per compartment-step of the simulated second; ratio = BioSim / NEURON; MB = peak RSS of "
          "the whole process (BioSim's includes its untimed warm-up)")


if __name__ == "__main__":
    main()
