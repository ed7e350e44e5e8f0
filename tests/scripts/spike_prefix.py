#!/usr/bin/python3
"""Print the first N spikes of one SONATA population as JSON, read with h5py, touching nothing past them.

Usage: /usr/bin/python3 spike_prefix.py FILE POPULATION N
A run killed inside H5Fflush may leave the unflushed tail of a dataset unreadable; the flushed prefix
always reads back (see tests/IO/SonataKillTests.cs), so tests of killed runs read only that.
"""
import json
import sys

import h5py
from h5open import open_h5  # plain, or as a SWMR reader for a file a killed run left

path, population, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open_h5(path) as f:
    group = f[f"spikes/{population}"]
    print(json.dumps({"timestamps": group["timestamps"][:n].tolist(), "node_ids": group["node_ids"][:n].tolist()}))
