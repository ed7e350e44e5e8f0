#!/usr/bin/python3
"""Kill `biosim run` at chosen writes, then `biosim resume` it; run by hand (issue 14: what resume does with a killed file).

Usage: /usr/bin/python3 tests/scripts/hdf5_kill_resume.py BIOSIM_DLL EXPERIMENT KILLS [--seed S] [--writes W]

Runs EXPERIMENT once uninterrupted (the reference), then KILLS times: `biosim run EXPERIMENT --checkpoint-every 0` under
strace, which delivers SIGKILL on entry to its N-th pwrite64 (N seeded from 1..W, W default: all writes of the
reference run), then `biosim resume` on the killed file, and compares the resumed file's spikes (every population's
timestamps and node_ids) with the reference bit for bit. Prints one line per kill and a summary
{"kills", "resumed_identical", "resume_failed", "different"}.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5open import open_h5  # noqa: E402


def spikes(path):
    with open_h5(path) as f:
        return {f"{p}/{d}": f["spikes"][p][d][()] for p in f["spikes"] for d in ("timestamps", "node_ids")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dll")
    parser.add_argument("experiment")
    parser.add_argument("kills", type=int)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--writes", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    d = tempfile.mkdtemp(prefix="biosim-kill-resume-")
    reference = os.path.join(d, "reference.h5")
    trace = os.path.join(d, "trace.txt")
    subprocess.run(["strace", "-f", "-qq", "-o", trace, "-e", "trace=pwrite64", "dotnet", args.dll, "run", args.experiment,
                    "-o", reference, "--checkpoint-every", "0"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    writes = args.writes or sum(1 for _ in open(trace))
    expected = spikes(reference)
    counts = {"kills": 0, "resumed_identical": 0, "resume_failed": 0, "different": 0}
    for k in range(args.kills):
        n = rng.randint(1, writes)
        path = os.path.join(d, "killed.h5")
        if os.path.exists(path):
            os.remove(path)
        subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=pwrite64", "-e", f"inject=pwrite64:signal=KILL:when={n}",
                        "dotnet", args.dll, "run", args.experiment, "-o", path, "--checkpoint-every", "0"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = subprocess.run(["dotnet", args.dll, "resume", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        counts["kills"] += 1
        line = {"kill": k, "write": n, "resume_exit": r.returncode}
        if r.returncode != 0:
            counts["resume_failed"] += 1
            line["stderr"] = r.stderr.strip()[-300:]
        else:
            try:
                got = spikes(path)
                same = got.keys() == expected.keys() and all(np.array_equal(got[key], expected[key]) for key in expected)
            except Exception as e:  # noqa: BLE001 - an unreadable resumed file is a difference
                same, line["error"] = False, f"{type(e).__name__}: {e}"
            counts["resumed_identical" if same else "different"] += 1
            line["identical"] = same
        print(json.dumps(line), flush=True)
    print(json.dumps({"summary": counts, "writes_in_reference_run": writes, "seed": args.seed}), flush=True)


if __name__ == "__main__":
    main()
