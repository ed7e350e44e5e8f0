#!/usr/bin/python3
"""Brian2 cpp_standalone anchor for the CUBA benchmark: how long and how much memory does Brian2's
generated C++ need for CUBA at N neurons (80 % excitatory, p = 80/N, ~80 inputs per neuron, 1 s)?

The network is Brian2's examples/CUBA.py, imported from tests/reference/brian2_cuba.py (build_cuba), built with
set_device('cpp_standalone', directory=<tmpdir>, build_on_run=True), no OpenMP (one thread),
Brian2's default compiler flags (-O3 -ffast-math -march=native), all spikes recorded.

Each N runs in a fresh child process (fresh device, fresh rusage). One JSON line per N on stdout:
    n, synapses, spikes, rate_hz
    sim_s            device._last_run_time: the simulation loop in the compiled binary (Brian2 timer)
    sim_min_s        minimum of sim_s and the compiled loop's own time in each rerun below
    binary_s         wall time of the compiled binary run again by itself, minimum of --repeat runs
                     (includes its start-up, synapse creation and writing results to disk)
    binary_cpu_s     user + system CPU time of those runs, minimum (less sensitive to a busy machine)
    total_s          wall time from the first Brian2 call to spikes back in Python: code generation,
                     compilation (make -j on this machine), synapse creation, simulation, result loading
    build_s          total_s minus binary_s (≈ code generation + compilation + loading)
    rss_self_mb      peak RSS of the Python process (code generation, reading results)
    rss_children_mb  peak RSS over its children (compiler, simulation binary); Linux counts the
                     parent's image at fork in a child's maximum, so this is >= rss_self_mb
    rss_binary_mb    peak RSS of the compiled binary alone, measured by running it again
                     (same seed, same results) under /usr/bin/time -f %M, maximum over the reruns
    bytes_per_synapse  rss_binary_mb / synapses (an upper bound: includes the neurons, the spike
                     monitor and the process baseline; benchmarks/compare/cuba_compare.py also
                     prints the slope between sizes, which removes the baseline)
    loadavg_1min_at_end  the machine's 1-minute load average when the size finished (> 1 means
                     other work competed for the 2 cores and the wall times above are inflated)
Progress goes to stderr.

    /usr/bin/python3 benchmarks/compare/cuba_brian2.py                  # N = 4000 16000 64000
    /usr/bin/python3 benchmarks/compare/cuba_brian2.py --n 4000 --seed 7
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)  # pythran/numpy noise on Debian

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference")


def rss_mb(who):
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(who).ru_maxrss / 1024.0


def last_run_time(project_dir):
    """The simulation loop's time of the binary's last run, as Brian2's device._last_run_time reads it
    (results/last_run_info.txt: run time and completed fraction), or None if the file is missing."""
    path = os.path.join(project_dir, "results", "last_run_info.txt")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return float(f.read().split()[0])


def worker(n, seed_value, duration_ms, keep, repeat):
    t_import = time.perf_counter()
    import brian2
    from brian2 import set_device, device, prefs, run, defaultclock, seed, ms
    sys.path.insert(0, REFERENCE)
    from brian2_cuba import build_cuba  # the network, shared with the reference statistics
    import_s = time.perf_counter() - t_import

    tmpdir = tempfile.mkdtemp(prefix=f"brian2_cuba_{n}_")
    t0 = time.perf_counter()
    set_device('cpp_standalone', directory=tmpdir, build_on_run=True)
    prefs.devices.cpp_standalone.openmp_threads = 0  # no OpenMP: one thread
    defaultclock.dt = 0.1 * ms
    seed(seed_value)

    # The objects stay in this frame's locals: run() below collects them from here (Brian2's magic network).
    (P, Pe, Pi, Ce, Ci, s_mon), n_exc = build_cuba(n)
    p = 80.0 / n
    run(duration_ms * ms)  # generates code, compiles, runs the binary, loads results
    spikes = int(s_mon.num_spikes)
    synapses = int(len(Ce) + len(Ci))
    total_s = time.perf_counter() - t0
    sim_s = float(device._last_run_time)
    rss_self = rss_mb(resource.RUSAGE_SELF)
    rss_children = rss_mb(resource.RUSAGE_CHILDREN)

    # Peak RSS of the simulation binary alone: run it again (same seed, same results) under
    # /usr/bin/time. RUSAGE_CHILDREN cannot tell: Linux carries the parent's RSS at fork over the
    # exec into the child's maximum, so rss_children_mb is never below the Python process.
    runs = []
    rerun_sim = []  # the compiled loop's own time of each rerun (what device._last_run_time reads)
    for _ in range(max(1, repeat)):
        if os.path.exists("/usr/bin/time"):
            t = time.perf_counter()
            proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "./main"], cwd=tmpdir,
                                  check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True)
            rss_kb, user_s, sys_s = proc.stderr.strip().splitlines()[-1].split()
            runs.append((time.perf_counter() - t, float(rss_kb) / 1024.0, float(user_s) + float(sys_s)))
            rerun_sim.append(last_run_time(tmpdir))
        else:  # a small Python parent: adds its own ~10 MB floor
            probe = ("import resource,subprocess,sys,time;t=time.perf_counter();"
                     "subprocess.run(['./main'],check=True,stdout=subprocess.DEVNULL);"
                     "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024.0)")
            out = subprocess.run([sys.executable, "-c", probe], cwd=tmpdir, check=True,
                                 capture_output=True, text=True).stdout.split()
            runs.append((float(out[0]), float(out[1]), None))
    binary_s = min(r[0] for r in runs)
    rss_binary = max(r[1] for r in runs)
    binary_cpu_s = None if runs[0][2] is None else min(r[2] for r in runs)

    result = {
        "simulator": "brian2",
        "brian2_version": brian2.__version__,
        "device": "cpp_standalone",
        "threads": 1,
        "n": n,
        "p": p,
        "seed": seed_value,
        "dt_ms": 0.1,
        "duration_ms": duration_ms,
        "synapses": synapses,
        "spikes": spikes,
        "rate_hz": spikes / (n * duration_ms / 1000.0),
        "sim_s": round(sim_s, 3),
        "sim_min_s": round(min([sim_s] + [r for r in rerun_sim if r is not None]), 4),
        "binary_s": round(binary_s, 3),
        "binary_cpu_s": None if binary_cpu_s is None else round(binary_cpu_s, 3),
        "total_s": round(total_s, 3),
        "build_s": round(total_s - binary_s, 3),
        "import_s": round(import_s, 3),
        "rss_self_mb": round(rss_self, 1),
        "rss_children_mb": round(rss_children, 1),
        "rss_binary_mb": round(rss_binary, 1),
        "bytes_per_synapse": round(rss_binary * 1024 * 1024 / synapses, 1),
        "loadavg_1min_at_end": round(os.getloadavg()[0], 2),
        "compiler_flags": " ".join(prefs.codegen.cpp.extra_compile_args_gcc),
    }
    if keep:
        result["directory"] = tmpdir
    else:
        shutil.rmtree(tmpdir, ignore_errors=True)
    print(json.dumps(result), flush=True)


def main():
    ap = argparse.ArgumentParser(description="Brian2 cpp_standalone CUBA benchmark (JSON lines)")
    ap.add_argument("--n", type=int, nargs="+", default=[4000, 16000, 64000])
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--repeat", type=int, default=3,
                    help="reruns of the compiled binary for binary_s/binary_cpu_s (minimum kept)")
    ap.add_argument("--keep", action="store_true", help="keep the generated project directories")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        worker(args.n[0], args.seed, args.duration, args.keep, args.repeat)
        return
    for n in args.n:
        print(f"brian2 cpp_standalone: CUBA N={n} (p={80.0 / n:.6g}) ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--n", str(n),
               "--seed", str(args.seed), "--duration", str(args.duration),
               "--repeat", str(args.repeat)]
        if args.keep:
            cmd.append("--keep")
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            print(f"brian2 cpp_standalone: N={n} failed with exit code {proc.returncode}",
                  file=sys.stderr)
            sys.exit(proc.returncode)
        line = proc.stdout.strip().splitlines()[-1]
        print(line, flush=True)


if __name__ == "__main__":
    main()
