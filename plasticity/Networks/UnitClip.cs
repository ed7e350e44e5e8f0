namespace BioSim.Plasticity.Networks;

/// <summary>
/// f(z) = min(max(z, 0), 1), f′ = 1 on (0, 1), 0 outside: the rate function that the equilibrium-propagation code of
/// Laborieux et al. (2021) and the CorInfoMax code of Bozkurt et al. (2023) call "hard_sigmoid" ((1 + hardtanh(2z − 1))/2).
/// </summary>
public sealed class UnitClip : Activation
{
    /// <inheritdoc/>
    public override string Name => "unit-clip";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++) h[i] = Math.Clamp(z[i], 0.0, 1.0);
    }

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = z[i] > 0.0 && z[i] < 1.0 ? 1.0 : 0.0;
    }
}
