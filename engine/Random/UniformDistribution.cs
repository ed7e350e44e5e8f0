namespace BioSim.Engine.Random;

/// <summary>Uniform on [<paramref name="Low"/>, <paramref name="High"/>).</summary>
public sealed record UniformDistribution(double Low, double High) : Distribution
{
    /// <summary>Low + (High − Low) · u, u uniform in [0, 1) from <see cref="RandomStream.NextDouble"/> (one position of <paramref name="random"/>).</summary>
    public override double Sample(ref RandomStream random) => Low + (High - Low) * random.NextDouble();

    /// <summary><see cref="Low"/>: the interval is closed below.</summary>
    public override double Minimum => Low;

    /// <inheritdoc/>
    public override double Maximum => High;
}
