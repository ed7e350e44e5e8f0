using System.Numerics.Tensors;

namespace BioSim.Plasticity.Networks;

/// <summary>f(z) = tanh z, f′ = 1 − h².</summary>
public sealed class Tanh : Activation
{
    /// <inheritdoc/>
    public override string Name => "tanh";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> z, Span<double> h) => TensorPrimitives.Tanh(z, h);

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = 1.0 - h[i] * h[i];
    }
}
