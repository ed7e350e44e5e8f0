namespace BioSim.Engine.Random;

/// <summary>Normal with mean <paramref name="Mean"/> and standard deviation <paramref name="Sd"/>.</summary>
public sealed record NormalDistribution(double Mean, double Sd) : Distribution
{
    public override double Sample(ref RandomStream random) => Mean + Sd * random.NextGaussian();

    public override double Minimum => Sd == 0 ? Mean : double.NegativeInfinity;
}
