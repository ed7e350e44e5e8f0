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

    /// <summary>Split runs, on every process at each block end: process 0 gets each column from its owner (<paramref name="owner"/>[j]
    /// is the process that steps column j's node; <see cref="ColumnGather.ToProcessZero"/>), the others drop their frames.</summary>
    public void Gather(IProcessGroup processes, int[] owner)
    {
        if (!ColumnGather.ToProcessZero(processes, owner, _buffer, _frames, ids.Length)) _frames = 0;
    }

    public void Drain()
    {
        if (_frames == 0) return;
        Writer.AppendFrames(_buffer.AsSpan(0, _frames * ids.Length), _frames);
        _frames = 0;
    }
}
