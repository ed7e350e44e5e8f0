namespace BioSim.Plasticity.Estimators;

/// <summary>
/// A pathwise gradient estimator for a layer of stochastic categorical units (a Bernoulli unit is the case K = 2). The
/// forward pass samples a one-hot D per unit from π = softmax(θ) (<see cref="Categorical.SampleLayer"/>) and the
/// network downstream sees D; the backward pass turns the downstream gradient ∂f/∂D, taken at the sample, into a
/// gradient for the logits θ. Straight-through and ReinMax are of this kind; the score-function estimator needs the
/// loss's value instead (<see cref="SurrogateLoss"/>), and <see cref="ExactExpectation"/> enumerates the categories.
/// Registered by name: "straight-through", "reinmax".
/// </summary>
public interface IDiscreteGradientEstimator
{
    /// <summary>Writes ∂θ for a layer: <paramref name="logits"/> θ (units × K, row-major), the sampled category of each unit,
    /// and the downstream gradient ∂f/∂D at the one-hot sample (units × K).</summary>
    void Backward(ReadOnlySpan<double> logits, int categories, ReadOnlySpan<int> sample, ReadOnlySpan<double> upstream, Span<double> gradient);
}
