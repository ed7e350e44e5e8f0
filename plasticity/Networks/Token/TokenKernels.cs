using System.Numerics.Tensors;

namespace BioSim.Plasticity.Networks.Token;

/// <summary>
/// The element-wise and per-token kernels of the token model, on flat row-major spans (one row per token, channels
/// contiguous). Rows of a compact buffer map to rows of a full token buffer through a token list: compact row
/// r = b·K + k is full row b·N + tokens[k] (K = tokens.Length, N tokens per sample). Nothing here allocates.
/// </summary>
internal static class TokenKernels
{
    /// <summary>√(2/π), the constant of GELU's tanh form.</summary>
    private const double GeluK0 = 0.79788456080286535588;

    /// <summary>The cubic coefficient of GELU's tanh form.</summary>
    private const double GeluK1 = 0.044715;

    /// <summary>Full row of compact row <paramref name="r"/>.</summary>
    public static int FullRow(int r, ReadOnlySpan<int> tokens, int n) => r / tokens.Length * n + tokens[r % tokens.Length];

    /// <summary>
    /// LayerNorm over the <paramref name="width"/> channels of each row (biased variance, ε inside the root, as
    /// torch.nn.LayerNorm): source rows mapped through <paramref name="tokens"/>, x̂ = (x − μ)/√(σ² + ε) and 1/√(σ² + ε)
    /// kept for the backward pass, y = γ x̂ + β written to compact rows of <paramref name="y"/>.
    /// </summary>
    public static void LayerNormForward(ReadOnlySpan<double> x, ReadOnlySpan<int> tokens, int n, int rows, int width, double epsilon,
        ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> xhat, Span<double> rstd, Span<double> y)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<double> src = x.Slice(FullRow(r, tokens, n) * width, width);
            double mean = 0;
            for (int c = 0; c < width; c++) mean += src[c];
            mean /= width;
            double variance = 0;
            for (int c = 0; c < width; c++)
            {
                double d = src[c] - mean;
                variance += d * d;
            }
            double s = 1.0 / Math.Sqrt(variance / width + epsilon);
            rstd[r] = s;
            Span<double> h = xhat.Slice(r * width, width), o = y.Slice(r * width, width);
            for (int c = 0; c < width; c++)
            {
                double v = (src[c] - mean) * s;
                h[c] = v;
                o[c] = gamma[c] * v + beta[c];
            }
        }
    }

    /// <summary>
    /// LayerNorm's backward pass over compact rows: dγ += Σ g x̂, dβ += Σ g, and the input gradient
    /// (1/σ)(ĝ − mean ĝ − x̂ mean(ĝ x̂)) with ĝ = γ g, written (overwriting) to the full rows of <paramref name="gx"/> that
    /// <paramref name="tokens"/> names.
    /// </summary>
    public static void LayerNormBackward(ReadOnlySpan<double> gy, ReadOnlySpan<double> xhat, ReadOnlySpan<double> rstd, int rows, int width,
        ReadOnlySpan<double> gamma, Span<double> dGamma, Span<double> dBeta, Span<double> gx, ReadOnlySpan<int> tokens, int n)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<double> g = gy.Slice(r * width, width), h = xhat.Slice(r * width, width);
            double meanG = 0, meanGh = 0;
            for (int c = 0; c < width; c++)
            {
                double gh = g[c] * gamma[c];
                meanG += gh;
                meanGh += gh * h[c];
                dGamma[c] += g[c] * h[c];
                dBeta[c] += g[c];
            }
            meanG /= width;
            meanGh /= width;
            double s = rstd[r];
            Span<double> dst = gx.Slice(FullRow(r, tokens, n) * width, width);
            for (int c = 0; c < width; c++) dst[c] = s * (g[c] * gamma[c] - meanG - h[c] * meanGh);
        }
    }

    /// <summary>GELU in its tanh form (torch.nn.GELU(approximate="tanh")): 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))); the tanh
    /// over the whole span at once (<see cref="TensorPrimitives.Tanh{T}(ReadOnlySpan{T}, Span{T})"/>, vectorised).</summary>
    public static void GeluForward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++)
        {
            double x = z[i];
            h[i] = GeluK0 * (x + GeluK1 * x * x * x);
        }
        TensorPrimitives.Tanh(h, h);
        for (int i = 0; i < z.Length; i++) h[i] = 0.5 * z[i] * (1.0 + h[i]);
    }

    /// <summary>g ← g ⊙ GELU′(z) for GELU's tanh form; <paramref name="scratch"/> (as long as z) takes the tanh values.</summary>
    public static void GeluBackward(ReadOnlySpan<double> z, Span<double> g, Span<double> scratch)
    {
        Span<double> t = scratch[..z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            double x = z[i];
            t[i] = GeluK0 * (x + GeluK1 * x * x * x);
        }
        TensorPrimitives.Tanh(t, t);
        for (int i = 0; i < z.Length; i++)
        {
            double x = z[i], th = t[i];
            g[i] *= 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * GeluK0 * (1.0 + 3.0 * GeluK1 * x * x);
        }
    }

    /// <summary>
    /// Depthwise 3×3 convolution over the side × side token grid of every sample, zero padding 1 (torch.nn.Conv2d(C, C, 3,
    /// padding=1, groups=C), a cross-correlation): y[i, j, c] = b[c] + Σ w[c, 3(di + 1) + dj + 1] x[i + di, j + dj, c].
    /// </summary>
    public static void DepthwiseForward(ReadOnlySpan<double> x, int batch, int side, int width, ReadOnlySpan<double> w, ReadOnlySpan<double> bias, Span<double> y)
    {
        int n = side * side;
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < side; i++)
            {
                for (int j = 0; j < side; j++)
                {
                    Span<double> o = y.Slice(((b * n) + i * side + j) * width, width);
                    bias.CopyTo(o);
                    for (int di = -1; di <= 1; di++)
                    {
                        int ii = i + di;
                        if ((uint)ii >= (uint)side) continue;
                        for (int dj = -1; dj <= 1; dj++)
                        {
                            int jj = j + dj;
                            if ((uint)jj >= (uint)side) continue;
                            int k = 3 * (di + 1) + dj + 1;
                            ReadOnlySpan<double> src = x.Slice(((b * n) + ii * side + jj) * width, width);
                            for (int c = 0; c < width; c++) o[c] += w[c * 9 + k] * src[c];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The depthwise convolution's backward pass: dw[c, k] and db[c] (overwritten) from the output gradient
    /// <paramref name="gy"/> and the input <paramref name="x"/>; the input gradient added to <paramref name="gx"/>.
    /// </summary>
    public static void DepthwiseBackward(ReadOnlySpan<double> gy, ReadOnlySpan<double> x, int batch, int side, int width, ReadOnlySpan<double> w,
        Span<double> dw, Span<double> db, Span<double> gx)
    {
        int n = side * side;
        dw.Clear();
        db.Clear();
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < side; i++)
            {
                for (int j = 0; j < side; j++)
                {
                    ReadOnlySpan<double> g = gy.Slice(((b * n) + i * side + j) * width, width);
                    for (int c = 0; c < width; c++) db[c] += g[c];
                    for (int di = -1; di <= 1; di++)
                    {
                        int ii = i + di;
                        if ((uint)ii >= (uint)side) continue;
                        for (int dj = -1; dj <= 1; dj++)
                        {
                            int jj = j + dj;
                            if ((uint)jj >= (uint)side) continue;
                            int k = 3 * (di + 1) + dj + 1;
                            int at = ((b * n) + ii * side + jj) * width;
                            ReadOnlySpan<double> src = x.Slice(at, width);
                            Span<double> dst = gx.Slice(at, width);
                            for (int c = 0; c < width; c++)
                            {
                                dw[c * 9 + k] += g[c] * src[c];
                                dst[c] += w[c * 9 + k] * g[c];
                            }
                        }
                    }
                }
            }
        }
    }
}
