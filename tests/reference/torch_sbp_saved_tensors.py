#!/usr/bin/python3
"""What stochastic backpropagation actually stores: autograd's saved tensors for BioSim's token model, with and without SBP.

The model is tests/reference/torch_token_model.py's (plasticity/Networks/Token/TokenModel.cs) at the size of issue 18: 28 x 28
images, 4 x 4 patches (7 x 7 = 49 tokens), width C = 48, 4 blocks, hidden 4C = 192, 10 classes. SBP follows the official code
(amazon-science/stochastic-backpropagation, branch neurips2022, models/convnext_sbp.py, BlockSBP.forward_mlp_sbp): a masked
block runs its MLP (LayerNorm -> Linear -> GELU -> Linear) on x[:, keep_idx, :] with autograd and on the dropped tokens
under torch.no_grad(), writes both into a zero tensor by index, and adds the residual; the depthwise convolution runs on all
tokens. The keep mask is the official grid mask (generate_grid_mask2d: (i + j) mod 2 == start on the 7 x 7 grid), start 0
(25 kept) and 1 (24 kept), on blocks 1-3; block 4 unmasked.

Counted: every tensor autograd saves for the backward pass (torch.autograd.graph.saved_tensors_hooks), de-duplicated by
storage (a tensor saved by two operations, e.g. a LayerNorm output that the next Linear saves as its input, counts once),
excluding the parameters and the integer index tensors (reported apart). Printed per image, by the block the tensor
was saved in, and the ratio SBP / backprop.

    /usr/bin/python3 tests/reference/torch_sbp_saved_tensors.py
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

C, BLOCKS, CLASSES, SIDE, PATCH, EPS, BATCH = 48, 4, 10, 28, 4, 1e-6, 2
GRID = SIDE // PATCH
N = GRID * GRID
H = 4 * C


def parameters():
    g = torch.Generator().manual_seed(1)
    P = {"stem.W": (C, 1, PATCH, PATCH), "stem.b": (C,), "stem.g": (C,), "stem.beta": (C,),
         "head.g": (C,), "head.beta": (C,), "head.W": (CLASSES, C), "head.b": (CLASSES,)}
    for j in range(BLOCKS):
        P.update({f"{j}.dw": (C, 1, 3, 3), f"{j}.dwb": (C,), f"{j}.g": (C,), f"{j}.beta": (C,),
                  f"{j}.W1": (H, C), f"{j}.b1": (H,), f"{j}.W2": (C, H), f"{j}.b2": (C,)})
    return {k: (0.1 * torch.randn(s, generator=g, dtype=torch.float64)).requires_grad_() for k, s in P.items()}


class Ledger:
    """Saved tensors by storage, tagged with the part of the model that saved them first."""

    def __init__(self, params):
        self.params = {p.data_ptr() for p in params.values()}
        self.storages = {}
        self.indices = 0
        self.part = "stem"

    def pack(self, t):
        ptr = t.storage().data_ptr()
        if ptr in self.params:
            return t
        if not t.is_floating_point():
            self.indices += t.numel()
            return t
        if ptr not in self.storages:
            self.storages[ptr] = (self.part, t.storage().size())
        return t

    def by_part(self):
        out = {}
        for part, size in self.storages.values():
            out[part] = out.get(part, 0) + size
        return out


def grid_mask(start):
    kept = [i * GRID + j for i in range(GRID) for j in range(GRID) if (i + j) % 2 == start]
    dropped = [t for t in range(N) if t not in kept]
    return torch.tensor(kept), torch.tensor(dropped)


def forward(P, x, ledger, mask):
    B = x.shape[0]
    ledger.part = "stem"
    t = F.conv2d(x.view(B, 1, SIDE, SIDE), P["stem.W"], P["stem.b"], stride=PATCH)
    t = t.permute(0, 2, 3, 1).reshape(B, N, C)
    t = F.layer_norm(t, (C,), P["stem.g"], P["stem.beta"], EPS)
    for j in range(BLOCKS):
        ledger.part = f"block{j + 1}"
        d = F.conv2d(t.reshape(B, GRID, GRID, C).permute(0, 3, 1, 2), P[f"{j}.dw"], P[f"{j}.dwb"], padding=1, groups=C)
        d = d.permute(0, 2, 3, 1).reshape(B, N, C)

        def mlp(u):
            u = F.layer_norm(u, (C,), P[f"{j}.g"], P[f"{j}.beta"], EPS)
            u = F.gelu(F.linear(u, P[f"{j}.W1"], P[f"{j}.b1"]), approximate="tanh")
            return F.linear(u, P[f"{j}.W2"], P[f"{j}.b2"])

        if mask is None or j == BLOCKS - 1:
            m = mlp(d)
        else:
            keep, drop = mask
            m = torch.zeros_like(d)
            m[:, keep, :] = mlp(d[:, keep, :])
            with torch.no_grad():
                m[:, drop, :] = mlp(d[:, drop, :])
        t = t + m
    ledger.part = "head"
    pooled = F.layer_norm(t.mean(1), (C,), P["head.g"], P["head.beta"], EPS)
    return F.linear(pooled, P["head.W"], P["head.b"])


def count(mask):
    P = parameters()
    ledger = Ledger(P)
    x = torch.rand(BATCH, SIDE * SIDE, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([3, 7])
    with torch.autograd.graph.saved_tensors_hooks(ledger.pack, lambda t: t):
        logits = forward(P, x, ledger, mask)
        ledger.part = "loss"
        loss = F.cross_entropy(logits, y)
    loss.backward()
    return {k: v / BATCH for k, v in ledger.by_part().items()}, ledger.indices


def main():
    torch.set_num_threads(1)
    full, _ = count(None)
    total = sum(full.values())
    print(f"torch {torch.__version__}; per image, float values saved for backward (parameters excluded)")
    print("backprop: " + ", ".join(f"{k} {v:.0f}" for k, v in full.items()) + f"; total {total:.0f}")
    ratios = []
    for start in (0, 1):
        keep, drop = grid_mask(start)
        sbp, indices = count((keep, drop))
        s = sum(sbp.values())
        ratios.append(s / total)
        print(f"SBP keep 0.5 grid start {start} ({len(keep)} of {N} kept, blocks 1-3): "
              + ", ".join(f"{k} {v:.0f}" for k, v in sbp.items())
              + f"; total {s:.0f}; ratio {s / total:.4f}; plus {indices} int64 index entries per batch")
    print(f"mean ratio over the two grid starts: {sum(ratios) / 2:.4f}")


if __name__ == "__main__":
    main()
