#!/usr/bin/python3
"""Print the root attributes of a BioSim results file as JSON, read with h5py (Debian python3-h5py).

Usage: /usr/bin/python3 run_attributes.py FILE
"""
import json
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "r") as f:
    out = {}
    for name, value in f.attrs.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        elif isinstance(value, np.generic):
            value = value.item()
        out[name] = value
    if "report" in f:
        out["report_time"] = {k: f[f"report/{k}/mapping/time"][()].tolist() for k in f["report"]}
    print(json.dumps(out))
