#!/usr/bin/python3
"""The kill -9 harness for BioSim's HDF5 output (issue 14, "nothing lost"); run by hand, not by the test suite.

Usage: /usr/bin/python3 tests/scripts/hdf5_kill_harness.py WRITER_DLL KILLS [--seed S] [--dir D] [--keep]

Starts the stress writer (`dotnet WRITER_DLL FILE --stress`, tests/Hdf5Writer/StressWriter.cs: SONATA spikes of three
populations in small chunks, two reports, a weight report, @simulated rewritten every block, a checkpoint every third
block into two alternating slots whose arrays change length) KILLS times, and kills each with SIGKILL at a seeded
moment of one of three kinds:
  anywhere    after its "flushed N" line (N drawn from 3..400), plus 0-3 ms: mostly while appending the next block
  flush       after its "begin N" line, plus 0-1.5 ms: inside H5Fflush (the report says how many really were)
  checkpoint  after "flushed N" of a block that ends with a checkpoint, plus 0-2 ms: inside RunCheckpoints.Write
After each kill the file is checked with h5py (hdf5_kill_check.py: the flushed prefix of every dataset, bit for bit,
and the newest complete checkpoint; opened plainly, or as a SWMR reader when its superblock still says "open for
writing", as after a killed SWMR writer), then a copy after `h5clear -s --increment=0` with plain h5py and with h5dump
(-H, the header, and the flushed prefix of /spikes/exc/timestamps).
With --strace WRITES, each kill is instead delivered by strace on entry to the writer's N-th pwrite64 (N seeded, from
1..WRITES): the file then holds exactly the writer's first N - 1 writes, most of them inside H5Fflush, reproducibly.
A kill before the writer switched to SWMR writing (setting the file up; a run: before its first checkpoint is complete)
flushed nothing; h5py refuses such a file even as a SWMR reader, so for it only the h5clear'ed copy must read
("setup_needs_h5clear" counts them).
Prints one line per failure and a summary; exit code 1 when any kill left a file that fails a check.
Build the writer first: dotnet build tests/Hdf5Writer -c Release (WRITER_DLL: tests/Hdf5Writer/bin/Release/net10.0/BioSim.Hdf5Writer.dll).
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hdf5_kill_check  # noqa: E402


def kill_once(dll, path, rng):
    kind = rng.choice(["anywhere", "flush", "checkpoint"])
    target = rng.randint(3, 400)
    if kind == "checkpoint":
        target = target - target % 3 + 2
    delay = {"anywhere": 0.003, "flush": 0.0015, "checkpoint": 0.002}[kind] * rng.random()
    marker = f"begin {target}" if kind == "flush" else f"flushed {target}"
    proc = subprocess.Popen(["dotnet", dll, path, "--stress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.strip())
            if lines[-1] == marker:
                break
        if delay > 0:
            time.sleep(delay)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
    lines.extend(line.strip() for line in proc.stdout)
    proc.wait()
    stderr = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode != -signal.SIGKILL:
        raise RuntimeError(f"the writer ended with {proc.returncode} before the kill: {stderr}")
    flushed = max((int(x.split()[1]) for x in lines if x.startswith("flushed ")), default=-1)
    checkpoint = max((int(x.split()[1]) for x in lines if x.startswith("checkpoint ")), default=-1)
    last = lines[-1] if lines else ""
    where = ("flush" if last.startswith("begin ")
             else "checkpoint" if last.startswith("flushed ") and int(last.split()[1]) % 3 == 2
             else "append")
    return kind, flushed + 1, checkpoint, where


def kill_at_write(dll, path, rng, most):
    """Runs the writer under strace, which delivers SIGKILL on entry to its N-th pwrite64 (N drawn from 1..most): the
    process dies with exactly its first N - 1 writes in the file, wherever in a flush that is. The writer's sequence of
    writes does not depend on timing, so a kill is reproducible from N."""
    n = rng.randint(1, most)
    proc = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=pwrite64",
                             "-e", f"inject=pwrite64:signal=KILL:when={n}", "dotnet", dll, path, "--stress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    lines = [x.strip() for x in out.splitlines()]
    # strace ends as its tracee did: killed by SIGKILL (or exit status 137)
    if proc.returncode not in (-signal.SIGKILL, 128 + signal.SIGKILL):
        raise RuntimeError(f"the writer under strace ended with {proc.returncode} without SIGKILL: {err[-500:]}")
    flushed = max((int(x.split()[1]) for x in lines if x.startswith("flushed ")), default=-1)
    checkpoint = max((int(x.split()[1]) for x in lines if x.startswith("checkpoint ")), default=-1)
    last = lines[-1] if lines else ""
    where = ("flush" if last.startswith("begin ")
             else "checkpoint" if last.startswith("flushed ") and int(last.split()[1]) % 3 == 2
             else "append")
    return f"write {n}", flushed + 1, checkpoint, where


def h5dump_check(path, spikes):
    dumps = [["-H", path]]
    if spikes > 0:
        dumps.append(["-d", "/spikes/exc/timestamps", "-s", "0", "-c", str(spikes), path])
    for args in dumps:
        r = subprocess.run(["h5dump", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            return f"h5dump {' '.join(args[:-1])}: exit {r.returncode}: {r.stderr.strip()[-300:]}"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dll")
    parser.add_argument("kills", type=int)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--keep", action="store_true", help="keep every file that fails a check (in --dir)")
    parser.add_argument("--strace", type=int, default=0, metavar="WRITES",
                        help="kill at the N-th pwrite64 instead, N drawn from 1..WRITES (strace fault injection; ~52 writes a block)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    directory = args.dir or tempfile.mkdtemp(prefix="biosim-kill-harness-")
    os.makedirs(directory, exist_ok=True)
    counts = {"kills": 0, "failed": 0, "failed_after_h5clear": 0, "h5dump_failed": 0, "full_read_failed": 0,
              "needed_swmr_or_h5clear": 0, "setup_needs_h5clear": 0}
    landed = {"append": 0, "flush": 0, "checkpoint": 0}
    failed_by = {"append": 0, "flush": 0, "checkpoint": 0}
    started = time.time()
    for k in range(args.kills):
        path = os.path.join(directory, f"kill{k}.h5")
        if args.strace:
            kind, blocks, checkpoint, where = kill_at_write(args.dll, path, rng, args.strace)
        else:
            kind, blocks, checkpoint, where = kill_once(args.dll, path, rng)
        counts["kills"] += 1
        if blocks == 0 and checkpoint < 0:
            # Killed while setting the file up, before it switched to SWMR writing (a run: before its first checkpoint was
            # complete): nothing was flushed to lose. Its superblock says "open for writing" (not SWMR), so h5py refuses it
            # even as a SWMR reader; h5clear -s (or BioSim's own open) makes it readable, which is checked below.
            where = "setup"
        landed[where] = landed.get(where, 0) + 1
        # As a user would: h5py plainly, or as a SWMR reader when the superblock still says "open for writing".
        result = hdf5_kill_check.run(path, blocks, checkpoint, swmr="auto")
        if result["swmr"]:
            counts["needed_swmr_or_h5clear"] += 1
        # Then as h5dump and plain h5py see it after `h5clear -s --increment=0` (what the README tells h5dump users), on a copy.
        cleared = path + ".cleared.h5"
        shutil.copyfile(path, cleared)
        r = subprocess.run(["h5clear", "-s", "--increment=0", cleared], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        after_clear = hdf5_kill_check.run(cleared, blocks, checkpoint) if r.returncode == 0 else {
            "ok": False, "stage": "h5clear", "error": r.stderr.strip()[-300:]}
        if not after_clear["ok"]:
            counts["failed_after_h5clear"] += 1
        dump = h5dump_check(cleared, blocks * hdf5_kill_check.SPIKE_POPULATIONS[0][1])
        os.remove(cleared)
        if not result["full_read"]:
            counts["full_read_failed"] += 1
        bad = (not result["ok"] and where != "setup") or not after_clear["ok"] or dump is not None
        if where == "setup" and not result["ok"] and result["stage"] == "open":
            counts["setup_needs_h5clear"] += 1
        elif not result["ok"]:
            counts["failed"] += 1
            failed_by[where] = failed_by.get(where, 0) + 1
        if dump is not None:
            counts["h5dump_failed"] += 1
        if bad:
            print(json.dumps({"kill": k, "kind": kind, "landed": where, "blocks": blocks, "checkpoint": checkpoint,
                              "h5py": result, "h5py_after_h5clear": after_clear, "h5dump": dump}), flush=True)
        if not (bad and args.keep):
            os.remove(path)
    elapsed = time.time() - started
    print(json.dumps({"summary": counts, "landed": landed, "h5py_failed_by_where": failed_by, "seconds": round(elapsed, 1),
                      "seed": args.seed}), flush=True)
    if not args.keep and args.dir is None:
        shutil.rmtree(directory, ignore_errors=True)
    sys.exit(1 if counts["failed"] or counts["failed_after_h5clear"] or counts["h5dump_failed"] else 0)


if __name__ == "__main__":
    main()
