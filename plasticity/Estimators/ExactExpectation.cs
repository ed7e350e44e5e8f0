namespace BioSim.Plasticity.Estimators;

/// <summary>
/// The exact expectation E_{D∼π}[f(D)] of a layer of categorical units and its exact gradient
/// ∂/∂θ E[f] = Σ_D p(D) f(D) Σ_u (e_{D_u} − π_u), by enumerating all K^units configurations: the reference the estimators
/// are tested against, for small layers.
/// </summary>
public static class ExactExpectation
{
    /// <summary>The most configurations <see cref="Gradient"/> enumerates.</summary>
    public const long MaxConfigurations = 1 << 22;

    /// <summary>Returns E[f] and writes its gradient with respect to <paramref name="logits"/> (units × K, row-major).</summary>
    public static double Gradient(ReadOnlySpan<double> logits, int categories, Func<int[], double> f, Span<double> gradient)
    {
        if (categories < 2 || logits.Length % categories != 0) throw new ArgumentException($"{logits.Length} logits are not whole units of {categories} categories.");
        int units = logits.Length / categories;
        double configurations = Math.Pow(categories, units);
        if (configurations > MaxConfigurations)
        {
            throw new ArgumentException($"{categories}^{units} configurations are too many to enumerate (at most {MaxConfigurations}).");
        }
        var pi = new double[logits.Length];
        for (int u = 0; u < units; u++) Categorical.Softmax(logits.Slice(u * categories, categories), pi.AsSpan(u * categories, categories));
        var d = new int[units];
        gradient.Clear();
        double expectation = 0;
        for (long c = 0; c < (long)configurations; c++)
        {
            long rest = c;
            double p = 1;
            for (int u = 0; u < units; u++)
            {
                d[u] = (int)(rest % categories);
                rest /= categories;
                p *= pi[u * categories + d[u]];
            }
            double value = f(d);
            expectation += p * value;
            double weight = p * value;
            for (int u = 0; u < units; u++)
            {
                for (int i = 0; i < categories; i++)
                {
                    gradient[u * categories + i] += weight * ((i == d[u] ? 1.0 : 0.0) - pi[u * categories + i]);
                }
            }
        }
        return expectation;
    }
}
