#!/usr/bin/python3
"""Check a file left by the kill harness's writer (tests/Hdf5Writer/StressWriter.cs) after SIGKILL.

Usage: /usr/bin/python3 hdf5_kill_check.py FILE BLOCKS CHECKPOINT [--swmr|--auto]

BLOCKS: blocks the writer reported flushed ("flushed N" lines: BLOCKS = last N + 1); CHECKPOINT: the last block whose
checkpoint it reported complete ("checkpoint N"), or -1. The values are those of StressPattern.cs, recomputed here bit
for bit (sums and quotients of small integers; keep the two files in step).

Checks, in order (the first failure names its stage):
  open        h5py opens the file: plainly (h5py.File(path)); --swmr: as a SWMR reader (h5py.File(path, "r", swmr=True),
              what BioSim's README tells users for a killed run's file); --auto: plainly, or as a SWMR reader when the
              superblock says the file is open for writing
  attributes  @simulated covers the flushed blocks
  spikes      /spikes/<pop>/timestamps and node_ids hold at least the flushed spikes, and those equal what was written
  reports     /report/<pop>/data holds at least the flushed frames, equal; mapping/time covers them and no more than data
  weights     /weights/ee/data and time: the flushed frames, equal
  checkpoint  the newest complete checkpoint (as RunCheckpoints.ReadLatest finds it) is at or after CHECKPOINT and holds
              exactly the state written at its step, with spike/frame positions within the datasets
Then, for information ("full_read"): every dataset read whole (rows beyond the last flush included).
Prints one JSON object: {"ok": bool, "stage": ..., "error": ..., "full_read": bool, "full_read_error": ...}. Exit 0.
"""
import json
import sys

import h5py
import numpy as np

SPIKE_POPULATIONS = [("exc", 700), ("inh", 90), ("ext", 260)]
REPORTS = [("exc", 1200, False), ("inh", 300, True)]
FRAMES_PER_BLOCK = 12
SYNAPSES = 400
BLOCK_MS = 10.0
DT_MS = 0.5
STATE_LENGTH = 5000


class Failure(Exception):
    def __init__(self, stage, message):
        super().__init__(message)
        self.stage = stage


def spike_times(p, blocks, n):
    b = np.repeat(np.arange(blocks, dtype=np.int64), n)
    i = np.tile(np.arange(n, dtype=np.int64), blocks)
    return b.astype(np.float64) * BLOCK_MS + (i + p).astype(np.float64) / 1024.0 + (b % 13).astype(np.float64) / 3.0


def node_ids(p, blocks, n):
    b = np.repeat(np.arange(blocks, dtype=np.int64), n)
    i = np.tile(np.arange(n, dtype=np.int64), blocks)
    return ((b * 7919 + i * 104729 + p * 31) % 100003).astype(np.uint64)


def frames(r, count, elements):
    f = np.arange(count, dtype=np.int64)[:, None]
    e = np.arange(elements, dtype=np.int64)[None, :]
    return (f * 131 + e * 17 + r).astype(np.float64) / 7.0 - 65.0


def weights(blocks):
    b = np.arange(blocks, dtype=np.int64)[:, None]
    s = np.arange(SYNAPSES, dtype=np.int64)[None, :]
    return (b * 3 + s).astype(np.float64) / 9.0


def pending_length(block):
    return ((block + 7) % 7) * 150 + 20


def same(stage, name, actual, expected):
    if actual.shape != expected.shape:
        raise Failure(stage, f"{name}: shape {actual.shape}, expected {expected.shape}")
    if not np.array_equal(actual, expected):
        bad = np.argwhere(actual != expected)[0]
        raise Failure(stage, f"{name}: first difference at {tuple(bad)}: {actual[tuple(bad)]!r} != {expected[tuple(bad)]!r}")


def prefix(stage, d, n):
    if d.shape[0] < n:
        raise Failure(stage, f"{d.name} has {d.shape[0]} rows, fewer than the {n} flushed")
    return d[:n] if n > 0 else d[:0]


def check(f, blocks, checkpoint):
    if blocks == 0 and checkpoint < 0:
        return  # killed before its first flush: the objects need not exist yet (the file must still open and read)
    stage = "attributes"
    try:
        simulated = float(f.attrs["simulated"])
        if simulated < blocks * BLOCK_MS:
            raise Failure(stage, f"@simulated = {simulated}, less than the {blocks} blocks flushed")
        stage = "spikes"
        for p, (name, n) in enumerate(SPIKE_POPULATIONS):
            g = f["spikes"][name]
            same(stage, g.name + "/timestamps", prefix(stage, g["timestamps"], blocks * n), spike_times(p, blocks, n))
            same(stage, g.name + "/node_ids", prefix(stage, g["node_ids"], blocks * n), node_ids(p, blocks, n))
        stage = "reports"
        for r, (name, elements, single) in enumerate(REPORTS):
            g = f["report"][name]
            count = blocks * FRAMES_PER_BLOCK
            expected = frames(r, count, elements)
            if single:
                expected = expected.astype(np.float32)
            data = g["data"]
            same(stage, data.name, prefix(stage, data, count), expected)
            time = g["mapping/time"][()]
            covered = round((time[1] - time[0]) / time[2])
            if not count <= covered <= data.shape[0]:
                raise Failure(stage, f"{g.name}/mapping/time covers {covered} frames; {count} flushed, {data.shape[0]} in data")
        stage = "weights"
        g = f["weights/ee"]
        same(stage, g.name + "/data", prefix(stage, g["data"], blocks), weights(blocks))
        same(stage, g.name + "/time", prefix(stage, g["time"], blocks), (np.arange(blocks) + 1) * BLOCK_MS)
        stage = "checkpoint"
        if checkpoint >= 0:
            check_checkpoint(f, checkpoint)
    except Failure:
        raise
    except Exception as e:  # h5py's OSError/KeyError/...: the file does not read
        raise Failure(stage, f"{type(e).__name__}: {e}")


def check_checkpoint(f, checkpoint):
    stage = "checkpoint"
    root = f["checkpoint"]
    latest = int(root.attrs["latest"])
    for candidate in (latest, 1 - latest):
        path = f"slot{candidate}"
        if path not in root:
            continue
        slot = root[path]
        if int(slot.attrs.get("complete", 0)) != 1:
            continue
        step = int(slot.attrs["step"])
        if step < checkpoint:
            raise Failure(stage, f"newest complete checkpoint is of block {step}, older than block {checkpoint} reported complete")
        if float(slot.attrs["time"]) != (step + 1) * BLOCK_MS:
            raise Failure(stage, f"{slot.name}@time = {slot.attrs['time']}")
        keys = slot["real_keys"][()].decode() if isinstance(slot["real_keys"][()], bytes) else slot["real_keys"][()]
        if keys.split("\n") != ["pending", "v"]:
            raise Failure(stage, f"{slot.name}/real_keys = {keys!r}")
        same(stage, slot.name + "/reals/v", slot["reals/v"][()], (step * 1000003 + np.arange(STATE_LENGTH, dtype=np.int64)).astype(np.float64) / 11.0)
        same(stage, slot.name + "/reals/pending", slot["reals/pending"][()],
             (step + np.arange(pending_length(step), dtype=np.int64)).astype(np.float64) / 3.0)
        same(stage, slot.name + "/integers/rng", slot["integers/rng"][()], step * 1000000 + np.arange(64, dtype=np.int64))
        for name, n in SPIKE_POPULATIONS:
            rows = int(slot["spike_rows/" + name][0])
            if rows != (step + 1) * n or rows > f["spikes"][name]["timestamps"].shape[0]:
                raise Failure(stage, f"{slot.name}/spike_rows/{name} = {rows}")
        for name, _, _ in REPORTS:
            rows = int(slot["report_frames/" + name][0])
            if rows != (step + 1) * FRAMES_PER_BLOCK or rows > f["report"][name]["data"].shape[0]:
                raise Failure(stage, f"{slot.name}/report_frames/{name} = {rows}")
        if int(slot["weight_frames/ee"][0]) != step + 1:
            raise Failure(stage, f"{slot.name}/weight_frames/ee = {slot['weight_frames/ee'][0]}")
        same(stage, slot.name + "/spike_counts", slot["spike_counts"][()], np.array([(step + 1) * n for _, n in SPIKE_POPULATIONS], dtype=np.int64))
        return step
    raise Failure(stage, "no complete checkpoint")


def read_everything(f):
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            obj[()]
    f.visititems(visit)


def run(path, blocks, checkpoint, swmr=False):
    """swmr: False (plain h5py.File(path)), True (as a SWMR reader), or "auto" (plain, then SWMR when the file's superblock
    says it is open for writing, as after a killed SWMR writer; "swmr" in the result says which)."""
    result = {"ok": False, "stage": "open", "error": None, "full_read": False, "full_read_error": None, "swmr": swmr is True}
    try:
        f = h5py.File(path, "r", swmr=True) if swmr is True else h5py.File(path, "r")
    except Exception as e:
        if swmr == "auto" and "already open for write" in str(e):
            return run(path, blocks, checkpoint, swmr=True)
        result["error"] = f"{type(e).__name__}: {e}"
        return result
    with f:
        try:
            check(f, blocks, checkpoint)
            result.update(ok=True, stage=None)
        except Failure as e:
            result.update(stage=e.stage, error=str(e))
        try:
            read_everything(f)
            result["full_read"] = True
        except Exception as e:
            result["full_read_error"] = f"{type(e).__name__}: {e}"
    return result


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    mode = {"--swmr": True, "--auto": "auto"}.get(sys.argv[4], False) if len(sys.argv) == 5 else False
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), swmr=mode)))
