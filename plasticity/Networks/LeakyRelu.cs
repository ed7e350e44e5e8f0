namespace BioSim.Plasticity.Networks;

/// <summary>
/// f(z) = z for z &gt; 0, αz otherwise (α = <see cref="Slope"/>, default 0.01 as in PyTorch). Named
/// "leaky-relu" with the default slope and "leaky-relu:α" otherwise ("leaky-relu:0.1" is GAIT-prop's).
/// </summary>
public sealed class LeakyRelu(double slope = 0.01) : Activation
{
    /// <summary>PyTorch's default slope α = 0.01.</summary>
    public const double DefaultSlope = 0.01;

    /// <summary>α, the slope for z ≤ 0 (positive).</summary>
    public double Slope { get; } = slope;

    /// <inheritdoc/>
    public override string Name => Slope == DefaultSlope ? "leaky-relu" : $"leaky-relu:{Slope.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>A leaky ReLU of slope <paramref name="value"/> (positive and finite).</summary>
    public override Activation WithParameter(double value) => value > 0 && double.IsFinite(value) ? new LeakyRelu(value)
        : throw new ArgumentException($"Activation 'leaky-relu:{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}': the slope after 'leaky-relu:' must be a positive number (as in 'leaky-relu:0.1'), not '{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}'.", nameof(value));

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++) h[i] = z[i] > 0 ? z[i] : Slope * z[i];
    }

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = z[i] > 0 ? 1.0 : Slope;
    }
}
