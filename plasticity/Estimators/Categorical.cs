using BioSim.Engine.Random;

namespace BioSim.Plasticity.Estimators;

/// <summary>
/// The arithmetic of categorical units shared by the estimators: a layer of <c>units</c> units with K categories each,
/// logits θ stored row-major (unit u's logits at [u·K, (u + 1)·K)), probabilities π = softmax(θ) per unit.
/// </summary>
public static class Categorical
{
    /// <summary>π = softmax(θ/τ) of one unit, written to <paramref name="probabilities"/> (max-shifted, so large logits do not overflow).</summary>
    public static void Softmax(ReadOnlySpan<double> logits, Span<double> probabilities, double temperature = 1.0)
    {
        double max = double.NegativeInfinity;
        foreach (double x in logits) max = Math.Max(max, x);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double e = Math.Exp((logits[i] - max) / temperature);
            probabilities[i] = e;
            sum += e;
        }
        for (int i = 0; i < logits.Length; i++) probabilities[i] /= sum;
    }

    /// <summary>Adds <paramref name="scale"/>·J(π)·g to <paramref name="result"/>, J(π) = diag(π) − ππᵀ the (symmetric) Jacobian of
    /// softmax at π: (J g)_i = π_i (g_i − Σ_j π_j g_j).</summary>
    public static void AddJacobianProduct(ReadOnlySpan<double> pi, ReadOnlySpan<double> g, double scale, Span<double> result)
    {
        double mean = 0;
        for (int j = 0; j < pi.Length; j++) mean += pi[j] * g[j];
        for (int i = 0; i < pi.Length; i++) result[i] += scale * pi[i] * (g[i] - mean);
    }

    /// <summary>Draws one category of a unit with probabilities <paramref name="pi"/> (inverse CDF of one uniform draw of
    /// <paramref name="stream"/>).</summary>
    public static int Sample(ReadOnlySpan<double> pi, ref RandomStream stream)
    {
        double u = stream.NextDouble(), cumulative = 0;
        for (int i = 0; i < pi.Length - 1; i++)
        {
            cumulative += pi[i];
            if (u < cumulative) return i;
        }
        return pi.Length - 1;
    }

    /// <summary>Samples every unit of a layer: <paramref name="sample"/>[u] is unit u's category.</summary>
    public static void SampleLayer(ReadOnlySpan<double> logits, int categories, Span<int> sample, ref RandomStream stream)
    {
        Span<double> pi = categories <= 64 ? stackalloc double[categories] : new double[categories];
        for (int u = 0; u < sample.Length; u++)
        {
            Softmax(logits.Slice(u * categories, categories), pi);
            sample[u] = Sample(pi, ref stream);
        }
    }

    /// <summary>Checks the shapes a layer call gets; throws an <see cref="ArgumentException"/> naming the mismatch.</summary>
    internal static void CheckShapes(int logits, int categories, int units, int upstream, int gradient)
    {
        if (categories < 2) throw new ArgumentException($"A categorical unit needs at least 2 categories, got {categories}.");
        if (logits != units * categories || upstream != logits || gradient != logits)
        {
            throw new ArgumentException($"Shapes: {units} units × {categories} categories need {units * categories} logits, upstream "
                + $"gradients and gradient entries; got {logits}, {upstream}, {gradient}.");
        }
    }
}
