#!/usr/bin/python3
"""Sweep overhead and biosim start-up (issue 14, "Speed").

Question 1: what does `biosim sweep --local` add to its tasks? 64 tiny tasks (CUBA, --duration ms each, the seed swept)
run through `--local --parallel 2`; the sweep's wall time is divided by (sum of the tasks' own run times) / 2, with the
tasks' own run time measured two ways:
  - in-worker: the "seconds" each task records in its result.json (build, simulation and output inside the worker
    process that ran it; a worker is started once per slot and runs task after task in-process);
  - standalone: the wall time of `biosim run task-NNNN/experiment.json` alone, process start-up included (what a task
    costs when every task is its own process, as in a Slurm job array).
Target: ratio <= 1.2.

Question 2: where does the start-up of `biosim` go for a tiny experiment (target < 0.3 s)? Medians over --repeats of:
`biosim --help` (runtime, host, assembly loading, System.CommandLine, the DI container), `biosim run tiny.json`
(the same plus the run path's JIT, libhdf5, model build and simulation; build and simulation also from --json), under
runtime settings: the default (this build: TieredCompilationQuickJitForLoops=false), DOTNET_TC_QuickJitForLoops=1,
DOTNET_TieredPGO=0, and (--r2r) a ReadyToRun publish (crossgen2 from the NuGet-served
Microsoft.NETCore.App.Crossgen2.linux-x64, built from `git archive HEAD` in a temporary folder so that the repository's
lock files are untouched).

Run from the repository root after `dotnet build cli/BioSim.Cli.csproj -c Release`:
    /usr/bin/python3 benchmarks/compare/sweep_overhead.py [--tasks 64] [--slots 2] [--duration 20] [--repeats 7] [--r2r]
The machine's load is printed: other processes on the 2 shared cores inflate every number.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(command, env=None, capture=True):
    start = time.perf_counter()
    result = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=capture, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr}")
    return elapsed, result.stdout


def tiny_experiment(folder, duration):
    with open(os.path.join(ROOT, "examples", "cuba.json")) as f:
        experiment = json.load(f)
    experiment["duration"] = duration
    path = os.path.join(folder, "tiny.json")
    with open(path, "w") as f:
        json.dump(experiment, f)
    return path


def sweep_overhead(biosim, folder, tasks, slots, duration):
    base = tiny_experiment(folder, duration)
    sweep = os.path.join(folder, "sweep.json")
    with open(sweep, "w") as f:
        json.dump({"name": "overhead", "base": os.path.basename(base), "grid": {"seed": list(range(1, tasks + 1))}}, f)
    out = os.path.join(folder, "sweep")
    wall, _ = timed(biosim + ["sweep", sweep, "-o", out, "--local", "--parallel", str(slots), "-q"])
    in_worker, standalone = [], []
    for i in range(tasks):
        task = os.path.join(out, f"task-{i:04d}")
        with open(os.path.join(task, "result.json")) as f:
            in_worker.append(json.load(f)["seconds"])
        t, _ = timed(biosim + ["run", os.path.join(task, "experiment.json"), "-o", os.path.join(folder, "alone.h5"), "--force", "-q"])
        standalone.append(t)
    print(f"sweep of {tasks} tasks ({duration:g} ms of CUBA each, seeds 1..{tasks}) with --local --parallel {slots}: {wall:.2f} s wall")
    for name, times in (("in-worker", in_worker), ("standalone biosim run", standalone)):
        ideal = sum(times) / slots
        print(f"  {name:22s}: sum {sum(times):7.2f} s, median {statistics.median(times):.3f} s/task; "
              f"sum/{slots} = {ideal:6.2f} s; ratio sweep/(sum/{slots}) = {wall / ideal:.2f} (target <= 1.2)")


def startup(biosim, folder, duration, repeats, label, env=None):
    tiny = tiny_experiment(folder, duration)
    helps, runs, builds, sims = [], [], [], []
    for _ in range(repeats):
        t, _ = timed(biosim + ["--help"], env)
        helps.append(t)
        t, out = timed(biosim + ["run", tiny, "-o", os.path.join(folder, "startup.h5"), "--force", "-q", "--json"], env)
        runs.append(t)
        summary = json.loads(out.strip().splitlines()[-1])
        builds.append(summary["build_s"])
        sims.append(summary["sim_s"])
    h, r, b, s = (statistics.median(x) for x in (helps, runs, builds, sims))
    print(f"  {label:34s} --help {h:.3f} s | run {r:.3f} s = build {b:.3f} + simulation {s:.3f} "
          f"+ rest {r - h - b - s:.3f} (run path JIT, libhdf5, file) + start-up {h:.3f}")


def ready_to_run(folder):
    source = os.path.join(folder, "src")
    os.makedirs(source)
    archive = subprocess.run(["git", "-C", ROOT, "archive", "HEAD"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", source], input=archive, check=True)
    out = os.path.join(folder, "r2r")
    subprocess.run(["dotnet", "publish", os.path.join(source, "cli", "BioSim.Cli.csproj"), "-c", "Release", "-r", "linux-x64",
                    "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", out, "--nologo", "-v", "q"], check=True)
    return ["dotnet", os.path.join(out, "biosim.dll")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--biosim", default=None, help="the command (default: dotnet cli/bin/Release/net10.0/biosim.dll)")
    parser.add_argument("--tasks", type=int, default=64)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--duration", type=float, default=20.0, help="ms of CUBA per task")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--r2r", action="store_true", help="also measure a ReadyToRun publish (builds one, ~2-3 min)")
    args = parser.parse_args()
    biosim = args.biosim.split() if args.biosim else ["dotnet", os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "biosim.dll")]
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"commit {commit}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; biosim = {' '.join(biosim)}")
    folder = tempfile.mkdtemp(prefix="biosim-sweep-bench-")
    try:
        sweep_overhead(biosim, folder, args.tasks, args.slots, args.duration)
        print(f"start-up for a tiny experiment ({args.duration:g} ms of CUBA), medians of {args.repeats} (target: run < 0.3 s):")
        startup(biosim, folder, args.duration, args.repeats, "this build (default)")
        startup(biosim, folder, args.duration, args.repeats, "DOTNET_TC_QuickJitForLoops=1", {"DOTNET_TC_QuickJitForLoops": "1"})
        startup(biosim, folder, args.duration, args.repeats, "DOTNET_TieredPGO=0", {"DOTNET_TieredPGO": "0"})
        if args.r2r:
            r2r = ready_to_run(folder)
            startup(r2r, folder, args.duration, args.repeats, "ReadyToRun publish")
            startup(r2r, folder, args.duration, args.repeats, "ReadyToRun + QuickJitForLoops=1", {"DOTNET_TC_QuickJitForLoops": "1"})
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
