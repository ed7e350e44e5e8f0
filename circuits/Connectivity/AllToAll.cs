using BioSim.Engine.Random;

namespace BioSim.Circuits.Connectivity;

/// <summary>Every source connects to every target.</summary>
public sealed class AllToAll : ConnectivityRule<AllToAllParameters>
{
    /// <summary>Rejects a pattern of more than <see cref="Array.MaxLength"/> synapses (sources × targets).</summary>
    protected override string? Validate(AllToAllParameters parameters, int sourceCount, int targetCount) =>
        (long)sourceCount * targetCount > Array.MaxLength ? $"all-to-all: {sourceCount} × {targetCount} synapses is too many for one projection" : null;

    /// <summary>Every target of the range in every row, in order, except i → i when <paramref name="samePopulation"/> and not
    /// allow_autapses. Draws nothing.</summary>
    protected override ConnectivityPattern Build(AllToAllParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random,
        int targetStart, int targetEnd)
    {
        var rows = new ConnectivityPattern.RowBuilder(sourceCount, targetCount, (long)sourceCount * (targetEnd - targetStart), targetStart, targetEnd);
        for (int i = 0; i < sourceCount; i++)
        {
            for (int j = targetStart; j < targetEnd; j++)
            {
                if (samePopulation && i == j && !parameters.allow_autapses) continue;
                rows.Add(j);
            }
            rows.EndRow();
        }
        return rows.Build();
    }
}
