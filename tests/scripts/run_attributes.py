#!/usr/bin/python3
"""Print the root attributes of a BioSim results file as JSON, read with h5py (Debian python3-h5py).

Usage: /usr/bin/python3 run_attributes.py FILE
"""
import json
import sys

import h5py
from h5open import open_h5  # plain, or as a SWMR reader for a file a killed run left
import numpy as np

with open_h5(sys.argv[1]) as f:
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
