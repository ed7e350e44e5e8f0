using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Plasticity;

/// <summary>
/// The synapses of one projection as a plasticity rule sees them: CSR by source (<see cref="RowStart"/>,
/// <see cref="Targets"/>, <see cref="Weights"/> in the same order), the synapse indices grouped by target
/// (<see cref="SynapsesOf"/>, each group in ascending source order), and the two populations, whose live state
/// variables continuous-time rules may read after each step.
/// </summary>
public sealed class PlasticSynapses
{
    private readonly int[] _columnStart;
    private readonly int[] _columnSynapses;

    /// <param name="rowStart">Row offsets by source (length sources + 1).</param>
    /// <param name="targets">Target index of each synapse, CSR order.</param>
    /// <param name="weights">The live weights, CSR order; the rule changes them in place.</param>
    /// <param name="source">The presynaptic population.</param>
    /// <param name="target">The postsynaptic population.</param>
    /// <param name="dt">The simulation's step, ms.</param>
    public PlasticSynapses(int[] rowStart, int[] targets, double[] weights, IDynamics source, IDynamics target, double dt)
    {
        RowStartArray = rowStart;
        TargetArray = targets;
        Weights = weights;
        Source = source;
        Target = target;
        Dt = dt;
        SourceIndex = new int[targets.Length];
        for (int i = 0; i + 1 < rowStart.Length; i++)
        {
            for (int k = rowStart[i]; k < rowStart[i + 1]; k++) SourceIndex[k] = i;
        }
        // Counting sort by target: each column lists its synapses in CSR order, that is by ascending source.
        _columnStart = new int[target.Size + 1];
        foreach (int j in targets) _columnStart[j + 1]++;
        for (int j = 0; j < target.Size; j++) _columnStart[j + 1] += _columnStart[j];
        _columnSynapses = new int[targets.Length];
        var fill = _columnStart[..^1];
        for (int k = 0; k < targets.Length; k++) _columnSynapses[fill[targets[k]]++] = k;
    }

    private int[] RowStartArray { get; }

    private int[] TargetArray { get; }

    /// <summary>Number of synapses.</summary>
    public int Count => TargetArray.Length;

    /// <summary>Row offsets by source: the synapses of source i are [RowStart[i], RowStart[i + 1]).</summary>
    public ReadOnlySpan<int> RowStart => RowStartArray;

    /// <summary>Target index of each synapse (CSR order).</summary>
    public ReadOnlySpan<int> Targets => TargetArray;

    /// <summary>Source index of each synapse (CSR order).</summary>
    public int[] SourceIndex { get; }

    /// <summary>The live weights in CSR order, in the receptor's unit.</summary>
    public double[] Weights { get; }

    /// <summary>The synapse indices onto target <paramref name="target"/>, in ascending source order.</summary>
    public ReadOnlySpan<int> SynapsesOf(int target) =>
        _columnSynapses.AsSpan(_columnStart[target], _columnStart[target + 1] - _columnStart[target]);

    /// <summary>The presynaptic population.</summary>
    public IDynamics Source { get; }

    /// <summary>The postsynaptic population.</summary>
    public IDynamics Target { get; }

    /// <summary>The simulation's step, ms.</summary>
    public double Dt { get; }

    /// <summary>The target's input port (receptor) the synapses feed, as the projection names it; empty when unknown.</summary>
    public string Receptor { get; init; } = "";
}
