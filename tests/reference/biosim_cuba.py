#!/usr/bin/python3
"""BioSim's seed-to-seed spread of the CUBA statistics, measured through the built command line.

Runs ``biosim run`` (cli/bin/Release/net10.0/biosim.dll; build it first with
``dotnet build cli -c Release``) on examples/cuba.json once per seed, with only "seed" and "record"
changed (the spikes of both populations and V of every neuron after every step), reads the HDF5 files
with h5py and computes the same statistics as tests/reference/brian2_cuba.py (its ``statistics_of``,
imported, so the definitions are one copy), plus v_mean_mv: the mean of V over all neurons and all
recorded steps (t = dt, 2 dt, ..., T, i.e. after each step, refractory neurons at V_reset), the same
definition as the Brian2 script's.

tests/Validation/CubaBrian2Tests.cs recomputes every seed of this file in-process (the same model through
ExperimentReader and ModelBuilder) and requires the same numbers, so the committed file is regenerated
by the test suite, not just read.

numpy and h5py are installed for /usr/bin/python3 only:
    /usr/bin/python3 tests/reference/biosim_cuba.py --seeds $(seq 1 20) -o tests/data/biosim_cuba_reference.json
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

import numpy as np
import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from brian2_cuba import statistics_of  # noqa: E402  (one definition of the statistics for both simulators)


def run_seed(dll, experiment, seed, workdir):
    e = dict(experiment)
    e["seed"] = seed
    e["record"] = {"spikes": ["exc", "inh"],
                   "state": [{"population": p["name"], "variable": "V", "node_ids": "all", "every": 1}
                             for p in experiment["populations"]]}
    path = os.path.join(workdir, f"cuba_seed{seed}.json")
    out = os.path.join(workdir, f"cuba_seed{seed}.h5")
    with open(path, "w") as f:
        json.dump(e, f)
    t0 = time.perf_counter()
    subprocess.run(["dotnet", dll, "run", path, "-o", out, "-q"], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    ids, times = [], []
    v_sum, v_count = 0.0, 0
    offset = 0
    with h5py.File(out, "r") as f:
        version = f.attrs["biosim_version"]
        version = version.decode() if isinstance(version, bytes) else str(version)
        for p in experiment["populations"]:
            ids.append(np.asarray(f[f"spikes/{p['name']}/node_ids"][:], dtype=np.int64) + offset)
            times.append(np.asarray(f[f"spikes/{p['name']}/timestamps"][:], dtype=float))
            data = f[f"report/{p['name']}/data"][:]
            v_sum += float(data.sum())
            v_count += data.size
            offset += p["size"]
    os.remove(out)
    os.remove(path)
    return np.concatenate(ids), np.concatenate(times), v_sum / v_count, wall, version


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1], help="seeds; default 1")
    ap.add_argument("--experiment", default=os.path.join(ROOT, "examples", "cuba.json"))
    ap.add_argument("--biosim", default=os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "biosim.dll"),
                    help="the built CLI (default cli/bin/Release/net10.0/biosim.dll)")
    ap.add_argument("-o", "--output", default=None, help="JSON file (default: stdout)")
    args = ap.parse_args(argv)
    with open(args.experiment) as f:
        experiment = json.load(f)
    n = sum(p["size"] for p in experiment["populations"])
    n_exc = experiment["populations"][0]["size"]
    duration = experiment["duration"]
    per_seed = []
    version = None
    with tempfile.TemporaryDirectory() as workdir:
        for s in args.seeds:
            i, t, v_mean, wall, version = run_seed(args.biosim, experiment, s, workdir)
            st = statistics_of(i, t, n, n_exc, duration)
            st.update({"v_mean_mv": v_mean, "seed": s, "wall_s": round(wall, 2)})
            per_seed.append(st)
            print(f"seed {s}: rate {st['rate_hz']:.4f} Hz, spikes {st['spikes']}, CV mean {st['cv_isi_mean']:.4f}, "
                  f"v mean {v_mean:.4f} mV, {wall:.1f} s", file=sys.stderr)
    summary = {}
    for key in ("rate_hz", "rate_exc_hz", "rate_inh_hz", "spikes", "cv_isi_mean", "cv_isi_median", "fano_10ms",
                "rate_after_100ms_hz", "fano_10ms_after_100ms", "v_mean_mv", "wall_s"):
        vals = [float(r[key]) for r in per_seed]
        summary[key] = {"mean": statistics.fmean(vals), "sd": statistics.stdev(vals) if len(vals) > 1 else 0.0,
                        "min": min(vals), "max": max(vals)}
    result = {
        "reference": "BioSim on examples/cuba.json through `biosim run`, one run per seed",
        "biosim_version": version,
        "numpy_version": np.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command_line": " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]) if argv is None else " ".join(argv),
        "experiment": os.path.relpath(args.experiment, ROOT),
        "n": n,
        "n_exc": n_exc,
        "dt_ms": experiment["dt"],
        "duration_ms": duration,
        "seeds": args.seeds,
        "statistics": ("as in brian2_cuba_reference.json (tests/reference/brian2_cuba.py statistics_of); spike times "
                       "are BioSim's exact crossing times; v_mean_mv = mean of V over neurons and steps, read after "
                       "each step; wall_s is the whole biosim process including writing V of every neuron"),
        "summary": summary,
        "per_seed": per_seed,
    }
    text = json.dumps(result, indent=2) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
