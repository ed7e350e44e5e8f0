using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;

namespace BioSim.Plasticity.Networks.Token;

/// <summary>One parameter tensor of a <see cref="TokenModel"/>: its name ("block2.W1"), place in the flat parameter vector,
/// length and fan-in (for PyTorch's default initialisation; 0 for LayerNorm's γ and β).</summary>
public sealed record TokenTensor(string Name, int Offset, int Length, int FanIn, bool IsNormGain = false);

/// <summary>
/// The small ConvNeXt-like token model of <see cref="TokenModelSpec"/> in float64, with its backward pass by hand and
/// stochastic backpropagation (Fang et al., NeurIPS 2022) as an option of the backward pass. Activations are rows of
/// tokens (Batch·N rows × channels, channels contiguous); the per-token dense layers are products through the one
/// <see cref="IMatrixProduct"/>. All parameters live in one flat vector (<see cref="Parameters"/>), laid out as
/// <see cref="Tensors"/> lists them (PyTorch's layouts: Linear weights [out, in], Conv2d weights [C, 1, kh, kw]), so the
/// optimisers' flat-vector step trains it.
/// <para>With a <see cref="TokenMask"/> and masked blocks, the forward pass is unchanged but a masked block's per-token
/// MLP (LN → dense → GELU → dense) retains its activations at the kept tokens only; the backward pass sends the block's
/// output gradient into the MLP at the kept tokens only, so the MLP's parameter gradients are sums over the kept
/// positions, the gradient reaching the depthwise convolution through the MLP is zero at dropped positions, and the
/// residual path carries the whole gradient. No 1/keep rescaling (as the official code).</para>
/// </summary>
public sealed class TokenModel : IStateful
{
    private readonly TokenTensor[] _tensors;
    private readonly int _we, _be, _g0, _b0, _gf, _bf, _wh, _bh;
    private readonly int[] _dw, _dwb, _g, _b, _w1, _b1, _w2, _b2;

    /// <summary>A model of shape <paramref name="spec"/> with zero parameters; call <see cref="Initialise"/>.</summary>
    public TokenModel(TokenModelSpec spec, IMatrixProduct product)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        Product = product;
        int c = spec.Width, h = spec.Hidden, L = spec.Blocks;
        var tensors = new List<TokenTensor>();
        int offset = 0;
        int Add(string name, int length, int fanIn, bool gain = false)
        {
            tensors.Add(new TokenTensor(name, offset, length, fanIn, gain));
            offset += length;
            return offset - length;
        }
        _we = Add("stem.W", c * spec.PatchSize, spec.PatchSize);
        _be = Add("stem.b", c, spec.PatchSize);
        _g0 = Add("stem.norm.gamma", c, 0, true);
        _b0 = Add("stem.norm.beta", c, 0);
        (_dw, _dwb, _g, _b, _w1, _b1, _w2, _b2) = (new int[L], new int[L], new int[L], new int[L], new int[L], new int[L], new int[L], new int[L]);
        for (int j = 0; j < L; j++)
        {
            string p = $"block{j + 1}.";
            _dw[j] = Add(p + "dwconv.W", c * 9, 9);
            _dwb[j] = Add(p + "dwconv.b", c, 9);
            _g[j] = Add(p + "norm.gamma", c, 0, true);
            _b[j] = Add(p + "norm.beta", c, 0);
            _w1[j] = Add(p + "W1", h * c, c);
            _b1[j] = Add(p + "b1", h, c);
            _w2[j] = Add(p + "W2", c * h, h);
            _b2[j] = Add(p + "b2", c, h);
        }
        _gf = Add("head.norm.gamma", c, 0, true);
        _bf = Add("head.norm.beta", c, 0);
        _wh = Add("head.W", spec.Classes * c, c);
        _bh = Add("head.b", spec.Classes, c);
        _tensors = [.. tensors];
        Parameters = new double[offset];
    }

    /// <summary>The model's shape.</summary>
    public TokenModelSpec Spec { get; }

    /// <summary>The matrix product of the dense layers.</summary>
    public IMatrixProduct Product { get; }

    /// <summary>Every parameter, in the order of <see cref="Tensors"/>.</summary>
    public double[] Parameters { get; }

    /// <summary>The parameter tensors in their order in <see cref="Parameters"/>.</summary>
    public IReadOnlyList<TokenTensor> Tensors => _tensors;

    /// <summary>"block 2 of the token model" for messages: the tensor holding parameter <paramref name="index"/>.</summary>
    public TokenTensor TensorAt(int index) => _tensors.Last(t => t.Offset <= index);

    /// <summary>PyTorch's defaults: weights and biases of the patch embedding, the depthwise convolutions and the dense
    /// layers ~ U[±1/√fan_in], LayerNorm γ = 1 and β = 0; each tensor from the stream (seed, "token-model", its name).</summary>
    public void Initialise(ulong seed)
    {
        foreach (var t in _tensors)
        {
            Span<double> p = Parameters.AsSpan(t.Offset, t.Length);
            if (t.FanIn == 0)
            {
                p.Fill(t.IsNormGain ? 1.0 : 0.0);
                continue;
            }
            double a = 1.0 / Math.Sqrt(t.FanIn);
            var rng = new RandomStream(seed, "token-model", t.Name);
            for (int i = 0; i < p.Length; i++) p[i] = a * (2 * rng.NextDouble() - 1);
        }
    }

    /// <summary>A tape for batches of up to <paramref name="maxBatch"/> images.</summary>
    public TokenTape CreateTape(int maxBatch) => new(Spec, maxBatch);

    /// <summary>Values the forward pass retains for <paramref name="batch"/> images when block j keeps
    /// <paramref name="keptPerBlock"/>[j] of the N tokens: B·(P·N + C·N + N + Σ_j (C·N + K_j·(2C + 2H + 1)) + 2C + 1)
    /// (pixels; stem x̂ and 1/σ; per block its input and, at K_j tokens, x̂, 1/σ, LN output, Z₁ and GELU output; head x̂, 1/σ, LN output).</summary>
    public long RetainedFormula(int batch, ReadOnlySpan<int> keptPerBlock)
    {
        long n = Spec.Tokens, c = Spec.Width, h = Spec.Hidden;
        long perSample = Spec.PatchSize * n + c * n + n + 2 * c + 1;
        for (int j = 0; j < Spec.Blocks; j++) perSample += c * n + keptPerBlock[j] * (2 * c + 2 * h + 1);
        return batch * perSample;
    }

    /// <summary>
    /// Forward pass of <paramref name="batch"/> images (batch × ImageSide², row-major) onto the tape; with
    /// <paramref name="mask"/>, block j (0-based) is masked where <paramref name="masked"/>[j] is set.
    /// </summary>
    public void Forward(ReadOnlySpan<double> images, int batch, TokenTape tape, TokenMask? mask = null, ReadOnlySpan<bool> masked = default)
    {
        var s = Spec;
        if (batch <= 0 || batch > tape.MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The tape holds 1 to {tape.MaxBatch} images.");
        if (images.Length < batch * s.InputSize) throw new ArgumentException($"The input has {images.Length} values; {batch} images of {s.InputSize} pixels need {batch * s.InputSize}.", nameof(images));
        if (mask is not null && masked.Length != s.Blocks) throw new ArgumentException($"Give one masked flag per block ({s.Blocks}), got {masked.Length}.", nameof(masked));
        tape.Batch = batch;
        int n = s.Tokens, c = s.Width, rows = batch * n, side = s.GridSide, ps = s.PatchSide;
        ReadOnlySpan<double> theta = Parameters;
        long retained = 0;
        if (tape.RetainedPerBlock.Length != s.Blocks) tape.RetainedPerBlock = new long[s.Blocks];

        // Patch embedding: token (pi, pj) holds pixels (pi·ps + di, pj·ps + dj) at di·ps + dj.
        Span<double> patches = tape.Patches.AsSpan(0, rows * s.PatchSize);
        for (int b = 0; b < batch; b++)
            for (int pi = 0; pi < side; pi++)
                for (int pj = 0; pj < side; pj++)
                {
                    Span<double> dst = patches.Slice((b * n + pi * side + pj) * s.PatchSize, s.PatchSize);
                    for (int di = 0; di < ps; di++)
                        images.Slice(b * s.InputSize + (pi * ps + di) * s.ImageSide + pj * ps, ps).CopyTo(dst.Slice(di * ps, ps));
                }
        retained += patches.Length;
        Span<double> conv = tape.Conv.AsSpan(0, rows * c);
        Dense(patches, rows, s.PatchSize, theta.Slice(_we, c * s.PatchSize), theta.Slice(_be, c), c, conv);
        TokenKernels.LayerNormForward(conv, tape.Full, n, rows, c, s.Epsilon, theta.Slice(_g0, c), theta.Slice(_b0, c),
            tape.StemXhat, tape.StemRstd, tape.X[0]);
        retained += rows * c + rows;

        for (int j = 0; j < s.Blocks; j++)
        {
            ReadOnlySpan<double> x = tape.X[j].AsSpan(0, rows * c);
            TokenKernels.DepthwiseForward(x, batch, side, c, theta.Slice(_dw[j], c * 9), theta.Slice(_dwb[j], c), conv);
            bool sbp = mask is not null && masked[j];
            int[] tokens = sbp ? mask!.Kept : tape.Full;
            tape.Tokens[j] = tokens;
            Mlp(j, batch, tokens, tape, tape.Xhat[j], tape.Rstd[j], tape.U[j], tape.Z1[j], tape.G[j]);
            long block = rows * c + (long)batch * tokens.Length * (2 * c + 2 * s.Hidden + 1);
            if (sbp && mask!.Dropped.Length > 0)
                Mlp(j, batch, mask.Dropped, tape, tape.ScratchXhat, tape.ScratchRstd, tape.ScratchU, tape.ScratchZ1, tape.ScratchG);
            tape.RetainedPerBlock[j] = block;
            retained += block;
        }

        // Head: mean over tokens, LayerNorm, linear classifier.
        Span<double> pool = tape.Pool.AsSpan(0, batch * c);
        pool.Clear();
        ReadOnlySpan<double> last = tape.X[s.Blocks];
        double inv = 1.0 / n;
        for (int b = 0; b < batch; b++)
        {
            Span<double> p = pool.Slice(b * c, c);
            for (int t = 0; t < n; t++)
            {
                ReadOnlySpan<double> row = last.Slice((b * n + t) * c, c);
                for (int k = 0; k < c; k++) p[k] += row[k];
            }
            for (int k = 0; k < c; k++) p[k] *= inv;
        }
        TokenKernels.LayerNormForward(pool, tape.Identity, 1, batch, c, s.Epsilon, theta.Slice(_gf, c), theta.Slice(_bf, c),
            tape.HeadXhat, tape.HeadRstd, tape.HeadU);
        retained += 2L * batch * c + batch;
        Dense(tape.HeadU.AsSpan(0, batch * c), batch, c, theta.Slice(_wh, s.Classes * c), theta.Slice(_bh, s.Classes), s.Classes, tape.Logits);
        tape.Retained = retained;
    }

    /// <summary>Block j's MLP at <paramref name="tokens"/>: LN of the convolution output, dense, GELU, dense, plus the block input,
    /// into X[j + 1] at those tokens.</summary>
    private void Mlp(int j, int batch, int[] tokens, TokenTape tape, double[] xhat, double[] rstd, double[] u, double[] z1, double[] g)
    {
        var s = Spec;
        int n = s.Tokens, c = s.Width, h = s.Hidden, rows = batch * tokens.Length;
        ReadOnlySpan<double> theta = Parameters;
        TokenKernels.LayerNormForward(tape.Conv, tokens, n, rows, c, s.Epsilon, theta.Slice(_g[j], c), theta.Slice(_b[j], c), xhat, rstd, u);
        Span<double> z = z1.AsSpan(0, rows * h), a = g.AsSpan(0, rows * h), o = tape.Out.AsSpan(0, rows * c);
        Dense(u.AsSpan(0, rows * c), rows, c, theta.Slice(_w1[j], h * c), theta.Slice(_b1[j], h), h, z);
        TokenKernels.GeluForward(z, a);
        Dense(a, rows, h, theta.Slice(_w2[j], c * h), theta.Slice(_b2[j], c), c, o);
        double[] x = tape.X[j], y = tape.X[j + 1];
        for (int r = 0; r < rows; r++)
        {
            int at = TokenKernels.FullRow(r, tokens, n) * c;
            ReadOnlySpan<double> src = x.AsSpan(at, c), add = o.Slice(r * c, c);
            Span<double> dst = y.AsSpan(at, c);
            for (int k = 0; k < c; k++) dst[k] = src[k] + add[k];
        }
    }

    /// <summary>y (rows × outputs) = x (rows × inputs) Wᵀ + b through the matrix product.</summary>
    private void Dense(ReadOnlySpan<double> x, int rows, int inputs, ReadOnlySpan<double> w, ReadOnlySpan<double> bias, int outputs, Span<double> y)
    {
        for (int r = 0; r < rows; r++) bias.CopyTo(y.Slice(r * outputs, outputs));
        Product.Multiply(false, true, rows, outputs, inputs, 1.0, x[..(rows * inputs)], w, 1.0, y[..(rows * outputs)]);
    }

    /// <summary>Softmax cross-entropy of the tape's logits against <paramref name="targets"/> (Batch × Classes, one-hot or any
    /// distribution), mean over the batch (torch.nn.functional.cross_entropy); writes ∂loss/∂logits = (p − y)/B.</summary>
    public double Loss(TokenTape tape, ReadOnlySpan<double> targets) =>
        SoftmaxCrossEntropy.Rows(tape.Logits, targets, tape.GradLogits, Spec.Classes, tape.Batch);

    /// <summary>
    /// Backward pass from the tape's ∂loss/∂logits (<see cref="Loss"/>) to every parameter, written (overwriting) into
    /// <paramref name="gradient"/> in the layout of <see cref="Parameters"/>. Masked blocks use the token lists of the
    /// forward pass (their activations exist at those tokens only).
    /// </summary>
    public void Backward(TokenTape tape, Span<double> gradient)
    {
        var s = Spec;
        if (gradient.Length != Parameters.Length) throw new ArgumentException($"The gradient has {gradient.Length} entries; the model has {Parameters.Length} parameters.", nameof(gradient));
        int batch = tape.Batch, n = s.Tokens, c = s.Width, h = s.Hidden, rows = batch * n, k = s.Classes;
        ReadOnlySpan<double> theta = Parameters;

        // Head.
        ReadOnlySpan<double> gl = tape.GradLogits.AsSpan(0, batch * k);
        Product.Multiply(true, false, k, c, batch, 1.0, gl, tape.HeadU.AsSpan(0, batch * c), 0.0, gradient.Slice(_wh, k * c));
        SumRows(gl, batch, k, gradient.Slice(_bh, k));
        Product.Multiply(false, false, batch, c, k, 1.0, gl, theta.Slice(_wh, k * c), 0.0, tape.GradHeadU.AsSpan(0, batch * c));
        gradient.Slice(_gf, c).Clear();
        gradient.Slice(_bf, c).Clear();
        TokenKernels.LayerNormBackward(tape.GradHeadU, tape.HeadXhat, tape.HeadRstd, batch, c, theta.Slice(_gf, c),
            gradient.Slice(_gf, c), gradient.Slice(_bf, c), tape.GradPool, tape.Identity, 1);
        double[] gOut = tape.GradA, gIn = tape.GradB;
        double inv = 1.0 / n;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<double> gp = tape.GradPool.AsSpan(b * c, c);
            for (int t = 0; t < n; t++)
            {
                Span<double> dst = gOut.AsSpan((b * n + t) * c, c);
                for (int i = 0; i < c; i++) dst[i] = gp[i] * inv;
            }
        }

        // Blocks, last to first: the residual path carries gOut whole; the MLP sees it at its tokens only.
        for (int j = s.Blocks - 1; j >= 0; j--)
        {
            int[] tokens = tape.Tokens[j];
            int r = batch * tokens.Length;
            gOut.AsSpan(0, rows * c).CopyTo(gIn);
            Span<double> gm = tape.GradM.AsSpan(0, r * c), gh = tape.GradH.AsSpan(0, r * h), gu = tape.GradU.AsSpan(0, r * c);
            for (int row = 0; row < r; row++) gOut.AsSpan(TokenKernels.FullRow(row, tokens, n) * c, c).CopyTo(gm.Slice(row * c, c));
            Product.Multiply(true, false, c, h, r, 1.0, gm, tape.G[j].AsSpan(0, r * h), 0.0, gradient.Slice(_w2[j], c * h));
            SumRows(gm, r, c, gradient.Slice(_b2[j], c));
            Product.Multiply(false, false, r, h, c, 1.0, gm, theta.Slice(_w2[j], c * h), 0.0, gh);
            TokenKernels.GeluBackward(tape.Z1[j].AsSpan(0, r * h), gh, tape.ScratchG);
            Product.Multiply(true, false, h, c, r, 1.0, gh, tape.U[j].AsSpan(0, r * c), 0.0, gradient.Slice(_w1[j], h * c));
            SumRows(gh, r, h, gradient.Slice(_b1[j], h));
            Product.Multiply(false, false, r, c, h, 1.0, gh, theta.Slice(_w1[j], h * c), 0.0, gu);
            Span<double> gd = tape.GradD.AsSpan(0, rows * c);
            if (tokens.Length != n) gd.Clear();
            gradient.Slice(_g[j], c).Clear();
            gradient.Slice(_b[j], c).Clear();
            TokenKernels.LayerNormBackward(gu, tape.Xhat[j], tape.Rstd[j], r, c, theta.Slice(_g[j], c),
                gradient.Slice(_g[j], c), gradient.Slice(_b[j], c), gd, tokens, n);
            TokenKernels.DepthwiseBackward(gd, tape.X[j].AsSpan(0, rows * c), batch, s.GridSide, c, theta.Slice(_dw[j], c * 9),
                gradient.Slice(_dw[j], c * 9), gradient.Slice(_dwb[j], c), gIn);
            (gOut, gIn) = (gIn, gOut);
        }

        // Stem.
        Span<double> gs = tape.GradD.AsSpan(0, rows * c);
        gradient.Slice(_g0, c).Clear();
        gradient.Slice(_b0, c).Clear();
        TokenKernels.LayerNormBackward(gOut, tape.StemXhat, tape.StemRstd, rows, c, theta.Slice(_g0, c),
            gradient.Slice(_g0, c), gradient.Slice(_b0, c), gs, tape.Full, n);
        Product.Multiply(true, false, c, s.PatchSize, rows, 1.0, gs, tape.Patches.AsSpan(0, rows * s.PatchSize), 0.0, gradient.Slice(_we, c * s.PatchSize));
        SumRows(gs, rows, c, gradient.Slice(_be, c));
    }

    /// <summary>dst (overwritten) = Σ over the rows of src (rows × width).</summary>
    private static void SumRows(ReadOnlySpan<double> src, int rows, int width, Span<double> dst)
    {
        dst.Clear();
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<double> row = src.Slice(r * width, width);
            for (int i = 0; i < width; i++) dst[i] += row[i];
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix) => snapshot.Put($"{prefix}theta", Parameters);

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix) => snapshot.Get($"{prefix}theta", Parameters);
}
