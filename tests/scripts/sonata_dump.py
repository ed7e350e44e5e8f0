#!/usr/bin/python3
"""Check a SONATA spike/report file with h5py and print its contents as JSON.

Usage: /usr/bin/python3 sonata_dump.py FILE [--killed SPIKES FRAMES]

Checks the layout of the SONATA developer guide ("Spike file" and "Frame oriented, node element
recordings"): dataset names, dtypes, ranks, lengths that must agree, the units attributes, the `sorting`
enum (and that spikes marked by_time are in time order), index_pointers running 0 .. n_elements.
On a layout error: message on stderr, exit code 1. Otherwise prints
{"spikes": {pop: {...}}, "report": {pop: {...}}} with every value, for the caller to compare exactly.
Floats are printed with Python's repr (shortest string that round-trips), so comparisons can be exact.

--killed SPIKES FRAMES: the file was left by a writer killed with SIGKILL after it had flushed SPIKES
spikes and FRAMES report frames per population. Only those prefixes are read and printed (datasets must
be at least that long): rows beyond the last completed flush may be fill values or half a block, so a
reader of a killed run reads what was flushed, as mapping/time tells for reports. mapping/time must
cover at least FRAMES frames and at most the frames in data.
The file is opened plainly, or as a SWMR reader when its superblock says "open for writing" (h5open.py).
Run with Debian's /usr/bin/python3 (python3-h5py).
"""
import json
import sys

import h5py
from h5open import open_h5  # plain, or as a SWMR reader for a file a killed run left
import numpy as np


def fail(message):
    print("SONATA layout error: " + message, file=sys.stderr)
    sys.exit(1)


def attribute(obj, name):
    if name not in obj.attrs:
        fail(f"{obj.name} has no attribute '{name}'")
    value = obj.attrs[name]
    enum = h5py.check_enum_dtype(obj.attrs.get_id(name).dtype)
    if enum is not None:
        names = {int(v): k for k, v in enum.items()}
        return {"enum": names[int(value)], "members": {k: int(v) for k, v in enum.items()}}
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def dataset(group, name, dtypes, ndim):
    if name not in group:
        fail(f"{group.name} has no dataset '{name}'")
    d = group[name]
    if not isinstance(d, h5py.Dataset):
        fail(f"{d.name} is not a dataset")
    if d.dtype.str not in dtypes:
        fail(f"{d.name} has dtype {d.dtype.str}, expected one of {dtypes}")
    if d.ndim != ndim:
        fail(f"{d.name} has rank {d.ndim}, expected {ndim}")
    return d


def describe(d):
    return {"dtype": d.dtype.str, "shape": list(d.shape), "maxshape": [m if m is not None else -1 for m in d.maxshape],
            "chunks": list(d.chunks) if d.chunks else None, "compression": d.compression}


def prefix(d, n):
    if n is None:
        return d[()]
    if d.shape[0] < n:
        fail(f"{d.name} has {d.shape[0]} rows, fewer than the {n} flushed")
    return d[:n]


def spikes(group, killed):
    out = {}
    for name, pop in group.items():
        if not isinstance(pop, h5py.Group):
            fail(f"{pop.name} is not a population group")
        sorting = attribute(pop, "sorting")
        if not isinstance(sorting, dict) or sorting["enum"] not in ("none", "by_id", "by_time"):
            fail(f"{pop.name}: sorting must be an enum none/by_id/by_time, got {sorting!r}")
        ts = dataset(pop, "timestamps", ["<f8"], 1)
        ids = dataset(pop, "node_ids", ["<u8"], 1)
        # A writer killed between extending timestamps and node_ids leaves them of different lengths past the
        # last flush; only the flushed prefix (killed[0] spikes) has to agree then.
        if ts.shape != ids.shape and not (killed and min(ts.shape[0], ids.shape[0]) >= killed[0]):
            fail(f"{pop.name}: {ts.shape[0]} timestamps but {ids.shape[0]} node_ids")
        t = prefix(ts, killed and killed[0])
        if sorting["enum"] == "by_time" and np.any(np.diff(t) < 0):
            fail(f"{pop.name}: sorting is by_time but timestamps decrease")
        out[name] = {"sorting": sorting, "units": attribute(ts, "units"),
                     "timestamps": t.tolist(), "node_ids": [int(x) for x in prefix(ids, killed and killed[0])],
                     "timestamps_layout": describe(ts), "node_ids_layout": describe(ids)}
    return out


def reports(group, killed):
    out = {}
    for name, pop in group.items():
        data = dataset(pop, "data", ["<f8", "<f4"], 2)
        if "mapping" not in pop or not isinstance(pop["mapping"], h5py.Group):
            fail(f"{pop.name} has no mapping group")
        mapping = pop["mapping"]
        node_ids = dataset(mapping, "node_ids", ["<u8"], 1)[()]
        pointers = dataset(mapping, "index_pointers", ["<u8"], 1)[()]
        elements = dataset(mapping, "element_ids", ["<u4"], 1)[()]
        time_ds = dataset(mapping, "time", ["<f8"], 1)
        time = time_ds[()]
        n_frames, n_values = data.shape
        if len(pointers) != len(node_ids) + 1 or pointers[0] != 0 or pointers[-1] != n_values or np.any(np.diff(pointers.astype(np.int64)) < 0):
            fail(f"{pop.name}: index_pointers {pointers.tolist()} do not partition {n_values} columns over {len(node_ids)} nodes")
        if len(elements) != n_values:
            fail(f"{pop.name}: {len(elements)} element_ids for {n_values} columns")
        if time.shape != (3,):
            fail(f"{pop.name}: mapping/time must hold [start, stop, dt]")
        start, stop, dt = (float(x) for x in time)
        covered = round((stop - start) / dt)
        if covered != n_frames and not (killed and killed[1] <= covered <= n_frames):
            fail(f"{pop.name}: time [{start}, {stop}, {dt}] covers {covered} frames, data has {n_frames}")
        out[name] = {"data": prefix(data, killed and killed[1]).astype(np.float64).tolist(), "data_layout": describe(data),
                     "units": attribute(data, "units"), "variable_name": attribute(data, "variable_name"),
                     "node_ids": [int(x) for x in node_ids], "index_pointers": [int(x) for x in pointers],
                     "element_ids": [int(x) for x in elements], "time": time.tolist(),
                     "time_units": attribute(time_ds, "units")}
    return out


def main():
    killed = None
    if len(sys.argv) == 5 and sys.argv[2] == "--killed":
        killed = (int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) != 2:
        fail("usage: sonata_dump.py FILE [--killed SPIKES FRAMES]")
    with open_h5(sys.argv[1]) as f:
        result = {"spikes": spikes(f["spikes"], killed) if "spikes" in f else {},
                  "report": reports(f["report"], killed) if "report" in f else {}}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
