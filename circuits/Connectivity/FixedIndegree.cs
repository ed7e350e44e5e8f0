using BioSim.Engine.Random;

namespace BioSim.Circuits.Connectivity;

/// <summary>Each target draws exactly K sources uniformly at random (with or without repeats).</summary>
public sealed class FixedIndegree : ConnectivityRule<FixedIndegreeParameters>
{
    /// <summary>
    /// indegree ≥ 0; without multapses at most the number of sources; and a one-neuron population cannot have a positive
    /// in-degree without autapses. (Whether the rows connect a population to itself is known only in Build, which checks the rest.)
    /// </summary>
    protected override string? Validate(FixedIndegreeParameters parameters, int sourceCount, int targetCount)
    {
        if (parameters.indegree < 0) return $"indegree: must be ≥ 0, got {parameters.indegree}";
        if (!parameters.allow_multapses && parameters.indegree > sourceCount)
        {
            return $"indegree: {parameters.indegree} distinct sources requested but the source population has {sourceCount}; allow multapses or lower indegree";
        }
        if (sourceCount == 1 && parameters.indegree > 0 && !parameters.allow_autapses)
        {
            return "allow_autapses: a one-neuron population connected to itself without autapses has no source to draw";
        }
        return null;
    }

    /// <summary>
    /// Target j draws its K sources uniformly from element stream j, drawing again on i = j when autapses are excluded and
    /// on a repeated source when multapses are not allowed; with both excluded, fewer than K sources other than the target
    /// throws an <see cref="ArgumentException"/>. The columns are then turned into rows (<see cref="ConnectivityPattern.FromColumns(int[], int, int, int, int, int, int[])"/>).
    /// A piece (targets [start, end)) draws only its own targets' columns: each column's draws are its own stream's.
    /// </summary>
    protected override ConnectivityPattern Build(FixedIndegreeParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random,
        int targetStart, int targetEnd)
    {
        int k = parameters.indegree;
        bool excludeSelf = samePopulation && !parameters.allow_autapses;
        if (excludeSelf && !parameters.allow_multapses && k > sourceCount - 1)
        {
            throw new ArgumentException($"indegree: {k} distinct sources other than the target itself are needed but only {sourceCount - 1} exist");
        }
        long total = (long)k * (targetEnd - targetStart);
        if (total > Array.MaxLength) throw new ArgumentException($"indegree: {k} × {targetEnd - targetStart} targets is more than {Array.MaxLength} synapses in one projection");
        var sources = new int[total];
        var chosen = new HashSet<int>();
        int at = 0;
        for (int j = targetStart; j < targetEnd; j++)
        {
            var stream = random.ForElement((uint)j);
            chosen.Clear();
            for (int n = 0; n < k; n++)
            {
                int src;
                do
                {
                    src = (int)stream.NextUInt32((uint)sourceCount);
                }
                while ((excludeSelf && src == j) || (!parameters.allow_multapses && !chosen.Add(src)));
                sources[at++] = src;
            }
        }
        return ConnectivityPattern.FromColumns(sources, k, sourceCount, targetCount, targetStart, targetEnd);
    }
}
