using BioSim.Circuits.Connectivity;
using BioSim.Engine.Distributed;

namespace BioSim.Workflows.Runs;

/// <summary>
/// Where one process's piece of a projection (its synapses onto its own neurons, <see cref="ConnectivityPattern.TargetStart"/>)
/// lies in the whole projection, learned from the piece's row lengths alone (one collective call, no process ever holds the
/// whole): the processes' target ranges ascend with their rank, and each rule lists a row's targets in ascending order, so a
/// row's piece on process r follows the row's pieces on processes 0 … r − 1. Their lengths summed (an exclusive prefix sum
/// over the processes) give the number of the row's synapses before the piece, which is both how many draws of the row's
/// weight and delay streams precede the piece's, and, added to the whole row's start, the piece's place in the whole
/// projection's CSR order.
/// </summary>
internal sealed class PieceLayout
{
    private PieceLayout(int[] before, int[] firstInWhole, int wholeCount)
    {
        Before = before;
        FirstInWhole = firstInWhole;
        WholeCount = wholeCount;
    }

    /// <summary>Per row: the whole row's synapses onto targets before the piece (held by lower-ranked processes).</summary>
    public int[] Before { get; }

    /// <summary>Per row: the index in the whole projection (CSR order) of the piece's first synapse in the row.</summary>
    public int[] FirstInWhole { get; }

    /// <summary>Synapses of the whole projection.</summary>
    public int WholeCount { get; }

    /// <summary>The layout of <paramref name="piece"/> (collective: every process calls it for the same projections in the same
    /// order). Throws, on every process alike, when the whole projection would have more synapses than one array holds.</summary>
    public static PieceLayout Gather(ConnectivityPattern piece, IProcessGroup processes, string projection)
    {
        int rows = piece.SourceCount;
        var lengths = new int[rows];
        for (int i = 0; i < rows; i++) lengths[i] = piece.RowStart[i + 1] - piece.RowStart[i];
        var before = new int[rows];
        var whole = new int[rows];
        processes.PrefixSums(lengths, before, whole);
        var first = lengths; // reused: each row's length is read before its slot is overwritten
        long start = 0;
        for (int i = 0; i < rows; i++)
        {
            if (start + whole[i] > Array.MaxLength) throw new InvalidOperationException($"Projection '{projection}': more than {Array.MaxLength} synapses in one projection.");
            first[i] = (int)start + before[i];
            start += whole[i];
        }
        return new PieceLayout(before, first, (int)start);
    }
}
