using BioSim.Circuits.Projections;
using BioSim.IO.Runs;

namespace BioSim.Workflows.Runs;

/// <summary>Copies the recorded weights of one projection (or of one dense matrix of a population that keeps its own, such as a
/// microcircuit: <paramref name="weight"/> reads entry k) into a frame buffer every <c>every</c> steps; drained once per block.</summary>
internal sealed class WeightProbe(Projection? projection, int[] synapses, int every, WeightReportWriter writer, Func<int, double>? weight = null) : IDisposable
{
    private readonly Func<int, double> _weight = weight ?? projection!.Weight;

    private double[] _buffer = new double[synapses.Length * 16];
    private double[] _times = new double[16];
    private int _frames;

    /// <summary>The projection recorded, or null for a population's matrix.</summary>
    public Projection? Projection => projection;

    /// <summary>How many weights there are (all entries of the matrix or projection).</summary>
    public int Length { get; init; } = projection?.SynapseCount ?? 0;

    /// <summary>Entry k of the recorded weights (all of them, not only the sampled ones).</summary>
    public double Weight(int k) => _weight(k);

    public WeightReportWriter Writer => writer;

    public void Sample(long step, double t)
    {
        if (step % every != 0) return;
        int offset = _frames * synapses.Length;
        if (offset + synapses.Length > _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        if (_frames == _times.Length) Array.Resize(ref _times, _times.Length * 2);
        for (int k = 0; k < synapses.Length; k++) _buffer[offset + k] = _weight(synapses[k]);
        _times[_frames++] = t;
    }

    public void Drain()
    {
        if (_frames == 0) return;
        writer.Append(_buffer.AsSpan(0, _frames * synapses.Length), _times, _frames);
        _frames = 0;
    }

    public void Dispose() => writer.Dispose();
}
