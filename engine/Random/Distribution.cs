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

    /// <summary>Largest value a draw can take (+∞ when unbounded), for range checks such as weight bounds.</summary>
    public abstract double Maximum { get; }
}
