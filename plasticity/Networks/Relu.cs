using System.Numerics.Tensors;

namespace BioSim.Plasticity.Networks;

/// <summary>f(z) = max(0, z), f′ = [z &gt; 0].</summary>
public sealed class Relu : Activation
{
    /// <inheritdoc/>
    public override string Name => "relu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> z, Span<double> h) => TensorPrimitives.Max(z, 0.0, h);

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = z[i] > 0 ? 1.0 : 0.0;
    }
}
