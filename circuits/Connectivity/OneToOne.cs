using BioSim.Engine.Random;

namespace BioSim.Circuits.Connectivity;

/// <summary>Source i connects to target i; both populations must have the same size.</summary>
public sealed class OneToOne : ConnectivityRule<OneToOneParameters>
{
    /// <summary>Both populations must have the same size.</summary>
    protected override string? Validate(OneToOneParameters parameters, int sourceCount, int targetCount) =>
        sourceCount == targetCount ? null : $"rule: one-to-one needs populations of equal size, got {sourceCount} sources and {targetCount} targets";

    /// <summary>Source i connects to target i, for every i in the target range. Draws nothing.</summary>
    protected override ConnectivityPattern Build(OneToOneParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random,
        int targetStart, int targetEnd)
    {
        var rowStart = new int[sourceCount + 1];
        var targets = new int[targetEnd - targetStart];
        for (int i = 0; i < sourceCount; i++)
        {
            bool mine = i >= targetStart && i < targetEnd;
            rowStart[i + 1] = rowStart[i] + (mine ? 1 : 0);
            if (mine) targets[i - targetStart] = i;
        }
        return new ConnectivityPattern(rowStart, targets, targetCount, targetStart, targetEnd);
    }
}
