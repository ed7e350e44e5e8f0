#!/usr/bin/python3
"""Print every run of a `biosim compare` curves.h5 as JSON, read with h5py (Debian python3-h5py).

Numbers are printed as repr() strings (shortest round-trip form, "nan" for NaN) so that the C# test can
compare them bit for bit. Usage: /usr/bin/python3 compare_curves.py out/curves.h5
"""
import json
import sys

import h5py
from h5open import open_h5  # plain, or as a SWMR reader for a file a killed run left


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


out = {"attrs": {}, "runs": {}}
with open_h5(sys.argv[1]) as f:
    for k, v in f.attrs.items():
        out["attrs"][k] = text(v)
    for label in f["runs"]:
        for seed in f["runs"][label]:
            g = f["runs"][label][seed]
            run = {"status": text(g.attrs["status"]), "rule": text(g.attrs["rule"]), "epochs_completed": int(g.attrs["epochs_completed"])}
            for name, ds in g.items():
                data = ds[()]
                if data.ndim == 1:
                    run[name] = [repr(float(x)) for x in data]
                else:
                    run[name] = [[repr(float(x)) for x in row] for row in data]
                run[name + "_dtype"] = str(ds.dtype)
            out["runs"][f"{label}/{seed}"] = run
print(json.dumps(out))
