using System.Runtime.CompilerServices;
using BioSim.Circuits.Connectivity;
using BioSim.Engine.Events;
using BioSim.Engine.Numerics;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Projections;

/// <summary>
/// Synapses from one population to one receptor of another, stored by source in compressed sparse
/// rows: for each spike the row of its source is walked and each weight added to the target's delay
/// slot. Storage per synapse: 4 bytes (int32 target), plus 8 (float64 weight) when weights differ
/// between synapses, plus 2 (delay in steps) when delays do. A projection whose weights are all equal
/// stores the one value (GeNN calls this a global weight), which is what the CUBA benchmark uses.
/// </summary>
public sealed partial class Projection : ITransmitter
{
    private int[] _rowStart;
    private int[] _targets;
    private double[]? _weights;
    private readonly double _uniformWeight;
    private readonly double _delay;
    private double[]? _delaysMs;
    private ushort[]? _delaySteps;
    private int _uniformDelaySteps;
    private DelayRing? _ring;
    private double[]? _direct;
    private bool _exact;
    private bool _rowsSorted;
    private TimedEventBuffer? _queue;
    private int _port;

    /// <summary>A projection with one weight per synapse (stored per synapse).</summary>
    /// <param name="name">The projection's name, for messages.</param>
    /// <param name="source">Name of the source population, whose spikes the simulation hands to <see cref="Transmit"/>.</param>
    /// <param name="target">The target population; its size must be the pattern's target count.</param>
    /// <param name="receptor">The target's input port the weights are added to (a receptor, or a cable cell's point process).</param>
    /// <param name="pattern">Which source connects to which target; its arrays are shared, not copied.</param>
    /// <param name="weights">Per-synapse weights in CSR order, in the receptor's unit (mV for LIF, pA for current, nS for
    /// conductance receptors, µS for a cable cell's synapse).</param>
    /// <param name="delay">Uniform delay (ms), ≥ 0, used when <paramref name="delays"/> is null.</param>
    /// <param name="delays">Per-synapse delays (ms) in CSR order, or null.</param>
    public Projection(string name, string source, IDynamics target, string receptor, ConnectivityPattern pattern,
        double[] weights, double delay, double[]? delays = null)
        : this(name, source, target, receptor, pattern, weights, 0, delay, delays)
    {
    }

    /// <summary>A projection whose synapses all have the weight <paramref name="weight"/> (stored once).</summary>
    /// <param name="name">The projection's name, for messages.</param>
    /// <param name="source">Name of the source population, whose spikes the simulation hands to <see cref="Transmit"/>.</param>
    /// <param name="target">The target population; its size must be the pattern's target count.</param>
    /// <param name="receptor">The target's input port the weight is added to (a receptor, or a cable cell's point process).</param>
    /// <param name="pattern">Which source connects to which target; its arrays are shared, not copied.</param>
    /// <param name="weight">The weight of every synapse, in the receptor's unit.</param>
    /// <param name="delay">Uniform delay (ms), ≥ 0, used when <paramref name="delays"/> is null.</param>
    /// <param name="delays">Per-synapse delays (ms) in CSR order, or null.</param>
    public Projection(string name, string source, IDynamics target, string receptor, ConnectivityPattern pattern,
        double weight, double delay, double[]? delays = null)
        : this(name, source, target, receptor, pattern, null, weight, delay, delays)
    {
    }

    private Projection(string name, string source, IDynamics target, string receptor, ConnectivityPattern pattern,
        double[]? weights, double uniformWeight, double delay, double[]? delays)
    {
        if (weights is not null && weights.Length != pattern.SynapseCount)
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
        _uniformWeight = uniformWeight;
        _delay = delay;
        _delaysMs = delays;
    }

    /// <summary>The projection's name, for messages.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public string Source { get; }

    /// <summary>The population the synapses end on.</summary>
    public IDynamics Target { get; }

    /// <summary>The target's input port the weights are added to.</summary>
    public string Receptor { get; }

    /// <summary>Number of synapses.</summary>
    public int SynapseCount => _targets.Length;

    /// <summary>Bytes of synapse storage per synapse (targets, weights, delays), excluding the row index.</summary>
    public double BytesPerSynapse => 4 + (_weights is null ? 0 : 8) + (_delaysMs is null ? 0 : 2);

    /// <summary>Row offsets by source: the synapses of source i are [RowStart[i], RowStart[i + 1]) (see <see cref="ConnectivityPattern.RowStart"/>).</summary>
    public ReadOnlySpan<int> RowStart => _rowStart;

    /// <summary>Target index of each synapse, in CSR order (the order of <see cref="Weight"/>).</summary>
    public ReadOnlySpan<int> Targets => _targets;

    /// <summary>The weight of synapse <paramref name="k"/> (CSR order).</summary>
    public double Weight(int k) => _weights is null ? _uniformWeight : _weights[k];

    /// <summary>Delay in steps: round(delay/dt), as Brian2 and NEST do for grid-based delivery.</summary>
    private static int Steps(double delayMs, double dt) => (int)Math.Round(delayMs / dt, MidpointRounding.AwayFromZero);

    /// <summary>The longest delay in steps of <paramref name="dt"/> (ms), each delay rounded to the nearest step, halves away from zero.</summary>
    public int MaxDelaySteps(double dt)
    {
        if (_wholeDelayMs is { } whole) return Steps(whole.Max, dt);
        if (_delaysMs is null) return Steps(_delay, dt);
        double max = 0;
        foreach (double d in _delaysMs) max = Math.Max(max, d);
        return Steps(max, dt);
    }

    /// <summary>The shortest delay in steps of <paramref name="dt"/> (ms), rounded as <see cref="Prepare"/> rounds each delay.</summary>
    public int MinDelaySteps(double dt) => Steps(MinDelayMs, dt);

    /// <summary>Rounds the delays to steps of <paramref name="dt"/> (ms) and forgets the target ring, which the target rebuilds when the
    /// longest delay changes; a per-synapse delay of more than 65535 steps throws an <see cref="ArgumentException"/>.</summary>
    public void Prepare(double dt)
    {
        _ring = null; // the target's rings are rebuilt when the longest delay changes
        _direct = null;
        _exact = false;
        _queue = null;
        _rowsSorted = RowsSortedByTarget();
        if (_delaysMs is null)
        {
            _uniformDelaySteps = Steps(_delay, dt);
            PreparePlasticity(dt);
            return;
        }
        _delaySteps = new ushort[_delaysMs.Length];
        for (int k = 0; k < _delaysMs.Length; k++)
        {
            int steps = Steps(_delaysMs[k], dt);
            if (steps > ushort.MaxValue) throw new ArgumentException($"Projection '{Name}': delay {_delaysMs[k]} ms is more than {ushort.MaxValue} steps of {dt} ms.");
            _delaySteps[k] = (ushort)steps;
        }
        PreparePlasticity(dt);
    }

    /// <summary>The longest delay, ms (of the whole projection when a split run's process holds a piece of it).</summary>
    public double MaxDelayMs
    {
        get
        {
            if (_wholeDelayMs is { } whole) return whole.Max;
            if (_delaysMs is null) return _delay;
            double max = 0;
            foreach (double d in _delaysMs) max = Math.Max(max, d);
            return max;
        }
    }

    /// <summary>The shortest delay, ms (of the whole projection when a split run's process holds a piece of it).</summary>
    public double MinDelayMs
    {
        get
        {
            if (_wholeDelayMs is { } whole) return whole.Min;
            if (_delaysMs is null) return _delay;
            double min = double.PositiveInfinity;
            foreach (double d in _delaysMs) min = Math.Min(min, d);
            return _delaysMs.Length == 0 ? _delay : min;
        }
    }

    /// <summary>
    /// Prepares exact spike timing: delays are kept in ms (a spike at t_s arrives at t_s + d) and events go into the
    /// target's timed-event queue. Throws an <see cref="ArgumentException"/> when a delay is shorter than
    /// <paramref name="dt"/> (spikes are exchanged once per step, as in NEST) or the target takes no timed input.
    /// </summary>
    public void PrepareExact(double dt)
    {
        Prepare(dt);
        // A projection without synapses has no delay to check; a split run's process checks the whole projection's delays.
        if (WholeSynapseCount > 0 && MinDelayMs < dt)
        {
            throw new ArgumentException($"Projection '{Name}': with exact spike timing every delay must be at least one step (dt = {dt} ms); the shortest is {MinDelayMs} ms.");
        }
        if (Target is not IExactInput)
        {
            throw new ArgumentException($"Projection '{Name}': population '{Target.Name}' ({Target.GetType().Name}) does not support exact spike timing.");
        }
        _exact = true;
        _port = Target.InputNames.ToList().IndexOf(Receptor);
        PreparePlasticity(dt);
    }

    /// <summary>Compiles the delivery methods a step calls (see <see cref="IPreparesCode"/>).</summary>
    public static void PrepareCode(SpikeTiming timing) =>
        CodePreparation.Prepare(typeof(Projection), timing == SpikeTiming.Exact
            ? [nameof(Transmit), nameof(TransmitExact)]
            : [nameof(Transmit), nameof(TransmitRange), nameof(Deliveries), nameof(LowerBound)]);

    /// <summary>For each spike of the source in this step, adds the weight of every synapse of its row to the target's input slot
    /// that arrives after the synapse's delay; with zero delay, straight into the target's state where the model allows it
    /// (<see cref="Populations.NeuronPopulation.DirectInput"/>).</summary>
    public void Transmit(SpikeList spikes)
    {
        if (spikes.Count == 0) return;
        if (_exact)
        {
            TransmitExact(spikes);
            return;
        }
        _ring ??= Target.Input(Receptor);
        var ids = spikes.Ids;
        if (_delaySteps is null)
        {
            // Zero delay: add straight into the target's state where the model allows it (saves a pass over the ring).
            _direct ??= _uniformDelaySteps == 0 && Target is Populations.NeuronPopulation population ? population.DirectInput(Receptor) : null;
            var slot = _direct is not null ? _direct.AsSpan() : _ring.Slot(_uniformDelaySteps);
            double uniform = _uniformWeight;
            for (int n = 0; n < ids.Length; n++)
            {
                int i = ids[n];
                var row = _targets.AsSpan(_rowStart[i], _rowStart[i + 1] - _rowStart[i]);
                if (n + 1 < ids.Length) PrefetchRow(ids[n + 1]);
                if (_weights is null)
                {
                    foreach (int target in row) slot[target] += uniform;
                }
                else
                {
                    var w = _weights.AsSpan(_rowStart[i], row.Length);
                    for (int k = 0; k < row.Length; k++) slot[row[k]] += w[k];
                }
            }
            return;
        }
        for (int n = 0; n < ids.Length; n++)
        {
            int i = ids[n];
            for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++) _ring.Slot(_delaySteps[k])[_targets[k]] += Weight(k);
        }
    }

    /// <summary>Asks for the lines of row <paramref name="i"/>'s targets (and weights) while the current row is delivered: a spike's
    /// row is rarely in cache, and the next spike is known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchRow(int i)
    {
        int k = _rowStart[i], end = _rowStart[i + 1];
        CacheHints.Range(_targets, k, end);
        if (_weights is not null) CacheHints.Range(_weights, k, end);
    }

    /// <inheritdoc/>
    public string? TargetName => Target.Name;

    /// <inheritdoc/>
    /// <remarks>True in grid timing when every row lists its targets in ascending order (as the connectivity rules build
    /// them): a range's synapses are then one contiguous piece of each row, found by binary search.</remarks>
    public bool CanTransmitByTargetRange => !_exact && _rowsSorted;

    /// <inheritdoc/>
    public long Deliveries(SpikeList spikes)
    {
        long n = 0;
        foreach (int i in spikes.Ids) n += _rowStart[i + 1] - _rowStart[i];
        return n;
    }

    /// <inheritdoc/>
    public void TransmitRange(SpikeList spikes, int start, int end)
    {
        if (spikes.Count == 0) return;
        if (!CanTransmitByTargetRange) throw new InvalidOperationException($"Projection '{Name}' cannot deliver by target range.");
        var ring = Target.Input(Receptor);
        var ids = spikes.Ids;
        Span<double> slot = default;
        if (_delaySteps is null)
        {
            var direct = _uniformDelaySteps == 0 && Target is Populations.NeuronPopulation population ? population.DirectInput(Receptor) : null;
            slot = direct is not null ? direct.AsSpan() : ring.Slot(_uniformDelaySteps);
        }
        for (int n = 0; n < ids.Length; n++)
        {
            int i = ids[n];
            int rowStart = _rowStart[i];
            var row = _targets.AsSpan(rowStart, _rowStart[i + 1] - rowStart);
            if (n + 1 < ids.Length) PrefetchRow(ids[n + 1]);
            // A range that starts at 0 or ends at the last target needs one search (two threads: one each), none for both.
            int a = start <= 0 ? 0 : LowerBound(row, start), b = end >= Target.Size ? row.Length : LowerBound(row, end);
            if (a == b) continue;
            if (_delaySteps is not null)
            {
                for (int k = rowStart + a; k < rowStart + b; k++) ring.Slot(_delaySteps[k])[_targets[k]] += Weight(k);
            }
            else if (_weights is null)
            {
                foreach (int target in row[a..b]) slot[target] += _uniformWeight;
            }
            else
            {
                var w = _weights.AsSpan(rowStart + a, b - a);
                var piece = row[a..b];
                for (int k = 0; k < piece.Length; k++) slot[piece[k]] += w[k];
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Rows keep their order; the synapses onto other targets (and their weights and delays) are dropped. A plastic
    /// projection's rule is bound again to the kept synapses by the <see cref="Prepare"/> that follows. Where each kept synapse
    /// was in the whole projection stays known (<see cref="WholeSynapseIds"/>): with rows in ascending target order (as the
    /// connectivity rules build them) a row's kept synapses are one piece of it, and one offset per row says where it starts;
    /// otherwise every kept synapse's index is kept.</remarks>
    public void KeepOnlyTargets(int start, int end)
    {
        if (IsPieceFor(start, end)) return;
        RememberWholeDelays();
        if (_wholeRowStart is not null) throw new InvalidOperationException($"Projection '{Name}' was already restricted to the synapses onto some targets.");
        var rowStart = new int[_rowStart.Length];
        var keep = new List<int>();
        var firstKept = new int[_rowStart.Length - 1];
        bool pieces = true;
        for (int i = 0; i + 1 < _rowStart.Length; i++)
        {
            rowStart[i] = keep.Count;
            firstKept[i] = _rowStart[i];
            for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++)
            {
                if (_targets[k] < start || _targets[k] >= end) continue;
                if (keep.Count == rowStart[i]) firstKept[i] = k;
                else if (keep[^1] != k - 1) pieces = false;
                keep.Add(k);
            }
        }
        rowStart[^1] = keep.Count;
        _wholeRowStart = _rowStart;
        _wholeCount = _targets.Length;
        if (pieces) _rowFirstKept = firstKept;
        else _kept = keep.ToArray();
        _targets = keep.Select(k => _targets[k]).ToArray();
        if (_weights is not null) _weights = keep.Select(k => _weights[k]).ToArray();
        if (_delaysMs is not null) _delaysMs = keep.Select(k => _delaysMs[k]).ToArray();
        _rowStart = rowStart;
    }

    private int[]? _wholeRowStart, _rowFirstKept, _kept;
    private int _wholeCount = -1;

    /// <summary>Synapses of the whole projection: <see cref="SynapseCount"/> unless a split run keeps only those onto its own
    /// targets (<see cref="KeepOnlyTargets"/>).</summary>
    public int WholeSynapseCount => _wholeCount >= 0 ? _wholeCount : _targets.Length;

    /// <summary>The index in the whole projection (CSR order) of each synapse this projection keeps, ascending: 0, 1, 2, … unless
    /// <see cref="KeepOnlyTargets"/> dropped some.</summary>
    public int[] WholeSynapseIds()
    {
        if (_kept is not null) return (int[])_kept.Clone();
        var ids = new int[_targets.Length];
        for (int i = 0; i + 1 < _rowStart.Length; i++)
        {
            int first = _rowFirstKept is null ? _rowStart[i] : _rowFirstKept[i];
            for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++) ids[k] = first + k - _rowStart[i];
        }
        return ids;
    }

    /// <summary>The first position in the ascending <paramref name="row"/> whose target is at least <paramref name="value"/>.</summary>
    /// <remarks>Branch-free (the comparison selects the step, compiled to a conditional move): with random targets the
    /// branch of the textbook search mispredicts half the time, which made the searches cost more than the deliveries.</remarks>
    private static int LowerBound(ReadOnlySpan<int> row, int value)
    {
        int lo = 0, n = row.Length;
        while (n > 1)
        {
            int half = n >>> 1;
            lo = row[lo + half - 1] < value ? lo + half : lo;
            n -= half;
        }
        return n == 1 && row[lo] < value ? lo + 1 : lo;
    }

    private bool RowsSortedByTarget()
    {
        for (int i = 0; i + 1 < _rowStart.Length; i++)
        {
            for (int k = _rowStart[i] + 1; k < _rowStart[i + 1]; k++)
            {
                if (_targets[k] < _targets[k - 1]) return false;
            }
        }
        return true;
    }

    /// <summary>Exact timing: one timed event per synapse of each spike's row, at the spike's time plus the synapse's delay.</summary>
    private void TransmitExact(SpikeList spikes)
    {
        _queue ??= ((IExactInput)Target).TimedInput
            ?? throw new InvalidOperationException($"Projection '{Name}': population '{Target.Name}' was not prepared for exact timing.");
        var ids = spikes.Ids;
        var times = spikes.Times;
        for (int n = 0; n < ids.Length; n++)
        {
            int i = ids[n];
            double t = times[n];
            if (n + 1 < ids.Length) PrefetchRow(ids[n + 1]);
            if (_delaysMs is null && _weights is null)
            {
                _queue.AddRow(_targets, _rowStart[i], _rowStart[i + 1] - _rowStart[i], _port, t + _delay, _uniformWeight);
                continue;
            }
            for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++)
            {
                _queue.Add(_targets[k], _port, t + (_delaysMs is null ? _delay : _delaysMs[k]), Weight(k));
            }
        }
    }
}
