using BioSim.Circuits.Connectivity;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Projections;

/// <summary>
/// Synapses from one population to one receptor of another, stored by source in compressed sparse
/// rows: for each spike the row of its source is walked and each weight added to the target's delay
/// slot. Storage is 12 bytes per synapse (int32 target, float64 weight) when every synapse has the same
/// delay, plus 2 bytes (delay in steps) when delays differ per synapse.
/// </summary>
public sealed class Projection : ITransmitter
{
    private readonly int[] _rowStart;
    private readonly int[] _targets;
    private readonly double[] _weights;
    private readonly double _delay;
    private readonly double[]? _delaysMs;
    private ushort[]? _delaySteps;
    private int _uniformDelaySteps;
    private DelayRing? _ring;

    /// <param name="delay">Uniform delay (ms), ≥ 0, used when <paramref name="delays"/> is null.</param>
    /// <param name="delays">Per-synapse delays (ms) in CSR order, or null.</param>
    public Projection(string name, string source, IDynamics target, string receptor, ConnectivityPattern pattern,
        double[] weights, double delay, double[]? delays = null)
    {
        if (weights.Length != pattern.SynapseCount)
        {
            throw new ArgumentException($"Projection '{name}': {weights.Length} weights for {pattern.SynapseCount} synapses.");
        }
        if (delays is not null && delays.Length != pattern.SynapseCount)
        {
            throw new ArgumentException($"Projection '{name}': {delays.Length} delays for {pattern.SynapseCount} synapses.");
        }
        if (!(delay >= 0) || double.IsInfinity(delay)) throw new ArgumentException($"Projection '{name}': delay must be ≥ 0 ms, got {delay}.");
        if (pattern.TargetCount != target.Size)
        {
            throw new ArgumentException($"Projection '{name}': the pattern has {pattern.TargetCount} targets but population '{target.Name}' has {target.Size}.");
        }
        if (!target.InputNames.Contains(receptor))
        {
            throw new ArgumentException($"Projection '{name}': population '{target.Name}' has no receptor '{receptor}'; it has: {string.Join(", ", target.InputNames)}.");
        }
        Name = name;
        Source = source;
        Target = target;
        Receptor = receptor;
        _rowStart = pattern.RowStart;
        _targets = pattern.Targets;
        _weights = weights;
        _delay = delay;
        _delaysMs = delays;
    }

    public string Name { get; }

    public string Source { get; }

    public IDynamics Target { get; }

    public string Receptor { get; }

    public int SynapseCount => _targets.Length;

    /// <summary>Bytes of synapse storage per synapse (targets, weights, delays), excluding the row index.</summary>
    public double BytesPerSynapse => 4 + 8 + (_delaysMs is null ? 0 : 2);

    public ReadOnlySpan<int> RowStart => _rowStart;

    public ReadOnlySpan<int> Targets => _targets;

    public Span<double> Weights => _weights;

    /// <summary>Delay in steps: round(delay/dt), as Brian2 and NEST do for grid-based delivery.</summary>
    private static int Steps(double delayMs, double dt) => (int)Math.Round(delayMs / dt, MidpointRounding.AwayFromZero);

    public int MaxDelaySteps(double dt)
    {
        if (_delaysMs is null) return Steps(_delay, dt);
        double max = 0;
        foreach (double d in _delaysMs) max = Math.Max(max, d);
        return Steps(max, dt);
    }

    public void Prepare(double dt)
    {
        _ring = null; // the target's rings are rebuilt when the longest delay changes
        if (_delaysMs is null)
        {
            _uniformDelaySteps = Steps(_delay, dt);
            return;
        }
        _delaySteps = new ushort[_delaysMs.Length];
        for (int k = 0; k < _delaysMs.Length; k++)
        {
            int steps = Steps(_delaysMs[k], dt);
            if (steps > ushort.MaxValue) throw new ArgumentException($"Projection '{Name}': delay {_delaysMs[k]} ms is more than {ushort.MaxValue} steps of {dt} ms.");
            _delaySteps[k] = (ushort)steps;
        }
    }

    public void Transmit(SpikeList spikes)
    {
        _ring ??= Target.Input(Receptor);
        var ids = spikes.Ids;
        if (_delaySteps is null)
        {
            var slot = _ring.Slot(_uniformDelaySteps);
            for (int n = 0; n < ids.Length; n++)
            {
                int i = ids[n];
                for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++) slot[_targets[k]] += _weights[k];
            }
            return;
        }
        for (int n = 0; n < ids.Length; n++)
        {
            int i = ids[n];
            for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++) _ring.Slot(_delaySteps[k])[_targets[k]] += _weights[k];
        }
    }
}
