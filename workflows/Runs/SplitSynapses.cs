using BioSim.Circuits.Projections;
using BioSim.Engine.Distributed;

namespace BioSim.Workflows.Runs;

/// <summary>
/// The synapses of one projection in a run split over processes, where each process holds only those onto its own neurons
/// (generated so, <see cref="Projection.HoldPiece"/>, or dropped from the whole, <see cref="Projection.KeepOnlyTargets"/>), each
/// knowing its synapses' indices in the whole projection (<see cref="Projection.WholeSynapseIds"/>): process 0, which writes, learns once which process keeps which synapse of the
/// whole projection and every synapse's source and target, so that it writes weight reports and final weights in the whole
/// projection's order (CSR), as one process writes them.
/// </summary>
internal sealed class SplitSynapses
{
    private readonly int[] _mine;
    private readonly int[][] _idsOf;

    private SplitSynapses(int[] mine, int wholeCount, int[][] idsOf, int[] owner, ulong[] sources, ulong[] targets)
    {
        _mine = mine;
        WholeCount = wholeCount;
        _idsOf = idsOf;
        Owner = owner;
        Sources = sources;
        Targets = targets;
    }

    /// <summary>Synapses of the whole projection.</summary>
    public int WholeCount { get; }

    /// <summary>Process 0: the process that keeps each synapse of the whole projection (empty elsewhere).</summary>
    public int[] Owner { get; }

    /// <summary>Process 0: the source neuron of each synapse of the whole projection (empty elsewhere).</summary>
    public ulong[] Sources { get; }

    /// <summary>Process 0: the target neuron of each synapse of the whole projection (empty elsewhere).</summary>
    public ulong[] Targets { get; }

    /// <summary>This process's index of synapse <paramref name="whole"/> of the whole projection, or −1 when another process keeps it.</summary>
    public int LocalIndex(int whole) => Math.Max(-1, Array.BinarySearch(_mine, whole));

    /// <summary>Gathers where <paramref name="projection"/>'s synapses are (collective: every process calls it for the same
    /// projections in the same order). Each sends, for each synapse it keeps, its index in the whole projection, its source
    /// and its target (as doubles, exact below 2⁵³).</summary>
    public static SplitSynapses Gather(Projection projection, IProcessGroup processes)
    {
        int[] mine = projection.WholeSynapseIds();
        int n = mine.Length;
        var send = new double[3 * n];
        var rows = projection.RowStart;
        var targets = projection.Targets;
        for (int i = 0; i + 1 < rows.Length; i++)
        {
            for (int k = rows[i]; k < rows[i + 1]; k++)
            {
                send[k] = mine[k];
                send[n + k] = i;
                send[2 * n + k] = targets[k];
            }
        }
        double[] all = [];
        var counts = new int[processes.Size];
        processes.AllGather(send, ref all, counts);
        int whole = projection.WholeSynapseCount;
        if (processes.Rank != 0) return new SplitSynapses(mine, whole, [], [], [], []);
        var idsOf = new int[processes.Size][];
        var owner = new int[whole];
        Array.Fill(owner, -1);
        var sources = new ulong[whole];
        var wholeTargets = new ulong[whole];
        int at = 0;
        for (int r = 0; r < processes.Size; r++)
        {
            int m = counts[r] / 3;
            idsOf[r] = new int[m];
            for (int k = 0; k < m; k++)
            {
                int id = (int)all[at + k];
                idsOf[r][k] = id;
                owner[id] = r;
                sources[id] = (ulong)all[at + m + k];
                wholeTargets[id] = (ulong)all[at + 2 * m + k];
            }
            at += counts[r];
        }
        int missing = Array.IndexOf(owner, -1);
        if (missing >= 0) throw new InvalidOperationException($"Projection '{projection.Name}': no process keeps synapse {missing} of {whole}.");
        return new SplitSynapses(mine, whole, idsOf, owner, sources, wholeTargets);
    }

    /// <summary>The weights of the whole projection in its order, on process 0 (null on the others); collective.</summary>
    public double[]? GatherWeights(Projection projection, IProcessGroup processes)
    {
        var mine = new double[projection.SynapseCount];
        for (int k = 0; k < mine.Length; k++) mine[k] = projection.Weight(k);
        double[] all = [];
        var counts = new int[processes.Size];
        processes.AllGather(mine, ref all, counts);
        if (processes.Rank != 0) return null;
        var whole = new double[WholeCount];
        int at = 0;
        for (int r = 0; r < processes.Size; r++)
        {
            var ids = _idsOf[r];
            if (counts[r] != ids.Length) throw new InvalidOperationException($"Projection '{projection.Name}': process {r} sent {counts[r]} weights for its {ids.Length} synapses.");
            for (int k = 0; k < ids.Length; k++) whole[ids[k]] = all[at + k];
            at += counts[r];
        }
        return whole;
    }
}
