namespace BioSim.Engine.Random;

/// <summary>A scalar value drawn per element: a constant or a distribution.</summary>
public abstract record Distribution
{
    /// <summary>Draws one value (a constant draws nothing).</summary>
    public abstract double Sample(ref RandomStream random);

    /// <summary>Whether every draw gives the same value (no randomness needed).</summary>
    public virtual bool IsConstant => false;

    /// <summary>Smallest value a draw can take (−∞ when unbounded), for range checks such as "delays ≥ 0".</summary>
    public abstract double Minimum { get; }
}

/// <summary>Always <paramref name="Value"/>.</summary>
public sealed record ConstantDistribution(double Value) : Distribution
{
    public override double Sample(ref RandomStream random) => Value;

    public override bool IsConstant => true;

    public override double Minimum => Value;
}

/// <summary>Uniform on [<paramref name="Low"/>, <paramref name="High"/>).</summary>
public sealed record UniformDistribution(double Low, double High) : Distribution
{
    public override double Sample(ref RandomStream random) => Low + (High - Low) * random.NextDouble();

    public override double Minimum => Low;
}

/// <summary>Normal with mean <paramref name="Mean"/> and standard deviation <paramref name="Sd"/>.</summary>
public sealed record NormalDistribution(double Mean, double Sd) : Distribution
{
    public override double Sample(ref RandomStream random) => Mean + Sd * random.NextGaussian();

    public override double Minimum => Sd == 0 ? Mean : double.NegativeInfinity;
}
