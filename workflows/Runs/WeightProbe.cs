using BioSim.Circuits.Projections;
using BioSim.Engine.Distributed;
using BioSim.IO.Runs;

namespace BioSim.Workflows.Runs;

/// <summary>Copies the recorded weights of one projection (or of one dense matrix of a population that keeps its own, such as a
/// microcircuit: <paramref name="weight"/> reads entry k) into a frame buffer every <c>every</c> steps; drained once per block.
/// <paramref name="columns"/> gives, for each recorded synapse, the index to read (this process's own index of it in a split run,
/// where −1 marks a synapse another process keeps: <see cref="Gather"/> brings its values to process 0, the one with a
/// <paramref name="writer"/>).</summary>
internal sealed class WeightProbe(Projection? projection, int[] columns, int every, WeightReportWriter? writer, Func<int, double>? weight = null) : IDisposable
{
    private readonly Func<int, double> _weight = weight ?? projection!.Weight;

    private double[] _buffer = new double[columns.Length * 16];
    private double[] _times = new double[16];
    private int _frames;

    /// <summary>The projection recorded, or null for a population's matrix.</summary>
    public Projection? Projection => projection;

    /// <summary>How many weights there are (all entries of the matrix or projection).</summary>
    public int Length { get; init; } = projection?.SynapseCount ?? 0;

    /// <summary>Entry k of the recorded weights (all of them, not only the sampled ones).</summary>
    public double Weight(int k) => _weight(k);

    public WeightReportWriter Writer => writer ?? throw new InvalidOperationException("This process of a split run writes no weight report.");

    public void Sample(long step, double t)
    {
        if (step % every != 0) return;
        int offset = _frames * columns.Length;
        if (offset + columns.Length > _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        if (_frames == _times.Length) Array.Resize(ref _times, _times.Length * 2);
        for (int k = 0; k < columns.Length; k++) _buffer[offset + k] = columns[k] >= 0 ? _weight(columns[k]) : 0;
        _times[_frames++] = t;
    }

    /// <summary>Split runs, on every process at each block end: process 0 gets each column from its owner (<paramref name="owner"/>[j]
    /// is the process that keeps recorded synapse j; <see cref="ColumnGather.ToProcessZero"/>), the others drop their frames.</summary>
    public void Gather(IProcessGroup processes, int[] owner)
    {
        if (!ColumnGather.ToProcessZero(processes, owner, _buffer, _frames, columns.Length)) _frames = 0;
    }

    public void Drain()
    {
        if (_frames == 0) return;
        Writer.Append(_buffer.AsSpan(0, _frames * columns.Length), _times, _frames);
        _frames = 0;
    }

    public void Dispose() => writer?.Dispose();
}
