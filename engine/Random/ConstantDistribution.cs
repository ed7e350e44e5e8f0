namespace BioSim.Engine.Random;

/// <summary>Always <paramref name="Value"/>.</summary>
public sealed record ConstantDistribution(double Value) : Distribution
{
    public override double Sample(ref RandomStream random) => Value;

    public override bool IsConstant => true;

    public override double Minimum => Value;
}
