using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Plasticity.Networks.Token;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Token;

/// <summary>
/// Issue 18 item 1: stochastic backpropagation (Fang et al., NeurIPS 2022) on the token model: keep masks, the masked
/// backward pass against a naive reimplementation and against PyTorch, the forward pass unchanged, and the retained-activation
/// ledger against its formula.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class StochasticBackpropTests
{
    /// <summary>
    /// The naive reimplementation: the model written as plain loops over samples, tokens and channels from its equations
    /// (no matrix product, no token lists). When <paramref name="frozen"/> is given, the MLP output of a masked block at a
    /// dropped token is that constant instead of being computed; the SBP gradient is by definition the gradient of this
    /// function (the official code computes those outputs under torch.no_grad()).
    /// </summary>
    private static double NaiveLoss(TokenModel model, double[] images, double[] targets, int batch, HashSet<int> kept, bool[] masked,
        double[][]? frozen, double[][]? record)
    {
        var s = model.Spec;
        double[] th = model.Parameters;
        int Off(string name) => model.Tensors.Single(t => t.Name == name).Offset;
        int n = s.Tokens, c = s.Width, h = s.Hidden, side = s.GridSide, ps = s.PatchSide;
        double loss = 0;
        for (int b = 0; b < batch; b++)
        {
            var x = new double[n, c];
            for (int t = 0; t < n; t++)
            {
                int pi = t / side, pj = t % side;
                var e = new double[c];
                for (int o = 0; o < c; o++)
                {
                    double sum = th[Off("stem.b") + o];
                    for (int di = 0; di < ps; di++)
                        for (int dj = 0; dj < ps; dj++)
                            sum += th[Off("stem.W") + o * ps * ps + di * ps + dj] * images[b * s.InputSize + (pi * ps + di) * s.ImageSide + pj * ps + dj];
                    e[o] = sum;
                }
                var ln = Norm(e, th, Off("stem.norm.gamma"), Off("stem.norm.beta"), s.Epsilon);
                for (int o = 0; o < c; o++) x[t, o] = ln[o];
            }
            for (int j = 0; j < s.Blocks; j++)
            {
                string p = $"block{j + 1}.";
                var next = new double[n, c];
                for (int t = 0; t < n; t++)
                {
                    int i0 = t / side, j0 = t % side;
                    var d = new double[c];
                    for (int o = 0; o < c; o++)
                    {
                        double sum = th[Off(p + "dwconv.b") + o];
                        for (int di = -1; di <= 1; di++)
                            for (int dj = -1; dj <= 1; dj++)
                            {
                                int ii = i0 + di, jj = j0 + dj;
                                if (ii < 0 || jj < 0 || ii >= side || jj >= side) continue;
                                sum += th[Off(p + "dwconv.W") + o * 9 + (di + 1) * 3 + dj + 1] * x[ii * side + jj, o];
                            }
                        d[o] = sum;
                    }
                    double[] m;
                    if (frozen is not null && masked[j] && !kept.Contains(t)) m = frozen[j].AsSpan((b * n + t) * c, c).ToArray();
                    else
                    {
                        var u = Norm(d, th, Off(p + "norm.gamma"), Off(p + "norm.beta"), s.Epsilon);
                        var a = new double[h];
                        for (int q = 0; q < h; q++)
                        {
                            double z = th[Off(p + "b1") + q];
                            for (int o = 0; o < c; o++) z += th[Off(p + "W1") + q * c + o] * u[o];
                            a[q] = 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
                        }
                        m = new double[c];
                        for (int o = 0; o < c; o++)
                        {
                            double z = th[Off(p + "b2") + o];
                            for (int q = 0; q < h; q++) z += th[Off(p + "W2") + o * h + q] * a[q];
                            m[o] = z;
                        }
                    }
                    if (record is not null) m.CopyTo(record[j], (b * n + t) * c);
                    for (int o = 0; o < c; o++) next[t, o] = x[t, o] + m[o];
                }
                x = next;
            }
            var pool = new double[c];
            for (int t = 0; t < n; t++) for (int o = 0; o < c; o++) pool[o] += x[t, o] / n;
            var v = Norm(pool, th, Off("head.norm.gamma"), Off("head.norm.beta"), s.Epsilon);
            var logits = new double[s.Classes];
            for (int k = 0; k < s.Classes; k++)
            {
                logits[k] = th[Off("head.b") + k];
                for (int o = 0; o < c; o++) logits[k] += th[Off("head.W") + k * c + o] * v[o];
            }
            double max = logits.Max(), lse = Math.Log(logits.Sum(z => Math.Exp(z - max))) + max;
            for (int k = 0; k < s.Classes; k++) loss -= targets[b * s.Classes + k] * (logits[k] - lse);
        }
        return loss / batch;
    }

    private static double[] Norm(double[] v, double[] th, int gamma, int beta, double eps)
    {
        double mean = v.Average(), variance = v.Sum(a => (a - mean) * (a - mean)) / v.Length;
        return [.. v.Select((a, i) => th[gamma + i] * (a - mean) / Math.Sqrt(variance + eps) + th[beta + i])];
    }

    /// <summary>
    /// The masked backward pass against the naive reimplementation: block 1 masked (block 2 not), a random keep-0.5 mask;
    /// the naive SBP gradient is the central difference (h = 1e-5) of <see cref="NaiveLoss"/> with the dropped MLP outputs
    /// frozen at their values at θ. Tolerance as in <see cref="TokenModelTests.GradientsMatchCentralDifferences"/>. Also: the
    /// naive loss equals the model's loss (1e-12), and the SBP gradient differs from backprop's in the masked block's MLP
    /// (so the check can fail) and is the same in the layers above the masked block.
    /// </summary>
    [Test]
    public void MaskedGradientMatchesNaiveReimplementation()
    {
        const int batch = 2;
        var spec = TokenModelTests.Small;
        var (model, x, y) = TokenModelTests.Setup(spec, batch, 11);
        var rng = new RandomStream(3, "test", "mask");
        var mask = TokenMask.Random(spec.Tokens, 0.5, ref rng);
        bool[] masked = [true, false];
        var tape = model.CreateTape(batch);
        model.Forward(x, batch, tape, mask, masked);
        double loss = model.Loss(tape, y);
        var g = new double[model.Parameters.Length];
        model.Backward(tape, g);
        var full = new double[g.Length];
        TokenModelTests.LossAt(model, tape, x, y, batch);
        model.Backward(tape, full);

        var kept = mask.Kept.ToHashSet();
        double[][] frozen = [.. Enumerable.Range(0, spec.Blocks).Select(_ => new double[batch * spec.Tokens * spec.Width])];
        double naive = NaiveLoss(model, x, y, batch, kept, masked, null, frozen);
        Assert.That(naive, Is.EqualTo(loss).Within(1e-12), "naive forward = model forward");
        const double h = 1e-5;
        bool differs = false;
        foreach (var t in model.Tensors)
        {
            double worst = 0, scale = 0, fromFull = 0;
            for (int i = t.Offset; i < t.Offset + t.Length; i++)
            {
                double keep = model.Parameters[i];
                model.Parameters[i] = keep + h;
                double up = NaiveLoss(model, x, y, batch, kept, masked, frozen, null);
                model.Parameters[i] = keep - h;
                double down = NaiveLoss(model, x, y, batch, kept, masked, frozen, null);
                model.Parameters[i] = keep;
                worst = Math.Max(worst, Math.Abs((up - down) / (2 * h) - g[i]));
                scale = Math.Max(scale, Math.Abs(g[i]));
                fromFull = Math.Max(fromFull, Math.Abs(g[i] - full[i]));
            }
            TestContext.Out.WriteLine($"{t.Name}: max |Δ naive| {worst:E2}, max |g| {scale:E2}, max |g_sbp − g_bp| {fromFull:E2}");
            Assert.That(worst, Is.LessThanOrEqualTo(1e-7 + 1e-6 * scale), t.Name);
            if (t.Name.StartsWith("block2.", StringComparison.Ordinal) || t.Name.StartsWith("head.", StringComparison.Ordinal))
                Assert.That(fromFull, Is.LessThanOrEqualTo(1e-15 + 1e-12 * scale), $"{t.Name}: above the masked block SBP is backprop");
            if (t.Name == "block1.W1") differs = fromFull > 1e-3 * scale;
        }
        Assert.That(differs, Is.True, "the mask changes block 1's MLP gradient");
    }

    /// <summary>
    /// The SBP gradient with both blocks masked at a fixed token set against PyTorch float64, which runs the official code's
    /// forward_mlp_sbp (the MLP on the kept tokens with autograd, on the dropped ones under no_grad; residual whole; no
    /// rescaling). Reference: tests/data/torch_token_model.json ("sbp_kept", "sbp_gradient"), tests/reference/torch_token_model.py.
    /// Tolerance 1e-9 as for backprop. The logits (forward) equal the unmasked ones to 1e-13 (the MLP rows are the same
    /// arithmetic, only grouped into other matrix products).
    /// </summary>
    [TestCase("managed")]
    [TestCase("openblas")]
    public void MaskedGradientMatchesPyTorch(string kernel)
    {
        var (model, tape, x, y, reference) = TokenModelTests.FromReference(kernel);
        var root = reference.RootElement;
        int batch = root.GetProperty("batch").GetInt32();
        var mask = TokenMask.FromKept(model.Spec.Tokens, root.GetProperty("sbp_kept").EnumerateArray().Select(e => e.GetInt32()));
        model.Forward(x, batch, tape);
        double[] logits = tape.Logits.AsSpan(0, batch * model.Spec.Classes).ToArray();
        model.Forward(x, batch, tape, mask, [true, true]);
        for (int i = 0; i < logits.Length; i++) Assert.That(tape.Logits[i], Is.EqualTo(logits[i]).Within(1e-13), $"logit {i}");
        model.Loss(tape, y);
        var g = new double[model.Parameters.Length];
        model.Backward(tape, g);
        TokenModelTests.CheckGradient(model, g, TokenModelTests.Doubles(root, "sbp_gradient"), 1e-9);
    }

    /// <summary>
    /// The ledger counts what the forward pass retains as it writes it; it must equal the formula, here for the model
    /// (7 × 7 tokens of 4 × 4 pixels, width 48, 4 blocks, batch 2) with blocks 1-3 masked. Per image: pixels 784, stem
    /// x̂ and 1/σ 49·48 + 49 = 2401, per block its input 49·48 = 2352 plus K·(2·48 + 2·192 + 1) = 481 K, head 2·48 + 1 = 97.
    /// Unmasked: 784 + 2401 + 4·(2352 + 49·481) + 97 = 106 966. Grid mask with start 0 keeps K = 25 ((i + j) even), start 1
    /// K = 24: 784 + 2401 + 3·(2352 + 481 K) + (2352 + 23 569) + 97. Random keep 0.5 keeps 49 − ⌊24.5⌋ = 25.
    /// </summary>
    [Test]
    public void RetainedActivationsEqualTheFormula()
    {
        var spec = new TokenModelSpec();
        const int batch = 2;
        var (model, x, _) = TokenModelTests.Setup(spec, batch, 5);
        var tape = model.CreateTape(batch);
        bool[] masked = [true, true, true, false];
        model.Forward(x, batch, tape);
        Assert.That(tape.Retained, Is.EqualTo(2L * 106_966));
        Assert.That(model.RetainedFormula(batch, [49, 49, 49, 49]), Is.EqualTo(2L * 106_966));
        foreach (int start in new[] { 0, 1 })
        {
            var mask = TokenMask.Grid(spec.GridSide, 0.5, start);
            int k = start == 0 ? 25 : 24;
            Assert.That(mask.Kept, Has.Length.EqualTo(k));
            Assert.That(mask.Kept.All(t => (t / 7 + t % 7) % 2 == start), Is.True);
            model.Forward(x, batch, tape, mask, masked);
            long expected = 2L * (784 + 2401 + 3 * (2352 + 481 * k) + 2352 + 23_569 + 97);
            Assert.That(tape.Retained, Is.EqualTo(expected), $"grid start {start}");
            Assert.That(model.RetainedFormula(batch, [k, k, k, 49]), Is.EqualTo(expected));
            TestContext.Out.WriteLine($"grid start {start}: retained {tape.Retained} = {(double)tape.Retained / (2 * 106_966):F4} of backprop's");
        }
        var rng = new RandomStream(1, "test", "mask");
        var random = TokenMask.Random(spec.Tokens, 0.5, ref rng);
        Assert.That(random.Kept, Has.Length.EqualTo(25));
        Assert.That(random.Kept.Concat(random.Dropped).Order(), Is.EqualTo(Enumerable.Range(0, 49)));
        model.Forward(x, batch, tape, random, masked);
        Assert.That(tape.Retained, Is.EqualTo(model.RetainedFormula(batch, [25, 25, 25, 49])));
    }

    /// <summary>
    /// Issue 18: what the method actually stores. Reference: tests/reference/torch_sbp_saved_tensors.py (torch 1.13, Debian
    /// python3-torch) counts every tensor autograd saves for the backward pass of this model (width 48, 4 blocks, 7 × 7 tokens)
    /// with the official code's SBP (amazon-science/stochastic-backpropagation, neurips2022, BlockSBP.forward_mlp_sbp: the MLP on
    /// x[:, keep_idx] with autograd, on the dropped tokens under no_grad, the depthwise convolution and the residual on all
    /// tokens), per image, parameters and integer indices excluded: stem 3234, an unmasked block 25 970, a masked block 14 402
    /// (25 kept) or 13 920 (24 kept), head 2450. Per block both keep the block input whole (the depthwise convolution's weight
    /// gradient reads it) and, at the MLP's tokens, the LayerNorm's input, the dense layers' inputs and the GELU's input;
    /// autograd's LayerNorm keeps its input, mean and 1/σ (C + 2 per token) where BioSim keeps x̂ and 1/σ (C + 1), so BioSim's
    /// count is autograd's less one value per token in every block and in the stem (3234 − 49 = 3185). The head differs by
    /// torch 1.13's mean over tokens, which saves its whole input (49·48 = 2352) though its backward reads only the shape, and
    /// by the LayerNorm mean: 2450 − 2352 − 1 = 97. Ratios SBP/backprop: autograd 0.6833 / 0.6701 (start 0 / 1), BioSim
    /// 0.6762 / 0.6627 (mean 0.670): the honest count lies below the 0.70-0.73, and no stored tensor is missing from it.
    /// </summary>
    [Test]
    public void LedgerIsWhatAutogradSavesLessTheLayerNormMeans()
    {
        var spec = new TokenModelSpec();
        const int batch = 2;
        var (model, x, _) = TokenModelTests.Setup(spec, batch, 5);
        var tape = model.CreateTape(batch);
        const long stem = 3234, unmasked = 25_970, head = 2450, meanInput = 49 * 48;
        model.Forward(x, batch, tape);
        foreach (long block in tape.RetainedPerBlock) Assert.That(block, Is.EqualTo(batch * (unmasked - 49)), "unmasked block");
        long full = tape.Retained;
        Assert.That(full, Is.EqualTo(batch * (stem - 49 + 4 * (unmasked - 49) + head - meanInput - 1)));
        foreach (var (start, kept, masked) in new[] { (0, 25, 14_402L), (1, 24, 13_920L) })
        {
            model.Forward(x, batch, tape, TokenMask.Grid(spec.GridSide, 0.5, start), [true, true, true, false]);
            for (int j = 0; j < 3; j++) Assert.That(tape.RetainedPerBlock[j], Is.EqualTo(batch * (masked - kept)), $"grid start {start}, masked block {j + 1}");
            Assert.That(tape.RetainedPerBlock[3], Is.EqualTo(batch * (unmasked - 49)), "block 4 unmasked");
            TestContext.Out.WriteLine($"grid start {start}: BioSim ratio {(double)tape.Retained / full:F4}");
        }
    }

    /// <summary>Grid masks follow the official code's rule (keep 0.25: stride 4, kept where (i + j) mod 4 = start; keep 0.75:
    /// stride 4, dropped there); keep ratios outside (0, 1] are refused with the allowed range.</summary>
    [Test]
    public void MasksAndKeepRatios()
    {
        var quarter = TokenMask.Grid(7, 0.25, 1);
        Assert.That(quarter.Kept, Is.EqualTo(Enumerable.Range(0, 49).Where(t => (t / 7 + t % 7) % 4 == 1)));
        var threeQuarters = TokenMask.Grid(7, 0.75, 1);
        Assert.That(threeQuarters.Dropped, Is.EqualTo(Enumerable.Range(0, 49).Where(t => (t / 7 + t % 7) % 4 == 1)));
        Assert.That(TokenMask.Grid(7, 1, 0).Kept, Has.Length.EqualTo(49));
        foreach (double bad in new[] { 0.0, -0.5, 1.5, double.NaN })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => TokenMask.Grid(7, bad, 0));
            Assert.That(e!.Message, Does.Contain("(0, 1]"));
        }
    }
}
