#!/usr/bin/python3
"""Two builds of BioSim against each other and against their anchors, in one run: did a change cost speed?

Question answered: on this machine, now, are the CUBA, cable and Fashion-MNIST ratios of build NEW against its
anchor (Brian2's generated C++, NEURON, PyTorch) the same as those of build OLD (e.g. the commit before a refactor)?
It runs the existing side-by-side scripts of this folder with each build, alternating OLD and NEW so that load on a
shared machine hits both, and prints one table per benchmark with both builds' times, ratios to the anchor and the
ratio NEW/OLD:
  - CUBA (cuba_compare.py): Brian2 cpp_standalone once, then BioSim OLD, NEW, OLD, NEW (`biosim run`, 1 thread);
  - cable (cable_compare.py): NEURON and `benchmarks cable-compare` of each build, case by case;
  - Fashion-MNIST (fashion_compare.py): one epoch of backprop and feedback alignment, PyTorch and each build.
Build each side first (`dotnet build -c Release cli benchmarks` in each checkout), then:

    /usr/bin/python3 benchmarks/compare/ab_compare.py --old ../old --new . [--only cuba cable fashion]

--old and --new are repository roots; their cli/ and benchmarks/ Release builds are used.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def cli(root):
    return os.path.join(root, "cli", "bin", "Release", "net10.0", "biosim.dll")


def bench(root):
    return os.path.join(root, "benchmarks", "bin", "Release", "net10.0", "BioSim.Benchmarks.dll")


def run(cmd):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def cuba(a):
    with tempfile.TemporaryDirectory() as work:
        brian = os.path.join(work, "brian2.jsonl")
        with open(brian, "w") as f:
            f.write(run([PY, os.path.join(HERE, "cuba_brian2.py"), "--n", str(a.cuba_n)]))
        rows = {"old": [], "new": []}
        for rep in range(a.repeats):
            for side in ("old", "new"):
                out = os.path.join(work, f"{side}{rep}.json")
                run([PY, os.path.join(HERE, "cuba_compare.py"), "--n", str(a.cuba_n), "--biosim", cli(getattr(a, side)),
                     "--brian2-results", brian, "--json", out])
                with open(out) as f:
                    rows[side].append(json.load(f))
    brian_sim = rows["old"][0]["brian2"][0]["sim_s"]
    print(f"\n## CUBA, N = {a.cuba_n}, 1 s, 1 thread: simulation seconds (BioSim's summary line), Brian2 cpp_standalone {brian_sim:.3f} s")
    print(f"{'run':>3} {'BioSim old':>10} {'ratio old':>9} {'BioSim new':>10} {'ratio new':>9} {'rate old Hz':>11} {'rate new Hz':>11}")
    for rep in range(a.repeats):
        o, n = rows["old"][rep]["biosim"][0], rows["new"][rep]["biosim"][0]
        print(f"{rep + 1:3d} {o['sim_s']:10.3f} {o['sim_s'] / brian_sim:9.3f} {n['sim_s']:10.3f} {n['sim_s'] / brian_sim:9.3f} "
              f"{o['rate_hz']:11.3f} {n['rate_hz']:11.3f}")
    best_o = min(r["biosim"][0]["sim_s"] for r in rows["old"])
    best_n = min(r["biosim"][0]["sim_s"] for r in rows["new"])
    print(f"best of {a.repeats}: old {best_o:.3f} s (ratio {best_o / brian_sim:.3f}), new {best_n:.3f} s (ratio {best_n / brian_sim:.3f}), new/old {best_n / best_o:.3f}")
    return rows


def cable(a):
    out = {}
    for side in ("old", "new"):
        text = run([PY, os.path.join(HERE, "cable_compare.py"), "--benchmarks", bench(getattr(a, side)),
                    "--cells"] + [str(c) for c in a.cells] + ["--threads"] + [str(t) for t in a.threads])
        out[side] = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
    print("\n## Cable cells: ns per compartment-step, BioSim / NEURON")
    print(f"{'cells':>5} {'thr':>3} {'NEURON old':>10} {'BioSim old':>10} {'ratio old':>9} {'NEURON new':>10} {'BioSim new':>10} {'ratio new':>9} {'new/old':>7}")
    for o, n in zip(out["old"], out["new"]):
        ro = o["biosim"]["ns_per_segment_step"] / o["neuron"]["ns_per_segment_step"]
        rn = n["biosim"]["ns_per_segment_step"] / n["neuron"]["ns_per_segment_step"]
        print(f"{o['cells']:5d} {o['threads']:3d} {o['neuron']['ns_per_segment_step']:10.1f} {o['biosim']['ns_per_segment_step']:10.1f} {ro:9.3f} "
              f"{n['neuron']['ns_per_segment_step']:10.1f} {n['biosim']['ns_per_segment_step']:10.1f} {rn:9.3f} "
              f"{n['biosim']['ns_per_segment_step'] / o['biosim']['ns_per_segment_step']:7.3f}")
    return out


def fashion(a):
    texts = {}
    for side in ("old", "new"):
        texts[side] = run([PY, os.path.join(HERE, "fashion_compare.py"), "--threads", str(a.fashion_threads), "--biosim", cli(getattr(a, side))])
    print(f"\n## Fashion-MNIST epoch, batch 64, {a.fashion_threads} threads (fashion_compare.py, each build with its own PyTorch runs)")
    for side in ("old", "new"):
        print(f"### {side}\n" + texts[side])
    return texts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", required=True, help="repository root of the old build")
    ap.add_argument("--new", default=os.path.dirname(os.path.dirname(HERE)), help="repository root of the new build (default: this one)")
    ap.add_argument("--only", nargs="+", default=["cuba", "cable", "fashion"], choices=["cuba", "cable", "fashion"])
    ap.add_argument("--cuba-n", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=2, help="CUBA runs per build, alternating")
    ap.add_argument("--cells", type=int, nargs="+", default=[1, 100])
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--fashion-threads", type=int, default=1)
    a = ap.parse_args()
    for side in ("old", "new"):
        for path in (cli(getattr(a, side)), bench(getattr(a, side))):
            if not os.path.exists(path):
                sys.exit(f"{path} not found: build it with `dotnet build -c Release cli benchmarks` in {getattr(a, side)}")
    print(f"machine: {platform.node()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"old: {a.old}\nnew: {a.new}")
    for name in a.only:
        {"cuba": cuba, "cable": cable, "fashion": fashion}[name](a)


if __name__ == "__main__":
    main()
