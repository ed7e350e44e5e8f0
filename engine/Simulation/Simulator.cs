using BioSim.Engine.Events;

namespace BioSim.Engine.Simulation;

/// <summary>
/// The fixed-step simulation loop. Each step: every population advances its elements (in parallel
/// over fixed-size chunks whose spikes are merged in chunk order, so the result does not depend on the
/// thread count), the step's spikes are sorted by time, projections deliver them into the target
/// rings (in the order they were added), then the rings advance and observers see the step.
/// With <see cref="SpikeTiming.Exact"/> the projections deliver each spike at its time plus its continuous delay into
/// the targets' timed-event buffers instead; the buffers sort each step's events by (target, time, delivery order),
/// so exact mode is as independent of the thread count as grid mode. Transmitters that learn (a projection with a
/// plasticity rule) then see the step's spikes of their source and target, one after the other in the order added.
/// </summary>
public sealed class Simulator : IStateful, IDisposable
{
    /// <summary>Default elements per parallel work item (<see cref="IDynamics.ParallelChunk"/>). Fixed, so chunk boundaries never depend on the thread count.</summary>
    public const int ChunkSize = 1024;

    private readonly IDynamics[] _populations;
    private readonly ITransmitter[] _transmitters;
    private readonly int[] _transmitterSource;
    private readonly int[] _transmitterLearnsFrom;
    private readonly List<IStepObserver> _observers = [];
    private readonly SpikeList[] _spikes;
    private readonly (int Population, int Start, int End)[] _chunks;
    private readonly SpikeList[] _chunkSpikes;
    private readonly StepTeam? _team;
    private double _stepStart;
    private readonly bool _useThreads;
    // Delivery by target range (grid timing, threads): transmitters grouped by target population, each group split into
    // the team's thread count of element ranges; chunk r·G + g delivers range r of group g. Transmitters outside the
    // groups deliver on the calling thread first.
    private readonly int _deliveryJob = -1;
    private readonly int[][] _deliveryGroups = [];
    private readonly int[][] _deliveryBounds = [];
    private readonly int[] _deliveryAlone = [];
    private readonly int _minDeliveriesForThreads;

    /// <summary>Fewest elements for which a step is spread over threads (unless a population asks for smaller chunks, as costly cells do).</summary>
    public const int MinElementsForThreads = 2048;

    /// <param name="populations">The populations to advance, each with a name of its own.</param>
    /// <param name="transmitters">The projections; each one's source must be one of <paramref name="populations"/>.</param>
    /// <param name="dt">Time step, ms; positive and finite.</param>
    /// <param name="threads">Most threads a step may use, the caller's included (≥ 1). The result does not depend on it.</param>
    /// <param name="minElementsForThreads">Fewest elements for which steps use threads (default
    /// <see cref="MinElementsForThreads"/>; 0 always uses them, as the thread-count contract tests do).</param>
    /// <param name="timing">Grid (delays rounded to steps, the default) or exact spike timing; in exact mode every
    /// population that implements <see cref="IExactInput"/> takes timed input, and every transmitter must support it.</param>
    /// <param name="minDeliveriesForThreads">Fewest synaptic deliveries in a step for which they are spread over the threads
    /// by target range (default <see cref="MinDeliveriesForThreads"/>; 0 always, as the thread-count contract tests do).</param>
    public Simulator(IEnumerable<IDynamics> populations, IEnumerable<ITransmitter> transmitters, double dt, int threads = 1,
        int minElementsForThreads = MinElementsForThreads, SpikeTiming timing = SpikeTiming.Grid,
        int minDeliveriesForThreads = MinDeliveriesForThreads)
    {
        _minDeliveriesForThreads = minDeliveriesForThreads;
        Timing = timing;
        if (!(dt > 0) || double.IsInfinity(dt)) throw new ArgumentOutOfRangeException(nameof(dt), $"dt must be positive and finite, got {dt}.");
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Dt = dt;
        Threads = threads;
        _populations = populations.ToArray();
        _transmitters = transmitters.ToArray();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int p = 0; p < _populations.Length; p++)
        {
            if (!byName.TryAdd(_populations[p].Name, p)) throw new ArgumentException($"Two populations are named '{_populations[p].Name}'.");
        }
        _transmitterSource = new int[_transmitters.Length];
        _transmitterLearnsFrom = new int[_transmitters.Length];
        int maxDelay = 0;
        double maxDelayMs = 0;
        for (int k = 0; k < _transmitters.Length; k++)
        {
            if (!byName.TryGetValue(_transmitters[k].Source, out _transmitterSource[k]))
            {
                throw new ArgumentException($"A projection's source '{_transmitters[k].Source}' is not a population.");
            }
            _transmitterLearnsFrom[k] = -1;
            if (_transmitters[k].LearnsFrom is { } learnsFrom && !byName.TryGetValue(learnsFrom, out _transmitterLearnsFrom[k]))
            {
                throw new ArgumentException($"A projection's target '{learnsFrom}' is not a population.");
            }
            if (timing == SpikeTiming.Exact)
            {
                _transmitters[k].PrepareExact(dt);
                maxDelayMs = Math.Max(maxDelayMs, _transmitters[k].MaxDelayMs);
            }
            else
            {
                _transmitters[k].Prepare(dt);
                maxDelay = Math.Max(maxDelay, _transmitters[k].MaxDelaySteps(dt));
            }
        }
        foreach (var p in _populations)
        {
            p.Prepare(dt, maxDelay);
            // A spike lies in (n dt, (n + 1) dt]; with delay d it arrives at most ⌈d/dt⌉ + 1 steps after step n + 1.
            if (timing == SpikeTiming.Exact && p is IExactInput exact) exact.EnableExactInput(dt, (int)Math.Ceiling(maxDelayMs / dt) + 3);
        }

        _spikes = _populations.Select(_ => new SpikeList(256)).ToArray();
        var chunks = new List<(int, int, int)>();
        for (int p = 0; p < _populations.Length; p++)
        {
            int chunk = Math.Max(1, _populations[p].ParallelChunk);
            for (int s = 0; s < _populations[p].Size; s += chunk) chunks.Add((p, s, Math.Min(s + chunk, _populations[p].Size)));
        }
        _chunks = chunks.ToArray();
        _chunkSpikes = _chunks.Select(_ => new SpikeList(64)).ToArray();
        long elements = _populations.Sum(p => (long)p.Size);
        // A round of the step team costs about a microsecond (Parallel.For cost ~10 µs and lost below 16k neurons);
        // with 4000 CUBA neurons (8.6 µs a step on one thread) two threads took 6.6 µs. Below two chunks' worth
        // there is nothing to share. Which thread runs a chunk never changes the result, so this choice is free.
        _useThreads = threads > 1 && _chunks.Length > 1 && (elements >= minElementsForThreads || _populations.Any(p => p.ParallelChunk < ChunkSize));
        if (_useThreads)
        {
            _team = new StepTeam(Math.Min(threads, _chunks.Length) - 1, _chunks.Length, c => AdvanceChunk(c, _stepStart));
            // Only when every transmitter names a target among the populations: one that does not could write anywhere.
            if (timing == SpikeTiming.Grid && _transmitters.All(t => t.TargetName is { } name && byName.ContainsKey(name)))
            {
                (_deliveryGroups, _deliveryAlone) = GroupByTarget(_transmitters);
                int ranges = _team.Threads;
                _deliveryBounds = new int[_deliveryGroups.Length][];
                for (int g = 0; g < _deliveryGroups.Length; g++)
                {
                    int size = _populations[byName[_transmitters[_deliveryGroups[g][0]].TargetName!]].Size;
                    // Bounds on multiples of 8 elements: two threads never write into the same 64-byte line.
                    _deliveryBounds[g] = Enumerable.Range(0, ranges + 1).Select(r => r == ranges ? size : (int)((long)size * r / ranges) & ~7).ToArray();
                }
                if (_deliveryGroups.Length > 0)
                {
                    int groups = _deliveryGroups.Length;
                    _deliveryJob = _team.AddJob(ranges * groups, c => DeliverRange(c / groups, c % groups));
                }
            }
        }
    }

    /// <summary>Fewest synaptic deliveries in a step for which they are spread over threads; below it one thread delivers
    /// (a round of the team costs about a microsecond, a delivery a few nanoseconds). Either way every target receives its
    /// inputs in the same order, so the choice never changes a result.</summary>
    public const int MinDeliveriesForThreads = 512;

    /// <summary>Transmitters by target population (in the order added), for the populations whose every incoming
    /// transmitter can deliver by target range; the others' indices go to <c>alone</c> (they deliver on the calling
    /// thread, before the ranges, which is safe as they write into other populations).</summary>
    private static (int[][] Groups, int[] Alone) GroupByTarget(ITransmitter[] transmitters)
    {
        var byTarget = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        var alone = new List<int>();
        for (int k = 0; k < transmitters.Length; k++)
        {
            string target = transmitters[k].TargetName!;
            if (!byTarget.TryGetValue(target, out var list))
            {
                byTarget[target] = list = [];
                order.Add(target);
            }
            list.Add(k);
        }
        var groups = new List<int[]>();
        foreach (var target in order)
        {
            var list = byTarget[target];
            if (list.TrueForAll(k => transmitters[k].CanTransmitByTargetRange)) groups.Add(list.ToArray());
            else alone.AddRange(list);
        }
        alone.Sort();
        return (groups.ToArray(), alone.ToArray());
    }

    private void DeliverRange(int range, int group)
    {
        var bounds = _deliveryBounds[group];
        foreach (int k in _deliveryGroups[group]) _transmitters[k].TransmitRange(_spikes[_transmitterSource[k]], bounds[range], bounds[range + 1]);
    }

    /// <summary>Whether the step's spikes may be delivered by target range over the threads (grid timing, threads in use,
    /// every transmitter naming its target); whether a given step does depends on its number of deliveries.</summary>
    public bool DeliversByTargetRange => _deliveryJob >= 0;

    /// <summary>Delivers the step's spikes: by target range over the threads when that pays, else one transmitter after
    /// the other.</summary>
    private void Deliver()
    {
        if (_deliveryJob >= 0)
        {
            long deliveries = 0;
            foreach (var group in _deliveryGroups)
            {
                foreach (int k in group) deliveries += _transmitters[k].Deliveries(_spikes[_transmitterSource[k]]);
            }
            if (deliveries >= _minDeliveriesForThreads)
            {
                foreach (int k in _deliveryAlone) _transmitters[k].Transmit(_spikes[_transmitterSource[k]]);
                _team!.Run(_deliveryJob);
                return;
            }
        }
        for (int k = 0; k < _transmitters.Length; k++) _transmitters[k].Transmit(_spikes[_transmitterSource[k]]);
    }

    /// <summary>Time step, ms.</summary>
    public double Dt { get; }

    /// <summary>Grid or exact spike timing, as given to the constructor.</summary>
    public SpikeTiming Timing { get; }

    /// <summary>Most threads a step may use, the caller's included, as given to the constructor. Fewer run when there
    /// are fewer chunks, and one when the network is below the threshold for threads.</summary>
    public int Threads { get; }

    /// <summary>Steps completed.</summary>
    public long StepIndex { get; private set; }

    /// <summary>Current time in ms (computed from the step count, so it never accumulates round-off).</summary>
    public double Time => StepIndex * Dt;

    /// <summary>The populations in the order given, which is also the order of <see cref="LastSpikes"/> and of the
    /// spike lists observers receive.</summary>
    public IReadOnlyList<IDynamics> Populations => _populations;

    /// <summary>The spikes of the last step, per population (time-sorted).</summary>
    public IReadOnlyList<SpikeList> LastSpikes => _spikes;

    /// <summary>Has <paramref name="observer"/> called after every step, after the observers added before it.</summary>
    public void AddObserver(IStepObserver observer) => _observers.Add(observer);

    /// <summary>The population named <paramref name="name"/>; an unknown name throws <see cref="KeyNotFoundException"/> listing the known ones.</summary>
    public IDynamics Population(string name) =>
        _populations.FirstOrDefault(p => p.Name == name)
        ?? throw new KeyNotFoundException($"No population named '{name}'. Known: {string.Join(", ", _populations.Select(p => p.Name))}.");

    /// <summary>Runs <paramref name="steps"/> steps.</summary>
    public void Run(long steps)
    {
        for (long n = 0; n < steps; n++) Step();
    }

    /// <summary>Advances the whole network by one step.</summary>
    public void Step()
    {
        double t = Time;
        if (!_useThreads)
        {
            for (int c = 0; c < _chunks.Length; c++) AdvanceChunk(c, t);
        }
        else
        {
            AdvanceInParallel(t);
        }

        for (int p = 0; p < _spikes.Length; p++) _spikes[p].Clear();
        for (int c = 0; c < _chunks.Length; c++) _spikes[_chunks[c].Population].AddRange(_chunkSpikes[c]);
        for (int p = 0; p < _spikes.Length; p++) _spikes[p].SortByTime();
        // Deliver before the rings advance: a delay of d steps lands d + 1 slots after the one just consumed.
        Deliver();
        // Plasticity after delivery, so a spike carries the weight its synapse had before this step's changes.
        for (int k = 0; k < _transmitters.Length; k++)
        {
            if (_transmitterLearnsFrom[k] >= 0) _transmitters[k].Learn(_spikes[_transmitterSource[k]], _spikes[_transmitterLearnsFrom[k]], StepIndex);
        }
        for (int p = 0; p < _populations.Length; p++) _populations[p].EndStep();

        StepIndex++;
        double tEnd = Time;
        for (int o = 0; o < _observers.Count; o++) _observers[o].AfterStep(tEnd, _spikes);
    }

    private void AdvanceInParallel(double t)
    {
        _stepStart = t;
        _team!.Run();
    }

    /// <summary>Ends the worker threads now (they also end by themselves after a second without work).</summary>
    public void Dispose() => _team?.Dispose();

    private void AdvanceChunk(int c, double t)
    {
        var (p, start, end) = _chunks[c];
        _chunkSpikes[c].Clear();
        _populations[p].Advance(t, Dt, start, end, _chunkSpikes[c]);
    }

    /// <summary>Writes the clock (<c>clock/step</c>, <c>clock/dt</c>) and every population's state (under
    /// <c>populations/&lt;name&gt;/</c>), all under <paramref name="prefix"/>, and sets <see cref="StateSnapshot.Step"/>.</summary>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        snapshot.Step = StepIndex;
        snapshot.Put(prefix + "clock/step", [StepIndex]);
        snapshot.Put(prefix + "clock/dt", [Dt]);
        foreach (var p in _populations) p.SaveState(snapshot, $"{prefix}populations/{p.Name}/");
        for (int k = 0; k < _transmitters.Length; k++)
        {
            if (_transmitters[k] is IStateful stateful) stateful.SaveState(snapshot, $"{prefix}projections/{k}/");
        }
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote. Throws <see cref="InvalidOperationException"/> when the
    /// snapshot was taken with another dt, and what <see cref="StateSnapshot.Get(string, Span{double})"/> throws when
    /// an array is missing or has the wrong length.</summary>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        Span<double> dt = stackalloc double[1];
        snapshot.Get(prefix + "clock/dt", dt);
        if (dt[0] != Dt) throw new InvalidOperationException($"The snapshot was taken with dt = {dt[0]} ms; this simulation uses dt = {Dt} ms.");
        Span<long> step = stackalloc long[1];
        snapshot.Get(prefix + "clock/step", step);
        foreach (var p in _populations) p.LoadState(snapshot, $"{prefix}populations/{p.Name}/");
        for (int k = 0; k < _transmitters.Length; k++)
        {
            if (_transmitters[k] is IStateful stateful) stateful.LoadState(snapshot, $"{prefix}projections/{k}/");
        }
        StepIndex = step[0];
    }

    /// <summary>Takes a snapshot of the whole simulation state.</summary>
    public StateSnapshot Snapshot()
    {
        var s = new StateSnapshot();
        SaveState(s, "");
        return s;
    }

    /// <summary>Restores a snapshot taken by <see cref="Snapshot"/> on a simulation built from the same experiment.</summary>
    public void Restore(StateSnapshot snapshot) => LoadState(snapshot, "");
}
