using BioSim.Circuits.Connectivity;
using BioSim.Engine.Events;
using BioSim.Engine.Random;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// The connections from a current device (<see cref="ICurrentSource"/>) to the neurons of one population, stored by
/// device element in compressed sparse rows, each with its weight w (dimensionless: it scales the device's pA, as NEST's
/// weight scales a current generator's amplitude), a delay d (ms, the same for all) and its random stream. The target
/// asks it, once per step, for the changes of its input whose arrival time t_c + d lies in a window (<see cref="Deliver"/>):
/// each change of element j becomes, for every target i of j, a jump w_ij (A_j after − A_j before) of the target's injected
/// current, in device order, then time, then CSR order, so the order never depends on threads.
/// </summary>
public sealed class CurrentProjection
{
    private readonly ICurrentSource _source;
    private readonly int[] _rowStart;
    private readonly int[] _targets;
    private readonly double[] _weights;
    private readonly RandomStream[] _streams;
    private readonly double _delay;
    // The amplitude after change _cachedChange[j] of each connection of row j (a cache, not state: amplitudes are functions
    // of the change index, so a resumed run recomputes what it lacks and gets the same bits). Halves the noise draws.
    private readonly double[] _cachedAmplitude;
    private readonly long[] _cachedChange;

    /// <param name="name">The projection's name, for messages.</param>
    /// <param name="source">The device.</param>
    /// <param name="targetName">The target population's name (it keys each connection's random stream).</param>
    /// <param name="targetSize">The target population's size; must be the pattern's target count.</param>
    /// <param name="pattern">Which device element drives which neuron (the pattern's source count is the device's size).</param>
    /// <param name="weights">One weight per connection in CSR order, or null for <paramref name="uniformWeight"/> everywhere.</param>
    /// <param name="uniformWeight">The weight of every connection when <paramref name="weights"/> is null.</param>
    /// <param name="delay">d (ms), ≥ 0: a change at t_c reaches the targets at t_c + d.</param>
    public CurrentProjection(string name, ICurrentSource source, string targetName, int targetSize, ConnectivityPattern pattern,
        double[]? weights, double uniformWeight, double delay)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.SourceCount != source.Size) throw new ArgumentException($"Projection '{name}': the pattern has {pattern.SourceCount} sources but device '{source.Name}' has {source.Size} elements.");
        if (pattern.TargetCount != targetSize) throw new ArgumentException($"Projection '{name}': the pattern has {pattern.TargetCount} targets but population '{targetName}' has {targetSize}.");
        if (weights is not null && weights.Length != pattern.SynapseCount) throw new ArgumentException($"Projection '{name}': {weights.Length} weights for {pattern.SynapseCount} connections.");
        if (!(delay >= 0) || double.IsInfinity(delay)) throw new ArgumentException($"Projection '{name}': delay must be ≥ 0 ms, got {delay}.");
        Name = name;
        _source = source;
        _rowStart = pattern.RowStart;
        _targets = pattern.Targets;
        _weights = weights ?? Enumerable.Repeat(uniformWeight, pattern.SynapseCount).ToArray();
        _delay = delay;
        _cachedAmplitude = new double[_targets.Length];
        _cachedChange = new long[source.Size];
        Array.Fill(_cachedChange, long.MinValue);
        _streams = new RandomStream[_targets.Length];
        for (int j = 0; j < source.Size; j++)
        {
            for (int k = _rowStart[j]; k < _rowStart[j + 1]; k++) _streams[k] = source.ConnectionStream(j, targetName, _targets[k]);
        }
    }

    /// <summary>The projection's name.</summary>
    public string Name { get; }

    /// <summary>The device's name.</summary>
    public string Source => _source.Name;

    /// <summary>
    /// Every change that reaches a target at a time in [<paramref name="from"/>, <paramref name="to"/>) ms: added to
    /// <paramref name="current"/>[i] at once when <paramref name="events"/> is null (grid timing: the change holds from the
    /// step being prepared), else appended to <paramref name="events"/> as an event of input port <paramref name="port"/>
    /// with its exact time and the jump as its weight (exact timing). Jumps of zero are skipped.
    /// </summary>
    public void Deliver(double from, double to, double[] current, int port, List<TimedEvent>? events)
    {
        ArgumentNullException.ThrowIfNull(current);
        for (int j = 0; j < _source.Size; j++)
        {
            int rowStart = _rowStart[j], rowEnd = _rowStart[j + 1];
            if (rowStart == rowEnd) continue;
            for (long c = _source.FirstChange(j, from - _delay); ; c++)
            {
                double arrival = _source.ChangeTime(j, c) + _delay;
                if (!(arrival < to)) break;
                bool cached = _cachedChange[j] == c - 1;
                for (int k = rowStart; k < rowEnd; k++)
                {
                    double before = cached ? _cachedAmplitude[k] : _source.AmplitudeAfter(j, _streams[k], c - 1);
                    double after = _source.AmplitudeAfter(j, _streams[k], c);
                    _cachedAmplitude[k] = after;
                    double jump = _weights[k] * (after - before);
                    if (jump == 0) continue;
                    if (events is null) current[_targets[k]] += jump;
                    else events.Add(new TimedEvent(_targets[k], port, arrival, jump, 0));
                }
                _cachedChange[j] = c;
            }
        }
    }
}
