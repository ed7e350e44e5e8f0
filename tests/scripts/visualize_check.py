#!/usr/bin/python3
"""Check a `biosim visualize` output against an independent NumPy reimplementation (Debian python3-h5py, python3-numpy).

Reads visualization.h5 and the compare checkpoint it names (@source), rebuilds the tanh network from the checkpoint's
weights, recomputes on the first N Fashion-MNIST test images (N = the length of /test/label; the comparison's
"test_samples") every response of the model neuron, z_L[C], the drivers (top responses outside C), the references (arg max
of the cosine of u = w*h among the reference pool of the strongest in-category images), the shared score
S = sum([u_a]+ [u_b]+), and the pixel gradients of S by backpropagation written out here from the equations, and prints
the largest discrepancies and the shapes as JSON.
Usage: /usr/bin/python3 visualize_check.py vis/visualization.h5 [fashion-mnist directory]
"""
import gzip
import json
import sys

import h5py
import numpy as np


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


path = sys.argv[1]
mnist = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
with h5py.File(path, "r") as f:
    attrs = {k: f.attrs[k] for k in f.attrs}
    source = text(attrs["source"])
    experiment = json.loads(text(attrs["experiment"]))
    layer = int(attrs["layer"])
    category = int(attrs["category"])
    pool = int(attrs["reference_pool"])
    w = f["neuron/weights"][()]
    bias = float(f["neuron"].attrs["bias"])
    response = f["test/response"][()]
    target = f["test/target"][()]
    labels = f["test/label"][()]
    pairs = {name: f["pairs"][name][()] for name in f["pairs"]}
    shapes = {name: list(v.shape) for name, v in pairs.items()}

with h5py.File(source, "r") as c:
    weights, biases = [], []
    l = 1
    while f"reals/network/W{l}" in c:
        b = c[f"reals/network/b{l}"][()]
        weights.append(c[f"reals/network/W{l}"][()].reshape(len(b), -1))
        biases.append(b)
        l += 1

assert experiment["architecture"]["activation"] == "tanh", "this check rebuilds tanh networks only"
n = len(labels)
with gzip.open(f"{mnist}/t10k-images-idx3-ubyte.gz", "rb") as g:
    # BioSim keeps data sets in float32 (x/255 rounded to float) and computes in float64: the same here.
    images = (np.frombuffer(g.read(), dtype=np.uint8, offset=16).reshape(-1, 784)[:n].astype(np.float32) / np.float32(255)).astype(np.float64)
with gzip.open(f"{mnist}/t10k-labels-idx1-ubyte.gz", "rb") as g:
    true_labels = np.frombuffer(g.read(), dtype=np.uint8, offset=8)[:n].astype(np.int64)


def forward(x):
    hs = [x]
    for k, (W, b) in enumerate(zip(weights, biases)):
        z = hs[-1] @ W.T + b
        hs.append(np.tanh(z) if k < len(weights) - 1 else z)  # identity output layer
    return hs


hs = forward(images)
h = hs[layer]
u = h * w
r = bias + h @ w
z = hs[-1][:, category]
inside = np.where(true_labels == category)[0]
outside = np.where(true_labels != category)[0]
k = len(pairs["driver_index"])
drivers = outside[np.argsort(-r[outside], kind="stable")][:k]
ref_pool = inside[np.argsort(-r[inside], kind="stable")]
if pool > 0:
    ref_pool = ref_pool[:pool]


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


errors = {"response": float(np.max(np.abs(r - response))), "target": float(np.max(np.abs(z - target))),
          "score": 0.0, "similarity": 0.0, "gradient": 0.0, "saliency": 0.0, "image": 0.0}
references = []
for j in range(k):
    d = int(pairs["driver_index"][j])
    cos = [cosine(u[d], u[i]) for i in ref_pool]
    ref = int(ref_pool[int(np.argmax(cos))])
    references.append(ref)
    a, b = int(pairs["driver_index"][j]), int(pairs["reference_index"][j])
    ua, ub = u[a], u[b]
    s = float(np.sum(np.maximum(ua, 0) * np.maximum(ub, 0)))
    errors["score"] = max(errors["score"], abs(s - pairs["shared_score"][j]) / max(1.0, abs(s)))
    errors["similarity"] = max(errors["similarity"], abs(cosine(ua, ub) - pairs["similarity"][j]))
    # Backpropagation of S to both images from the equations: seeds w*[u_a>0]*[u_b]+ and the mirror, then through tanh layers.
    seeds = np.stack([w * (ua > 0) * np.maximum(ub, 0), w * (ub > 0) * np.maximum(ua, 0)])
    rows = [a, b]
    dh = seeds
    for m in range(layer, 0, -1):
        hm = hs[m][rows]
        dz = dh * (1 - hm * hm)
        dh = dz @ weights[m - 1]
    g = {"driver": dh[0], "reference": dh[1]}
    for who, row in (("driver", a), ("reference", b)):
        scale = max(1e-300, float(np.max(np.abs(g[who]))))
        errors["gradient"] = max(errors["gradient"], float(np.max(np.abs(g[who] - pairs[f"{who}_gradient"][j]))) / scale)
        sal = g[who] * images[row]
        errors["saliency"] = max(errors["saliency"], float(np.max(np.abs(sal - pairs[f"{who}_saliency"][j]))) / scale)
        errors["image"] = max(errors["image"], float(np.max(np.abs(images[row] - pairs[f"{who}_image"][j]))))

print(json.dumps({
    "errors": errors,
    "shapes": shapes,
    "labels_match": bool(np.array_equal(labels, true_labels)),
    "drivers": [int(x) for x in drivers],
    "driver_index": [int(x) for x in pairs["driver_index"]],
    "references": references,
    "reference_index": [int(x) for x in pairs["reference_index"]],
    "reference_labels": [int(true_labels[i]) for i in pairs["reference_index"]],
    "driver_labels": [int(true_labels[i]) for i in pairs["driver_index"]],
    "deletion_top_drop": [float(x) for x in pairs["deletion_top_drop"]],
    "deletion_random_drop": [float(x) for x in pairs["deletion_random_drop"]],
    "generalisation_correlation": float(np.corrcoef(r[outside], z[outside])[0, 1]),
    "category": category, "layer": layer,
}))
