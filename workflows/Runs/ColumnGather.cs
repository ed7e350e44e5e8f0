using BioSim.Engine.Distributed;

namespace BioSim.Workflows.Runs;

/// <summary>Gathers the columns of recorded frames that each process of a split run holds to process 0 (state and weight
/// reports alike).</summary>
internal static class ColumnGather
{
    /// <summary>
    /// On every process at a block end: each sends its own columns (<paramref name="owner"/>[j] is the process that holds column
    /// j) of the first <paramref name="frames"/> frames of <paramref name="buffer"/> (frame f, column j at f·<paramref name="columns"/>
    /// + j); process 0 puts each column's values from its owner into its frames. Every process sampled the same steps, so the
    /// frames agree.
    /// </summary>
    /// <returns>Whether this process holds the whole frames now (process 0); the others drop theirs.</returns>
    public static bool ToProcessZero(IProcessGroup processes, int[] owner, double[] buffer, int frames, int columns)
    {
        int rank = processes.Rank;
        var send = new double[frames * owner.Count(o => o == rank)];
        int w = 0;
        for (int f = 0; f < frames; f++)
        {
            for (int j = 0; j < columns; j++)
            {
                if (owner[j] == rank) send[w++] = buffer[f * columns + j];
            }
        }
        double[] all = [];
        processes.AllGather(send, ref all, new int[processes.Size]);
        if (rank != 0) return false;
        int at = 0;
        for (int r = 0; r < processes.Size; r++)
        {
            for (int f = 0; f < frames; f++)
            {
                for (int j = 0; j < columns; j++)
                {
                    if (owner[j] == r) buffer[f * columns + j] = all[at++];
                }
            }
        }
        return true;
    }
}
