namespace BioSim.Plasticity.Networks;

/// <summary>f(z) = z.</summary>
public sealed class Identity : Activation
{
    /// <inheritdoc/>
    public override string Name => "identity";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> z, Span<double> h) => z.CopyTo(h);

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d) => d[..z.Length].Fill(1.0);
}
