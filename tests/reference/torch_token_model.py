#!/usr/bin/python3
"""PyTorch float64 reference for BioSim's token model and stochastic backpropagation (tests/Plasticity/Token/).

The model (plasticity/Networks/Token/TokenModel.cs): 28 x 28 images, 4 x 4 patches (7 x 7 tokens), width C = 8,
2 blocks, hidden width 4C, 10 classes, every LayerNorm eps 1e-6, GELU in its tanh form:

  stem   : Conv2d(1, C, 4, stride 4) -> tokens (B, 49, C) -> LayerNorm(C)
  block j: x + Linear(4C, C)(GELU(Linear(C, 4C)(LayerNorm(C)(dwconv(x)))))   dwconv = Conv2d(C, C, 3, padding 1, groups C)
  head   : mean over the 49 tokens -> LayerNorm(C) -> Linear(C, 10); loss = cross_entropy (mean over the batch)

Parameters by formula, listed flat in BioSim's order (stem.W [C,1,4,4], stem.b, stem.norm gamma/beta, then per block
dwconv.W [C,1,3,3], dwconv.b, norm gamma/beta, W1 [4C, C], b1, W2 [C, 4C], b2, then head.norm gamma/beta, head.W
[10, C], head.b): tensor t (0-based in that order), element i: gamma = 1 + 0.2 sin(1.3 i + t), beta and biases
0.1 cos(0.9 i + t), weights 0.8 sin(1.7 i + 0.3 t) / sqrt(fan_in). Images x[b, p] = 0.5 + 0.5 sin(0.37 (b 784 + p) + b),
labels (3 b + 1) mod 10, batch 3.

Written: theta, images, labels, the logits, the loss, the backprop gradient of every parameter (autograd), and the SBP
gradient with both blocks masked at the kept tokens listed (the official code's forward_mlp_sbp: the block's MLP run on
the kept tokens with autograd and on the dropped tokens under torch.no_grad(), the residual path whole; no rescaling).

PyTorch comes from Debian (python3-torch), visible to /usr/bin/python3 only:
    /usr/bin/python3 tests/reference/torch_token_model.py -o tests/data/torch_token_model.json
"""
import argparse
import json
import math
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

C, BLOCKS, CLASSES, BATCH, SIDE, PATCH, EPS = 8, 2, 10, 3, 28, 4, 1e-6
GRID = SIDE // PATCH
KEPT = [0, 2, 3, 7, 11, 12, 16, 20, 24, 25, 29, 33, 36, 38, 40, 41, 44, 45, 47, 48]


def shapes():
    h = 4 * C
    s = [("stem.W", (C, 1, PATCH, PATCH), PATCH * PATCH, "w"), ("stem.b", (C,), 0, "b"),
         ("stem.norm.gamma", (C,), 0, "g"), ("stem.norm.beta", (C,), 0, "b")]
    for j in range(BLOCKS):
        p = f"block{j + 1}."
        s += [(p + "dwconv.W", (C, 1, 3, 3), 9, "w"), (p + "dwconv.b", (C,), 0, "b"),
              (p + "norm.gamma", (C,), 0, "g"), (p + "norm.beta", (C,), 0, "b"),
              (p + "W1", (h, C), C, "w"), (p + "b1", (h,), 0, "b"),
              (p + "W2", (C, h), h, "w"), (p + "b2", (C,), 0, "b")]
    s += [("head.norm.gamma", (C,), 0, "g"), ("head.norm.beta", (C,), 0, "b"),
          ("head.W", (CLASSES, C), C, "w"), ("head.b", (CLASSES,), 0, "b")]
    return s


def value(kind, t, n, fan_in):
    i = np.arange(n, dtype=np.float64)
    if kind == "g":
        return 1 + 0.2 * np.sin(1.3 * i + t)
    if kind == "b":
        return 0.1 * np.cos(0.9 * i + t)
    return 0.8 * np.sin(1.7 * i + 0.3 * t) / math.sqrt(fan_in)


def forward(P, x, kept=None):
    B = x.shape[0]
    img = x.view(B, 1, SIDE, SIDE)
    t = F.conv2d(img, P["stem.W"], P["stem.b"], stride=PATCH)          # (B, C, 7, 7)
    t = t.permute(0, 2, 3, 1).reshape(B, GRID * GRID, C)
    t = F.layer_norm(t, (C,), P["stem.norm.gamma"], P["stem.norm.beta"], EPS)
    for j in range(BLOCKS):
        p = f"block{j + 1}."
        grid = t.reshape(B, GRID, GRID, C).permute(0, 3, 1, 2)
        d = F.conv2d(grid, P[p + "dwconv.W"], P[p + "dwconv.b"], padding=1, groups=C)
        d = d.permute(0, 2, 3, 1).reshape(B, GRID * GRID, C)

        def mlp(u):
            u = F.layer_norm(u, (C,), P[p + "norm.gamma"], P[p + "norm.beta"], EPS)
            u = F.gelu(F.linear(u, P[p + "W1"], P[p + "b1"]), approximate="tanh")
            return F.linear(u, P[p + "W2"], P[p + "b2"])

        if kept is None:
            m = mlp(d)
        else:
            dropped = [i for i in range(GRID * GRID) if i not in kept]
            m = torch.zeros_like(d)
            m[:, kept, :] = mlp(d[:, kept, :])
            with torch.no_grad():
                m[:, dropped, :] = mlp(d[:, dropped, :])
        t = t + m
    pooled = t.mean(1)
    pooled = F.layer_norm(pooled, (C,), P["head.norm.gamma"], P["head.norm.beta"], EPS)
    return F.linear(pooled, P["head.W"], P["head.b"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    names, flat = [], []
    P = {}
    for t, (name, shape, fan_in, kind) in enumerate(shapes()):
        v = value(kind, t, int(np.prod(shape)), fan_in)
        flat.append(v)
        names.append(name)
        P[name] = torch.tensor(v.reshape(shape), dtype=torch.float64, requires_grad=True)
    theta = np.concatenate(flat)
    x = 0.5 + 0.5 * np.sin(0.37 * np.arange(BATCH * SIDE * SIDE, dtype=np.float64) + np.repeat(np.arange(BATCH), SIDE * SIDE))
    labels = [(3 * b + 1) % CLASSES for b in range(BATCH)]
    xt = torch.tensor(x.reshape(BATCH, SIDE * SIDE), dtype=torch.float64)
    lt = torch.tensor(labels)

    def grads(kept):
        for v in P.values():
            v.grad = None
        logits = forward(P, xt, kept)
        loss = F.cross_entropy(logits, lt)
        loss.backward()
        return logits, loss, np.concatenate([P[n].grad.detach().numpy().ravel() for n in names])

    logits, loss, g = grads(None)
    logits_sbp, _, g_sbp = grads(KEPT)
    assert np.array_equal(logits.detach().numpy(), logits_sbp.detach().numpy()) or np.allclose(logits.detach().numpy(), logits_sbp.detach().numpy(), rtol=0, atol=1e-14)
    out = {
        "generator": f"tests/reference/torch_token_model.py, torch {torch.__version__}, float64",
        "width": C, "blocks": BLOCKS, "classes": CLASSES, "batch": BATCH, "image_side": SIDE, "patch_side": PATCH, "epsilon": EPS,
        "tensors": names,
        "theta": theta.tolist(), "images": x.tolist(), "labels": labels,
        "logits": logits.detach().numpy().ravel().tolist(), "loss": float(loss),
        "gradient": g.tolist(),
        "sbp_kept": KEPT, "sbp_gradient": g_sbp.tolist(),
    }
    with open(args.output, "w") as f:
        json.dump(out, f)
    print(f"loss {float(loss):.12f}, {theta.size} parameters, |g| {np.linalg.norm(g):.6e}, |g_sbp - g| {np.linalg.norm(g_sbp - g):.6e}")


if __name__ == "__main__":
    main()
