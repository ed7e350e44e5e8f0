namespace BioSim.Plasticity.Networks;

/// <summary>f(z) = clip(z/6 + 1/2, 0, 1) (PyTorch's Hardsigmoid), f′ = 1/6 on (−3, 3), 0 outside.</summary>
public sealed class HardSigmoid : Activation
{
    /// <inheritdoc/>
    public override string Name => "hard-sigmoid";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++) h[i] = Math.Clamp(z[i] / 6.0 + 0.5, 0.0, 1.0);
    }

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = z[i] > -3.0 && z[i] < 3.0 ? 1.0 / 6.0 : 0.0;
    }
}
