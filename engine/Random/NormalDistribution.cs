namespace BioSim.Engine.Random;

/// <summary>Normal with mean <paramref name="Mean"/> and standard deviation <paramref name="Sd"/>.</summary>
public sealed record NormalDistribution(double Mean, double Sd) : Distribution
{
    /// <summary>Mean + Sd · z, z a standard normal deviate from <see cref="RandomStream.NextGaussian"/> (two positions of <paramref name="random"/>).</summary>
    public override double Sample(ref RandomStream random) => Mean + Sd * random.NextGaussian();

    /// <summary>−∞ (a normal is unbounded), or <see cref="Mean"/> when Sd = 0 and every draw is the mean.</summary>
    public override double Minimum => Sd == 0 ? Mean : double.NegativeInfinity;

    /// <inheritdoc/>
    public override double Maximum => Sd == 0 ? Mean : double.PositiveInfinity;
}
