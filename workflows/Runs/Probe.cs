using BioSim.IO.Sonata;

namespace BioSim.Workflows.Runs;

/// <summary>Copies the recorded elements of one variable into a frame buffer every <c>every</c> steps.</summary>
internal sealed class Probe(double[] values, int[] ids, int every, ReportPopulationWriter writer)
{
    public ReportPopulationWriter Writer => writer;

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

    public void Drain()
    {
        if (_frames == 0) return;
        writer.AppendFrames(_buffer.AsSpan(0, _frames * ids.Length), _frames);
        _frames = 0;
    }
}
