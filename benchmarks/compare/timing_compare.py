#!/usr/bin/python3
"""Exact spike timing against the grid, on the same CUBA network, in one run.

Question answered: what does `"timing": "exact"` (continuous delays, LIF integrated to each arrival inside the step)
cost against `"timing": "grid"` (the default) on CUBA at N neurons (examples/cuba.json resized, one thread, 1 s, spikes
only)? Both modes get the same network with every delay 0.1 ms (exact mode needs delays of at least dt; the example's
0 ms would be refused), alternating grid/exact runs so that a change of machine load hits both; the time is BioSim's own
`sim_s` (the simulation loop, without start-up and model building): the minimum of the repetitions (load from other
processes and the moment the runtime's background compiler replaces a method only add time; the ratio is of the two
minima) and, beside it, the median.

    dotnet build -c Release cli
    /usr/bin/python3 benchmarks/compare/timing_compare.py                 # N = 4000, 5 repetitions
    /usr/bin/python3 benchmarks/compare/timing_compare.py --n 4000 16000 --repeat 3 --duration 1000

Prints a markdown table: grid and exact minima and medians (s), the ratio of the minima exact/grid (target ≤ 1.5) and of
the medians, and both modes' rates.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_DLL = os.path.join(REPO, "cli", "bin", "Release", "net10.0", "biosim.dll")
TEMPLATE = os.path.join(REPO, "examples", "cuba.json")


def experiment(n, timing, duration):
    with open(TEMPLATE) as f:
        exp = json.load(f)
    exp["timing"] = timing
    exp["duration"] = duration
    exp["threads"] = 1
    exp.pop("record", None)
    exp["record"] = {"spikes": ["exc", "inh"]}
    for pop in exp["populations"]:
        pop["size"] = int(0.8 * n) if pop["name"] == "exc" else n - int(0.8 * n)
    for proj in exp["projections"]:
        proj["delay"] = 0.1
        if "connectivity" in proj and "p" in proj["connectivity"]:
            proj["connectivity"]["p"] = 80.0 / n
    return exp


def run(dll, n, timing, duration, work):
    path = os.path.join(work, f"cuba_{n}_{timing}.json")
    out = os.path.join(work, f"cuba_{n}_{timing}.h5")
    with open(path, "w") as f:
        json.dump(experiment(n, timing, duration), f)
    if os.path.exists(out):
        os.remove(out)
    proc = subprocess.run(["dotnet", dll, "run", path, "-o", out, "-q", "--json", "-t", "1"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"biosim failed ({timing}, N = {n}): {proc.stderr.strip()}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return summary["sim_s"], summary["rate_hz"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dll", default=DEFAULT_DLL)
    ap.add_argument("--n", type=int, nargs="+", default=[4000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--duration", type=float, default=1000.0)
    a = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"machine: {cpu}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; {a.repeat} alternating repetitions, minimum and median sim_s")
    print()
    print("| N | grid min (s) | exact min (s) | exact / grid (min) | grid median | exact median | exact / grid (median) | rate grid (Hz) | rate exact (Hz) |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for n in a.n:
            times = {"grid": [], "exact": []}
            rates = {}
            for _ in range(a.repeat):
                for timing in ("grid", "exact"):
                    t, rate = run(a.dll, n, timing, a.duration, work)
                    times[timing].append(t)
                    rates[timing] = rate
            g, e = min(times["grid"]), min(times["exact"])
            gm, em = statistics.median(times["grid"]), statistics.median(times["exact"])
            print(f"| {n} | {g:.3f} | {e:.3f} | **{e / g:.2f}** | {gm:.3f} | {em:.3f} | {em / gm:.2f} | {rates['grid']:.2f} | {rates['exact']:.2f} |")


if __name__ == "__main__":
    main()
