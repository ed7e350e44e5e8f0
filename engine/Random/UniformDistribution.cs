namespace BioSim.Engine.Random;

/// <summary>Uniform on [<paramref name="Low"/>, <paramref name="High"/>).</summary>
public sealed record UniformDistribution(double Low, double High) : Distribution
{
    public override double Sample(ref RandomStream random) => Low + (High - Low) * random.NextDouble();

    public override double Minimum => Low;
}
