using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Random;

namespace BioSim.Tests.Microcircuit;

/// <summary>What the microcircuit tests share: seeded inputs, a random teacher, the feedforward pass, cosines.</summary>
internal static class MicrocircuitSetups
{
    /// <summary>A vector of <paramref name="length"/> values uniform in [low, high) from the stream (seed, "tests", purpose).</summary>
    public static double[] Uniform(ulong seed, string purpose, int length, double low = 0, double high = 1)
    {
        var stream = new RandomStream(seed, "tests", purpose);
        var v = new double[length];
        for (int i = 0; i < length; i++) v[i] = low + (high - low) * stream.NextDouble();
        return v;
    }

    /// <summary>The feedforward pass the circuit computes with zero apical potentials: û_l = k_l W^PP_{l,l−1} φ(û_{l−1})
    /// (φ(û_0) = the input rates); returns û per layer (index 0 unused).</summary>
    public static double[][] FeedforwardPotentials(CorticalMicrocircuit c, ReadOnlySpan<double> input)
    {
        var n = c.LayerSizes;
        var u = new double[n.Count][];
        double[] r = input.ToArray();
        u[0] = [];
        for (int l = 1; l < n.Count; l++)
        {
            double k = SelfPredictingState.BasalAttenuation(c, l);
            var w = c.Forward(l);
            u[l] = new double[n[l]];
            for (int i = 0; i < n[l]; i++)
            {
                double s = 0;
                for (int j = 0; j < n[l - 1]; j++) s += w[i * n[l - 1] + j] * r[j];
                u[l][i] = k * s;
            }
            r = new double[n[l]];
            for (int i = 0; i < n[l]; i++) r[i] = c.Transfer.Phi(u[l][i]);
        }
        return u;
    }

    /// <summary>cos(a, b) = a·b/(|a||b|).</summary>
    public static double Cosine(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.Sqrt(aa * bb);
    }

    /// <summary>The outer product e preᵀ, row-major.</summary>
    public static double[] Outer(ReadOnlySpan<double> e, ReadOnlySpan<double> pre)
    {
        var m = new double[e.Length * pre.Length];
        for (int i = 0; i < e.Length; i++)
        {
            for (int j = 0; j < pre.Length; j++) m[i * pre.Length + j] = e[i] * pre[j];
        }
        return m;
    }

    /// <summary>Mean |v_A| over every hidden layer's apical compartments.</summary>
    public static double MeanAbsoluteApical(CorticalMicrocircuit c)
    {
        double sum = 0;
        int count = 0;
        for (int l = 1; l < c.OutputLayer; l++)
        {
            foreach (double v in c.Apical(l))
            {
                sum += Math.Abs(v);
                count++;
            }
        }
        return sum / count;
    }
}
