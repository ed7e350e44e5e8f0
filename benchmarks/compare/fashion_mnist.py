"""Fashion-MNIST as the Debian package dataset-fashion-mnist installs it, for the PyTorch anchors
(fashion_torch.py, corinfomax_torch.py): the folder and a reader of its gzipped IDX files."""
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
