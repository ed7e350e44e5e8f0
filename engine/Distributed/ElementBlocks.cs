using BioSim.Engine.Simulation;

namespace BioSim.Engine.Distributed;

/// <summary>
/// How a network is cut over P processes: the populations' chunks (<see cref="IDynamics.ParallelChunk"/> elements each,
/// population after population, the same at any thread and process count) are cut into P contiguous blocks of about equal
/// element counts, a chunk going to the process whose share holds its middle element. A process's elements of each
/// population are therefore one contiguous range, ranges ascend with the rank, and the cut depends only on P. The
/// <see cref="Simulator"/> steps each process's block; a model builder uses the same cut to generate only the synapses onto
/// a process's own neurons.
/// </summary>
public static class ElementBlocks
{
    /// <summary>The chunks of <paramref name="populations"/> in order: (population index, first element, end).</summary>
    public static (int Population, int Start, int End)[] Chunks(IReadOnlyList<IDynamics> populations)
    {
        var chunks = new List<(int, int, int)>();
        for (int p = 0; p < populations.Count; p++)
        {
            int chunk = Math.Max(1, populations[p].ParallelChunk);
            for (int s = 0; s < populations[p].Size; s += chunk) chunks.Add((p, s, Math.Min(s + chunk, populations[p].Size)));
        }
        return chunks.ToArray();
    }

    /// <summary>The process (0 to <paramref name="processCount"/> − 1) that steps each of <paramref name="chunks"/>.</summary>
    public static int[] Owners(ReadOnlySpan<(int Population, int Start, int End)> chunks, int processCount)
    {
        long allElements = 0, before = 0;
        foreach (var c in chunks) allElements += c.End - c.Start;
        var owners = new int[chunks.Length];
        for (int c = 0; c < chunks.Length; c++)
        {
            long size = chunks[c].End - chunks[c].Start;
            owners[c] = (int)Math.Min(processCount - 1, (2 * before + size) * processCount / Math.Max(1, 2 * allElements));
            before += size;
        }
        return owners;
    }

    /// <summary>The elements of each population that process <paramref name="rank"/> of <paramref name="processCount"/> steps:
    /// one range per population, (0, 0) where it holds none.</summary>
    public static (int Start, int End)[] Owned(IReadOnlyList<IDynamics> populations, int processCount, int rank)
    {
        var chunks = Chunks(populations);
        int[] owners = Owners(chunks, processCount);
        var owned = new (int Start, int End)[populations.Count];
        for (int c = 0; c < chunks.Length; c++)
        {
            if (owners[c] != rank) continue;
            var (p, start, end) = chunks[c];
            owned[p] = owned[p] == (0, 0) ? (start, end) : (owned[p].Start, end);
        }
        return owned;
    }
}
