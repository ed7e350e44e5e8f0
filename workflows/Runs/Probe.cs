using BioSim.Engine.Distributed;
using BioSim.IO.Sonata;

namespace BioSim.Workflows.Runs;

/// <summary>Copies the recorded elements of one variable into a frame buffer every <c>every</c> steps. In a split run every
/// process samples, and <see cref="Gather"/> gives process 0 (the one with a <paramref name="writer"/>) each column from the
/// process that steps its node.</summary>
internal sealed class Probe(double[] values, int[] ids, int every, ReportPopulationWriter? writer)
{
    public ReportPopulationWriter Writer => writer ?? throw new InvalidOperationException("This process of a split run writes no report.");

    private double[] _buffer = new double[ids.Length * 64];
    private int _frames;

    public void Sample(long step)
    {
        if (step % every != 0) return;
        int offset = _frames * ids.Length;
        if (offset + ids.Length > _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        for (int k = 0; k < ids.Length; k++) _buffer[offset + k] = values[ids[k]];
        _frames++;
    }

    /// <summary>Split runs, on every process at each block end: each sends its own columns (<paramref name="owner"/>[j] is the
    /// process that steps column j's node) of every frame sampled since the last block; process 0 puts each column's values
    /// from its owner into its frames, the others drop theirs. Every process samples the same steps, so frames agree.</summary>
    public void Gather(IProcessGroup processes, int[] owner)
    {
        int n = ids.Length, rank = processes.Rank;
        var send = new double[_frames * owner.Count(o => o == rank)];
        int w = 0;
        for (int f = 0; f < _frames; f++)
        {
            for (int j = 0; j < n; j++)
            {
                if (owner[j] == rank) send[w++] = _buffer[f * n + j];
            }
        }
        double[] all = [];
        processes.AllGather(send, ref all, new int[processes.Size]);
        if (rank != 0)
        {
            _frames = 0;
            return;
        }
        int at = 0;
        for (int r = 0; r < processes.Size; r++)
        {
            for (int f = 0; f < _frames; f++)
            {
                for (int j = 0; j < n; j++)
                {
                    if (owner[j] == r) _buffer[f * n + j] = all[at++];
                }
            }
        }
    }

    public void Drain()
    {
        if (_frames == 0) return;
        Writer.AppendFrames(_buffer.AsSpan(0, _frames * ids.Length), _frames);
        _frames = 0;
    }
}
