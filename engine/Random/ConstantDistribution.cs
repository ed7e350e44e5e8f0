namespace BioSim.Engine.Random;

/// <summary>Always <paramref name="Value"/>.</summary>
public sealed record ConstantDistribution(double Value) : Distribution
{
    /// <summary>Returns <see cref="Value"/>; draws nothing, so <paramref name="random"/> keeps its position.</summary>
    public override double Sample(ref RandomStream random) => Value;

    /// <summary>True: every element gets <see cref="Value"/>.</summary>
    public override bool IsConstant => true;

    /// <summary><see cref="Value"/>.</summary>
    public override double Minimum => Value;

    /// <inheritdoc/>
    public override double Maximum => Value;
}
