using BioSim.Engine.Random;

namespace BioSim.Circuits.Connectivity;

/// <summary>Base for rules: typed parameters, checked once.</summary>
public abstract class ConnectivityRule<TParameters> : IConnectivityRule where TParameters : class
{
    /// <inheritdoc/>
    public Type ParametersType => typeof(TParameters);

    /// <inheritdoc/>
    /// <remarks>Parameters of another type than <typeparamref name="TParameters"/> are reported, not thrown.</remarks>
    public string? Validate(object parameters, int sourceCount, int targetCount) =>
        parameters is TParameters p ? Validate(p, sourceCount, targetCount) : $"parameters must be {typeof(TParameters).Name}";

    /// <inheritdoc/>
    /// <remarks>Checks the parameters first; a problem throws an <see cref="ArgumentException"/> with the "field: problem" message.</remarks>
    public ConnectivityPattern Build(object parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random)
    {
        var p = (TParameters)parameters;
        string? problem = Validate(p, sourceCount, targetCount);
        if (problem is not null) throw new ArgumentException(problem);
        return Build(p, sourceCount, targetCount, samePopulation, random);
    }

    /// <summary>The first invalid field as "field: problem" for populations of these sizes, or null.</summary>
    protected abstract string? Validate(TParameters parameters, int sourceCount, int targetCount);

    /// <summary>Builds the pattern from parameters that passed <see cref="Validate(TParameters, int, int)"/>, drawing from
    /// <paramref name="random"/>'s element streams (one per row or column); <paramref name="samePopulation"/> tells whether i → i is an autapse.</summary>
    protected abstract ConnectivityPattern Build(TParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random);
}

/// <summary>Parameters of all-to-all connectivity.</summary>
/// <param name="allow_autapses">Whether neuron i connects to itself when source and target are the same population. Default false.</param>
public sealed record AllToAllParameters(bool allow_autapses = false);

/// <summary>Every source connects to every target.</summary>
public sealed class AllToAll : ConnectivityRule<AllToAllParameters>
{
    /// <summary>Rejects a pattern of more than <see cref="Array.MaxLength"/> synapses (sources × targets).</summary>
    protected override string? Validate(AllToAllParameters parameters, int sourceCount, int targetCount) =>
        (long)sourceCount * targetCount > Array.MaxLength ? $"all-to-all: {sourceCount} × {targetCount} synapses is too many for one projection" : null;

    /// <summary>Every target in every row, in order, except i → i when <paramref name="samePopulation"/> and not allow_autapses. Draws nothing.</summary>
    protected override ConnectivityPattern Build(AllToAllParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random)
    {
        var rows = new ConnectivityPattern.RowBuilder(sourceCount, targetCount, (long)sourceCount * targetCount);
        for (int i = 0; i < sourceCount; i++)
        {
            for (int j = 0; j < targetCount; j++)
            {
                if (samePopulation && i == j && !parameters.allow_autapses) continue;
                rows.Add(j);
            }
            rows.EndRow();
        }
        return rows.Build();
    }
}

/// <summary>Parameters of Bernoulli (fixed-probability) connectivity.</summary>
/// <param name="p">Connection probability per (source, target) pair, in [0, 1].</param>
/// <param name="allow_autapses">Whether i → i may be drawn in a population connected to itself. Default true (as Brian2's <c>connect(p=…)</c>).</param>
public sealed record FixedProbabilityParameters(double p, bool allow_autapses = true);

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
    /// </summary>
    protected override ConnectivityPattern Build(FixedProbabilityParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random)
    {
        double p = parameters.p;
        double pairs = (double)sourceCount * targetCount;
        // Mean plus six standard deviations of the binomial count: the buffer almost never has to grow.
        var rows = new ConnectivityPattern.RowBuilder(sourceCount, targetCount, (long)(p * pairs + 6 * Math.Sqrt(pairs * p * (1 - p)) + 64));
        double logQ = Math.Log(1 - p);
        for (int i = 0; i < sourceCount; i++)
        {
            if (p >= 1)
            {
                for (int j = 0; j < targetCount; j++) rows.Add(j);
            }
            else if (p > 0)
            {
                var stream = random.ForElement((uint)i);
                long j = -1;
                while (true)
                {
                    double u = 1.0 - stream.NextDouble(); // in (0, 1]
                    j += 1 + (long)Math.Floor(Math.Log(u) / logQ);
                    if (j >= targetCount) break;
                    rows.Add((int)j);
                }
            }
            if (samePopulation && !parameters.allow_autapses) rows.RemoveFromRow(i);
            rows.EndRow();
        }
        return rows.Build();
    }
}

/// <summary>Parameters of fixed in-degree connectivity.</summary>
/// <param name="indegree">Number of sources each target receives, K ≥ 0.</param>
/// <param name="allow_autapses">Whether i → i may be drawn in a population connected to itself. Default true.</param>
/// <param name="allow_multapses">Whether the same source may be drawn twice for one target. Default true (as NEST).</param>
public sealed record FixedIndegreeParameters(int indegree, bool allow_autapses = true, bool allow_multapses = true);

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
    /// throws an <see cref="ArgumentException"/>. The columns are then turned into rows (<see cref="ConnectivityPattern.FromColumns"/>).
    /// </summary>
    protected override ConnectivityPattern Build(FixedIndegreeParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random)
    {
        int k = parameters.indegree;
        bool excludeSelf = samePopulation && !parameters.allow_autapses;
        if (excludeSelf && !parameters.allow_multapses && k > sourceCount - 1)
        {
            throw new ArgumentException($"indegree: {k} distinct sources other than the target itself are needed but only {sourceCount - 1} exist");
        }
        var columns = new int[targetCount][];
        var chosen = new HashSet<int>();
        for (int j = 0; j < targetCount; j++)
        {
            var stream = random.ForElement((uint)j);
            var column = new int[k];
            chosen.Clear();
            for (int n = 0; n < k; n++)
            {
                int src;
                do
                {
                    src = (int)stream.NextUInt32((uint)sourceCount);
                }
                while ((excludeSelf && src == j) || (!parameters.allow_multapses && !chosen.Add(src)));
                column[n] = src;
            }
            columns[j] = column;
        }
        return ConnectivityPattern.FromColumns(columns, sourceCount);
    }
}

/// <summary>Parameters of one-to-one connectivity (none).</summary>
public sealed record OneToOneParameters;

/// <summary>Source i connects to target i; both populations must have the same size.</summary>
public sealed class OneToOne : ConnectivityRule<OneToOneParameters>
{
    /// <summary>Both populations must have the same size.</summary>
    protected override string? Validate(OneToOneParameters parameters, int sourceCount, int targetCount) =>
        sourceCount == targetCount ? null : $"rule: one-to-one needs populations of equal size, got {sourceCount} sources and {targetCount} targets";

    /// <summary>Source i connects to target i, for every i. Draws nothing.</summary>
    protected override ConnectivityPattern Build(OneToOneParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random)
    {
        var rowStart = new int[sourceCount + 1];
        var targets = new int[sourceCount];
        for (int i = 0; i < sourceCount; i++)
        {
            rowStart[i + 1] = i + 1;
            targets[i] = i;
        }
        return new ConnectivityPattern(rowStart, targets, targetCount);
    }
}
