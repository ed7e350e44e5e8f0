namespace BioSim.Plasticity.Networks;

/// <summary>f(z) = log(1 + e^z), evaluated without overflow as max(z, 0) + log1p(e^{−|z|}); f′ = 1/(1 + e^{−z}).</summary>
public sealed class Softplus : Activation
{
    /// <inheritdoc/>
    public override string Name => "softplus";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++) h[i] = Math.Max(z[i], 0) + double.LogP1(Math.Exp(-Math.Abs(z[i])));
    }

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = 1 / (1 + Math.Exp(-z[i]));
    }
}
