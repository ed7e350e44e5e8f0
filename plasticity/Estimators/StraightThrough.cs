namespace BioSim.Plasticity.Estimators;

/// <summary>
/// The straight-through estimator (Bengio, Léonard &amp; Courville 2013; the softmax form of Jang et al. 2017 and Liu et al.
/// 2023): the forward pass uses the sample D, the backward pass differentiates D − sg(π) + π with π = softmax(θ/τ), so
/// ∂θ = J(π)·∂f/∂D / τ. It is the first-order (forward Euler) approximation of the true gradient and is biased: for
/// f(D) = Σ (D − c)² its fixed point is π = c, not the minimiser.
/// </summary>
/// <param name="temperature">τ &gt; 0 of the backward softmax (default 1).</param>
public sealed class StraightThrough(double temperature = 1.0) : IDiscreteGradientEstimator
{
    /// <summary>τ of the backward softmax.</summary>
    public double Temperature { get; } = temperature > 0 && double.IsFinite(temperature) ? temperature
        : throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive and finite.");

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<double> logits, int categories, ReadOnlySpan<int> sample, ReadOnlySpan<double> upstream, Span<double> gradient)
    {
        Categorical.CheckShapes(logits.Length, categories, sample.Length, upstream.Length, gradient.Length);
        Span<double> pi = categories <= 64 ? stackalloc double[categories] : new double[categories];
        gradient.Clear();
        for (int u = 0; u < sample.Length; u++)
        {
            var range = new Range(u * categories, (u + 1) * categories);
            Categorical.Softmax(logits[range], pi, Temperature);
            Categorical.AddJacobianProduct(pi, upstream[range], 1.0 / Temperature, gradient[range]);
        }
    }
}
