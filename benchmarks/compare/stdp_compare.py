#!/usr/bin/python3
"""STDP inside the simulation against Brian2, on the same Song-Miller-Abbott network, in one run.

Question answered: how long does BioSim take to simulate examples/stdp-song2000.json (1000 Poisson inputs at 15 Hz onto
one conductance-based LIF neuron, all-to-all additive STDP with event-driven traces, 100 s at dt = 0.1 ms) against
Brian2's cpp_standalone device on its own examples/synapses/STDP.py with the same parameters
(tests/reference/brian2_stdp_song.py builds it)? Both sides run the same seeds one after the other; BioSim's time is its
own `sim_s` (the simulation loop, one thread), Brian2's the compiled binary's run time (code generation and compilation
excluded). The target of the event-driven issue: BioSim at or below 0.5x Brian2.

    dotnet build -c Release cli
    /usr/bin/python3 benchmarks/compare/stdp_compare.py                    # seeds 1 2 3, 100 s
    /usr/bin/python3 benchmarks/compare/stdp_compare.py --seeds 1 --duration 20

Prints a markdown table per seed: both times, the ratio, and the end state (fractions of weights near each bound, rate).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_DLL = os.path.join(REPO, "cli", "bin", "Release", "net10.0", "biosim.dll")
EXAMPLE = os.path.join(REPO, "examples", "stdp-song2000.json")
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))


def biosim(dll, seed, duration_s, work):
    with open(EXAMPLE) as f:
        exp = json.load(f)
    exp["seed"] = seed
    exp["duration"] = duration_s * 1000.0
    exp["record"] = {"spikes": ["neuron"]}
    path = os.path.join(work, f"song_{seed}.json")
    out = os.path.join(work, f"song_{seed}.h5")
    with open(path, "w") as f:
        json.dump(exp, f)
    proc = subprocess.run(["dotnet", dll, "run", path, "-o", out, "-q", "--json", "-t", "1", "--force"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"biosim failed (seed {seed}): {proc.stderr.strip()}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    import h5py
    import numpy as np
    with h5py.File(out, "r") as f:
        w = f["weights/input->neuron/final"][:] / 0.1
        spikes = len(f["spikes/neuron/timestamps"])
    return summary["sim_s"], {"frac_low": float(np.mean(w < 0.1)), "frac_high": float(np.mean(w > 0.9)), "rate_hz": spikes / duration_s}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--duration", type=float, default=100.0, help="seconds of model time (default 100)")
    ap.add_argument("--dll", default=DEFAULT_DLL)
    args = ap.parse_args()
    import brian2_stdp_song
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"machine: {cpu}, {os.cpu_count()} cores; Brian2 {brian2_stdp_song.brian2.__version__} cpp_standalone; {args.duration:g} s of model time\n")
    print("| seed | BioSim sim (s) | Brian2 run (s) | BioSim / Brian2 | BioSim low/high/rate | Brian2 low/high/rate |")
    print("|---|---|---|---|---|---|")
    ratios = []
    with tempfile.TemporaryDirectory() as work:
        for seed in args.seeds:
            ours, mine = biosim(args.dll, seed, args.duration, work)
            theirs = brian2_stdp_song.run_seed(seed, args.duration, "cpp_standalone")
            ratios.append(ours / theirs["sim_seconds"])
            print(f"| {seed} | {ours:.3f} | {theirs['sim_seconds']:.3f} | {ratios[-1]:.3f} | "
                  f"{mine['frac_low']:.3f}/{mine['frac_high']:.3f}/{mine['rate_hz']:.2f} | "
                  f"{theirs['frac_low']:.3f}/{theirs['frac_high']:.3f}/{theirs['rate_hz']:.2f} |", flush=True)
    print(f"\nmedian ratio BioSim/Brian2: {statistics.median(ratios):.3f} (target <= 0.5)")


if __name__ == "__main__":
    main()
