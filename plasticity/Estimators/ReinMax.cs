namespace BioSim.Plasticity.Estimators;

/// <summary>
/// ReinMax (Liu, Zhao, Sun, Chen &amp; Gao, "Bridging Discrete and Backpropagation: Straight-Through and Beyond", NeurIPS
/// 2023): straight-through read as forward Euler, corrected to Heun's second-order method. With π₀ = softmax(θ), the
/// sample D, and π₁ = (D + softmax(θ/τ))/2, the backward pass differentiates π₂ = 2π₁ − π₀/2 (π₁ carrying softmax's
/// gradient at its own value), so
/// <code>  ∂θ = (2 J(π₁) − ½ J(π₀))·∂f/∂D ,   J(π) = diag(π) − ππᵀ .</code>
/// Its expectation over D equals the true gradient Σ_i f(e_i) ∂π_i/∂θ exactly when f is quadratic in D (second-order
/// accuracy; checked in the tests to 1e-12), and with the same cost as straight-through.
/// </summary>
/// <param name="temperature">τ &gt; 0 in π₁ (default 1, as in the paper's experiments where it is tuned in [1, 1.5]).</param>
public sealed class ReinMax(double temperature = 1.0) : IDiscreteGradientEstimator
{
    /// <summary>τ in π₁ = (D + softmax(θ/τ))/2.</summary>
    public double Temperature { get; } = temperature > 0 && double.IsFinite(temperature) ? temperature
        : throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive and finite.");

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<double> logits, int categories, ReadOnlySpan<int> sample, ReadOnlySpan<double> upstream, Span<double> gradient)
    {
        Categorical.CheckShapes(logits.Length, categories, sample.Length, upstream.Length, gradient.Length);
        bool small = categories <= 64;
        Span<double> pi0 = small ? stackalloc double[categories] : new double[categories];
        Span<double> pi1 = small ? stackalloc double[categories] : new double[categories];
        gradient.Clear();
        for (int u = 0; u < sample.Length; u++)
        {
            var range = new Range(u * categories, (u + 1) * categories);
            var theta = logits[range];
            Categorical.Softmax(theta, pi0);
            if (Temperature == 1.0) pi0.CopyTo(pi1);
            else Categorical.Softmax(theta, pi1, Temperature);
            for (int i = 0; i < categories; i++) pi1[i] = 0.5 * (pi1[i] + (i == sample[u] ? 1.0 : 0.0));
            Categorical.AddJacobianProduct(pi1, upstream[range], 2.0, gradient[range]);
            Categorical.AddJacobianProduct(pi0, upstream[range], -0.5, gradient[range]);
        }
    }
}
