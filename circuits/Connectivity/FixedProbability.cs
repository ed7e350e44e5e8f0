using BioSim.Engine.Random;

namespace BioSim.Circuits.Connectivity;

/// <summary>
/// Each (source, target) pair is connected independently with probability p. Rows are drawn by
/// geometric skipping (the gap to the next target is geometric), so the cost is proportional to the
/// number of synapses, not to sources × targets.
/// </summary>
public sealed class FixedProbability : ConnectivityRule<FixedProbabilityParameters>
{
    /// <summary>p must be a probability in [0, 1].</summary>
    protected override string? Validate(FixedProbabilityParameters parameters, int sourceCount, int targetCount) =>
        parameters.p is >= 0 and <= 1 ? null : $"p: must be a probability in [0, 1], got {parameters.p}";

    /// <summary>
    /// Row i draws from element stream i: the gap to the next target is 1 + ⌊ln u / ln(1 − p)⌋ with u uniform in (0, 1];
    /// p = 1 takes every target and p = 0 none, without drawing. Without autapses in a population connected to itself,
    /// i is removed from row i after the row is drawn, so the other targets of the row do not depend on allow_autapses.
    /// A piece (targets [start, end)) draws each row's gaps up to the first target at or past its end and keeps those from
    /// its start on: the draws are the whole row's, so the targets are the whole pattern's.
    /// </summary>
    protected override ConnectivityPattern Build(FixedProbabilityParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random,
        int targetStart, int targetEnd)
    {
        double p = parameters.p;
        double pairs = (double)sourceCount * (targetEnd - targetStart);
        // Mean plus six standard deviations of the binomial count: the buffer almost never has to grow.
        var rows = new ConnectivityPattern.RowBuilder(sourceCount, targetCount, (long)(p * pairs + 6 * Math.Sqrt(pairs * p * (1 - p)) + 64), targetStart, targetEnd);
        double logQ = Math.Log(1 - p);
        for (int i = 0; i < sourceCount; i++)
        {
            if (p >= 1)
            {
                for (int j = targetStart; j < targetEnd; j++) rows.Add(j);
            }
            else if (p > 0)
            {
                var stream = random.ForElement((uint)i);
                long j = -1;
                while (true)
                {
                    double u = 1.0 - stream.NextDouble(); // in (0, 1]
                    j += 1 + (long)Math.Floor(Math.Log(u) / logQ);
                    if (j >= targetEnd) break;
                    if (j >= targetStart) rows.Add((int)j);
                }
            }
            if (samePopulation && !parameters.allow_autapses) rows.RemoveFromRow(i);
            rows.EndRow();
        }
        return rows.Build();
    }
}
