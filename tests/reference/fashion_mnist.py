"""Fashion-MNIST as the Debian package dataset-fashion-mnist installs it, for the PyTorch references and anchors
(tests/reference/fashion_rules_torch.py; benchmarks/compare/fashion_torch.py and corinfomax_torch.py import it from here):
the folder and a reader of its gzipped IDX files."""
import gzip

import numpy as np

DIR = "/usr/share/datasets/fashion-mnist"


def idx(path):
    """The array in a gzipped IDX file (uint8; shape from its header)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
