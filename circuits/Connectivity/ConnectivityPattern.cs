namespace BioSim.Circuits.Connectivity;

/// <summary>
/// Which source connects to which target, in compressed sparse row form: the targets of source
/// <c>i</c> are <c>Targets[RowStart[i]..RowStart[i + 1]]</c>, ascending.
/// </summary>
public sealed class ConnectivityPattern
{
    public ConnectivityPattern(int[] rowStart, int[] targets, int targetCount)
    {
        if (rowStart.Length == 0 || rowStart[0] != 0 || rowStart[^1] != targets.Length)
        {
            throw new ArgumentException("rowStart must start at 0 and end at the number of synapses.");
        }
        RowStart = rowStart;
        Targets = targets;
        TargetCount = targetCount;
    }

    public int[] RowStart { get; }

    public int[] Targets { get; }

    public int SourceCount => RowStart.Length - 1;

    public int TargetCount { get; }

    public int SynapseCount => Targets.Length;

    /// <summary>Builds the CSR form from one list of targets per source.</summary>
    public static ConnectivityPattern FromRows(IReadOnlyList<List<int>> rows, int targetCount)
    {
        var rowStart = new int[rows.Count + 1];
        long total = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            total += rows[i].Count;
            if (total > Array.MaxLength) throw new InvalidOperationException($"More than {Array.MaxLength} synapses in one projection.");
            rowStart[i + 1] = (int)total;
        }
        var targets = new int[total];
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(targets, rowStart[i]);
        return new ConnectivityPattern(rowStart, targets, targetCount);
    }

    /// <summary>Builds the CSR form (by source) from one list of sources per target, keeping targets ascending in each row.</summary>
    public static ConnectivityPattern FromColumns(IReadOnlyList<int[]> sourcesOfTarget, int sourceCount)
    {
        var rowStart = new int[sourceCount + 1];
        long total = 0;
        foreach (var column in sourcesOfTarget)
        {
            foreach (int src in column) rowStart[src + 1]++;
            total += column.Length;
        }
        if (total > Array.MaxLength) throw new InvalidOperationException($"More than {Array.MaxLength} synapses in one projection.");
        for (int i = 0; i < sourceCount; i++) rowStart[i + 1] += rowStart[i];
        var fill = rowStart[..^1].ToArray();
        var targets = new int[total];
        for (int j = 0; j < sourcesOfTarget.Count; j++)
        {
            foreach (int src in sourcesOfTarget[j]) targets[fill[src]++] = j;
        }
        return new ConnectivityPattern(rowStart, targets, sourcesOfTarget.Count);
    }
}
