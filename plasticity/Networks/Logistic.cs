using System.Numerics.Tensors;

namespace BioSim.Plasticity.Networks;

/// <summary>f(z) = 1/(1 + e^{−z}), f′ = h(1 − h).</summary>
public sealed class Logistic : Activation
{
    /// <inheritdoc/>
    public override string Name => "logistic";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> z, Span<double> h) => TensorPrimitives.Sigmoid(z, h);

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = h[i] * (1.0 - h[i]);
    }
}
