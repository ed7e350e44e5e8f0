using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BioSim.Engine.Distributed;
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
/// <para>
/// Over several processes (<see cref="IProcessGroup"/>, MPI), each process advances a contiguous block of the chunk list
/// (the chunks are the same at any process count) and keeps its chunks' spikes of every step of a communication interval
/// of <see cref="CommunicationInterval"/> steps: the shortest delay of any projection (in whole steps, at least one). At
/// the interval's last step the processes gather each other's chunk spikes of the whole interval (one all-gather), so
/// that each holds every step's spikes of the whole network, merged in chunk order exactly as one process merges them;
/// each then delivers them, step after step, into its own neurons only, each step's spikes into the slots they would
/// have reached in their own step (<see cref="DelayRing.Rewind"/>; exact timing queues them at their absolute times).
/// A spike's delay is at least the interval, so none of them is due before the interval's end, and every target
/// receives its inputs in the order one process gives them: spikes are the same bits at any number of processes and
/// threads. (Every process keeps the whole network's arrays; it steps and feeds only its own neurons and keeps only
/// the synapses onto them.) Plastic transmitters learn on their kept synapses after each step's delivery, as in one
/// process: a synapse's rule sees the arrivals at it (every process has every spike) and its target's spikes, so its
/// weight takes the same bits; a rule that reads the target's state after the step needs an interval of one step (the
/// caller checks). <see cref="Run"/> always ends at an interval's end (it shortens the last interval), so a
/// checkpoint or stop between two calls of <see cref="Run"/> never has spikes in flight.
/// </para>
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
    private SpikeList[] _spikes; // in a split run, the row of the interval's step being delivered or observed
    private readonly (int Population, int Start, int End)[] _chunks;
    private readonly IProcessGroup _processes;
    private readonly int[] _ownedChunks;
    private readonly int[][] _chunksOfRank;
    private readonly (int Start, int End)[] _ownedElements;
    private readonly (int Start, int End)[][] _elementsOfRank;
    private double[] _send = new double[256];
    private double[] _gathered = new double[256];
    private readonly int[] _gatheredCounts;
    // The spikes of each chunk in the current step; in a split run, the row of the interval's step being advanced.
    private SpikeList[] _chunkSpikes;
    private readonly int _interval = 1;
    private readonly SpikeList[][] _intervalChunkSpikes = [];
    private readonly SpikeList[][] _intervalSpikes = [];
    private long _intervalStart;
    private readonly int[] _transmitterTarget;
    private readonly int[] _ringPopulations = [];
    private readonly System.Diagnostics.Stopwatch _exchangeClock = new();
    private readonly StepTeam? _team;
    private double _stepStart;
    private readonly bool _useThreads;
    // Whether the current step uses the team: always when threads are forced (minElementsForThreads 0), else chosen by timing
    // (ThreadChoice); which thread runs what never changes a result, so neither does the choice.
    private bool _teamNow;
    private readonly ThreadChoice? _threadChoice;
    // Delivery by target range (grid timing, threads): transmitters grouped by target population, each group split into
    // the team's thread count of element ranges; chunk r·G + g delivers range r of group g. Transmitters outside the
    // groups deliver on the calling thread first.
    private readonly int _deliveryJob = -1;
    private readonly int[][] _deliveryGroups = [];
    private readonly int[][] _deliveryBounds = [];
    private readonly int[] _deliveryAlone = [];
    private readonly int _minDeliveriesForThreads;

    /// <summary>Fewest elements for which a step is spread over threads (unless a population asks for smaller chunks, as costly cells do).
    /// Below it two threads never paid on either machine kind measured (CUBA 4000: 0.8–0.95× one thread), and even measuring
    /// whether they would (<see cref="ThreadChoice"/>'s probes) cost such a network 5–9 % of a 1 s run.</summary>
    public const int MinElementsForThreads = 8192;

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
    /// <param name="processes">The processes the network is split over (MPI), or null for this process alone. Each process
    /// builds the same simulation and calls <see cref="Step"/> the same number of times.</param>
    public Simulator(IEnumerable<IDynamics> populations, IEnumerable<ITransmitter> transmitters, double dt, int threads = 1,
        int minElementsForThreads = MinElementsForThreads, SpikeTiming timing = SpikeTiming.Grid,
        int minDeliveriesForThreads = MinDeliveriesForThreads, IProcessGroup? processes = null)
    {
        _minDeliveriesForThreads = minDeliveriesForThreads;
        _processes = processes ?? SingleProcess.Instance;
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
        int maxDelay = 0, minDelay = int.MaxValue;
        double maxDelayMs = 0;
        _transmitterTarget = new int[_transmitters.Length];
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
                // A spike in (n dt, (n + 1) dt] with delay d ≥ D dt arrives after (n + D) dt: still ahead of a queue at step n + D − 1.
                minDelay = Math.Min(minDelay, (int)Math.Floor(_transmitters[k].MinDelayMs / dt));
            }
            else
            {
                _transmitters[k].Prepare(dt);
                maxDelay = Math.Max(maxDelay, _transmitters[k].MaxDelaySteps(dt));
                minDelay = Math.Min(minDelay, _transmitters[k].MinDelaySteps(dt));
            }
            _transmitterTarget[k] = _transmitters[k].TargetName is { } target && byName.TryGetValue(target, out int t) ? t : -1;
        }
        foreach (var p in _populations)
        {
            p.Prepare(dt, maxDelay);
            // A spike lies in (n dt, (n + 1) dt]; with delay d it arrives at most ⌈d/dt⌉ + 1 steps after step n + 1.
            if (timing == SpikeTiming.Exact && p is IExactInput exact) exact.EnableExactInput(dt, (int)Math.Ceiling(maxDelayMs / dt) + 3);
        }

        _spikes = _populations.Select(_ => new SpikeList(256)).ToArray();
        _chunks = ElementBlocks.Chunks(_populations);
        _chunkSpikes = _chunks.Select(_ => new SpikeList(64)).ToArray();
        // The chunk list (population after population) is cut into P contiguous blocks of about equal element counts, so a
        // process's elements of each population are one contiguous range; the cut depends only on P (ElementBlocks).
        int processCount = _processes.Size, rank = _processes.Rank;
        var ranks = new List<int>[processCount];
        for (int r = 0; r < processCount; r++) ranks[r] = [];
        _ownedElements = new (int, int)[_populations.Length];
        int[] owners = ElementBlocks.Owners(_chunks, processCount);
        for (int c = 0; c < _chunks.Length; c++)
        {
            int owner = owners[c];
            ranks[owner].Add(c);
            if (owner != rank) continue;
            var (p, start, end) = _chunks[c];
            _ownedElements[p] = _ownedElements[p] == (0, 0) ? (start, end) : (_ownedElements[p].Start, end);
        }
        _chunksOfRank = ranks.Select(l => l.ToArray()).ToArray();
        _ownedChunks = _chunksOfRank[rank];
        _gatheredCounts = new int[processCount];
        _elementsOfRank = new (int, int)[processCount][];
        for (int r = 0; r < processCount; r++)
        {
            _elementsOfRank[r] = new (int, int)[_populations.Length];
            foreach (int c in _chunksOfRank[r])
            {
                var (p, start, end) = _chunks[c];
                _elementsOfRank[r][p] = _elementsOfRank[r][p] == (0, 0) ? (start, end) : (_elementsOfRank[r][p].Start, end);
            }
        }
        if (processCount > 1)
        {
            // The communication interval: the shortest delay in steps (the same on every process: taken before the synapses
            // are split). In grid timing a late delivery goes into the target's rings moved back (DelayRing.Rewind), which needs
            // every transmitter to name its target; one that does not is fed in its own step (interval 1).
            bool rewindable = timing == SpikeTiming.Exact || _transmitterTarget.All(t => t >= 0);
            _interval = rewindable && _transmitters.Length > 0 ? Math.Max(1, minDelay) : 1;
            _intervalChunkSpikes = new SpikeList[_interval][];
            _intervalSpikes = new SpikeList[_interval][];
            for (int i = 0; i < _interval; i++)
            {
                _intervalChunkSpikes[i] = i == 0 ? _chunkSpikes : _chunks.Select(_ => new SpikeList(64)).ToArray();
                _intervalSpikes[i] = _populations.Select(_ => new SpikeList(256)).ToArray();
            }
            if (timing == SpikeTiming.Grid) _ringPopulations = _transmitterTarget.Distinct().ToArray();
            // Each process keeps only the synapses onto its own neurons, then the transmitters prepare again for them.
            for (int k = 0; k < _transmitters.Length; k++)
            {
                if (_transmitters[k].TargetName is not { } target || !byName.TryGetValue(target, out int p)) continue;
                _transmitters[k].KeepOnlyTargets(_ownedElements[p].Start, _ownedElements[p].End);
                if (timing == SpikeTiming.Exact) _transmitters[k].PrepareExact(dt);
                else _transmitters[k].Prepare(dt);
            }
        }
        long elements = _populations.Sum(p => (long)p.Size);
        // A round of the step team costs about a microsecond (Parallel.For cost ~10 µs and lost below 16k neurons);
        // with 4000 CUBA neurons (8.6 µs a step on one thread) two threads took 6.6 µs. Below two chunks' worth
        // there is nothing to share. Which thread runs a chunk never changes the result, so this choice is free.
        if (processCount > 1) elements = _ownedElements.Sum(r => (long)(r.End - r.Start));
        _useThreads = threads > 1 && _ownedChunks.Length > 1 && (elements >= minElementsForThreads || _populations.Any(p => p.ParallelChunk < ChunkSize));
        _teamNow = _useThreads;
        if (_useThreads && minElementsForThreads > 0 && processCount == 1) _threadChoice = new ThreadChoice();
        if (_useThreads)
        {
            _team = new StepTeam(Math.Min(threads, _ownedChunks.Length) - 1, _ownedChunks.Length, AdvanceOwnedChunk);
            // Only when every transmitter names a target among the populations: one that does not could write anywhere.
            if (timing == SpikeTiming.Grid && _transmitters.All(t => t.TargetName is { } name && byName.ContainsKey(name)))
            {
                (_deliveryGroups, _deliveryAlone) = GroupByTarget(_transmitters);
                int ranges = _team.Threads;
                _deliveryBounds = new int[_deliveryGroups.Length][];
                for (int g = 0; g < _deliveryGroups.Length; g++)
                {
                    var (lo, hi) = _ownedElements[byName[_transmitters[_deliveryGroups[g][0]].TargetName!]];
                    // Bounds on multiples of 8 elements: two threads never write into the same 64-byte line.
                    _deliveryBounds[g] = Enumerable.Range(0, ranges + 1).Select(r => r == ranges ? hi : lo + ((int)((long)(hi - lo) * r / ranges) & ~7)).ToArray();
                }
                if (_deliveryGroups.Length > 0)
                {
                    int groups = _deliveryGroups.Length;
                    _deliveryJob = _team.AddJob(ranges * groups, DeliverRangeChunk);
                }
            }
            _team.StartWorkers();
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

    /// <summary>Job 0 of the team: owned chunk <paramref name="k"/> of the step that starts at <see cref="_stepStart"/>.</summary>
    private void AdvanceOwnedChunk(int k) => AdvanceChunk(_ownedChunks[k], _stepStart);

    /// <summary>The delivery job's chunk <paramref name="c"/>: range c / G of group c mod G (G groups).</summary>
    private void DeliverRangeChunk(int c) => DeliverRange(c / _deliveryGroups.Length, c % _deliveryGroups.Length);

    private void DeliverRange(int range, int group)
    {
        var bounds = _deliveryBounds[group];
        foreach (int k in _deliveryGroups[group]) _transmitters[k].TransmitRange(_spikes[_transmitterSource[k]], bounds[range], bounds[range + 1]);
    }

    /// <summary>Whether the step's spikes may be delivered by target range over the threads (grid timing, threads in use,
    /// every transmitter naming its target); whether a given step does depends on its number of deliveries.</summary>
    public bool DeliversByTargetRange => _deliveryJob >= 0;

    /// <summary>Delivers the step's spikes: by target range over the threads when that pays, else one transmitter after
    /// the other; over several processes, each into its own neurons (by target range where the transmitter can).</summary>
    private void Deliver()
    {
        if (_processes.Size > 1 && !_useThreads)
        {
            for (int k = 0; k < _transmitters.Length; k++)
            {
                var transmitter = _transmitters[k];
                var spikes = _spikes[_transmitterSource[k]];
                int target = Timing == SpikeTiming.Grid && transmitter.CanTransmitByTargetRange ? _transmitterTarget[k] : -1;
                if (target >= 0) transmitter.TransmitRange(spikes, _ownedElements[target].Start, _ownedElements[target].End);
                else transmitter.Transmit(spikes); // into every neuron: the others' copies are never read here
            }
            return;
        }
        if (_deliveryJob >= 0 && _teamNow)
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

    /// <summary>Compiles the step methods of the simulator and of the event containers a step uses (see
    /// <see cref="IPreparesCode"/>; the split path's compile at their first call).</summary>
    public static void PrepareCode(SpikeTiming timing)
    {
        CodePreparation.Prepare(typeof(Simulator), nameof(Run), nameof(Step), nameof(AdvanceChunk), nameof(Deliver), nameof(AdvanceInParallel),
            nameof(AdvanceOwnedChunk), nameof(DeliverRangeChunk), nameof(DeliverRange));
        CodePreparation.Prepare(typeof(ThreadChoice), nameof(ThreadChoice.UseTeam), nameof(ThreadChoice.Record));
        CodePreparation.Prepare(typeof(StepTeam), nameof(StepTeam.Run), "Claim");
        CodePreparation.Prepare(typeof(SpikeList), nameof(SpikeList.Add), nameof(SpikeList.AddRange), nameof(SpikeList.SortByTime));
        CodePreparation.Prepare(typeof(DelayRing), nameof(DelayRing.Advance));
        if (timing == SpikeTiming.Exact)
        {
            CodePreparation.Prepare(typeof(TimedEventBuffer), nameof(TimedEventBuffer.Add), nameof(TimedEventBuffer.AddRow),
                nameof(TimedEventBuffer.Advance),
                nameof(TimedEventBuffer.FirstOf), "SortCurrent", "Arrange", "SlotOf");
        }
    }

    /// <summary>Runs <paramref name="steps"/> steps. In a split run the last of them ends a communication interval (shortened
    /// when needed), so that every spike of these steps has been exchanged and delivered when it returns.</summary>
    public void Run(long steps)
    {
        if (_processes.Size > 1)
        {
            for (long n = 0; n < steps; n++) StepSplit(endInterval: n == steps - 1);
            return;
        }
        for (long n = 0; n < steps; n++) Step();
    }

    /// <summary>Advances the whole network by one step. In a split run, <see cref="LastSpikes"/> and the observers see the
    /// interval's steps only at its end (<see cref="CommunicationInterval"/>); <see cref="Run"/> ends intervals where it stops.</summary>
    public void Step()
    {
        if (_processes.Size > 1)
        {
            StepSplit(endInterval: false);
            return;
        }
        long started = 0;
        if (_threadChoice is { } choice)
        {
            _teamNow = choice.UseTeam();
            if (choice.Probing) started = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        double t = Time;
        if (!_teamNow)
        {
            foreach (int c in _ownedChunks) AdvanceChunk(c, t);
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
        if (started != 0) _threadChoice!.Record(System.Diagnostics.Stopwatch.GetTimestamp() - started);
        double tEnd = Time;
        for (int o = 0; o < _observers.Count; o++) _observers[o].AfterStep(tEnd, _spikes);
    }

    /// <summary>
    /// Chooses between one thread and the team by measuring both: <see cref="Rounds"/> blocks of <see cref="Block"/> steps on
    /// the team, then as many on one thread; the mode with the smaller total over its blocks but the first is kept until the
    /// next probe, <see cref="First"/> steps after the first probe and <see cref="Every"/> after each later one (activity
    /// changes, and so does the machine's load). Each mode's first block is left out: the team's pays for waking its workers,
    /// the single thread's for their spinning after the team's last round (which slows the caller where the two vCPUs share a
    /// core). Totals, not each mode's quickest block: the team's rounds vary more than the single thread's steps, so its best
    /// block promised more than its typical one gave (CUBA 16 000 chose the team on such a promise and ran 15 % slower than on one
    /// thread). The results are the same bits either way.
    /// </summary>
    private sealed class ThreadChoice
    {
        public const int Block = 32, Rounds = 4, Every = 16384, First = 2048;
        private long _step, _probeStart;
        private long _blockTicks, _teamTicks, _oneTicks;
        private bool _team = true;

        /// <summary>Whether the current step is part of a probe.</summary>
        public bool Probing { get; private set; }

        /// <summary>The mode of the next step (and advances the schedule).</summary>
        public bool UseTeam()
        {
            long phase = _step++ - _probeStart;
            Probing = phase >= 0 && phase < 2 * Block * Rounds;
            if (!Probing) return _team;
            return phase < Block * Rounds;
        }

        /// <summary>Adds a probed step's time; at the end of a block adds its total to its mode's (unless it is the mode's first),
        /// at the end of the probe decides and schedules the next: <see cref="First"/> steps after the first (a run's onset
        /// transient can favour the other mode than its steady state), then every <see cref="Every"/>.</summary>
        public void Record(long ticks)
        {
            _blockTicks += ticks;
            long phase = _step - 1 - _probeStart;
            if ((phase + 1) % Block != 0) return;
            long block = phase / Block;
            if (block is not (0 or Rounds))
            {
                if (block < Rounds) _teamTicks += _blockTicks;
                else _oneTicks += _blockTicks;
            }
            _blockTicks = 0;
            if (phase + 1 < 2 * Block * Rounds) return;
            _team = _teamTicks < _oneTicks;
            _teamTicks = _oneTicks = 0;
            _probeStart += _probeStart == 0 ? First : Every;
        }
    }

    /// <summary>One step of a split run: this process advances its chunks into the interval's row of chunk spikes; at the
    /// interval's end (its <see cref="CommunicationInterval"/>-th step, or <paramref name="endInterval"/>) the rows are
    /// exchanged and delivered step after step, each into the slots of its own step, before the last step's rings advance;
    /// after each step's delivery the learning transmitters learn over it and the observers see it (so a weight read there
    /// is that step's, while <see cref="StepIndex"/> does not follow it: the time passed to them does). Observers that implement <see cref="ILocalStepObserver"/>
    /// also see every step as soon as this process has advanced it (its own neurons' state is then that step's).</summary>
    private void StepSplit(bool endInterval)
    {
        int row = (int)(StepIndex - _intervalStart);
        _chunkSpikes = _intervalChunkSpikes[row];
        double t = Time;
        if (!_useThreads)
        {
            foreach (int c in _ownedChunks) AdvanceChunk(c, t);
        }
        else
        {
            AdvanceInParallel(t);
        }
        bool last = endInterval || row + 1 == _interval;
        if (last)
        {
            ExchangeSpikes(row + 1);
            for (int i = 0; i <= row; i++)
            {
                var spikes = _intervalSpikes[i];
                var chunkSpikes = _intervalChunkSpikes[i];
                for (int p = 0; p < spikes.Length; p++) spikes[p].Clear();
                for (int c = 0; c < _chunks.Length; c++) spikes[_chunks[c].Population].AddRange(chunkSpikes[c]);
                for (int p = 0; p < spikes.Length; p++) spikes[p].SortByTime();
                // Step i's spikes go where they would have gone in step i: the rings are row − i steps further on.
                RewindRings(row - i);
                _spikes = spikes;
                Deliver();
                RewindRings(i - row);
                // Plasticity of step i after its delivery, as in one process: the next step's spikes carry the weights it
                // leaves. Each process learns on the synapses it keeps (onto its own neurons) from every spike of the network.
                Learn(_intervalStart + i);
                // Observers see step i with the weights of step i (a weight report samples them here).
                double tEnd = (_intervalStart + i + 1) * Dt;
                for (int o = 0; o < _observers.Count; o++) _observers[o].AfterStep(tEnd, _spikes);
            }
        }
        for (int p = 0; p < _populations.Length; p++) _populations[p].EndStep();
        StepIndex++;
        for (int o = 0; o < _observers.Count; o++)
        {
            if (_observers[o] is ILocalStepObserver local) local.AfterLocalStep(StepIndex);
        }
        if (last) _intervalStart = StepIndex;
    }

    /// <summary>Runs every learning transmitter's plasticity over step <paramref name="step"/>, whose spikes are in <see cref="_spikes"/>.</summary>
    private void Learn(long step)
    {
        for (int k = 0; k < _transmitters.Length; k++)
        {
            if (_transmitterLearnsFrom[k] >= 0) _transmitters[k].Learn(_spikes[_transmitterSource[k]], _spikes[_transmitterLearnsFrom[k]], step);
        }
    }

    private void RewindRings(int steps)
    {
        if (steps == 0) return;
        foreach (int p in _ringPopulations)
        {
            foreach (string name in _populations[p].InputNames) _populations[p].Input(name).Rewind(steps);
        }
    }

    /// <summary>Steps between two spike exchanges of a split run: the shortest delay of any projection in whole steps
    /// (at least 1); 1 with one process.</summary>
    public int CommunicationInterval => _interval;

    /// <summary>Spike exchanges (all-gathers) this simulation made, the wall time they took (the wait for the slowest
    /// process included), and the 8-byte values this process received (<see cref="ExchangeSpikes"/> says what they hold).</summary>
    public (long Count, TimeSpan Time, long Values) Exchanges => (_exchanges, _exchangeClock.Elapsed, _exchangedValues);

    private long _exchanges, _exchangedValues;

    /// <summary>Elements of population <paramref name="population"/> that process <paramref name="rank"/> advances.</summary>
    public (int Start, int End) ElementsOf(int rank, int population) => _elementsOfRank[rank][population];

    /// <summary>Number of processes the network is split over (1 without MPI).</summary>
    public int Processes => _processes.Size;

    /// <summary>Elements of each population (in order) this process advances: all of them with one process.</summary>
    public IReadOnlyList<(int Start, int End)> OwnedElements => _ownedElements;

    /// <summary>Gives every process the spikes of every chunk in the interval's first <paramref name="steps"/> steps. Each process
    /// sends one flat array of doubles: first, as 32-bit integers packed two to a double (their bits reinterpreted, never
    /// converted), the spike count of each of its chunks in each step (step after step, chunks in order), then every spike's
    /// id in the same order (a last odd integer is padded); then every spike's time. That is 4 bytes per chunk and step and
    /// 12 per spike (ids as doubles took 8 and 16). Each process reads the others' in theirs.</summary>
    private void ExchangeSpikes(int steps)
    {
        _exchangeClock.Start();
        int entries = steps * _ownedChunks.Length, spikes = 0;
        for (int i = 0; i < steps; i++)
        {
            foreach (int c in _ownedChunks) spikes += _intervalChunkSpikes[i][c].Count;
        }
        int packed = (entries + spikes + 1) / 2;
        int length = packed + spikes;
        if (_send.Length < length) _send = new double[Math.Max(length, 2 * _send.Length)];
        var ints = MemoryMarshal.Cast<double, int>(_send.AsSpan(0, packed));
        int w = 0, t = packed;
        for (int i = 0; i < steps; i++)
        {
            foreach (int c in _ownedChunks) ints[w++] = _intervalChunkSpikes[i][c].Count;
        }
        for (int i = 0; i < steps; i++)
        {
            foreach (int c in _ownedChunks)
            {
                var list = _intervalChunkSpikes[i][c];
                list.Ids.CopyTo(ints[w..]);
                w += list.Count;
                list.Times.CopyTo(_send.AsSpan(t));
                t += list.Count;
            }
        }
        if (w < ints.Length) ints[w] = 0;
        int total = _processes.AllGather(_send.AsSpan(0, length), ref _gathered, _gatheredCounts);
        _exchanges++;
        _exchangedValues += total;
        int at = 0;
        for (int r = 0; r < _chunksOfRank.Length; r++)
        {
            int sent = _gatheredCounts[r];
            if (r == _processes.Rank)
            {
                at += sent;
                continue;
            }
            var chunks = _chunksOfRank[r];
            int theirEntries = steps * chunks.Length;
            if (2 * sent < theirEntries) throw new InvalidOperationException($"Process {r} sent {sent} values, too few for the spike counts of its {chunks.Length} chunks over {steps} steps.");
            var counts = MemoryMarshal.Cast<double, int>(_gathered.AsSpan(at, sent))[..theirEntries];
            long theirSpikes = 0;
            foreach (int n in counts) theirSpikes += n;
            int theirPacked = (int)((theirEntries + theirSpikes + 1) / 2);
            if (theirPacked + theirSpikes != sent) throw new InvalidOperationException($"The spikes process {r} sent do not match its chunks ({sent} values for {theirSpikes} spikes).");
            var theirInts = MemoryMarshal.Cast<double, int>(_gathered.AsSpan(at, theirPacked));
            int id = theirEntries, time = at + theirPacked, e = 0;
            for (int i = 0; i < steps; i++)
            {
                foreach (int c in chunks)
                {
                    var list = _intervalChunkSpikes[i][c];
                    list.Clear();
                    int n = theirInts[e++];
                    for (int k = 0; k < n; k++) list.Add(theirInts[id + k], _gathered[time + k]);
                    id += n;
                    time += n;
                }
            }
            at += sent;
        }
        _exchangeClock.Stop();
    }

    private void AdvanceInParallel(double t)
    {
        _stepStart = t;
        _team!.Run();
    }

    /// <summary>Ends the worker threads now (they also end by themselves after a second without work).</summary>
    public void Dispose() => _team?.Dispose();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        if (_processes.Size > 1 && StepIndex != _intervalStart)
            throw new InvalidOperationException($"A split run's state was saved at step {StepIndex}, inside a communication interval (from step {_intervalStart}) whose spikes are not exchanged yet; save it after Run, which ends intervals.");
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
        _intervalStart = StepIndex;
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
