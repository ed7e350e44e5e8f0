namespace BioSim.Engine.Events;

/// <summary>One synaptic event with its exact arrival time: target element, input port (receptor), time (ms) and weight.</summary>
/// <param name="Target">Index of the target element within its population.</param>
/// <param name="Port">Receptor index of the target population.</param>
/// <param name="Time">Absolute arrival time, ms (spike time plus the continuous delay).</param>
/// <param name="Weight">The weight, in the receptor's unit.</param>
/// <param name="Sequence">Position among the events of its step in the order they were added (ties of time keep it).</param>
public readonly record struct TimedEvent(int Target, int Port, double Time, double Weight, int Sequence);

/// <summary>
/// Synaptic input waiting to arrive at a group of targets at exact (off-grid) times: the exact-timing counterpart of
/// <see cref="DelayRing"/> (NEST's precise-spike buffers, Morrison et al. 2007). One slot per step holds the events
/// that arrive inside that step; when the queue moves to a step, its events are sorted by (target, time, order added),
/// so each target finds its own events contiguous and in time order. The order added is the delivery order, which
/// the simulation keeps independent of the thread count; so is the sort.
/// </summary>
public sealed class TimedEventBuffer
{
    private readonly TimedEvent[][] _slots;
    private readonly int[] _counts;
    private int[]? _chainHead;
    private ulong[]? _bits;
    private int[] _next = new int[64];
    private TimedEvent[] _sorted = new TimedEvent[64];
    private int _head;
    private long _step;
    private ILinearTimedInput? _linear;
    // Linear mode: per target, the chain's stamp (high 32 bits: the ChainCurrent call that wrote it, 0 never) and the chain's
    // newest event (low 32 bits): one 8-byte word, so chaining an event touches one random location, not two.
    private ulong[]? _chain;
    private uint _chainStamp;

    /// <param name="targets">Number of target elements.</param>
    /// <param name="ports">Number of input ports (receptors) of each target.</param>
    /// <param name="dt">Step, ms; events are binned into the step whose interval [n dt, (n + 1) dt) holds their time.</param>
    /// <param name="slotCount">Steps held: the longest delay in steps plus three (the step being advanced, the step the
    /// source's spike lies in, and rounding).</param>
    /// <param name="snapshotCapacity">Pending events a snapshot can hold (checkpoint arrays have a fixed length).</param>
    public TimedEventBuffer(int targets, int ports, double dt, int slotCount, int snapshotCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(ports, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 2);
        if (!(dt > 0)) throw new ArgumentOutOfRangeException(nameof(dt), $"dt must be positive, got {dt}.");
        Targets = targets;
        Ports = ports;
        Dt = dt;
        SlotCount = slotCount;
        SnapshotCapacity = snapshotCapacity;
        _slots = new TimedEvent[slotCount][];
        for (int k = 0; k < slotCount; k++) _slots[k] = new TimedEvent[16];
        _counts = new int[slotCount];
    }

    /// <summary>Number of target elements.</summary>
    public int Targets { get; }

    /// <summary>Number of input ports per target.</summary>
    public int Ports { get; }

    /// <summary>Step, ms.</summary>
    public double Dt { get; }

    /// <summary>Steps the queue holds.</summary>
    public int SlotCount { get; }

    /// <summary>Pending events a snapshot holds at most.</summary>
    public int SnapshotCapacity { get; }

    /// <summary>Index of the step whose events are <see cref="Current"/>.</summary>
    public long Step => _step;

    /// <summary>The events arriving during the current step, sorted by (target, time, order added); in linear mode
    /// (<see cref="UseLinearResponse"/>) in the order added.</summary>
    public ReadOnlySpan<TimedEvent> Current => _slots[_head].AsSpan(0, _counts[_head]);

    /// <summary>The slot holding the current step.</summary>
    public int CurrentSlot => _head;

    /// <summary>
    /// Linear mode: from now on every queued event is also handed to <paramref name="target"/> as it arrives, and the
    /// current step is no longer sorted; a target's events are found with <see cref="EventsOf"/>. Call before any event
    /// is queued.
    /// </summary>
    public void UseLinearResponse(ILinearTimedInput target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (PendingCount > 0) throw new InvalidOperationException("Linear mode must be chosen before any event is queued.");
        _linear = target;
        _chain = new ulong[Targets];
        _chainStamp = 1; // no word holds it (they start at stamp 0), so nothing is chained before the first ChainCurrent
        int blocks = (Targets >> TargetBlockShift) + 1;
        _blockStart = new int[blocks + 1];
        _blockFill = new int[blocks];
    }

    /// <summary>Whether the buffer is in linear mode (<see cref="UseLinearResponse"/>).</summary>
    public bool IsLinear => _linear is not null;

    /// <summary>
    /// Linear mode: the events of the current step for <paramref name="target"/>, sorted by (time, order added), in
    /// <paramref name="scratch"/> (grown when needed). Safe to call from several threads for different targets with
    /// their own scratch arrays.
    /// </summary>
    public ReadOnlySpan<TimedEvent> EventsOf(int target, ref TimedEvent[] scratch)
    {
        if (_linear is null) throw new InvalidOperationException("EventsOf needs linear mode.");
        ulong chain = _chain![target];
        if ((uint)(chain >> 32) != _chainStamp) return [];
        var events = Current;
        int n = 0;
        for (int e = (int)(uint)chain; e >= 0; e = _next[e])
        {
            if (n == scratch.Length) Array.Resize(ref scratch, Math.Max(8, 2 * n));
            // Insertion by (time, order added): the chain runs newest first, so most events go to the front.
            var x = events[e];
            int b = n - 1;
            while (b >= 0 && (scratch[b].Time > x.Time || (scratch[b].Time == x.Time && scratch[b].Sequence > x.Sequence)))
            {
                scratch[b + 1] = scratch[b];
                b--;
            }
            scratch[b + 1] = x;
            n++;
        }
        return scratch.AsSpan(0, n);
    }

    /// <summary>Linear mode: chains the current step's events by target (O(events), no sort), for <see cref="EventsOf"/>, and
    /// lists the distinct targets by block of 2^<see cref="TargetBlockShift"/> (<see cref="TargetsWithEvents"/>).</summary>
    private void ChainCurrent()
    {
        int count = _counts[_head];
        if (_next.Length < count) _next = new int[Math.Max(count, 2 * _next.Length)];
        if (_distinct.Length < count) _distinct = new int[Math.Max(count, 2 * _distinct.Length)];
        if (_unordered.Length < count) _unordered = new int[_distinct.Length];
        var blockStart = _blockStart;
        Array.Clear(blockStart);
        var events = _slots[_head].AsSpan(0, count);
        var chains = _chain!;
        // A new stamp per call (never 0, the stamp of a word never written); when the count wraps the words are cleared, so an
        // old stamp never matches.
        if (++_chainStamp == 0)
        {
            Array.Clear(chains);
            _chainStamp = 1;
        }
        ulong stamp = (ulong)_chainStamp << 32;
        int distinct = 0;
        for (int e = 0; e < count; e++)
        {
            int target = events[e].Target;
            if (e + Lookahead < count) Numerics.CacheHints.Line(chains, events[e + Lookahead].Target);
            ulong chain = chains[target];
            int head = (int)(uint)chain;
            if ((chain & 0xFFFF_FFFF_0000_0000UL) != stamp)
            {
                head = -1;
                _unordered[distinct++] = target;
                blockStart[(target >> TargetBlockShift) + 1]++;
            }
            _next[e] = head;
            chains[target] = stamp | (uint)e;
        }
        // Counting sort of the distinct targets by block (first appearance within a block).
        for (int b = 1; b < blockStart.Length; b++) blockStart[b] += blockStart[b - 1];
        var fill = _blockFill;
        Array.Copy(blockStart, fill, fill.Length);
        for (int k = 0; k < distinct; k++)
        {
            int target = _unordered[k];
            _distinct[fill[target >> TargetBlockShift]++] = target;
        }
    }

    /// <summary>Events ahead whose chain word <see cref="ChainCurrent"/> asks for while it chains the current one: the words are
    /// scattered over a population-sized array.</summary>
    private const int Lookahead = 8;

    /// <summary>log₂ of the block size by which <see cref="TargetsWithEvents"/> groups targets (1024, the simulation's chunk).</summary>
    public const int TargetBlockShift = 10;

    private int[] _distinct = new int[64];
    private int[] _unordered = new int[64];
    private int[] _blockStart = [];
    private int[] _blockFill = [];

    /// <summary>
    /// Linear mode: the distinct targets with events in the current step whose block (target &gt;&gt; <see cref="TargetBlockShift"/>)
    /// is <paramref name="block"/>, in no particular order (each once); a caller keeps those of its own range.
    /// </summary>
    public ReadOnlySpan<int> TargetsWithEvents(int block)
    {
        if (_linear is null) throw new InvalidOperationException("TargetsWithEvents needs linear mode.");
        return _distinct.AsSpan(_blockStart[block], _blockStart[block + 1] - _blockStart[block]);
    }

    /// <summary>Pending events in every slot.</summary>
    public int PendingCount
    {
        get
        {
            int n = 0;
            foreach (int c in _counts) n += c;
            return n;
        }
    }

    /// <summary>Index in <see cref="Current"/> of the first event whose target is ≥ <paramref name="target"/>.</summary>
    public int FirstOf(int target)
    {
        var events = Current;
        int lo = 0, hi = events.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (events[mid].Target < target) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// Queues an event arriving at <paramref name="time"/> (ms) for a later step than the current one: the step
    /// ⌊time/dt⌋ (a time that rounds into the current step or earlier goes to the next step, where the target takes
    /// it at the step's start). Throws when the time lies beyond the steps the queue holds.
    /// </summary>
    public void Add(int target, int port, double time, double weight)
    {
        int s = SlotOf(time, out _);
        ref var slot = ref _slots[s];
        int count = _counts[s];
        if (count == slot.Length) Array.Resize(ref slot, count * 2);
        slot[count] = new TimedEvent(target, port, time, weight, count);
        _counts[s] = count + 1;
    }

    /// <summary>Queues one event of weight <paramref name="weight"/> at <paramref name="time"/> for each of <paramref name="targets"/>
    /// (a spike's row with a uniform weight and delay), as <see cref="Add"/> does one by one.</summary>
    public void AddRow(ReadOnlySpan<int> targets, int port, double time, double weight)
    {
        if (targets.IsEmpty) return;
        int s = SlotOf(time, out _);
        ref var slot = ref _slots[s];
        int count = _counts[s];
        if (count + targets.Length > slot.Length) Array.Resize(ref slot, Math.Max(2 * slot.Length, count + targets.Length));
        var events = slot.AsSpan(count, targets.Length);
        for (int k = 0; k < targets.Length; k++) events[k] = new TimedEvent(targets[k], port, time, weight, count + k);
        _counts[s] = count + targets.Length;
    }

    /// <summary>
    /// Queues <paramref name="events"/> (their <see cref="TimedEvent.Sequence"/> ignored) into the current step, which has not
    /// been advanced yet, and sorts it again: for input a population knows before its first step (a current device's changes
    /// inside step 0), since <see cref="Add"/> only reaches later steps.
    /// </summary>
    public void AddToCurrent(IReadOnlyList<TimedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) return;
        ref var slot = ref _slots[_head];
        int count = _counts[_head];
        if (count + events.Count > slot.Length) Array.Resize(ref slot, Math.Max(2 * slot.Length, count + events.Count));
        for (int k = 0; k < events.Count; k++)
        {
            var e = events[k];
            slot[count + k] = e with { Sequence = count + k };
        }
        _counts[_head] = count + events.Count;
        _linear?.ClearAccumulated(); // the current step is handed over again, whole
        Arrange();
    }

    private int SlotOf(double time, out long ahead)
    {
        long n = (long)Math.Floor(time / Dt);
        ahead = n - _step;
        if (ahead < 1) ahead = 1;
        if (ahead >= SlotCount)
        {
            throw new InvalidOperationException($"An event at t = {time} ms lies {ahead} steps ahead; this buffer holds {SlotCount - 1} (the delays were not prepared for it).");
        }
        int s = _head + (int)ahead;
        return s >= SlotCount ? s - SlotCount : s;
    }

    /// <summary>Drops the current step's events, moves to the next step and sorts its events.</summary>
    public void Advance()
    {
        _counts[_head] = 0;
        _head = _head + 1 == SlotCount ? 0 : _head + 1;
        _step++;
        Arrange();
    }

    /// <summary>Makes the current step's events ready to be taken: sorted, or chained by target in linear mode.</summary>
    private void Arrange()
    {
        if (_linear is null)
        {
            SortCurrent();
            return;
        }
        ChainCurrent();
        _linear.AccumulateStep(Current, _step * Dt, Dt);
    }

    private void SortCurrent()
    {
        int count = _counts[_head];
        if (count < 2) return;
        var events = _slots[_head].AsSpan(0, count);
        // Grouped by target without a comparison sort: each target's events are chained (newest first) and the targets
        // marked in a bitmap, whose scan gives them in ascending order; each target's few events are then put in order
        // of (time, order added). O(events + targets/64) a step.
        if (_chainHead is null)
        {
            _chainHead = new int[Targets];
            Array.Fill(_chainHead, -1);
            _bits = new ulong[(Targets + 63) / 64];
        }
        if (_next.Length < count) _next = new int[Math.Max(count, 2 * _next.Length)];
        if (_sorted.Length < count) _sorted = new TimedEvent[Math.Max(count, 2 * _sorted.Length)];
        for (int e = 0; e < count; e++)
        {
            int target = events[e].Target;
            _next[e] = _chainHead[target];
            _chainHead[target] = e;
            _bits![target >> 6] |= 1UL << target;
        }
        var sorted = _sorted.AsSpan(0, count);
        int w = 0;
        for (int word = 0; word < _bits!.Length; word++)
        {
            ulong bits = _bits[word];
            if (bits == 0) continue;
            _bits[word] = 0;
            while (bits != 0)
            {
                int target = (word << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                int start = w;
                for (int e = _chainHead[target]; e >= 0; e = _next[e])
                {
                    // Insertion by (time, order added): the chain runs newest first, so most events go to the front.
                    var x = events[e];
                    int b = w - 1;
                    while (b >= start && (sorted[b].Time > x.Time || (sorted[b].Time == x.Time && sorted[b].Sequence > x.Sequence)))
                    {
                        sorted[b + 1] = sorted[b];
                        b--;
                    }
                    sorted[b + 1] = x;
                    w++;
                }
                _chainHead[target] = -1;
            }
        }
        // The grouped copy becomes the slot's storage (and the old storage the next scratch): no copy back.
        (_slots[_head], _sorted) = (_sorted, _slots[_head]);
    }

    /// <summary>Values <see cref="Save"/> writes: the step, the count, and five values per event up to <see cref="SnapshotCapacity"/>.</summary>
    public int StateLength => 2 + 5 * SnapshotCapacity;

    /// <summary>
    /// Writes the pending events (slot by slot from the current one, each slot in its stored order) into
    /// <paramref name="destination"/> of length <see cref="StateLength"/>: step, count, then per event its slot offset,
    /// target, port, time and weight (integers stored exactly as doubles). Throws when more events are pending than the
    /// snapshot holds.
    /// </summary>
    public void Save(Span<double> destination)
    {
        int pending = PendingCount;
        if (pending > SnapshotCapacity)
        {
            throw new InvalidOperationException($"{pending} timed synaptic events are pending, more than the {SnapshotCapacity} a checkpoint of this population holds.");
        }
        destination.Clear();
        destination[0] = _step;
        destination[1] = pending;
        int w = 2;
        for (int k = 0; k < SlotCount; k++)
        {
            int s = (_head + k) % SlotCount;
            for (int e = 0; e < _counts[s]; e++)
            {
                var ev = _slots[s][e];
                destination[w++] = k;
                destination[w++] = ev.Target;
                destination[w++] = ev.Port;
                destination[w++] = ev.Time;
                destination[w++] = ev.Weight;
            }
        }
    }

    /// <summary>Restores what <see cref="Save"/> wrote (the current slot in its sorted order, the others in the order added).</summary>
    public void Load(ReadOnlySpan<double> source)
    {
        Array.Clear(_counts);
        _head = 0;
        _step = (long)source[0];
        int pending = (int)source[1];
        int r = 2;
        for (int e = 0; e < pending; e++)
        {
            int s = (int)source[r];
            ref var slot = ref _slots[s];
            int count = _counts[s];
            if (count == slot.Length) Array.Resize(ref slot, count * 2);
            slot[count] = new TimedEvent((int)source[r + 1], (int)source[r + 2], source[r + 3], source[r + 4], count);
            _counts[s] = count + 1;
            r += 5;
        }
        if (_linear is null) return;
        // Linear mode: the target's accumulated effects are those of the current step's events, summed in the order they were
        // added (which Save kept, as the current step is not sorted in this mode): handing them over again gives the same bits.
        _linear.ClearAccumulated();
        Arrange();
    }
}
